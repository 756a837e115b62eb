"""Which pair a reviewer should see first: the one whose answer is expected to do most.

A decision on a pair awaiting review is useful in two ways: it can change the persons (and so
every count), and it teaches the next link run (``train.py`` learns m from "same" answers).
The queue is ordered by the expected number of persons the answer changes::

    usefulness = P(the answer changes the persons) / k

- For two records in different persons (every uncertain pair below the threshold, and every
  pair a rule held apart), the answer changes the persons only if it is "same": probability
  ``p``, the pair's match probability. For two records already in one person (joined through
  other records), only a "different" answer changes them: ``1 - p``.
- ``k`` is the number of pairs awaiting review between the same two persons. The count's
  range (as few persons as merging every pending pair leaves) narrows by one person when the
  first of them is answered, not k times: redundant questions share the credit, so a reviewer
  is not shown four pairs of the same two families in a row.

A pair the sibling rule held apart (``siblings.py``, ``rule`` = "siblings") is scored high
by the model, but the rule exists because such pairs are nearly always two people: on the
Gaza one-list samples none was a duplicate. Its chance of a "same" is taken as
``SIBLING_SHARE`` × p, so these pairs wait behind likely matches instead of heading the queue.

Why not pure uncertainty sampling (the pair nearest p = 0.5, as the dedupe library's active
learner does): dedupe retrains a classifier after every label and links at 0.5, so the pair
nearest 0.5 is both the likeliest error and the most informative. Here the threshold is 0.99:
every pair below it is kept apart, so the likeliest error among them is the most probable
match, not the most uncertain pair; and the model is retrained at the next run, from the
"same" answers (m is estimated from matches), which this order also yields most of. The
uncertainty (binary entropy of p) breaks ties between equally useful pairs, then the higher
probability, then the record ids, so the order is deterministic.
``benchmarks/link_learning.py`` measures this order against score order and entropy order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIBLING_SHARE = 0.1
"""The share of a sibling-rule pair's match probability counted as its chance of a "same"
(a declared prior: 1 pair in 1,500 of the Gaza one-list sample's duplicates looked like
siblings, and none of the pairs the rule held apart was a duplicate)."""


def entropy(p: np.ndarray) -> np.ndarray:
    """Binary entropy in bits (1 at p = 0.5, 0 at 0 or 1): how unsure the model is."""
    q = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return -(q * np.log2(q) + (1 - q) * np.log2(1 - q))


def order_for_review(pending: pd.DataFrame, person_of: pd.Series) -> pd.DataFrame:
    """``pending`` (``record_id_l``, ``record_id_r``, ``match_probability``, optionally the
    ``rule`` that held a pair apart) most useful first,
    with a ``usefulness`` column (see the module docstring). ``person_of`` maps record id →
    person id as the run linked them; a record it lacks counts as a person of its own."""
    out = pending.reset_index(drop=True).copy()
    if not len(out):
        out["usefulness"] = pd.Series(dtype=float)
        return out
    left = out["record_id_l"].map(person_of)
    right = out["record_id_r"].map(person_of)
    left = left.where(left.notna(), "record:" + out["record_id_l"].astype(str)).astype(str)
    right = right.where(right.notna(), "record:" + out["record_id_r"].astype(str)).astype(str)
    same = (left == right).to_numpy()
    lo = np.where(left < right, left, right)
    hi = np.where(left < right, right, left)
    k = pd.Series(list(zip(lo, hi, strict=True))).map(
        pd.Series(list(zip(lo, hi, strict=True))).value_counts()
    )
    p = out["match_probability"].to_numpy(dtype=float)
    if "rule" in out.columns:
        p = np.where(out["rule"].to_numpy(dtype=object) == "siblings", SIBLING_SHARE * p, p)
    change = np.where(same, 1.0 - p, p)
    out["usefulness"] = change / k.to_numpy(dtype=float)
    out["_entropy"] = entropy(p)
    out["_l"] = out["record_id_l"].astype(str)
    out["_r"] = out["record_id_r"].astype(str)
    out = out.sort_values(
        ["usefulness", "_entropy", "match_probability", "_l", "_r"],
        ascending=[False, False, False, True, True],
        kind="stable",
    )
    return out.drop(columns=["_entropy", "_l", "_r"]).reset_index(drop=True)
