"""Person ids that survive re-runs, so a published list, a reviewer's note or a family's
enquiry that names a person still finds that person after the next link run.

Rules, applied to the previous run's membership (record id → person id):

1. a person whose set of records did not change keeps its id;
2. otherwise a new group takes the id of a previous person when they are each other's
   largest overlap, without a tie (merges keep the id of the largest previous person they
   absorb; splits leave the id with the largest part; a person that only gained new records
   keeps its id);
3. every other group gets a new id: ``P`` + the first 16 hex digits of the SHA-256 of its
   sorted record ids. Deterministic (the same records always get the same id), needs no
   counter shared between runs, and a clash with an id in use is resolved by taking more
   digits.

``changes`` records what happened to previous ids that were not kept, so the store can
redirect them ("P12… was merged into P34…").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PreviousClusters:
    """The membership of the run being replaced: record id → person id."""

    person_of_record: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PreviousClusters:
        """From a frame with ``record_id`` and ``person_id`` columns (e.g. an export)."""
        pairs = zip(frame["record_id"].astype(str), frame["person_id"].astype(str), strict=True)
        return cls(dict(pairs))


@dataclass(frozen=True)
class PersonIds:
    person_ids: np.ndarray
    """Person id per record, in the order of the record ids given."""
    changes: list[dict[str, object]]
    """For each previous id not kept: ``{"person_id": old, "now": [new ids]}``."""
    kept: int
    new: int


def assign_person_ids(
    record_ids: np.ndarray, labels: np.ndarray, previous: PreviousClusters | None = None
) -> PersonIds:
    """Give each group (``labels``) a person id, reusing ``previous`` ids by the rules above."""
    ids = np.asarray(record_ids, dtype=object).astype(str)
    labels = np.asarray(labels, dtype=np.int64)
    n_groups = int(labels.max()) + 1 if len(labels) else 0
    assigned: dict[int, str] = {}
    changes: list[dict[str, object]] = []
    old_ids: set[str] = set()
    if previous is not None and previous.person_of_record:
        prev = pd.Series(previous.person_of_record, dtype=object)
        old_ids = set(prev.unique())
        frame = pd.DataFrame({"label": labels, "old": prev.reindex(ids).to_numpy()})
        new_size = np.bincount(labels, minlength=n_groups)
        old_size = prev.value_counts()
        overlap = (
            frame.dropna(subset=["old"]).groupby(["label", "old"]).size().rename("n").reset_index()
        )
        overlap["new_size"] = new_size[overlap["label"].to_numpy()]
        overlap["old_size"] = old_size.reindex(overlap["old"]).to_numpy()
        best_old = _unique_best(overlap, "label")
        best_new = _unique_best(overlap, "old")
        mutual = best_old.merge(best_new, on=["label", "old"])
        for label, old in zip(mutual["label"].tolist(), mutual["old"].tolist(), strict=True):
            assigned[int(label)] = str(old)
        kept_ids = set(assigned.values())
        lost = overlap[~overlap["old"].isin(kept_ids)]
        lost_groups = lost.groupby("old")["label"].apply(list)
        # filled with the final ids below, once new ids exist
        pending_changes = {str(k): v for k, v in lost_groups.items()}
        gone = old_ids - kept_ids - set(pending_changes)
    else:
        pending_changes, gone = {}, set()

    used = set(old_ids)
    order = np.argsort(labels, kind="stable")  # ids are sorted within each group below
    sizes = np.bincount(labels, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    todo = np.setdiff1d(np.arange(n_groups), np.fromiter(assigned, dtype=np.int64))
    texts = np.empty(len(todo), dtype=object)
    single = sizes[todo] == 1
    texts[single] = ids[order[starts[todo[single]]]]  # most persons: one record, no sorting
    for i in np.flatnonzero(~single).tolist():
        g = todo[i]
        texts[i] = "\x1f".join(sorted(ids[order[starts[g] : starts[g] + sizes[g]]]))
    sha = hashlib.sha256
    digests = [sha(t.encode()).hexdigest() for t in texts.tolist()]
    new_ids = ["P" + d[:16] for d in digests]
    if len(set(new_ids)) < len(new_ids) or not used.isdisjoint(new_ids):
        # a clash (an id in use, or two new persons): widen the clashing ids, in order
        for i, digest in enumerate(digests):
            width = 16
            while new_ids[i] in used:
                width += 4
                new_ids[i] = f"P{digest[:width]}"
            used.add(new_ids[i])
    assigned.update(zip(todo.tolist(), new_ids, strict=True))
    new_count = len(new_ids)
    for old, groups in sorted(pending_changes.items()):
        changes.append({"person_id": old, "now": sorted({assigned[int(g)] for g in groups})})
    for old in sorted(gone):
        changes.append({"person_id": old, "now": []})
    lookup = np.empty(n_groups, dtype=object)
    for label, pid in assigned.items():
        lookup[label] = pid
    return PersonIds(
        person_ids=lookup[labels] if len(labels) else np.array([], dtype=object),
        changes=changes,
        kept=n_groups - new_count,
        new=new_count,
    )


def _unique_best(overlap: pd.DataFrame, by: str) -> pd.DataFrame:
    """For each value of ``by``, the row of largest overlap ``n``, dropped when tied."""
    top = overlap.groupby(by)["n"].transform("max")
    best = overlap[overlap["n"] == top]
    counts = best.groupby(by)["n"].transform("size")
    return best[counts == 1][["label", "old"]]
