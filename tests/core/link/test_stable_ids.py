"""Person ids survive re-runs: unchanged persons keep theirs, merges keep the largest."""

from __future__ import annotations

import numpy as np

from everyname.core.link import PreviousClusters, assign_person_ids


def run(groups: list[list[str]], previous: PreviousClusters | None = None):
    ids = [r for g in groups for r in g]
    labels = [i for i, g in enumerate(groups) for _ in g]
    result = assign_person_ids(np.array(ids, dtype=object), np.array(labels), previous)
    return result, dict(zip(ids, result.person_ids, strict=True))


def test_new_ids_are_deterministic_and_distinct():
    first, a = run([["r1", "r2"], ["r3"]])
    _, b = run([["r3"], ["r2", "r1"]])
    assert a == b
    assert a["r1"] == a["r2"] != a["r3"]
    assert first.new == 2 and first.kept == 0
    assert all(pid.startswith("P") and len(pid) == 17 for pid in a.values())


def test_unchanged_person_keeps_its_id_even_when_others_change():
    _, before = run([["r1", "r2"], ["r3"], ["r4"]])
    result, after = run([["r1", "r2"], ["r3", "r4"]], PreviousClusters(before))
    assert after["r1"] == before["r1"]
    # r3 and r4 merged: two previous persons of equal size, a tie, so a new id
    assert after["r3"] not in (before["r3"], before["r4"])
    assert (result.kept, result.new) == (1, 1)


def test_merge_keeps_the_id_of_the_largest_previous_person():
    previous = PreviousClusters({"r1": "P-big", "r2": "P-big", "r3": "P-big", "r4": "P-small"})
    result, after = run([["r1", "r2", "r3", "r4"]], previous)
    assert set(after.values()) == {"P-big"}
    assert result.changes == [{"person_id": "P-small", "now": ["P-big"]}]


def test_split_leaves_the_id_with_the_largest_part():
    previous = PreviousClusters({"r1": "P1", "r2": "P1", "r3": "P1"})
    result, after = run([["r1", "r2"], ["r3"]], previous)
    assert after["r1"] == after["r2"] == "P1"
    assert after["r3"] != "P1"
    assert result.new == 1


def test_tied_split_gives_new_ids_and_records_where_the_old_one_went():
    previous = PreviousClusters({"r1": "P1", "r2": "P1"})
    result, after = run([["r1"], ["r2"]], previous)
    assert "P1" not in after.values()
    assert result.changes == [{"person_id": "P1", "now": sorted(set(after.values()))}]


def test_person_that_gains_a_new_record_keeps_its_id():
    previous = PreviousClusters({"r1": "P1", "r2": "P1"})
    _, after = run([["r1", "r2", "r9"]], previous)
    assert after["r9"] == "P1"


def test_new_id_never_reuses_an_id_in_use():
    _, first = run([["r1"]])
    taken = first["r1"]
    previous = PreviousClusters({"x1": taken, "x2": taken})  # someone else holds that id
    _, after = run([["r1"], ["x1", "x2"]], previous)
    assert after["x1"] == taken
    assert after["r1"] != taken
