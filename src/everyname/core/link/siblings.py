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
    empty = pd.DataFrame({"record_id_l": [], "record_id_r": []}, dtype=object)
    if not len(pairs) or any(k not in records.columns for k in KEYS):
        return empty
    prob = pairs["match_probability"].to_numpy(dtype=float)
    candidates = pairs[prob >= threshold]
    if not len(candidates):
        return empty
    index = pd.Index(records["record_id"])
    left = index.get_indexer(candidates["record_id_l"])
    right = index.get_indexer(candidates["record_id_r"])
    known = (left >= 0) & (right >= 0)
    left, right = np.where(known, left, 0), np.where(known, right, 0)
    source = records["source"].to_numpy(dtype=object)
    look = known & (source[left] == source[right])
    for key, equal in (("father_key", True), ("family_key", True), ("given_key", False)):
        values = records[key].astype("string").fillna("").to_numpy(dtype=object)
        a, b = values[left], values[right]
        present = (a != "") & (b != "")
        look &= present & ((a == b) if equal else (a != b))
    chosen = candidates[look]
    return chosen[["record_id_l", "record_id_r"]].reset_index(drop=True)
