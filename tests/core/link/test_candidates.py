"""The link model's comparison of one new record with existing ones (core.link.candidates).

Known truth from FEBRL4: a record held out of a link run is scored against the rest with the
run's saved model; its true counterpart must come first, with the evidence the model weighed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from everyname.core.link import link_records
from everyname.core.link.candidates import NEW_RECORD_ID, find_candidates


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
