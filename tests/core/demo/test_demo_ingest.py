"""The demo lists import as they are: every header recognised, every row valid, nothing lost."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta

import pytest

from everyname.core.demo import DemoManifest, generate_demo, read_ground_truth
from everyname.core.ingest import open_source


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate_demo(tmp_path_factory.mktemp("demo_ingest"))


def test_every_demo_file_opens_and_parses_without_problems(demo: DemoManifest) -> None:
    for item in demo.files:
        with open_source(item.path, item.mapping) as source:
            records = list(source.records())
            assert source.columns_unused == [], item.path.name
            assert source.format == item.format
        problems = [str(p) for r in records for p in r.problems]
        assert problems == [], item.path.name
        assert len(records) == item.records
        assert all(r.normalised["source_record_id"] for r in records)


def test_demo_values_normalise_to_the_vocabularies(demo: DemoManifest) -> None:
    """Most values are recognised; the unknowns are the ones the lists leave open."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in ("sex", "cause", "age_group")}
    precision: Counter[str] = Counter()
    for item in demo.files:
        with open_source(item.path, item.mapping) as source:
            for record in source.records():
                for field, counter in counts.items():
                    counter[record.normalised[field]] += 1
                precision[record.normalised["date_of_death_precision"]] += 1
    total = demo.records
    assert counts["sex"]["unknown"] < 0.1 * total
    assert counts["sex"]["female"] > 0.08 * total
    assert counts["cause"]["shelling"] > 0.4 * total
    assert counts["age_group"]["child"] > 0.08 * total
    assert precision["day"] > 0.8 * total and precision["month"] >= 5


def test_neighbourhood_list_mapping_places_everyone_in_homs(demo: DemoManifest) -> None:
    """The one mapping the demo needs: list-wide defaults and day-first dates."""
    assert [f.source_code for f in demo.files if f.mapping] == ["nb_oldcity"]
    item = demo.file("nb_oldcity")
    assert item.mapping is not None and item.mapping.parent == demo.out_dir
    with open_source(item.path, item.mapping) as source:
        records = list(source.records())
    assert {r.normalised["governorate"] for r in records} == {"Homs"}
    assert {r.normalised["outcome"] for r in records} == {"killed"}
    days = {r.normalised["date_of_death"] for r in records} - {None}
    assert days and all(d.startswith("2012-02") for d in days)


def test_imported_dates_and_sexes_agree_with_the_truth(demo: DemoManifest) -> None:
    """Day-first, ISO, Arabic-Indic and spreadsheet dates all read back as the true date (or
    the day after, when a list recorded the day the death was reported)."""
    with demo.persons_truth.open(encoding="utf-8", newline="") as handle:
        people = {p["person_id"]: p for p in csv.DictReader(handle)}
    person_of = {
        (t["file"], t["source_record_id"]): t["person_id"] for t in read_ground_truth(demo)
    }
    checked = 0
    for item in demo.files:
        with open_source(item.path, item.mapping) as source:
            for record in source.records():
                n = record.normalised
                truth = people[person_of[(item.path.name, n["source_record_id"])]]
                if n["sex"] != "unknown":
                    assert n["sex"] == truth["sex"]
                if n["date_of_death_precision"] == "day":
                    true_day = date.fromisoformat(truth["date_of_death"])
                    got = date.fromisoformat(n["date_of_death"])
                    assert got - true_day in (timedelta(0), timedelta(days=1))
                    checked += 1
    assert checked > 0.8 * demo.records
