"""Siblings in one list are not one person named twice: a declared prior, not a learnt one.

A list that names the same person twice writes the same given name: on two Gaza Ministry of
Health releases concatenated into one list (``benchmarks/link_learning.py``), 99.8% of the
records of one ID give the same cross-script given-name key, and of 1,500 such pairs one
gave a different key while agreeing on father and family. Two children of one father are the
opposite: the same father's name and family name, a different given name (2,459 such pairs
of different IDs in the same sample). A model trained on one list cannot learn this reliably:
its "match" class is built from the list itself, where households outnumber duplicates, and
agreement on father, grandfather and family names can outweigh a different given name.

So the rule is a prior, stated here rather than learnt: two records of the SAME source that
give the same father's name and the same family name (equal cross-script keys, both present)
and different given names (different keys, both present) are held apart, whatever the model
says: a cannot-link in clustering (``cluster.py``), so no chain of links through a third
record joins them either. Pairs it holds apart at or above the threshold are listed with the
rule "siblings" and wait in the review queue; a reviewer's "same" decision on the pair
overrides the rule (labels settle what a single list cannot tell). Records of different
sources are not covered: there the model learns from pairs across lists, and the spellings of
a given name differ between lists far more often. ``LinkSettings.siblings_apart`` turns the
rule off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIBLINGS = "siblings"
"""The rule name of a pair this guard holds apart (``Clustering.held_apart["rule"]``)."""

KEYS = ("given_key", "father_key", "family_key")


def sibling_pairs(records: pd.DataFrame, pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The pairs at or above ``threshold`` that look like siblings of one list.

    ``records``: ``record_id``, ``source`` and the name keys (a missing key column means the
    rule cannot apply: no pair is returned); ``pairs``: ``record_id_l``, ``record_id_r``,
    ``match_probability``. Returns ``record_id_l``, ``record_id_r``."""
    index = pd.Index(records["record_id"])
    left = index.get_indexer(pairs["record_id_l"])
    right = index.get_indexer(pairs["record_id_r"])
    mask = sibling_mask(records, left, right, pairs["match_probability"].to_numpy(), threshold)
    return pairs.loc[mask, ["record_id_l", "record_id_r"]].reset_index(drop=True)


def sibling_mask(
    records: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Which pairs (given as row positions in ``records``; -1: not there) at or above
    ``threshold`` look like siblings of one list. Positions, so a million-record run looks
    nothing up by id."""
    look = (left >= 0) & (right >= 0) & (np.asarray(probability, dtype=float) >= threshold)
    if not look.any() or any(k not in records.columns for k in KEYS):
        return np.zeros(len(left), dtype=bool)
    rows = np.flatnonzero(look)
    # narrow the rows column by column, reading only the values of the pairs still in doubt
    # (a million records' columns are never copied whole)
    checks = (("source", True), ("father_key", True), ("family_key", True), ("given_key", False))
    for key, equal in checks:
        column = records[key]
        a = column.take(left[rows]).to_numpy(dtype=object)
        b = column.take(right[rows]).to_numpy(dtype=object)
        missing = pd.isna(a) | pd.isna(b)  # None, NaN or pd.NA, as a store may give them
        a, b = np.where(missing, "", a), np.where(missing, "", b)
        hit = ~missing & (a != "") & (b != "") & ((a == b) if equal else (a != b))
        rows = rows[hit]
        if not len(rows):
            break
    mask = np.zeros(len(left), dtype=bool)
    mask[rows] = True
    return mask
