"""How well each person is corroborated: independent sources naming them, and a grade.

A name on two lists kept by people who did not copy each other is stronger evidence than a name
on one list, or on two lists where one re-published the other. A user marks such copying by
putting sources in one *copy group*; a group counts as one independent source. Grades:

- ``contested``: the records disagree on status (civilian/combatant) or on the outcome
  (killed/injured) — a known value against another known value; ``unknown`` is not a
  disagreement. Contested wins over the source count: the disagreement is what a reader must
  know first.
- ``confirmed``: named by two or more independent sources.
- ``single_source``: named by one independent source (possibly several copying lists).
- ``unknown``: no record names the person (should not happen after linkage; shown if it does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from everyname.core.count.data import clean, isin
from everyname.core.schema import UNKNOWN

CONFIRMED = "confirmed"
SINGLE_SOURCE = "single_source"
CONTESTED = "contested"
GRADES = (CONFIRMED, SINGLE_SOURCE, CONTESTED, UNKNOWN)
CONTESTABLE_FIELDS = ("status", "outcome")


def independent_sources(sources: Iterable[str], copy_groups: Mapping[str, str]) -> int:
    """Number of independent sources among ``sources``: a copy group counts once."""
    return len({copy_groups.get(s, s) for s in sources})


def contested_fields(conflicts: Sequence[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """The status/outcome fields on which a person's records give two different known values."""
    out = []
    for conflict in conflicts or ():
        name = conflict.get("field")
        if name not in CONTESTABLE_FIELDS:
            continue
        values = {str(v) for v in (conflict.get("values") or {}) if clean(v) is not None}
        values.discard(UNKNOWN)
        if len(values) >= 2:
            out.append(str(name))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Corroboration:
    """Per-person corroboration (``table``) with counts by grade."""

    table: pd.DataFrame
    copy_groups: Mapping[str, str] = field(default_factory=dict)

    def grades(self) -> dict[str, str]:
        return dict(zip(self.table["person_id"], self.table["grade"], strict=True))

    def _rows(self, person_ids: Iterable[str] | None) -> pd.DataFrame:
        if person_ids is None:
            return self.table
        return self.table[isin(self.table["person_id"], set(person_ids))]

    def counts(self, person_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Persons by grade; every grade present, 0 when none."""
        rows = self._rows(person_ids)
        found = rows["grade"].value_counts()
        return {g: int(found.get(g, 0)) for g in GRADES}

    def at_least(self, sources: int, person_ids: Iterable[str] | None = None) -> int:
        """Persons named by at least ``sources`` independent sources (whatever their grade)."""
        rows = self._rows(person_ids)
        return int((rows["independent_sources"] >= sources).sum())

    def summary(self, person_ids: Iterable[str] | None = None) -> str:
        """ "246 named; 198 confirmed by at least two independent sources; ..." """
        rows = self._rows(person_ids)
        counts = self.counts(rows["person_id"])
        parts = [
            f"{len(rows)} named",
            f"{self.at_least(2, rows['person_id'])} named by at least two independent sources",
            f"{counts[CONFIRMED]} confirmed",
            f"{counts[SINGLE_SOURCE]} single-source",
            f"{counts[CONTESTED]} contested (sources disagree on status or outcome)",
        ]
        return "; ".join(parts)

    def to_dict(self, person_ids: Iterable[str] | None = None) -> dict[str, Any]:
        rows = self._rows(person_ids)
        return {
            "persons": len(rows),
            "by_grade": [
                {"value": g, "count": n} for g, n in self.counts(rows["person_id"]).items()
            ],
            "at_least_two_independent_sources": self.at_least(2, rows["person_id"]),
            "copy_groups": dict(self.copy_groups),
        }


def corroborate(
    memberships: pd.DataFrame,
    conflicts: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    copy_groups: Mapping[str, str] | None = None,
    person_ids: Iterable[str] | None = None,
) -> Corroboration:
    """Grade every person (``person_ids``, default: every person in ``memberships``)."""
    copy_groups = dict(copy_groups or {})
    conflicts = conflicts or {}
    pairs = pd.DataFrame(
        {
            "person_id": memberships["person_id"].astype(str),
            "source": memberships["source"].astype(str),
        }
    ).drop_duplicates()
    pairs = pairs.sort_values(["person_id", "source"], kind="stable")
    if person_ids is None:
        ids = pd.unique(pairs["person_id"]).tolist()
    else:
        ids = list(dict.fromkeys(map(str, person_ids)))
    pairs = pairs.assign(group=pairs["source"].map(lambda s: copy_groups.get(s, s)))
    independent = pairs.drop_duplicates(["person_id", "group"])["person_id"].value_counts()
    named: dict[str, list[str]] = {}
    person_array = pairs["person_id"].to_numpy(dtype=object)
    for person_id, source in zip(person_array, pairs["source"].to_numpy(dtype=object), strict=True):
        named.setdefault(person_id, []).append(source)
    table = pd.DataFrame({"person_id": ids})
    table["sources"] = [";".join(named.get(p, ())) for p in ids]
    table["independent_sources"] = table["person_id"].map(independent).fillna(0).astype(int)
    contested = {p: ";".join(contested_fields(c)) for p, c in conflicts.items()}
    table["contested_fields"] = [contested.get(p, "") for p in ids]
    grade = np.where(
        table["independent_sources"] >= 2,
        CONFIRMED,
        np.where(table["independent_sources"] == 1, SINGLE_SOURCE, UNKNOWN),
    )
    table["grade"] = np.where(table["contested_fields"] != "", CONTESTED, grade)
    columns = ["person_id", "sources", "independent_sources", "grade", "contested_fields"]
    return Corroboration(table=table[columns], copy_groups=copy_groups)
