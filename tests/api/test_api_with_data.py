"""Every read route of the API on the demo's lists, linked, with an estimate, a job, a
correction and a decision stored: each role gets 200 and a JSON body where its role allows,
403 where not, so every result the store gives is shown to be JSON the API can send (the
empty database of the role matrix answers most of these with 404)."""

from __future__ import annotations

import json

import pytest

from everyname.api.urls import urlpatterns
from everyname.core.provenance import json_safe
from everyname.store import jobs
from everyname.store.estimating import EstimateOptions, estimate
from everyname.store.linking import decide, pending_pairs, run_link
from everyname.store.models import Batch, Record
from everyname.store.persons import list_persons
from everyname.store.records import correct_record

pytestmark = pytest.mark.django_db
API = "/api/v1/"
ROLES = ("admin", "analyst", "reviewer", "recorder", "viewer")
RECORDS = {"admin", "analyst", "reviewer", "recorder"}
IMPORTERS = {"admin", "analyst", "recorder"}
REVIEWERS = {"admin", "analyst", "reviewer"}


def test_every_read_route_with_data_for_every_role(client, demo_imported, cast, token_for, bearer):
    from everyname.store.models import Source, UserRole

    run_link(cast["admin"])
    record = Record.objects.filter(source__code="src-a").first() or Record.objects.first()
    correct_record(cast["admin"], record.pk, {"sex": "female"}, "the family corrected it")
    pair = pending_pairs(cast["admin"], 1, 1).pairs[0]
    decide(cast["admin"], pair.left.record_id, pair.right.record_id, "different", note="t")
    stored = estimate(cast["admin"], options=EstimateOptions(interval="profile"))
    person = list_persons(cast["admin"], page_size=1).items[0].person_id
    batch = Batch.objects.get(pk=record.batch_id)
    tokens = {role: token_for(role) for role in ROLES}
    # The recorder is assigned the source of the record and batch read below.
    UserRole.objects.get(user__username="recorder-user").sources.set(
        Source.objects.filter(code=record.source.code)
    )
    queued = client.post(
        API + "link-runs", {}, content_type="application/json", **bearer(tokens["analyst"])
    )
    assert queued.status_code == 202
    job = queued.json()["id"]

    reads = {
        "counts": ("counts?by=sex,place,date", set(ROLES)),
        "persons": ("persons?page_size=5", RECORDS),
        "persons/<str:person_id>": (f"persons/{person}", RECORDS),
        "records": ("records?page_size=5", RECORDS),
        "records/<int:record_id>": (f"records/{record.pk}", RECORDS),
        "sources": ("sources", RECORDS),
        "batches": ("batches", RECORDS),
        "batches/<int:batch_id>": (f"batches/{batch.pk}", RECORDS),
        "batches/<int:batch_id>/rejected.csv": (f"batches/{batch.pk}/rejected.csv", IMPORTERS),
        "jobs": ("jobs", set(ROLES)),
        "estimates": ("estimates", set(ROLES)),
        "estimates/<int:estimate_id>": (f"estimates/{stored.stored_id}", set(ROLES)),
        "review/pairs": ("review/pairs?page_size=3", REVIEWERS),
        "claims": ("claims", set(ROLES)),
        "releases": ("releases", set(ROLES)),
        "tokens": ("tokens", set(ROLES)),
        "link-runs": ("link-runs", set(ROLES)),
    }
    gets = {str(p.pattern) for p in urlpatterns if "get" in _methods(p)}
    elsewhere = {"openapi.json", "docs/", "^.*$", "jobs/<int:job_id>"}
    elsewhere.add("releases/<int:release_id>/<str:name>")  # the next test
    assert gets - elsewhere == set(reads)
    wrong = []
    for role, token in tokens.items():
        for route, (path, allowed) in reads.items():
            response = client.get(API + path, **bearer(token))
            want = 200 if role in allowed else 403
            if response.status_code != want:
                wrong.append(f"{role} {path}: {response.status_code} {response.content[:150]!r}")
            elif want == 200 and not path.endswith(".csv"):
                body = response.json()
                if not body:
                    wrong.append(f"{role} {path}: empty")
                if "items" in body and route not in ("releases", "jobs") and not body["items"]:
                    wrong.append(f"{role} {path}: no items")
    assert not wrong, "; ".join(wrong)
    # One's own job; an administrator sees everyone's; others are told it does not exist.
    mine = client.get(API + f"jobs/{job}", **bearer(tokens["analyst"]))
    assert mine.status_code == 200 and mine.json()["kind"] == "link"
    assert client.get(API + f"jobs/{job}", **bearer(tokens["admin"])).status_code == 200
    assert client.get(API + f"jobs/{job}", **bearer(tokens["viewer"])).status_code == 404
    # The record shows its revision; the estimate what it stored.
    detail = client.get(API + f"records/{record.pk}", **bearer(tokens["analyst"])).json()
    assert detail["revisions"][-1]["reason"] == "the family corrected it"
    fitted = client.get(API + f"estimates/{stored.stored_id}", **bearer(tokens["viewer"])).json()
    assert fitted["result"] == json.loads(json.dumps(json_safe(stored.to_dict())))
    assert (fitted["id"], fitted["seed"], fitted["fingerprint"]) == (
        stored.stored_id,
        stored.seed,
        stored.fingerprint,
    )
    assert fitted["options"]["interval"] == "profile" and fitted["versions"]
    listed = client.get(API + "estimates", **bearer(tokens["viewer"])).json()
    assert listed["items"] == [fitted]
    assert jobs.job_status(cast["admin"], job).state == "queued"


def _methods(pattern) -> set[str]:
    view = pattern.callback.cls
    return {m for m in ("get", "post", "delete") if hasattr(view, m)}


def test_a_release_published_and_its_files_read_claims_imported(
    client, demo_imported, cast, token_for, bearer, key_file, tmp_path
):
    import base64
    import hashlib
    import shutil

    from everyname.store.releases import releases_folder

    shutil.rmtree(releases_folder(), ignore_errors=True)
    run_link(cast["admin"])
    analyst, viewer = token_for("analyst"), token_for("viewer")
    refused = client.post(API + "releases", {}, content_type="application/json", **bearer(viewer))
    assert refused.status_code == 403
    queued = client.post(
        API + "releases",
        {"withhold": "children"},
        content_type="application/json",
        **bearer(analyst),
    )
    assert queued.status_code == 202, queued.content
    assert str(releases_folder()) not in queued.content.decode()  # no path of the server
    assert jobs.run_worker(once=True) == 1
    assert (
        client.get(API + f"jobs/{queued.json()['id']}", **bearer(analyst)).json()["state"] == "done"
    )
    (release,) = client.get(API + "releases", **bearer(viewer)).json()["items"]
    assert release["withhold"] == "children" and "persons.csv" in release["files"]
    for name, digest in release["files"].items():
        got = client.get(API + f"releases/{release['id']}/{name}", **bearer(viewer))
        assert got.status_code == 200, name
        data = b"".join(got.streaming_content)
        assert hashlib.sha256(data).hexdigest() == digest
        assert (
            got["Repr-Digest"]
            == "sha-256=:" + base64.b64encode(bytes.fromhex(digest)).decode() + ":"
        )
    missing = client.get(API + f"releases/{release['id']}/SHA256SUMS", **bearer(viewer))
    assert missing.status_code == 404 and missing.json()["field"] == "file"
    shutil.rmtree(releases_folder(), ignore_errors=True)

    # Claims: imported by a CSV upload (all or nothing), read back by everyone.
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = client.get(API + "claims", **bearer(viewer)).json()["total"]
    csv = "source,date,place,category,count,text\nMinistry,2012-02-05,Homs,killed,40,forty killed\n"
    upload = SimpleUploadedFile("claims.csv", csv.encode(), content_type="text/csv")
    made = client.post(API + "claims", {"file": upload}, **bearer(analyst))
    assert made.status_code == 201, made.content
    assert made.json()["claims"] == 1
    assert client.get(API + "claims", **bearer(viewer)).json()["total"] == before + 1
    bad = SimpleUploadedFile("claims.csv", b"source,count\nX,many\n", content_type="text/csv")
    rejected = client.post(API + "claims", {"file": bad}, **bearer(analyst))
    assert rejected.status_code == 400 and set(rejected.json()) >= {"error", "field"}
    assert client.get(API + "claims", **bearer(viewer)).json()["total"] == before + 1


def _keys_and_values(body: object):
    """Every key and every scalar value of a JSON body, however deep."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield key
            yield from _keys_and_values(value)
    elif isinstance(body, list):
        for value in body:
            yield from _keys_and_values(value)
    else:
        yield body


def test_a_recorder_reads_a_shared_person_from_their_own_source_only(
    client, key_file, cast, token_for, bearer
):
    """A person with a record in src-a and one in src-b that disagree: the API gives a recorder
    of src-a what src-a's record says, nothing of src-b's; an analyst both and the conflict."""
    from everyname.store.models import MatchDecision, Membership, Source
    from everyname.store.records import enter_record

    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    said = {
        "src-a": {"full_name": "محمد الخالدي", "age": "12", "neighbourhood": "بابا عمرو"},
        "src-b": {"full_name": "Mohammed al-Khalidi", "age": "47", "neighbourhood": "Deir Baalba"},
    }
    left, right = (enter_record(cast["admin"], code, v).id for code, v in said.items())
    MatchDecision.objects.create(record_l_id=left, record_r_id=right, verdict="same")
    run = run_link(cast["admin"]).link_run
    person = Membership.objects.get(link_run_id=run, record_id=left).person_id
    recorder, analyst = bearer(token_for("recorder")), bearer(token_for("analyst"))

    mine = client.get(API + f"persons/{person}", **recorder)
    listed = client.get(API + "persons", **recorder)
    assert mine.status_code == listed.status_code == 200
    for text in ("Deir Baalba", "Mohammed al-Khalidi", "src-b", f'"{right}"'):
        assert text not in mine.content.decode() + listed.content.decode(), text
    # src-b's age is looked for among the bodies' keys and values, not as a substring: a
    # timestamp's seconds can read "47" (it did, once in CI).
    told = set(_keys_and_values(mine.json())) | set(_keys_and_values(listed.json()))
    assert not told & {47, "47"}
    body = mine.json()
    assert body["resolved"]["age_years"] == 12 and body["conflicts"] == []
    assert (body["sources"], body["n_records"], body["records_not_shown"]) == (["src-a"], 1, 1)
    assert body["grade"] == "withheld" and body["independent_sources"] is None
    (item,) = listed.json()["items"]
    assert (item["sources"], item["age_years"], item["conflicts"]) == (["src-a"], 12, 0)

    whole = client.get(API + f"persons/{person}", **analyst).json()
    assert whole["sources"] == ["src-a", "src-b"] and whole["records_not_shown"] == 0
    (age,) = [c for c in whole["conflicts"] if c["field"] == "age_years"]
    assert age["values"] == {"12": [str(left)], "47": [str(right)]}
    assert whole["grade"] != "withheld" and whole["independent_sources"] == 2
