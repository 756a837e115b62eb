"""Counts of persons on the real VDC sample = its records less the duplicates linkage finds.

Issue 5 asks that on ``../shared/data/real/syria_vdc`` the counts by governorate, month,
status, sex and age group agree with a direct tabulation of the records "less the duplicates
that linkage finds (each difference explained)". This module does exactly that, end to end
through the pure core: ingest (``open_source`` with the shipped VDC mapping), linkage (one
source, so only within-list duplicates with the strong same-source evidence are joined, then
a reviewer's "same" on queued pairs with identical names, day and governorate), resolution
of each person's values, and ``count_persons``.

The expected figures are computed here without the counting code: plain pandas over the
records' normalised values, and a small independent reading of each multi-record person
(cluster) following the resolution rules the design states (unknown never outvotes known; a
tie between known values is unknown, a conflict; dates that cannot all be true resolve to the
most frequent one or unknown on a tie). For every category:

    persons = records - (records of clusters that said this value) + (clusters resolved to it)

so each difference between the record tabulation and the person count is a cluster: its
extra records (the duplicates) when its records agree, or records moved to the resolved value
(often ``unknown``) when they disagree.

Speed: only the multi-record persons and a seeded sample of single-record persons go through
``resolve_persons``; every other single-record person is its record, and the sample asserts
that shortcut equals what ``resolve_persons`` gives. The benchmark ``benchmarks/vdc_counts.py``
resolves every person and checks the shortcut on all of them.

The file names real dead people: only aggregates are asserted or printed, never a name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from everyname.core.count import CountFilters, CountInput, CountResult, count_persons
from everyname.core.ingest import open_source
from everyname.core.link import (
    LinkResult,
    LinkSettings,
    MatchDecision,
    link_records,
    resolve_persons,
)
from everyname.core.link.names import link_input

REPO = Path(__file__).resolve().parents[2]
VDC = ("real", "syria_vdc", "vdc_martyrs_sample_scraped_2019.csv")
"""Inside the shared data folder (``../shared/data``, see its SOURCES.md)."""
MAPPING = REPO / "examples" / "mappings" / "vdc_martyrs.toml"
SOURCE = "vdc"
FIELDS = ("governorate", "month", "status", "sex", "age_group")
UNKNOWN = "unknown"
RESOLVED_COLUMNS = (
    "full_name",
    "sex",
    "age_group",
    "status",
    "cause",
    "outcome",
    "governorate",
    "district",
    "locality",
    "neighbourhood",
    "place",
    "age_years",
    "date_of_death",
)
"""What resolution reads: the fields counting needs (and a few more), never notes or contacts."""
SAMPLE_SINGLETONS = 300


# --- the pipeline under test --------------------------------------------------------------------


def read_records(path: Path) -> pd.DataFrame:
    """The VDC sample as ingest normalises it, one row per record, with record and source ids."""
    with open_source(path, MAPPING) as source:
        frame = pd.DataFrame([r.normalised for r in source.records()])
    frame["record_id"] = [f"r{i}" for i in range(len(frame))]
    frame["source"] = SOURCE
    return frame


def link(records: pd.DataFrame) -> LinkResult:
    """Within-list linkage with the default settings (one source: the strong rule applies),
    then again after a reviewer's pass over the review queue: a pair whose names as written
    are identical, who died the same day in the same governorate, is declared the same person.
    On one list the model alone joins almost nothing (a list rarely names a person twice and
    such a pair must reach the same-source threshold), so the reviewer is what brings
    clusters, and with them the moves this test explains, into a real list."""
    frame = link_input(records)
    first = link_records(frame, LinkSettings())
    row = records.set_index("record_id")
    queue = first.review
    left, right = row.loc[queue["record_id_l"]], row.loc[queue["record_id_r"]]
    same = np.ones(len(queue), dtype=bool)
    for field in ("full_name", "date_of_death", "governorate"):
        a, b = left[field].map(_known_text).to_numpy(), right[field].map(_known_text).to_numpy()
        same &= (a == b) & pd.notna(a)
    decisions = [
        MatchDecision(a, b, "same")
        for a, b in zip(queue["record_id_l"][same], queue["record_id_r"][same], strict=True)
    ]
    return link_records(frame, LinkSettings(), decisions, first.previous(), model=first.model)


def _known_text(value: Any) -> Any:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in ("", UNKNOWN, "nan", "none", "null") else text


def singleton_rows(records: pd.DataFrame, person_of: pd.Series) -> pd.DataFrame:
    """A single-record person is its record: the row ``resolve_persons`` would give it."""
    out = pd.DataFrame(
        {
            "person_id": person_of.to_numpy(),
            "n_records": 1,
            "record_ids": [[r] for r in records["record_id"]],
            "sources": [[str(s)] for s in records["source"]],
        }
    )
    for column in RESOLVED_COLUMNS:
        target = "name" if column == "full_name" else column
        if column == "age_years":
            out[target] = pd.to_numeric(records[column], errors="coerce").to_numpy()
        else:
            out[target] = [_known_text(v) for v in records[column]]
    out["conflicts"] = [[] for _ in range(len(out))]
    return out


def resolve(
    records: pd.DataFrame, persons: pd.DataFrame, sample: int = SAMPLE_SINGLETONS, seed: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(resolved persons, shortcut rows of the sampled singletons, their ``resolve_persons``
    rows): multi-record persons and the sample go through ``resolve_persons``."""
    frame = records[["record_id", "source", *RESOLVED_COLUMNS]]
    person_ids = persons.set_index("record_id").loc[frame["record_id"], "person_id"]
    size = person_ids.map(person_ids.value_counts())
    single = (size == 1).to_numpy()
    rng = np.random.default_rng(seed)
    sampled = np.zeros(len(frame), dtype=bool)
    picks = rng.choice(np.flatnonzero(single), size=min(sample, int(single.sum())), replace=False)
    sampled[picks] = True
    through = ~single | sampled
    resolved = resolve_persons(frame[through], person_ids[through].to_numpy())
    shortcut = singleton_rows(frame[single], person_ids[single])
    checked = resolved[resolved["person_id"].isin(person_ids[sampled])]
    shortcut_sampled = shortcut[shortcut["person_id"].isin(person_ids[sampled])]
    everyone = pd.concat(
        [resolved[resolved["n_records"] > 1], shortcut], ignore_index=True, sort=False
    )
    return everyone, shortcut_sampled, checked


def same_rows(left: pd.DataFrame, right: pd.DataFrame) -> list[str]:
    """The columns on which two person tables (keyed by person id) differ."""
    left = left.set_index("person_id").sort_index()
    right = right.set_index("person_id").sort_index()
    if list(left.index) != list(right.index):
        return ["person_id"]
    bad = []
    for column in ("name", *RESOLVED_COLUMNS[1:], "n_records", "record_ids", "conflicts"):
        a = left[column] if column in left else pd.Series(None, index=left.index)
        b = right[column] if column in right else pd.Series(None, index=right.index)
        if column == "age_years":
            x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
            if not ((x == y) | (x.isna() & y.isna())).all():
                bad.append(column)
        elif [_plain(v) for v in a] != [_plain(v) for v in b]:
            bad.append(column)
    return bad


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return _known_text(value)


def count(resolved: pd.DataFrame, records: pd.DataFrame, link_run: str) -> CountResult:
    data = CountInput.from_link(resolved, records[["record_id", "source"]], link_run=link_run)
    # No gazetteer: governorates as written, which the records' tabulation can be compared
    # with; counting them as gazetteer places is tested in tests/core/count/test_gazetteer.py.
    return count_persons(data, CountFilters(), by=FIELDS, date_unit="month")


# --- the independent expectation ------------------------------------------------------------------


def record_values(records: pd.DataFrame) -> pd.DataFrame:
    """Each record's category per field, read directly: unknown where the record has none."""
    out = pd.DataFrame(index=records.index)
    for field in ("governorate", "status", "sex", "age_group"):
        out[field] = [_known_text(v) or UNKNOWN for v in records[field]]
    precise = records["date_of_death_precision"].isin(["day", "month"])
    months = records["date_of_death"].astype("string").str[:7]
    out["month"] = months.where(precise, UNKNOWN).astype(object).fillna(UNKNOWN)
    return out


def _span(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    if len(text) == 4:
        start = pd.Timestamp(f"{text}-01-01")
        return start, start + pd.offsets.YearEnd(0)
    if len(text) == 7:
        start = pd.Timestamp(f"{text}-01")
        return start, start + pd.offsets.MonthEnd(0)
    day = pd.Timestamp(text[:10])
    return day, day


def cluster_category(values: list[str]) -> str:
    """A cluster's category: the most frequent known value; a tie (or nothing known) is
    unknown. The design's rule, written here without the linkage code."""
    counts = Counter(v for v in values if v != UNKNOWN)
    if not counts:
        return UNKNOWN
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return UNKNOWN
    return ranked[0][0]


def cluster_month(dates: list[str]) -> str:
    """A cluster's month of death: the most precise date when all dates can be true at once,
    else the most frequent date (unknown on a tie); its month when it is precise to a month."""
    known = [d for d in (_known_text(x) for x in dates) if d is not None]
    if not known:
        return UNKNOWN
    spans = [_span(d) for d in known]
    if max(s for s, _ in spans) <= min(e for _, e in spans):
        best = min(zip(known, spans, strict=True), key=lambda x: (x[1][1] - x[1][0], x[0]))[0]
    else:
        best = cluster_category(known)
        if best == UNKNOWN:
            return UNKNOWN
    return best[:7] if len(best) >= 7 else UNKNOWN


@dataclass(frozen=True)
class Expectation:
    """Per field: the record tabulation, what the clusters take away and give, the persons."""

    records: dict[str, Counter]
    duplicates: dict[str, Counter]
    """Extra records of clusters whose resolved value is the records' value (k - 1 each)."""
    moved_out: dict[str, Counter]
    """Records of a cluster that resolved to another value (a conflict, or outvoted)."""
    moved_in: dict[str, Counter]
    """Clusters resolved to a value that not all their records gave."""
    persons: dict[str, Counter]
    clusters: int
    merged_records: int


def expectation(records: pd.DataFrame, persons: pd.DataFrame) -> Expectation:
    values = record_values(records)
    person = persons.set_index("record_id").loc[records["record_id"], "person_id"]
    values["person_id"] = person.to_numpy()
    values["date_of_death"] = records["date_of_death"].to_numpy()
    size = values["person_id"].map(values["person_id"].value_counts())
    multi = values[size > 1]
    tab = {f: Counter(values[f]) for f in FIELDS}
    dup = {f: Counter() for f in FIELDS}
    out = {f: Counter() for f in FIELDS}
    into = {f: Counter() for f in FIELDS}
    for _, group in multi.groupby("person_id", sort=True):
        for field in FIELDS:
            said = list(group[field])
            if field == "month":
                resolved = cluster_month(list(group["date_of_death"]))
            else:
                resolved = cluster_category(said)
            agreeing = sum(v == resolved for v in said)
            if agreeing:
                dup[field][resolved] += agreeing - 1
            else:
                into[field][resolved] += 1
            for v in said:
                if v != resolved:
                    out[field][v] += 1
    expected = {}
    for field in FIELDS:
        result = Counter(tab[field])
        result.subtract(dup[field])
        result.subtract(out[field])
        result.update(into[field])
        expected[field] = Counter({k: v for k, v in result.items() if v})
    return Expectation(
        records=tab,
        duplicates=dup,
        moved_out=out,
        moved_in=into,
        persons=expected,
        clusters=int(multi["person_id"].nunique()),
        merged_records=len(multi),
    )


def placeholder_persons(records: pd.DataFrame, persons: pd.DataFrame) -> int:
    """Persons holding two or more records without a usable name (a placeholder such as
    "Unidentified 3" or مجهول الهوية, or a blank name): such records must never be joined."""
    unnamed = records["is_placeholder"].fillna(False).astype(bool) | records["full_name"].map(
        lambda v: _known_text(v) is None
    )
    person = persons.set_index("record_id").loc[records["record_id"], "person_id"]
    per_person = person[unnamed.to_numpy()].value_counts()
    return int((per_person > 1).sum())


# --- the test -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    records: pd.DataFrame
    result: LinkResult
    resolved: pd.DataFrame
    shortcut: pd.DataFrame
    checked: pd.DataFrame
    counted: CountResult


def run(path: Path) -> Run:
    records = read_records(path)
    result = link(records)
    resolved, shortcut, checked = resolve(records, result.persons)
    counted = count(resolved, records, link_run=result.input_fingerprint)
    return Run(records, result, resolved, shortcut, checked, counted)


@pytest.fixture(scope="module")
def vdc(shared_data) -> Run:
    return run(shared_data.joinpath(*VDC))


def assert_explained(
    records: pd.DataFrame, persons: pd.DataFrame, counted: CountResult
) -> Expectation:
    """Every person count equals the record tabulation less the clusters' extra records and
    moves, category by category; returns the expectation for further checks."""
    expected = expectation(records, persons)
    n_persons = persons["person_id"].nunique()
    assert n_persons == len(records) - (expected.merged_records - expected.clusters)
    assert counted.total == n_persons
    for field in FIELDS:
        got = Counter({r.value: r.count for r in counted.by[field] if r.count})
        assert got == expected.persons[field], field
        # The explanation, category by category: records - persons = duplicates + moves.
        for value in set(expected.records[field]) | set(got):
            difference = expected.records[field][value] - got[value]
            explained = (
                expected.duplicates[field][value]
                + expected.moved_out[field][value]
                - expected.moved_in[field][value]
            )
            assert difference == explained, (field, value)
        removed = (
            sum(expected.duplicates[field].values())
            + sum(expected.moved_out[field].values())
            - sum(expected.moved_in[field].values())
        )
        assert removed == len(records) - n_persons, field
        assert sum(r.count for r in counted.by[field]) == counted.total
        assert counted.by[field][-1].value == UNKNOWN  # unknowns are always shown
    return expected


def summary(expected: Expectation, n_records: int) -> str:
    """Aggregates only (never a name): what the clusters changed in each breakdown."""
    lines = [
        f"{n_records:,} records, {expected.clusters:,} clusters holding "
        f"{expected.merged_records:,} records: {expected.merged_records - expected.clusters:,} "
        "duplicates removed"
    ]
    for field in FIELDS:
        conflicts = sum(expected.moved_in[field].values())
        changed = {
            v: expected.records[field][v] - expected.persons[field][v]
            for v in sorted(set(expected.records[field]) | set(expected.persons[field]))
            if expected.records[field][v] != expected.persons[field][v]
        }
        lines.append(
            f"  {field}: {len(changed)} categories changed, {conflicts} clusters resolved to a "
            f"value not all their records gave; records - persons by category: {changed}"
        )
    return "\n".join(lines)


@pytest.mark.slow
def test_person_counts_are_records_less_linked_duplicates(vdc: Run) -> None:
    records, persons = vdc.records, vdc.result.persons
    expected = assert_explained(records, persons, vdc.counted)
    print(summary(expected, len(records)))
    # Linkage found duplicates in the list, and placeholders and blank names are never joined.
    assert expected.clusters > 0
    assert placeholder_persons(records, persons) == 0
    assert len(vdc.resolved) == vdc.counted.total
    for field in FIELDS:
        # The sample has records of unknown value in every field, but not only those.
        assert 0 < expected.records[field][UNKNOWN] < len(records)


def test_explanation_when_records_disagree() -> None:
    """The VDC run may link only records that agree; this small list exercises the moves:
    a conflict moves a cluster to unknown, a majority outvotes a minority, unknown never
    outvotes known, dates that can all be true give the most precise one, others the most
    frequent or unknown on a tie. Expected values below are read off the rows by hand."""
    rows = [
        # person, sex, age_group, status, governorate, date of death
        ("p1", "male", "adult", "civilian", "Homs", "2012-02-07"),
        ("p1", "male", "adult", "civilian", "Homs", "2012-02-07"),  # a plain duplicate
        ("p2", "male", "child", "civilian", "Homs", "2012-02-07"),
        ("p2", "female", "child", None, "Homs", "2012-02"),  # sex conflict; date consistent
        ("p3", "male", "adult", "combatant", "Homs", "2012-02-07"),
        ("p3", "male", "adult", "civilian", "Hama", "2012-03-01"),  # ties: all unknown
        ("p4", "male", None, "civilian", "Homs", "2012-02-07"),
        ("p4", "male", None, "civilian", "Homs", "2012-02-07"),
        ("p4", "male", "adult", "civilian", "Idlib", "2012-03-01"),  # outvoted
        ("p5", None, None, None, None, None),
        ("p6", "female", "adult", "civilian", "Idlib", "2013"),  # a year: month unknown
    ]
    records = pd.DataFrame(
        rows, columns=["person", "sex", "age_group", "status", "governorate", "date_of_death"]
    )
    precision = {4: "year", 7: "month", 10: "day"}
    records["date_of_death_precision"] = [
        precision[len(d)] if isinstance(d, str) else "unknown" for d in records["date_of_death"]
    ]
    records["record_id"] = [f"r{i}" for i in range(len(records))]
    records["source"] = SOURCE
    records["full_name"] = None
    records["is_placeholder"] = False
    for column in RESOLVED_COLUMNS:
        if column not in records:
            records[column] = None
    persons = records[["record_id", "source"]].assign(person_id=records["person"])
    resolved = resolve_persons(
        records[["record_id", "source", *RESOLVED_COLUMNS]], records["person"]
    )
    counted = count(resolved, records, link_run="hand-made")

    expected = assert_explained(records, persons, counted)
    assert counted.total == 6 and expected.clusters == 4 and expected.merged_records == 9
    assert expected.moved_in["sex"] == Counter({UNKNOWN: 1})  # p2
    assert expected.moved_in["governorate"] == Counter({UNKNOWN: 1})  # p3
    assert expected.moved_out["governorate"] == Counter({"Homs": 1, "Hama": 1, "Idlib": 1})
    assert counted.figure("status", "civilian") == 4  # p1, p2 (unknown never outvotes), p4, p6
    assert counted.figure("age_group", "adult") == 4  # p1, p3, p4 (one known value), p6
    assert counted.figure("month", "2012-02") == 3  # p1, p2 (the day is inside the month), p4
    assert counted.figure("month", "2012-03") == 0
    assert counted.unknown("month") == 3  # p3 (a tie), p5 (no date), p6 (a year)
    assert counted.unknown("governorate") == 2  # p3, p5


@pytest.mark.slow
def test_single_record_persons_are_their_records(vdc: Run) -> None:
    """The shortcut used for single-record persons equals ``resolve_persons`` on a sample."""
    assert len(vdc.checked) == min(SAMPLE_SINGLETONS, (vdc.resolved["n_records"] == 1).sum())
    assert same_rows(vdc.shortcut, vdc.checked) == []


@pytest.mark.slow
def test_each_record_belongs_to_one_person(vdc: Run) -> None:
    members = [r for ids in vdc.resolved["record_ids"] for r in ids]
    assert len(members) == len(set(members)) == len(vdc.records)
    assert set(members) == set(vdc.records["record_id"])
