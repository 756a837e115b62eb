"""The link model's comparison of one new record with existing ones (core.link.candidates).

Known truth from FEBRL4: a record held out of a link run is scored against the rest with the
run's saved model; its true counterpart must come first, with the evidence the model weighed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from everyname.core.link import link_records
from everyname.core.link.candidates import (
    NEW_RECORD_ID,
    Block,
    blocks,
    find_candidates,
    prepared_new,
    term_frequencies,
)
from everyname.core.link.names import link_input
from everyname.core.link.records import prepare_records


@pytest.fixture(scope="module")
def held_out(febrl4_small):
    """(records linked without the held-out ones, the saved model, held-out records whose true
    counterpart is among the linked records)."""
    b = febrl4_small[febrl4_small["source"] == "b"]
    a_truth = set(febrl4_small.loc[febrl4_small["source"] == "a", "truth"])
    out = b[b["truth"].isin(a_truth)].head(5)
    rest = febrl4_small.drop(index=out.index).reset_index(drop=True)
    result = link_records(rest.drop(columns="truth"))
    return rest, result.model, out


def _row(frame: pd.DataFrame, index: int) -> dict:
    row = frame.iloc[index].to_dict()
    return {k: v for k, v in row.items() if k not in ("record_id", "truth")}


def test_the_true_counterpart_comes_first(held_out):
    rest, model, out = held_out
    truth_of = dict(zip(rest["record_id"], rest["truth"], strict=True))
    for index in range(len(out)):
        found = find_candidates(_row(out, index), rest.drop(columns="truth"), model)
        assert found, "a record with a true counterpart finds at least one candidate"
        assert truth_of[found[0].record_id] == out.iloc[index]["truth"]
        assert found[0].record_id != NEW_RECORD_ID
        # best first
        weights = [c.match_weight for c in found]
        assert weights == sorted(weights, reverse=True)


def test_the_evidence_says_what_agrees_and_what_differs(held_out):
    rest, model, out = held_out
    records = rest.drop(columns="truth")
    for index in range(len(out)):
        new = _row(out, index)
        best = find_candidates(new, records, model)[0]
        comparisons = {e.comparison for e in best.evidence}
        # the model's own comparisons, by their output names
        assert comparisons <= {c["output_column_name"] for c in model["comparisons"]}
        assert best.agrees, "a true pair agrees on something"
        assert all(e.weight > 0 for e in best.agrees)
        assert all(e.weight <= 0 for e in best.differs)
        assert all(e.level for e in best.evidence)
        if {"family_name", "given_name"} & {e.comparison for e in best.agrees}:
            break
    else:
        raise AssertionError("no held-out record agrees with its best candidate on a name")
    # change a name part the pair agrees on: the same candidate no longer agrees on it
    agreeing = {e.comparison for e in best.agrees}
    part = next(p for p in ("family", "given") if f"{p}_name" in agreeing)
    changed = {**new}
    for form in ("ar", "lat", "key"):
        changed[f"{part}_{form}"] = "zzzqqq"
    changed.pop("full_key", None)
    again = find_candidates(changed, records, model, floor=0.0, limit=1000)
    same = [c for c in again if c.record_id == best.record_id]
    assert same, "still found through another blocking rule"
    evidence = {e.comparison: e for e in same[0].evidence}
    assert evidence[f"{part}_name"].verdict == "differs"
    assert same[0].match_weight < best.match_weight


def test_nothing_to_compare_gives_no_candidate(held_out):
    rest, model, out = held_out
    records = rest.drop(columns="truth")
    assert find_candidates(_row(out, 0), records, {**model, "comparisons": []}) == ()
    stranger = {"source": "c", "given_name": "Xqzwy", "given_key": "XQZW", "family_key": "QQQ"}
    assert find_candidates(stranger, records, model) == ()
    assert find_candidates(_row(out, 0), records.iloc[0:0], model) == ()


def test_limit_and_floor(held_out):
    rest, model, out = held_out
    records = rest.drop(columns="truth")
    every = find_candidates(_row(out, 0), records, model, floor=0.0, limit=1000)
    assert len(find_candidates(_row(out, 0), records, model, floor=0.0, limit=1)) == 1
    high = find_candidates(_row(out, 0), records, model, floor=0.99, limit=1000)
    assert all(c.match_probability >= 0.99 for c in high)
    assert len(high) <= len(every)


def _without_national_id(model: dict) -> dict:
    """The model with its rule on the national id left out: FEBRL gives most records one, and
    a rule on it pairs records whatever their names (see the test below)."""
    rules = [
        rule
        for rule in model["blocking_rules_to_generate_predictions"]
        if "national_id" not in rule["blocking_rule"]
    ]
    assert rules, "the model blocks on names as well"
    return {**model, "blocking_rules_to_generate_predictions": rules}


def _fetched(records: pd.DataFrame, needed: tuple[Block, ...]) -> pd.DataFrame:
    """What the store reads for these blocks: records whose name key holds every key of a
    block as whole parts (and whose date of death has the block's span)."""
    prepared = prepare_records(link_input(records))
    parts = [set(str(k).split()) if isinstance(k, str) else set() for k in prepared["full_key"]]
    starts = prepared.get("date_of_death_start")
    keep = []
    for n, have in enumerate(parts):
        keep.append(
            any(
                set(b.name_keys) <= have
                and (b.death is None or (starts is not None and starts.iloc[n] == b.death[0]))
                for b in needed
            )
        )
    return records[keep]


def test_the_blocked_records_with_kept_frequencies_score_as_every_record(held_out):
    rest, model, out = held_out
    records = rest.drop(columns="truth")
    model = _without_national_id(model)
    kept = term_frequencies(records, model)
    assert kept.totals["family_key"] > 0
    found = 0
    for index in range(len(out)):
        new = _row(out, index)
        needed = blocks(new, model)
        assert needed, "a record with both names is paired by a rule on names"
        fetched = _fetched(records, needed)
        assert len(fetched) < len(records) / 10, "only the few sharing a name are read"
        every = find_candidates(new, records, model, floor=0.0, limit=1000)
        few = find_candidates(new, fetched, model, floor=0.0, limit=1000, frequencies=kept)
        assert few == every
        found += bool(every)
        # without the kept counts, the few records alone would count "common" wrongly
        alone = find_candidates(new, fetched, model, floor=0.0, limit=1000)
        if every and [c.record_id for c in alone] == [c.record_id for c in every]:
            assert [c.match_weight for c in alone] != [c.match_weight for c in every]
    assert found >= 3, "most held-out records have a candidate without the national id"


def test_blocks_say_what_a_record_must_hold(held_out):
    _, model, out = held_out
    both = [
        _row(out, i)
        for i in range(len(out))
        if all(isinstance(prepared_new(_row(out, i))[c], str) for c in ("given_key", "family_key"))
    ]
    new = both[0]
    row = prepared_new(new)
    needed = blocks(new, _without_national_id(model))
    # given and family name, in the order of a name, father and grandfather between them
    assert Block((row["given_key"], None, None, row["family_key"]), None) in needed
    assert all(set(b.name_keys) <= {row["given_key"], row["family_key"]} for b in needed)
    # no family name: only the rules without it can pair the record
    nameless = {k: v for k, v in new.items() if not k.startswith("family_")}
    nameless.pop("full_key", None)
    assert all("family_key" not in b.name_keys for b in blocks(nameless, model) or ())
    assert all(
        row["family_key"] not in b.name_keys for b in blocks(nameless, _without_national_id(model))
    )
    # a rule on the national id pairs whatever the names: every record must be read
    with_id = {**new, "national_id": "1234567"}
    assert blocks(with_id, model) is None
    # a model whose rules are not equalities of columns: every record
    loose = {**model, "blocking_rules_to_generate_predictions": ["l.given_key like r.given_key"]}
    assert blocks(new, loose) is None


def test_kept_frequencies_add_up(held_out):
    rest, model, _ = held_out
    records = rest.drop(columns="truth")
    whole = term_frequencies(records, model)
    halves = term_frequencies(records.iloc[:700], model).plus(
        term_frequencies(records.iloc[700:], model)
    )
    assert halves == whole
    assert whole.counts["given_key"], "the model adjusts names for how common they are"
    assert sum(whole.counts["given_key"].values()) == whole.totals["given_key"]
