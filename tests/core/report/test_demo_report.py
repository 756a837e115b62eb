"""The report on the demo (Homs, 3–9 February 2012), from the demo's ground-truth persons.

The golden file pins every figure of the report. It is built from ground truth, not from
linkage (see ``conftest.demo_truth_input``); regenerate with ``EVERYNAME_UPDATE_GOLDEN=1`` after an
intended change, and review the difference.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from everyname.core.count import CountFilters, count_persons
from everyname.core.demo import generate_demo
from everyname.core.estimate import CaptureHistories, estimate
from everyname.core.places import Gazetteer
from everyname.core.report import build_report, render_html, report_figures

WINDOW = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs", outcome="killed")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("demo"), seed=2012)


@pytest.fixture
def demo(manifest, truth_input):
    return manifest, truth_input(manifest)


def test_demo_counts_equal_the_truth(demo):
    manifest, data = demo
    result = count_persons(data, WINDOW, by=["age_group", "status"])
    assert result.total == manifest.named_persons  # every named victim, once
    assert len(data.memberships) == manifest.records  # ... from more records than persons
    assert result.total < manifest.records


def test_demo_report_golden(demo, check_golden):
    _, data = demo
    report = build_report(
        data,
        WINDOW,
        gazetteer=Gazetteer.load(),  # also names the place in Arabic: حمص
        generated_at=datetime(2012, 2, 10, tzinfo=UTC),
    )
    figures = report_figures(report)
    assert "الموثَّقين بالاسم في حمص:" in figures["headline"]["ar"]
    # claims about al-Khalidiya and بابا عمرو resolve to places inside Homs
    assert len(figures["tables"]["claims"]) == 6
    assert figures["headline"]["en"].startswith(
        "Between Friday 3 February 2012 and Thursday 9 February 2012, "
    )
    check_golden("report_demo_truth.json", figures)


def test_demo_report_with_a_real_estimate(demo):
    _, data = demo
    sources = data.sources_by_person()
    two = [s & {"lcc_homs", "fh_babaamr"} for s in sources.values()]
    result = estimate(CaptureHistories.from_source_sets([s for s in two if s]), method="chapman")
    report = build_report(data, WINDOW, estimate=result)
    html = render_html(report)
    assert report.tables["estimate"].iloc[0]["method"] == "chapman"
    assert report.tables["estimate"].iloc[0]["observed"] == result.observed
    assert '<section id="estimate">' in html
