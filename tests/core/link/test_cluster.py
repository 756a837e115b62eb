"""Constrained clustering: decisions are enforced, chains never bridge a "different"."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.link import InvalidDecision, MatchDecision, cluster_pairs
from everyname.core.link.cluster import merge_pending


def pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def groups(result) -> set[frozenset[str]]:
    out: dict[int, set[str]] = {}
    for rid, label in zip(result.record_ids, result.labels, strict=True):
        out.setdefault(int(label), set()).add(str(rid))
    return {frozenset(g) for g in out.values()}


IDS = ["a", "b", "c", "d", "e"]
SOURCES = ["s1", "s2", "s3", "s4", "s5"]


def test_links_at_threshold_join_and_weaker_ones_do_not():
    scored = pairs(("a", "b", 0.995), ("b", "c", 0.98), ("d", "e", 0.9999))
    result = cluster_pairs(IDS, SOURCES, scored, threshold=0.99)
    assert groups(result) == {frozenset("ab"), frozenset("c"), frozenset("de")}


def test_same_decision_joins_records_the_model_never_paired():
    result = cluster_pairs(IDS, SOURCES, pairs(), 0.99, [MatchDecision("a", "e", "same")])
    assert frozenset("ae") in groups(result)


def test_different_decision_is_never_bridged_by_a_chain_of_strong_links():
    # a-b-c-d is a chain of near-certain links, yet a and d were judged different
    scored = pairs(("a", "b", 0.9999), ("b", "c", 0.9998), ("c", "d", 0.9997))
    result = cluster_pairs(IDS, SOURCES, scored, 0.99, [MatchDecision("d", "a", "different")])
    found = groups(result)
    person_of = {r: g for g in found for r in g}
    assert person_of["a"] != person_of["d"]
    assert person_of["a"] == person_of["b"] == person_of["c"]  # the strongest links won
    assert set(result.held_apart["rule"]) == {"different"}


def test_different_decision_splits_a_directly_linked_pair():
    result = cluster_pairs(
        IDS, SOURCES, pairs(("a", "b", 0.99999)), 0.99, [MatchDecision("a", "b", "different")]
    )
    assert frozenset("ab") not in groups(result)


def test_contradictory_decisions_are_an_error_naming_the_records():
    decisions = [
        MatchDecision("a", "b", "same"),
        MatchDecision("b", "c", "same"),
        MatchDecision("a", "c", "different"),
    ]
    with pytest.raises(InvalidDecision, match="contradicts"):
        cluster_pairs(IDS, SOURCES, pairs(), 0.99, decisions)


def test_a_later_decision_on_the_same_pair_replaces_the_earlier():
    decisions = [MatchDecision("a", "b", "different"), MatchDecision("b", "a", "same")]
    result = cluster_pairs(IDS, SOURCES, pairs(), 0.99, decisions)
    assert frozenset("ab") in groups(result)


def test_one_record_per_source_keeps_siblings_of_one_list_apart():
    # b and c are two records of list s2 (two brothers); a (list s1) links to both
    sources = ["s1", "s2", "s2", "s4", "s5"]
    scored = pairs(("a", "b", 0.999), ("a", "c", 0.995), ("b", "c", 0.995))
    result = cluster_pairs(IDS, sources, scored, 0.99, same_source_threshold=0.99999)
    assert groups(result) >= {frozenset("ab"), frozenset("c")}
    assert list(result.held_apart["rule"]) == ["one_record_per_source"] * 2


def test_strong_same_source_link_still_joins_a_lists_true_duplicate():
    sources = ["s1", "s2", "s2", "s4", "s5"]
    scored = pairs(("a", "b", 0.999), ("a", "c", 0.995), ("b", "c", 0.999999))
    result = cluster_pairs(IDS, sources, scored, 0.99, same_source_threshold=0.99999)
    assert frozenset("abc") in groups(result)


def test_rule_can_be_switched_off():
    sources = ["s1", "s2", "s2", "s4", "s5"]
    scored = pairs(("a", "b", 0.999), ("a", "c", 0.995))
    result = cluster_pairs(IDS, sources, scored, 0.99, one_record_per_source=False)
    assert frozenset("abc") in groups(result)


def test_same_decision_overrides_the_one_per_source_rule():
    sources = ["s1", "s1", "s3", "s4", "s5"]
    result = cluster_pairs(IDS, sources, pairs(), 0.99, [MatchDecision("a", "b", "same")])
    assert frozenset("ab") in groups(result)


def test_result_does_not_depend_on_pair_order():
    rows = [("a", "b", 0.999), ("b", "c", 0.999), ("c", "d", 0.995), ("a", "d", 0.992)]
    decisions = [MatchDecision("a", "c", "different")]
    first = cluster_pairs(IDS, SOURCES, pairs(*rows), 0.99, decisions)
    second = cluster_pairs(IDS, SOURCES, pairs(*reversed(rows)), 0.99, decisions)
    assert groups(first) == groups(second)


def test_bad_decisions_are_refused():
    with pytest.raises(InvalidDecision):
        MatchDecision("a", "b", "maybe")  # type: ignore[arg-type]
    with pytest.raises(InvalidDecision):
        MatchDecision("a", "a", "same")
    with pytest.raises(InvalidDecision, match="zz"):
        cluster_pairs(IDS, SOURCES, pairs(), 0.99, [MatchDecision("a", "zz", "same")])


@given(
    st.lists(
        st.tuples(st.sampled_from(IDS), st.sampled_from(IDS), st.floats(0.5, 1.0)),
        max_size=12,
    )
)
def test_without_constraints_persons_are_the_connected_components(rows):
    rows = [r for r in rows if r[0] != r[1]]
    result = cluster_pairs(IDS, ["one"] * len(IDS), pairs(*rows), 0.9, one_record_per_source=False)
    linked = {x: {x} for x in IDS}  # the reference: merge sets along every link at threshold
    for a, b, p in rows:
        if p >= 0.9 and linked[a] is not linked[b]:
            merged = linked[a] | linked[b]
            for x in merged:
                linked[x] = merged
    assert groups(result) == {frozenset(g) for g in linked.values()}


# --- merging the persons of a run along the pairs awaiting review -----------------------------


def members(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(record_id, person_id, source) rows: the persons of a run."""
    return pd.DataFrame(rows, columns=["record_id", "person_id", "source"])


def merged(groups_of: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for person, group in groups_of.items():
        out.setdefault(group, set()).add(person)
    return {frozenset(g) for g in out.values()}


THREE = members(("a", "A", "s1"), ("b", "B", "s2"), ("c", "C", "s3"))


def test_pending_pairs_merge_persons_and_a_group_is_named_by_its_smallest_person():
    result = merge_pending(THREE, pairs(("a", "b", 0.7), ("b", "c", 0.6)))
    assert result == {"A": "A", "B": "A", "C": "A"}


def test_a_different_decision_is_never_bridged_by_pending_pairs():
    decisions = [MatchDecision("c", "a", "different")]
    result = merge_pending(THREE, pairs(("a", "b", 0.7), ("b", "c", 0.6)), decisions)
    assert len(set(result.values())) == 2
    assert result["A"] != result["C"]
    assert result["A"] == result["B"]  # the stronger pending pair claimed b first


def test_a_decided_pair_is_not_pending_and_a_new_same_decision_joins():
    decided = [MatchDecision("a", "b", "different"), MatchDecision("b", "c", "same")]
    result = merge_pending(THREE, pairs(("a", "b", 0.9)), decided)
    assert merged(result) == {frozenset("A"), frozenset("BC")}


def test_one_record_per_source_unless_every_same_source_pair_is_pending():
    run = members(("a", "P", "s1"), ("b", "P", "s2"), ("c", "Q", "s1"))
    # b-c would put a and c, two records of list s1, in one person with no pair between them
    assert merged(merge_pending(run, pairs(("b", "c", 0.8)))) == {frozenset("P"), frozenset("Q")}
    both = merge_pending(run, pairs(("b", "c", 0.8), ("a", "c", 0.6)))
    assert merged(both) == {frozenset("PQ")}
    off = merge_pending(run, pairs(("b", "c", 0.8)), one_record_per_source=False)
    assert merged(off) == {frozenset("PQ")}


def test_a_pending_pair_within_one_list_is_evidence_enough_to_join_it():
    run = members(("a", "P", "s1"), ("c", "Q", "s1"))
    assert merged(merge_pending(run, pairs(("a", "c", 0.55)))) == {frozenset("PQ")}


def test_pairs_naming_records_outside_the_run_are_ignored_and_no_pairs_change_nothing():
    assert merge_pending(THREE, pairs(("a", "zz", 0.9))) == {"A": "A", "B": "B", "C": "C"}
    assert merge_pending(THREE, pairs()) == {"A": "A", "B": "B", "C": "C"}


RECORDS = list("abcdefgh")


@given(
    persons=st.lists(st.sampled_from("PQRSTU"), min_size=8, max_size=8),
    sources=st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=8, max_size=8),
    pending=st.lists(
        st.tuples(st.sampled_from(RECORDS), st.sampled_from(RECORDS), st.floats(0.5, 0.99)),
        max_size=10,
    ),
    different=st.lists(st.tuples(st.sampled_from(RECORDS), st.sampled_from(RECORDS)), max_size=3),
)
def test_merge_keeps_persons_whole_and_never_joins_what_a_decision_keeps_apart(
    persons, sources, pending, different
):
    run = members(*zip(RECORDS, persons, sources, strict=True))
    person_of = dict(zip(RECORDS, persons, strict=True))
    decisions = [MatchDecision(a, b, "different") for a, b in different if a != b]
    result = merge_pending(run, pairs(*pending), decisions)
    assert set(result) == set(persons)
    # never more persons than linked, never fewer than the pending pairs could join
    reach = {p: {p} for p in persons}
    for a, b, _ in pending:
        joined = reach[person_of[a]] | reach[person_of[b]]
        for p in joined:
            reach[p] = joined
    assert len({frozenset(g) for g in reach.values()}) <= len(set(result.values()))
    assert len(set(result.values())) <= len(set(persons))
    for p, group in result.items():
        assert group in reach[p] and group <= p  # joined only along pending pairs
    for d in decisions:  # a "different" pair is only together if the run put it together
        a, b = d.key
        if person_of[a] != person_of[b]:
            assert result[person_of[a]] != result[person_of[b]]
