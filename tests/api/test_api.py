"""The API on real data: counts byte for byte what ``everyname count --format json`` prints,
persons found by a name in either script, corrections and decisions audited, an upload run as a
job, tokens that stop at 401 once revoked, one error shape, a rate per token, and an OpenAPI
document that is valid and names every route."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from typer.testing import CliRunner

from everyname.api.urls import urlpatterns
from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.core.names import has_arabic
from everyname.store import jobs
from everyname.store.linking import run_link
from everyname.store.models import AuditEvent, Record, UserRole
from everyname.store.persons import get_person, list_persons

pytestmark = pytest.mark.django_db
runner = CliRunner()
API = "/api/v1/"


def cli(*args: str, user: str) -> bytes:
    result = runner.invoke(app, list(args), env={"EVERYNAME_USER": user})
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.fixture
def linked(demo_imported, cast):
    run_link(cast["admin"])
    return demo_imported


def get(client, path, token, bearer, **params):
    return client.get(API + path, params, **bearer(token))


def post(client, path, token, bearer, body):
    return client.post(API + path, body, content_type="application/json", **bearer(token))


# --- counts ----------------------------------------------------------------------------------

WINDOWS = [
    {},
    {"since": "2012-02-03", "until": "2012-02-09", "place": "Homs", "by": "sex,age_group,place"},
    {"place": "حمص", "by": "status,date"},
    {"outcome": "killed", "grade": "confirmed", "by": "cause"},
]


def test_counts_are_the_bytes_of_the_command(client, linked, token_for, bearer):
    token = token_for("viewer")
    for query in WINDOWS:
        options = [a for k, v in query.items() for a in (f"--{k}", v)]
        response = get(client, "counts", token, bearer, **query)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/json")
        assert response.content == cli("count", *options, "--format", "json", user="viewer-user")
    # Repeated breakdowns and sources read like the command's comma list and repeated --source.
    source = linked.files[0].source_code
    repeated = client.get(
        API + "counts", {"by": ["sex", "status"], "source": [source]}, **bearer(token)
    )
    command = cli(
        "count", "--by", "sex,status", "--source", source, "--format", "json", user="viewer-user"
    )
    assert repeated.content == command
    assert (
        json.loads(command)["total"]
        < json.loads(get(client, "counts", token, bearer).content)["total"]
    )
    # A bad filter is named, as the command names its option.
    wrong = get(client, "counts", token, bearer, since="2012-02-10", until="2012-02-01")
    assert wrong.status_code == 400 and set(wrong.json()) == {"error", "field"}
    assert wrong.json()["field"] in ("since", "until")
    unknown = get(client, "counts", token, bearer, by="shoe_size")
    assert unknown.status_code == 400 and "shoe_size" in unknown.json()["error"]


# --- persons, records, review ----------------------------------------------------------------


def two_scripts(actor):
    for summary in list_persons(actor, page_size=500).items:
        if summary.n_records < 2:
            continue
        detail = get_person(actor, summary.person_id)
        arabic = [r.name for r in detail.records if r.name and has_arabic(r.name)]
        latin = [r.name for r in detail.records if r.name and not has_arabic(r.name)]
        if arabic and latin:
            return detail, arabic[0], latin[0]
    raise AssertionError("the demo has no person named in both scripts")


def test_persons_records_and_review_on_linked_lists(client, linked, cast, token_for, bearer):
    reviewer, analyst = token_for("reviewer"), token_for("analyst")
    person, arabic, latin = two_scripts(cast["reviewer"])
    for typed in (arabic, latin):
        found = get(client, "persons", reviewer, bearer, q=typed)
        assert found.status_code == 200
        ids = [p["person_id"] for p in found.json()["items"]]
        assert person.person_id in ids, typed
        assert ids == [p.person_id for p in list_persons(cast["reviewer"], typed).items]
    one = get(client, f"persons/{person.person_id}", reviewer, bearer).json()
    assert one == json.loads(json.dumps(person.to_dict()))
    # Paged, and the page says how many in all.
    paged = get(client, "persons", reviewer, bearer, page_size=7, page=2).json()
    assert (paged["page"], paged["page_size"], len(paged["items"])) == (2, 7, 7)
    assert paged["total"] == list_persons(cast["reviewer"]).total
    bad = get(client, "persons", reviewer, bearer, page_size=501)
    assert bad.status_code == 400 and bad.json()["field"] == "page_size"

    # A correction is a revision, audited; the record then shows it.
    record = Record.objects.order_by("pk").first()
    corrected = post(
        client,
        f"records/{record.pk}/corrections",
        analyst,
        bearer,
        {"changes": {"sex": "female"}, "reason": "the family corrected it"},
    )
    assert corrected.status_code == 201, corrected.content
    detail = get(client, f"records/{record.pk}", analyst, bearer).json()
    assert detail["revisions"] and detail["revisions"][-1]["reason"] == "the family corrected it"
    assert AuditEvent.objects.filter(action="record.corrected", actor="analyst-user").count() == 1
    refused = post(client, f"records/{record.pk}/corrections", analyst, bearer, {"changes": {}})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"

    # The review queue, and a decision through the store, audited.
    pairs = get(client, "review/pairs", reviewer, bearer, page_size=2).json()
    assert pairs["total"] > 0 and len(pairs["pairs"]) == 2
    pair = pairs["pairs"][0]
    left, right = pair["left"]["record_id"], pair["right"]["record_id"]
    decided = post(
        client,
        "review/decisions",
        reviewer,
        bearer,
        {"left_record_id": left, "right_record_id": right, "verdict": "same", "note": "api"},
    )
    assert decided.status_code == 201, decided.content
    assert AuditEvent.objects.filter(action="match.decided", actor="reviewer-user").count() == 1
    after = get(client, "review/pairs", reviewer, bearer, page_size=2).json()
    assert after["total"] == pairs["total"] - 1
    wrong = post(
        client,
        "review/decisions",
        reviewer,
        bearer,
        {"left_record_id": left, "right_record_id": right, "verdict": "perhaps"},
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "verdict"


def test_a_recorder_sees_only_their_sources(client, demo_imported, token_for, bearer):
    from everyname.store.models import Source

    token = token_for("recorder")
    mine = demo_imported.files[0].source_code
    UserRole.objects.get(user__username="recorder-user").sources.set(
        Source.objects.filter(code=mine)
    )
    listed = get(client, "records", token, bearer, page_size=500).json()
    assert listed["total"] == Record.objects.filter(source__code=mine).count() > 0
    assert {r["source"] for r in listed["items"]} == {mine}
    other = Record.objects.exclude(source__code=mine).first()
    assert get(client, f"records/{other.pk}", token, bearer).status_code in (403, 404)
    sources = get(client, "sources", token, bearer).json()
    assert [s["code"] for s in sources["items"]] == [mine]
    assert get(client, "batches", token, bearer, source=other.source.code).status_code == 403


# --- an upload, run as a job -----------------------------------------------------------------

LIST = (
    b"name,age,date of death,sex\n"
    b"Ahmad Khalil,30,2012-02-04,m\n"
    b"Huda Ali,9,2012-02-05,f\n"
    b"Omar Saleh,41,2012-02-30,\n"
)


def test_an_upload_is_imported_by_a_job_and_its_batch_read(client, token_for, bearer, key_file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = token_for("recorder")
    file = SimpleUploadedFile("list.csv", LIST, content_type="text/csv")
    queued = client.post(API + "batches", {"source": "src-a", "file": file}, **bearer(token))
    assert queued.status_code == 202, queued.content
    job = queued.json()
    assert (job["kind"], job["state"]) == ("import", "queued")
    assert jobs.run_worker(once=True) == 1
    done = get(client, f"jobs/{job['id']}", token, bearer).json()
    assert done["state"] == "done", done
    batch_id = done["result"]["batch_id"]
    batch = get(client, f"batches/{batch_id}", token, bearer).json()
    assert (batch["records"], batch["source"]) == (3, "src-a")
    assert [(p["row"], p["column"]) for p in batch["unreadable"]] == [(4, "date of death")]
    rejected = get(client, f"batches/{batch_id}/rejected.csv", token, bearer)
    assert rejected.status_code == 200 and rejected["Content-Type"].startswith("text/csv")
    listed = get(client, "batches", token, bearer).json()
    assert [b["id"] for b in listed["items"]] == [batch_id]
    # Another source is refused before anything is queued.
    other = SimpleUploadedFile("list.csv", LIST, content_type="text/csv")
    refused = client.post(API + "batches", {"source": "src-b", "file": other}, **bearer(token))
    assert refused.status_code == 403 and refused.json()["field"] == "source"


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_hashed_at_rest_and_revoked_ones_refused(client, token_for, bearer):
    from everyname.api.models import ApiToken

    token = token_for("analyst")
    assert get(client, "jobs", token, bearer).status_code == 200
    stored = ApiToken.objects.get()
    columns = json.dumps(list(ApiToken.objects.values().get().values()), default=str)
    assert token not in columns and token[12:] not in columns
    assert stored.digest != token and len(stored.digest) == 64 and token.startswith(stored.prefix)
    # A second token made through the API, shown once; the list never shows a token.
    made = post(client, "tokens", token, bearer, {"name": "dashboard"})
    assert made.status_code == 201
    second = made.json()["token"]
    listed = get(client, "tokens", second, bearer).json()
    assert [t["name"] for t in listed["items"]] == ["", "dashboard"]
    assert token not in json.dumps(listed) and second not in json.dumps(listed)
    # Revoked: 401 from then on, the other token still works; both events audited, no token.
    first_id = listed["items"][0]["id"]
    revoked = client.delete(API + f"tokens/{first_id}", **bearer(second))
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    refused = get(client, "jobs", token, bearer)
    assert refused.status_code == 401 and refused.json()["field"] is None
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert get(client, "jobs", second, bearer).status_code == 200
    again = client.delete(API + f"tokens/{first_id}", **bearer(second))
    assert again.status_code == 409 and again.json()["field"] == "token"
    events = AuditEvent.objects.filter(action__startswith="token.")
    assert sorted(e.action for e in events) == ["token.created"] * 2 + ["token.revoked"]
    dump = json.dumps(list(events.values_list("details", flat=True)))
    assert token not in dump and second not in dump


def test_a_token_has_its_users_role_never_more(client, token_for, bearer):
    viewer = token_for("viewer")
    token_for("admin")
    assert get(client, "records", viewer, bearer).status_code == 403
    # A viewer cannot make a token for someone else (an admin's would be a way up).
    refused = post(client, "tokens", viewer, bearer, {"user": "admin-user"})
    assert refused.status_code == 403 and refused.json()["field"] == "user"
    # The role is read at each request: lowered, the token loses it; raised, gains it.
    analyst = token_for("analyst")
    assert get(client, "records", analyst, bearer).status_code == 200
    UserRole.objects.filter(user__username="analyst-user").update(role="viewer")
    assert get(client, "records", analyst, bearer).status_code == 403
    User.objects.filter(username="analyst-user").update(is_active=False)
    assert get(client, "jobs", analyst, bearer).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer evn_not-a-token", "Token abc", "Bearer a b", "Basic dXNlcjpwYXNz"],
)
def test_a_bad_authorization_header_is_401_in_the_error_shape(client, db, header):
    response = client.get(API + "jobs", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"error", "field"}


def test_requests_are_limited_per_token(client, token_for, bearer, settings):
    settings.API_RATE_PER_TOKEN = "3/minute"
    first, second = token_for("viewer"), token_for("analyst")
    codes = [get(client, "claims", first, bearer).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = get(client, "claims", first, bearer)
    assert int(limited["Retry-After"]) > 0 and set(limited.json()) == {"error", "field"}
    assert get(client, "claims", second, bearer).status_code == 200  # another token's own rate


# --- the document and the docs ---------------------------------------------------------------


def test_the_openapi_document_is_valid_and_names_every_route(client, db):
    from drf_spectacular.validation import validate_schema

    response = client.get(API + "openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)  # raises on an invalid OpenAPI 3 document
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        if route in ("openapi.json", "docs/", "^.*$"):
            continue
        path = API + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        assert path in documented, f"{path} is not in the OpenAPI document"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # Every operation names the error shape for its refusals.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], f"{method} {path}"


def test_the_document_is_generated_without_a_warning(tmp_path, db):
    """drf-spectacular's own check: every view, parameter and response resolved (a view it
    cannot read would be described by a guess)."""
    from django.core.management import call_command

    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    assert "/api/v1/counts:" in out.read_text(encoding="utf-8")


def test_the_docs_are_served_by_the_app_with_no_other_host(client, db):
    page = client.get(API + "docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html and "<script>" not in html  # nothing inline, as the CSP asks
    assert "unsafe-inline" not in page.get("Content-Security-Policy", "")
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls
    for url in urls:
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, url
        body = b"".join(response) if response.streaming else response.content
        assert body
    script = next(u for u in urls if "script" in u and not u.startswith("/static/"))
    assert b"/api/v1/openapi.json" in client.get(script.replace("&amp;", "&")).content


# --- a reporter's identity, revealed on purpose ----------------------------------------------

REPORTER = "Umm Khaled Planted-Witness"


def test_a_reveal_is_audited_and_never_cached(client, token_for, bearer, tmp_path, key_file, cast):
    import csv

    from everyname.store.imports import import_file

    path = tmp_path / "lcc.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["name", "sex", "date of death", "reporter name"],
                ["Ahmad Khalil", "m", "2012-02-04", REPORTER],
            ]
        )
    import_file(path, "src-a", actor=cast["admin"])
    record = Record.objects.get()
    analyst, reviewer = token_for("analyst"), token_for("reviewer")
    shown = get(client, f"records/{record.pk}", reviewer, bearer)
    assert shown.status_code == 200 and REPORTER not in shown.content.decode()
    refused = post(client, f"records/{record.pk}/reveal", reviewer, bearer, {"reason": "curious"})
    assert refused.status_code == 403 and REPORTER not in refused.content.decode()
    no_reason = post(client, f"records/{record.pk}/reveal", analyst, bearer, {})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert not AuditEvent.objects.filter(action="secret.read").exists()
    revealed = post(
        client, f"records/{record.pk}/reveal", analyst, bearer, {"reason": "the family asks"}
    )
    assert revealed.status_code == 200 and REPORTER in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="secret.read")
    assert event.actor == "analyst-user" and REPORTER not in json.dumps(event.details)
