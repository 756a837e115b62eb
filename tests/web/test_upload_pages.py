"""Uploading a list in the browser's pages: the form, the preview with its mapping changed in the
page, the import queued as a job that the worker's own code runs, and the batch it made."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from everyname.store import jobs
from everyname.store.imports import import_list
from everyname.store.models import Batch, Job, Record, Source
from everyname.store.permissions import Actor
from everyname.store.previews import mappings_folder
from tests.conftest import shared_data_path

pytestmark = pytest.mark.django_db

HOOD = "الحي السكني"  # a header nothing recognises
WITNESS, PHONE = "أبو خالد", "0933111222"
ARABIC = (
    f"الاسم,العمر,تاريخ الوفاة,{HOOD},اسم المبلغ,هاتف المبلغ\n"
    f"أحمد خليل,30,2012-02-07,الخالدية,{WITNESS},{PHONE}\n"
    "هدى علي,9,2012-02-30,باب السباع,أم علي,0933444555\n"
    "عمر صالح,41,2012-03-01,الخالدية,,\n"
).encode()


@pytest.fixture(autouse=True)
def _key(key_file):
    """The import encrypts identities and the original file: a key is needed."""


def file(data: bytes, name: str = "قائمة.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def upload(client, data: bytes = ARABIC, name: str = "قائمة.csv", source: str = "src-a", **more):
    response = client.post("/imports/new/", {"source": source, "file": file(data, name), **more})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def html(response) -> str:
    return response.content.decode()


def test_a_recorder_uploads_maps_the_unknown_column_commits_and_sees_the_batch(client, sign_in):
    sign_in(client, "recorder")
    Source.objects.get_or_create(code="src-b", defaults={"name": "Source B"})
    assert 'href="/imports/new/"' in html(client.get("/imports/"))
    form = client.get("/imports/new/")
    assert form.status_code == 200
    assert 'value="src-a"' in html(form) and 'value="src-b"' not in html(form)

    preview_url = upload(client)
    assert re.fullmatch(r"/imports/new/[A-Za-z0-9_-]+/", preview_url)
    page = client.get(preview_url)
    text = html(page)
    assert page.status_code == 200
    assert "not recognised: choose a field" in text and HOOD in text
    assert 'id="sensitive-note"' in text and "reporter_contact" in text
    assert WITNESS not in text and PHONE not in text  # never in the page, not even hidden
    unreadable = page.context["unreadable"]
    assert [(p.row, p.column, p.value) for p in unreadable] == [(3, "تاريخ الوفاة", "2012-02-30")]
    assert "2012-02-30" in text and unreadable[0].expected in text

    # The column is mapped in the page; the preview now reads it.
    columns = {c["plan"].column: c for c in page.context["columns"]}
    post = {"action": "apply", "date_order": "DMY"}
    for name, c in columns.items():
        post[f"name-{c['index']}"] = name
        post[f"col-{c['index']}"] = c["choice"]
    post[f"col-{columns[HOOD]['index']}"] = "neighbourhood"
    assert client.post(preview_url, post).status_code == 302
    page = client.get(preview_url)
    plan = {c["plan"].column: c["plan"] for c in page.context["columns"]}
    assert (plan[HOOD].fields, plan[HOOD].how) == (("neighbourhood",), "mapped")
    assert "باب السباع" in html(page)

    toml = client.get(preview_url + "mapping.toml")
    assert toml.status_code == 200 and "attachment" in toml["Content-Disposition"]
    assert tomllib.loads(toml.content.decode())["columns"] == {HOOD: "neighbourhood"}

    committed = client.post(preview_url + "commit/")
    assert committed.status_code == 302, committed.context and committed.context["errors"]
    job_url = committed["Location"]
    job_id = int(re.fullmatch(r"/imports/jobs/(\d+)/", job_url).group(1))
    waiting = client.get(job_url)
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh"' in html(waiting) and 'id="job-state"' in html(waiting)
    assert client.get(preview_url).status_code == 404  # the upload left its waiting place

    jobs.run_job(Job.objects.get(pk=job_id).pk)  # what `everyname worker` runs

    done = client.get(job_url)
    assert '<meta http-equiv="refresh"' not in html(done)
    batch = Batch.objects.get()
    assert f'href="/imports/{batch.pk}/"' in html(done)
    assert batch.records_imported == 3 and batch.mapping_text == toml.content.decode()
    assert {r.normalised["neighbourhood"] for r in Record.objects.all()} == {
        "الخالدية",
        "باب السباع",
    }
    assert client.get(f"/imports/{batch.pk}/").status_code == 200

    # The same bytes again: the preview says which batch has them and offers no import.
    again = client.get(upload(client, name="again.csv"))
    assert 'id="already-imported"' in html(again) and f"/imports/{batch.pk}/" in html(again)
    assert 'id="commit-form"' not in html(again)


def test_rows_that_cannot_be_read_are_listed_and_skipped_on_request(client, sign_in):
    sign_in(client, "admin")
    Source.objects.create(code="src-a", name="A")
    data = b"name,age\nAhmad Khalil,30\nHuda Ali,9,extra\nOmar,40\n"
    preview_url = upload(client, data, "list.csv")
    page = client.get(preview_url)
    assert [p.row for p in page.context["rejected"]] == [3]
    assert 'name="skip_invalid"' in html(page)
    job_url = client.post(preview_url + "commit/", {"skip_invalid": "on"})["Location"]
    jobs.run_job(int(job_url.rstrip("/").rsplit("/", 1)[1]))
    batch = Batch.objects.get()
    assert (batch.records_imported, batch.rows_rejected) == (2, 1)
    assert "2 records imported" in html(client.get(job_url))


def test_a_wrong_mapping_is_refused_with_its_problems_and_kept_unchanged(client, sign_in):
    sign_in(client, "recorder")
    preview_url = upload(client)
    refused = client.post(
        preview_url, {"action": "toml", "toml": '[columns]\n"اسم المبلغ" = "notes"'}
    )
    assert refused.status_code == 400
    assert "witness" in html(refused) and 'id="preview-errors"' in html(refused)
    bad = client.post(preview_url, {"action": "toml", "toml": "[columns\n"})
    assert bad.status_code == 400 and "valid TOML" in html(bad)
    assert client.get(preview_url).context["staged"].mapping_text == ""


def test_a_mapping_is_saved_and_used_for_the_next_list(client, sign_in):
    sign_in(client, "recorder")
    preview_url = upload(client)
    text = f'[columns]\n"{HOOD}" = "neighbourhood"\n'
    assert client.post(preview_url, {"action": "toml", "toml": text}).status_code == 302
    assert client.post(preview_url, {"action": "save", "name": "homs-web"}).status_code == 302
    saved = mappings_folder("src-a") / "homs-web.toml"
    assert saved.read_text(encoding="utf-8") == text
    client.post(preview_url, {"action": "discard"})

    other = ARABIC.replace("عمر صالح".encode(), "عمر سالم".encode())
    next_url = upload(client, other, "next.csv")
    page = client.get(next_url)
    assert 'value="saved:homs-web"' in html(page)
    client.post(next_url, {"action": "load", "saved": "saved:homs-web"})
    plan = {c["plan"].column: c["plan"] for c in client.get(next_url).context["columns"]}
    assert plan[HOOD].fields == ("neighbourhood",)
    saved.unlink()


def test_a_mapping_file_may_come_with_the_upload(client, sign_in):
    sign_in(client, "recorder")
    mapping = SimpleUploadedFile("homs.toml", f'ignore = ["{HOOD}"]\n'.encode())
    page = client.get(upload(client, mapping=mapping))
    plan = {c["plan"].column: c["plan"] for c in page.context["columns"]}
    assert plan[HOOD].how == "ignored"
    assert page.context["staged"].mapping_name == "homs.toml"


def test_a_file_over_the_limit_is_refused_in_words(client, sign_in, settings):
    sign_in(client, "recorder")
    settings.UPLOAD_LIMIT_BYTES = 64
    refused = client.post("/imports/new/", {"source": "src-a", "file": file(ARABIC)})
    assert refused.status_code == 413
    assert "larger than the upload limit" in html(refused)


def test_a_reviewer_is_not_offered_the_upload(client, sign_in):
    sign_in(client, "reviewer")
    assert 'href="/imports/new/"' not in html(client.get("/imports/"))
    assert client.get("/imports/new/").status_code == 403


def test_a_recorder_uploads_only_for_their_sources(client, sign_in):
    sign_in(client, "recorder")
    Source.objects.create(code="src-b", name="B")
    refused = client.post("/imports/new/", {"source": "src-b", "file": file(ARABIC)})
    assert refused.status_code == 403
    refused = client.post("/imports/new/", {"new_source": "src-c", "file": file(ARABIC)})
    assert refused.status_code == 403 and not Source.objects.filter(code="src-c").exists()


def test_another_users_upload_is_not_found(client, sign_in, make_user):
    sign_in(client, "recorder")
    preview_url = upload(client)
    client.logout()
    sign_in(client, "analyst")
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url + "commit/").status_code == 404


def test_xlsx_and_json_uploads_are_previewed(client, sign_in):
    sign_in(client, "recorder")
    book = Workbook()
    book.active.append(["الاسم", "الجنس"])
    book.active.append(["أحمد خليل", "ذكر"])
    out = io.BytesIO()
    book.save(out)
    page = client.get(upload(client, out.getvalue(), "list.xlsx"))
    assert page.context["preview"].file_format == "xlsx" and "أحمد خليل" in html(page)
    rows = [{"name": "Huda Ali", "age": "abc"}]
    page = client.get(upload(client, json.dumps(rows).encode(), "list.json"))
    assert page.context["preview"].file_format == "json"
    assert [(p.row, p.column) for p in page.context["unreadable"]] == [(1, "age")]


def test_a_real_list_with_its_mapping_is_previewed_like_its_dry_run(client, sign_in):
    sign_in(client, "admin")
    Source.objects.create(code="gaza-moh", name="MoH")
    real = shared_data_path("real", "gaza_moh", "moh_list_update1_asof_2024-01-05.csv")
    mapping = Path(__file__).parents[2] / "examples" / "mappings" / "gaza_moh_release1.toml"
    page = client.get(
        upload(
            client,
            real.read_bytes(),
            real.name,
            source="gaza-moh",
            mapping=SimpleUploadedFile(mapping.name, mapping.read_bytes()),
        )
    )
    seen = page.context["preview"].scan.result
    dry = import_list(Actor.local_admin("t"), "gaza-moh", real, mapping=mapping, dry_run=True)
    assert seen.rows_read == dry.rows_read > 10_000
    assert seen.rows_valid == dry.rows_read - dry.rows_rejected
    assert seen.unreadable_count == len(dry.unreadable)
    assert len(page.context["unreadable"]) == min(len(dry.unreadable), 500)
    assert all(c["plan"].how == "mapped" for c in page.context["columns"])


def test_a_job_that_fails_says_why_and_nothing_is_imported(client, sign_in):
    user = sign_in(client, "recorder")
    preview_url = upload(client)
    job_url = client.post(preview_url + "commit/")["Location"]
    # Meanwhile the same bytes come in another way: the worker's import refuses them.
    handle = io.BytesIO(ARABIC)
    handle.name = "by-hand.csv"
    earlier = import_list(Actor.local_admin("other"), "src-a", handle)
    with pytest.raises(jobs.JobFailed):
        jobs.run_job(int(job_url.rstrip("/").rsplit("/", 1)[1]))
    page = client.get(job_url)
    text = html(page)
    assert 'id="job-error"' in text and f"batch {earlier.batch_id}" in text
    assert '<meta http-equiv="refresh"' not in text and 'id="batch-link"' not in text
    assert Batch.objects.count() == 1 and user.username not in Batch.objects.get().imported_by


def test_the_upload_form_still_needs_its_csrf_token(sign_in):
    """The view reads the body only once its size-limiting handler is in place, so it checks the
    CSRF token itself (csrf_protect inside csrf_exempt): a forged form is still refused."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, "recorder")
    refused = strict.post("/imports/new/", {"source": "src-a", "file": file(ARABIC)})
    assert refused.status_code == 403
    assert not Batch.objects.exists() and "csrf" in html(refused).lower()


def test_a_large_upload_answers_at_once_and_its_block_shows_progress_then_the_result(
    client, sign_in, settings
):
    """Over the size read in the request (lowered here to a few bytes): the page shows the
    columns and first rows without reading the whole file; the block that htmx asks for again
    says how far the worker has come, then what it found; a page of another mapping is told to
    reload, never given this result."""
    settings.UPLOAD_SCAN_INLINE_BYTES = 64
    sign_in(client, "recorder")
    preview_url = upload(client)
    page = client.get(preview_url)
    text = html(page)
    assert page.status_code == 200
    assert "not recognised: choose a field" in text and "أحمد خليل" in text  # the first rows
    assert 'id="scan-progress"' in text and 'id="commit-form"' not in text
    assert 'id="rows-read"' not in text and 'id="unreadable"' not in text
    assert '<noscript><meta http-equiv="refresh"' in text  # without scripts: the page reloads
    assert re.search(r'<dd id="scan-summary">being read ·', text)
    assert WITNESS not in text and PHONE not in text
    scan = Job.objects.get(kind="preview")
    key = scan.params["key"]
    block_url = f"{preview_url}scan/?key={key}"
    assert f'hx-get="{block_url}"' in text

    block = client.get(block_url, headers={"HX-Request": "true"})
    assert block.status_code == 200 and 'id="scan-state"' in html(block)
    assert "queued, waiting for a worker" in html(block) and f'hx-get="{block_url}"' in html(block)
    assert "<html" not in html(block)  # the block alone
    # Half way, as the worker writes it: the block says so.
    Job.objects.filter(pk=scan.pk).update(
        state="running", progress_done=500, progress_total=1000, progress_message="bytes read"
    )
    halfway = html(client.get(block_url))
    assert 'id="scan-percent">50%' in halfway and 'value="50"' in halfway
    Job.objects.filter(pk=scan.pk).update(state="queued")

    assert jobs.run_worker(once=True) == 1  # what `everyname worker` runs

    done = html(client.get(block_url))
    assert 'id="rows-read">3<' in done and 'id="unreadable-count">1<' in done
    assert "2012-02-30" in done and 'id="commit-form"' in done and f'value="{key}"' in done
    assert "hx-get" not in done and WITNESS not in done and PHONE not in done
    # The line at the page's top follows (swapped out of band).
    assert '<dd id="scan-summary" hx-swap-oob="true">3 rows read, 3 records to import' in done
    page = client.get(preview_url)  # the page again: the result kept, no second scan
    assert 'id="rows-read">3<' in html(page) and Job.objects.filter(kind="preview").count() == 1
    assert "<noscript><meta" not in html(page)

    csv_url = f"{preview_url}problems.csv?key={key}"
    assert f'href="{csv_url}"' in html(page)
    download = client.get(csv_url)
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "2012-02-30" in body and "تاريخ الوفاة" in body
    assert WITNESS not in body and PHONE not in body

    # The mapping changes: a new scan; the old page's block and links are refused.
    changed = client.post(preview_url, {"action": "toml", "toml": f'ignore = ["{HOOD}"]\n'})
    assert changed.status_code == 302
    assert 'id="scan-progress"' in html(client.get(preview_url))
    stale = html(client.get(block_url))
    assert 'id="scan-stale"' in stale and 'id="rows-read"' not in stale and "hx-get" not in stale
    assert client.get(csv_url).status_code == 404
    refused = client.post(preview_url + "commit/", {"key": key})
    assert refused.status_code == 400 and "was changed after this preview" in html(refused)
    assert not Job.objects.filter(kind="import").exists()
