"""``/reports/``: a report built by the worker from the page's form, listed with its SHA-256 and
downloaded byte for byte (the checksum of what arrives is the one shown)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from everyname.store.jobs import run_worker
from everyname.store.linking import run_link
from everyname.store.models import Job
from everyname.store.permissions import Actor
from everyname.store.reporting import get_report, list_reports

pytestmark = pytest.mark.django_db
TESTER = Actor.local_admin("tester")


@pytest.fixture
def linked(demo_imported):
    run_link(TESTER)
    return demo_imported


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_a_report_is_built_as_a_job_listed_and_downloaded_with_its_checksum(
    client, sign_in, linked, kind
):
    analyst = sign_in(client, "analyst")
    queued = client.post("/reports/", {"format": kind, "until": "2012-02-09", "seed": "3"})
    job = Job.objects.get()
    assert queued.status_code == 302 and queued["Location"] == f"/jobs/{job.pk}/"
    assert job.params == {
        "format": kind,
        "with_estimate": False,  # the box left unticked
        "filters": {"until": "2012-02-09"},
        "seed": 3,
    }
    assert run_worker(once=True) == 1
    (stored,) = list_reports(TESTER)
    assert stored.format == kind and stored.created_by == analyst.username

    page = client.get("/reports/").content.decode()
    row = page.split(f'<tr id="report-{stored.id}">', 1)[1].split("</tr>", 1)[0]
    assert f'<code class="hash" title="SHA-256">{stored.sha256}</code>' in row
    assert "until=2012-02-09" in row and stored.headline_en in row

    client.logout()
    sign_in(client, "viewer")  # anyone who sees the figures may download it
    download = client.get(f"/reports/{stored.id}/download/")
    assert download.status_code == 200
    assert download.content == get_report(TESTER, stored.id).content
    assert hashlib.sha256(download.content).hexdigest() == stored.sha256
    digest = base64.b64encode(hashlib.sha256(download.content).digest()).decode()
    assert download["Repr-Digest"] == f"sha-256=:{digest}:"
    assert download["Content-Disposition"] == (
        f'attachment; filename="everyname-report-{stored.id}.{kind}"'
    )
    if kind == "pdf":
        assert download["Content-Type"] == "application/pdf" and download.content[:5] == b"%PDF-"
    else:
        assert download["Content-Type"].startswith("text/html")


def test_a_report_with_its_estimate_links_the_estimates_it_stored(client, sign_in, linked):
    sign_in(client, "analyst")
    client.post("/reports/", {"format": "html", "with_estimate": "on"})
    run_worker(once=True)
    (stored,) = list_reports(TESTER)
    assert len(stored.estimate_ids) == 2
    page = client.get("/reports/").content.decode()
    for estimate_id in stored.estimate_ids:
        assert f'href="/estimates/{estimate_id}/"' in page
    assert f"seed {stored.seed}" in page


def test_who_may_build_and_what_is_refused(client, sign_in, linked):
    sign_in(client, "analyst")
    bad = client.post("/reports/", {"format": "docx"})
    assert bad.status_code == 400 and "<code>format</code>" in bad.content.decode()
    assert not Job.objects.exists()
    client.logout()
    sign_in(client, "viewer")
    page = client.get("/reports/").content.decode()
    assert "No report stored yet." in page and 'name="format"' not in page
    assert client.post("/reports/", {"format": "html"}).status_code == 403
    assert not Job.objects.exists()
    assert client.get("/reports/424242/download/").status_code == 404
