"""Capture histories: parsing with located errors, constructors, merging, strata, properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from everyname.core.errors import InputRejected
from everyname.core.estimate import (
    CaptureHistories,
    HistoriesError,
    read_histories_csv,
    strata_from_csv,
    stratify,
    stratify_person_sources,
)
from everyname.core.estimate.histories import pool

MSE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mse"


def write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_reference_file_with_the_documented_observed_counts():
    expected = {
        "uk_2013_6lists": (6, 2744),
        "uk_2013_5lists": (5, 2744),
        "kosovo_1999_4lists": (4, 4400),
        "netherlands_6lists": (6, 8234),
        "new_orleans_8lists": (8, 185),
        "korea_comfort_women_3lists": (3, 123),
        "artificial_3_identifiability": (3, 96),
    }
    for name, (k, n) in expected.items():
        h = CaptureHistories.from_csv(MSE / f"{name}.csv")
        assert (h.n_lists, h.observed) == (k, n), name


def test_missing_patterns_are_zero_cells_in_the_full_table():
    h = CaptureHistories.from_csv(MSE / "artificial_3_identifiability.csv")
    pats, counts = h.full_table()
    assert pats.shape == (7, 3)
    assert counts.sum() == 96
    table = {"".join(map(str, p)): int(c) for p, c in zip(pats, counts, strict=True)}
    assert table == {"100": 40, "010": 30, "001": 20, "110": 6, "101": 0, "011": 0, "111": 0}


def test_errors_name_file_row_and_column_all_at_once(tmp_path):
    path = write(tmp_path, "A,B,count\n1,0,5\n2,1,3\n0,0,4\n1,1,-1\n1,1,x\n")
    with pytest.raises(InputRejected) as err:
        CaptureHistories.from_csv(path)
    problems = err.value.problems
    where = {(p.row, p.column) for p in problems}
    assert (3, "A") in where  # the 2
    assert (4, None) in where  # all-zero pattern
    assert (5, "count") in where and (6, "count") in where
    assert all(p.file == str(path) for p in problems)
    assert "row 3" in str(err.value) and "'A'" in str(err.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("A,B\n1,0\n", "'count'"),
        ("count\n3\n", "one 0/1 column per list"),
        ("A,A,count\n1,0,3\n", "distinct"),
        ("A,B,count\n", "at least one capture pattern"),
        ("A,B,count\n1,0,0\n", "at least one person"),
        ("A,B,count\n1,0\n", "wrong width"),
    ],
)
def test_bad_tables_are_rejected_with_a_reason(tmp_path, text, fragment):
    with pytest.raises(InputRejected) as err:
        CaptureHistories.from_csv(write(tmp_path, text))
    assert fragment in str(err.value)


def test_missing_file_is_an_input_rejection(tmp_path):
    with pytest.raises(InputRejected, match="no such file"):
        CaptureHistories.from_csv(tmp_path / "absent.csv")


def test_duplicate_patterns_are_summed_and_order_does_not_matter(tmp_path):
    a = CaptureHistories.from_csv(write(tmp_path, "A,B,count\n1,0,2\n1,1,1\n1,0,3\n", "a.csv"))
    b = CaptureHistories.from_csv(write(tmp_path, "B,A,count\n1,1,1\n0,1,5\n", "b.csv"))
    assert a.observed == 6 and a.list_totals() == {"A": 6, "B": 1}
    assert b.select(["A", "B"]) == a
    assert a.fingerprint == b.select(["A", "B"]).fingerprint


def test_from_source_sets_and_from_person_sources_agree():
    persons = [{"VDC", "SNHR"}, {"VDC"}, {"SNHR"}, {"VDC"}, {"HRW", "VDC"}]
    h = CaptureHistories.from_source_sets(persons)
    assert h.lists == ("HRW", "SNHR", "VDC")
    assert h.observed == 5 and h.overlap("VDC", "SNHR") == 1
    rows = [(i, s) for i, p in enumerate(persons) for s in sorted(p)]
    rows.append((0, "VDC"))  # a source naming the same person twice counts once
    frame = pd.DataFrame(rows, columns=["person_id", "source"])
    assert CaptureHistories.from_person_sources(frame) == h


def test_source_sets_refuse_empty_persons_and_unknown_lists():
    with pytest.raises(HistoriesError, match="no source"):
        CaptureHistories.from_source_sets([{"A"}, set()])
    with pytest.raises(HistoriesError, match="not among the lists"):
        CaptureHistories.from_source_sets([{"A", "Z"}], lists=["A", "B"])


def test_merge_treats_lists_as_one_and_keeps_persons():
    h = CaptureHistories.from_csv(MSE / "uk_2013_6lists.csv")
    merged = h.merge({"PFNCA": ["PF", "NCA"]})
    reference = CaptureHistories.from_csv(MSE / "uk_2013_5lists.csv")
    assert merged == reference  # the published five-list table is exactly this merge
    with pytest.raises(HistoriesError):
        h.merge({"X": ["PF", "NOPE"]})
    with pytest.raises(HistoriesError):
        h.merge({"X": ["PF"], "Y": ["PF", "NCA"]})


def test_select_drops_persons_seen_only_by_dropped_lists():
    h = CaptureHistories.from_source_sets([{"A"}, {"B"}, {"C"}, {"A", "C"}])
    s = h.select(["A", "B"])
    assert s.observed == 3 and s.lists == ("A", "B")


def test_stratify_keeps_the_same_lists_in_every_stratum():
    items = [("2012", {"A"}), ("2012", {"A", "B"}), ("2013", {"C"}), ("2013", {"C", "A"})]
    strata = stratify(items)
    assert list(strata) == ["2012", "2013"]
    assert all(h.lists == ("A", "B", "C") for h in strata.values())
    assert strata["2012"].list_totals()["C"] == 0
    assert sum(h.observed for h in strata.values()) == 4


def test_without_empty_lists():
    h = CaptureHistories.from_source_sets([{"A"}, {"A", "C"}], lists=["A", "B", "C"])
    kept, dropped = h.without_empty_lists()
    assert kept.lists == ("A", "C") and dropped == ("B",) and kept.observed == 2
    assert h.select(["A", "C"]).without_empty_lists() == (h.select(["A", "C"]), ())


def test_stratify_person_sources_refuses_a_person_in_two_strata():
    frame = pd.DataFrame(
        {"person_id": [1, 1, 2], "source": ["A", "B", "A"], "year": ["2012", "2012", "2013"]}
    )
    strata = stratify_person_sources(frame, "year")
    assert strata["2012"].overlap("A", "B") == 1 and strata["2013"].observed == 1
    frame.loc[1, "year"] = "2013"
    with pytest.raises(HistoriesError, match="more than one"):
        stratify_person_sources(frame, "year")


def test_strata_csv(tmp_path):
    path = write(tmp_path, "stratum,A,B,count\nnorth,1,0,4\nnorth,1,1,2\nsouth,0,1,3\n")
    strata = strata_from_csv(path)
    assert {k: v.observed for k, v in strata.items()} == {"north": 6, "south": 3}
    assert isinstance(read_histories_csv(path), dict)
    plain = write(tmp_path, "A,B,count\n1,0,4\n", "plain.csv")
    assert isinstance(read_histories_csv(plain), CaptureHistories)
    with pytest.raises(InputRejected, match="stratum"):
        strata_from_csv(plain)
    pooled = pool(strata)
    assert pooled.observed == 9 and pooled.list_totals() == {"A": 6, "B": 5}


def test_histories_are_immutable():
    h = CaptureHistories.from_source_sets([{"A"}, {"A", "B"}])
    with pytest.raises(ValueError):
        h.counts[0] = 99
    with pytest.raises(AttributeError):
        h.lists = ("X",)  # type: ignore[misc]


# ---------------------------------------------------------------------------- properties
LISTS = ["A", "B", "C", "D"]
person = st.sets(st.sampled_from(LISTS), min_size=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(person, min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_histories_do_not_depend_on_person_order(persons, rnd):
    shuffled = list(persons)
    rnd.shuffle(shuffled)
    a = CaptureHistories.from_source_sets(persons, lists=LISTS)
    b = CaptureHistories.from_source_sets(shuffled, lists=LISTS)
    assert a == b and a.fingerprint == b.fingerprint
    assert a.observed == len(persons)
    totals = a.list_totals()
    assert all(totals[name] == sum(name in p for p in persons) for name in LISTS)


@settings(max_examples=60, deadline=None)
@given(st.lists(person, min_size=1, max_size=60))
def test_merge_and_full_table_preserve_the_documented_count(persons):
    h = CaptureHistories.from_source_sets(persons, lists=LISTS)
    merged = h.merge({"AB": ["A", "B"]})
    assert merged.observed == h.observed
    assert merged.list_totals()["AB"] == sum(bool(p & {"A", "B"}) for p in persons)
    pats, counts = h.full_table()
    assert len(pats) == 2 ** len(LISTS) - 1 and counts.sum() == h.observed
    assert not (pats.sum(axis=1) == 0).any()
    kept = h.select(["A", "C"])
    assert kept.observed == sum(bool(p & {"A", "C"}) for p in persons)


@settings(max_examples=40, deadline=None)
@given(st.lists(person, min_size=1, max_size=40))
def test_csv_round_trip(tmp_path_factory, persons):
    h = CaptureHistories.from_source_sets(persons, lists=LISTS)
    path = tmp_path_factory.mktemp("rt") / "h.csv"
    h.to_csv(path)
    assert CaptureHistories.from_csv(path) == h
    assert np.array_equal(CaptureHistories.from_frame(h.to_frame()).counts, h.counts)
