"""The report on the demo (Homs, 3–9 February 2012), from the demo's ground-truth persons.

The golden file pins every figure of the report. It is built from ground truth, not from
linkage (see ``conftest.demo_truth_input``); regenerate with ``EVERYNAME_UPDATE_GOLDEN=1`` after an
intended change, and review the difference.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from everyname.core.count import CountFilters, CountInput, count_persons
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


def test_demo_report_shows_each_place_once_whatever_the_spelling(demo):
    """The lists spell places in both scripts and often give only the neighbourhood: the
    report counts places, so Homs is one row and Baba Amr one row, in both languages."""
    _, data = demo
    persons = data.persons.copy()
    spellings = ["Homs", "حمص", None, "homs governorate"]  # None: the neighbourhood says it all
    persons["governorate"] = [spellings[i % 4] for i in range(len(persons))]
    persons["locality"] = None
    mixed = CountInput(persons, data.memberships, link_run=data.link_run, claims=data.claims)
    gazetteer = Gazetteer.load()
    for level in ("governorate", "neighbourhood"):
        report = build_report(mixed, WINDOW, gazetteer=gazetteer, place_level=level)
        table = report.tables["by_place"]
        places = table[~table["place_id"].isin(["unresolved", "unknown"])]
        for column in (level, "name_ar", "place_id"):
            assert not places[column].duplicated().any(), (level, column)
        assert table["count"].sum() == report.count.total
        assert table["place_id"].tolist()[-2:] == ["unresolved", "unknown"]
        html = render_html(report)
        section = html[html.index('<section id="places">') :]
        section = section[: section.index("</section>")]
        for name in places[level]:
            assert section.count(f'<td dir="auto">{name}</td>') == 1, name
    governorates = build_report(mixed, WINDOW, gazetteer=gazetteer, place_level="governorate")
    rows = governorates.tables["by_place"].set_index("place_id")["count"]
    assert rows["sy-hi"] == governorates.count.total  # everyone is in Homs governorate
    assert rows["unresolved"] == 0 and rows["unknown"] == 0
    assert governorates.tables["by_place"].set_index("place_id").loc["sy-hi", "name_ar"] == "حمص"
    neighbourhoods = build_report(mixed, WINDOW, gazetteer=gazetteer)
    assert neighbourhoods.count.settings["place_level"] == "neighbourhood"
    assert any("places of the gazetteer" in note for note in neighbourhoods.methodology)

    # A neighbourhood the gazetteer does not know: one unresolved row, its spelling listed.
    someone = neighbourhoods.count.person_ids[0]
    persons.loc[persons["person_id"] == someone, "neighbourhood"] = "Zzyzx Quarter"
    unknown_place = CountInput(persons, data.memberships, link_run="r", claims=data.claims)
    report = build_report(unknown_place, WINDOW, gazetteer=gazetteer)
    rows = report.tables["by_place"].set_index("place_id")["count"]
    assert rows["unresolved"] == 1 and rows.sum() == report.count.total
    note = next(n for n in report.methodology if n.startswith("Places:"))
    assert "1 person counted as unresolved" in note
    assert "“Zzyzx Quarter” (neighbourhood, 1 person)" in note
    assert "Zzyzx Quarter" in render_html(report)
