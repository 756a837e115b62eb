"""The report service: the file's bytes returned and stored with their SHA-256, its estimates
stored with the seed the report shows, read back byte for byte; the permission cast (analysts
and admins build, everyone reads, a refusal writes nothing)."""

from __future__ import annotations

import hashlib

import pytest

from everyname.core.count import CountFilters
from everyname.core.errors import InvalidInput, NotFound, PermissionDenied
from everyname.store.estimating import get_estimate
from everyname.store.linking import run_link
from everyname.store.models import AuditEvent, StoredEstimate, StoredReport
from everyname.store.permissions import Actor
from everyname.store.reporting import build_report, get_report, list_reports

pytestmark = pytest.mark.django_db

TESTER = Actor.local_admin("tester")
WINDOW = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
BUILDS = {"admin", "analyst"}


@pytest.fixture
def linked(demo_imported):
    return run_link(TESTER)


def test_the_cast_analysts_and_admins_build_everyone_reads_refusals_write_nothing(
    linked, cast, snapshot
):
    built = []
    for name, actor in cast.items():
        if name in BUILDS:
            report = build_report(actor, WINDOW, "html", with_estimate=False)
            assert report.created_by == actor.username and report.estimate_ids == ()
            event = AuditEvent.objects.filter(action="report.stored").order_by("-id").first()
            assert event.actor == actor.username and event.details["sha256"] == report.sha256
            built.append(report)
        else:
            before = snapshot()
            with pytest.raises(PermissionDenied):
                build_report(actor, WINDOW, "html", with_estimate=False)
            assert snapshot() == before
    assert StoredReport.objects.count() == len(BUILDS)
    for actor in cast.values():
        listed = list_reports(actor)
        assert [r.id for r in listed] == [r.id for r in reversed(built)]
        assert all(r.content == b"" and r.size_bytes > 0 for r in listed)  # lists skip files
        again = get_report(actor, built[0].id)
        assert again.content == built[0].content and again.to_dict() == built[0].to_dict()
    with pytest.raises(NotFound):
        get_report(cast["viewer"], 10**9)


def test_the_file_is_returned_and_stored_with_its_sha256_and_its_estimates_seed(linked):
    report = build_report(TESTER, WINDOW, "html", seed=7)
    html = report.content.decode("utf-8")
    assert report.sha256 == hashlib.sha256(report.content).hexdigest()
    assert report.size_bytes == len(report.content) and report.media_type.startswith("text/html")
    assert 'dir="rtl"' in html and "<svg" in html
    assert "Fitted with random seed 7." in html  # no hidden seed
    assert report.settings["seed"] == 7 and report.headline_en in html
    row = StoredReport.objects.get(pk=report.id)
    assert bytes(row.content) == report.content and row.sha256 == report.sha256
    # the estimate overall and the one by place, stored, with the seed the report shows
    assert len(report.estimate_ids) == 2
    overall, places = (get_estimate(TESTER, i) for i in report.estimate_ids)
    assert overall.seed == places.seed == 7 and overall.filters == WINDOW.to_dict()
    assert places.by == "places" and places.strata
    assert all(s["value"].split(": ")[0] in html for s in places.strata)
    assert StoredEstimate.objects.count() == 2


def test_a_pdf_report_and_a_format_refused_by_field(linked):
    pdf = build_report(TESTER, WINDOW, "pdf", with_estimate=False)
    assert pdf.content.startswith(b"%PDF") and pdf.media_type == "application/pdf"
    assert get_report(TESTER, pdf.id).content == pdf.content
    with pytest.raises(InvalidInput) as raised:
        build_report(TESTER, WINDOW, "docx")
    assert raised.value.field == "format"


def test_a_failed_estimate_is_shown_as_failed_with_its_reason(linked):
    injured = CountFilters(outcome="injured")  # the demo lists name the dead only
    report = build_report(TESTER, injured, "html")
    html = report.content.decode("utf-8")
    overall = get_estimate(TESTER, report.estimate_ids[0])
    assert overall.overall["estimate"] is None and "nobody" in overall.overall["error"]
    assert "no estimate could be made for these persons" in html
