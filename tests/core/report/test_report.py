"""The report: self-contained HTML, both headlines, every section, tables, PDF, golden figures."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from everyname.core.count import CountFilters, CountInput
from everyname.core.report import (
    build_report,
    render_html,
    render_pdf,
    report_figures,
    write_tables,
)

WHEN = datetime(2012, 2, 10, 12, 0, tzinfo=UTC)
WINDOW = CountFilters(since=date(2012, 2, 3), until=date(2012, 2, 9), place="Homs")

PERSONS = Path(__file__).with_name("persons_small.tsv")  # fictitious people
MEMBERSHIPS = [
    ("H01", "r1", "committee"),
    ("H01", "r2", "hospital"),
    ("H02", "r3", "committee"),
    ("H03", "r4", "committee"),
    ("H03", "r5", "sana"),
    ("H04", "r6", "hospital"),
    ("H05", "r7", "family"),
    ("H06", "r8", "committee"),
    ("H06", "r9", "ngo"),
    ("H07", "r10", "hospital"),
]
CLAIMS = pd.DataFrame(
    [("sana", "2012-02-07", "Homs", "army and security members", 30, "30 members buried")],
    columns=["source", "date", "place", "category", "count", "text"],
)
ESTIMATE = {
    "method": "chapman",
    "observed": 5,
    "estimate": 9.5,
    "lower": 6.0,
    "upper": 21.0,
    "level": 0.95,
    "lists": ["committee", "hospital"],
    "warnings": [{"code": "two_lists", "message": "only two lists: independence is assumed"}],
}


def small_data() -> CountInput:
    persons = pd.read_csv(PERSONS, sep="\t", dtype=str)
    return CountInput(
        persons,
        pd.DataFrame(MEMBERSHIPS, columns=["person_id", "record_id", "source"]),
        link_run="run-3",
        conflicts={
            "H03": [{"field": "status", "values": {"civilian": ["r4"], "combatant": ["r5"]}}]
        },
        claims=CLAIMS,
        copy_groups={"ngo": "committee", "committee": "committee"},
    )


@pytest.fixture(scope="module")
def report():
    return build_report(
        small_data(),
        WINDOW,
        place_label_ar="حمص",
        estimate=ESTIMATE,
        estimate_strata={"strata": [{**ESTIMATE, "value": "2012-02"}]},
        generated_at=WHEN,
    )


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_html(report)


def test_html_is_self_contained(html):
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|@import|url\((?!#)|src=", html)  # url(#id): in-page
    assert not re.search(r"https?://(?!www\.w3\.org/)", html)  # only SVG namespaces
    assert html.count("<svg") >= 7
    assert "${" not in html and "$" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


def test_both_headlines_and_the_arabic_block_is_rtl(html, report):
    assert report.headline_en in html
    assert re.search(r'<p class="headline" dir="rtl" lang="ar">بين يوم الجمعة', html)
    assert "5 people were reported killed in Homs by name" in report.headline_en
    assert "including at least 2 children (1 of unknown age)" in report.headline_en
    assert "حمص" in report.headline_ar


def test_every_section_is_present(html):
    for section in ("summary", "daily", "places", "people", "causes", "sources", "claims"):
        assert f'<section id="{section}">' in html
    assert '<section id="estimate">' in html and '<section id="methodology">' in html
    assert "run-3" in html  # the link run used


def test_no_identities_in_the_report(html):
    for secret in ("Witness Alpha", "Witness Beta", "Ahmad One", "NID-9000", "Sara Two"):
        assert secret not in html


def test_claims_beside_and_not_added(report, html):
    assert report.count.total == 5
    assert report.claims.named_total == 5
    assert report.claims.rows["count"].tolist() == [30]
    assert "30 members buried" in html
    assert report.tables["summary"].set_index("figure").loc["named persons counted", "count"] == 5


def test_estimate_shown_beside_documented_count(report, html):
    assert report.tables["estimate"].iloc[0]["estimate"] == 9.5
    assert "only two lists: independence is assumed" in html
    assert "estimate_strata" in report.figures


def test_without_estimate_there_is_no_estimate_section():
    html = render_html(build_report(small_data(), WINDOW, generated_at=WHEN))
    assert '<section id="estimate">' not in html


def test_tables_sum_to_the_count(report):
    total = report.count.total
    daily = report.time_table.set_index("date")
    assert int(daily.to_numpy().sum()) == total
    assert int(report.tables["sex_by_age_group"].set_index("sex").to_numpy().sum()) == total
    assert report.tables["by_cause"]["count"].sum() == total
    assert report.tables["corroboration"]["count"].sum() == total
    assert report.tables["source_intersections"]["persons"].sum() == total


def test_date_unit_follows_the_span():
    data = small_data()
    assert build_report(data, WINDOW).date_unit == "day"
    year = build_report(data, CountFilters(since="2012-01-01", until="2012-12-31"))
    assert year.date_unit == "week" and "weekly_by_status" in year.tables
    everything = build_report(data, CountFilters(), date_unit="month")
    assert everything.time_table["date"].tolist() == ["2012-02", "unknown"]
    assert "<h2>Deaths per month, by status</h2>" in render_html(everything)


def test_write_tables_csv_and_json(report, tmp_path):
    written = write_tables(report, tmp_path)
    names = {p.name for p in written}
    for table in report.tables:
        assert f"{table}.csv" in names and f"{table}.json" in names
    places = json.loads((tmp_path / "by_place.json").read_text("utf-8"))
    # without a gazetteer, places are the text as written (no id, no Arabic name to give)
    assert {"neighbourhood": "بابا عمرو", "name_ar": "", "place_id": "", "count": 2} in places
    csv_text = (tmp_path / "by_place.csv").read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read the Arabic right
    figures = json.loads((tmp_path / "figures.json").read_text("utf-8"))
    assert figures["count"]["total"] == 5


def test_pdf(html):
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_figures_are_reproducible(report):
    again = build_report(
        small_data(),
        WINDOW,
        place_label_ar="حمص",
        estimate=ESTIMATE,
        estimate_strata={"strata": [{**ESTIMATE, "value": "2012-02"}]},
        generated_at=WHEN,
    )
    assert render_html(again) == render_html(report)


def test_golden_small(report, check_golden):
    check_golden("report_small.json", report_figures(report))
