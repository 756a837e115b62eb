"""Per-source figures: what each list contributes, and how the lists overlap.

For each source: the records it holds about the counted persons, the persons it names, and the
persons only it names (the list a group cannot afford to lose). Pairwise overlaps and the
exact intersections (UpSet-style: persons named by exactly this set of sources) show how much
the lists share — the raw material of multiple systems estimation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from everyname.core.count.data import isin


@dataclass(frozen=True)
class SourceFigures:
    """``table``: source, records, persons, only_this_source. ``overlap``: persons named by
    both sources (the diagonal is each source's persons). ``intersections``: one row per exact
    set of sources (``sources`` joined with ``+``, ``size`` its number of sources, ``persons``)."""

    table: pd.DataFrame
    overlap: pd.DataFrame
    intersections: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": self.table.to_dict("records"),
            "overlap": {
                a: {b: int(self.overlap.loc[a, b]) for b in self.overlap.columns}
                for a in self.overlap.index
            },
            "intersections": [
                {"sources": r["sources"].split("+"), "persons": int(r["persons"])}
                for r in self.intersections.to_dict("records")
            ],
        }


def source_figures(
    memberships: pd.DataFrame, person_ids: Iterable[str] | None = None
) -> SourceFigures:
    """Figures for the persons in ``person_ids`` (default: everyone in ``memberships``)."""
    rows = memberships
    if person_ids is not None:
        rows = memberships[isin(memberships["person_id"], set(person_ids))]
    person = rows["person_id"].astype(str).to_numpy()
    source = rows["source"].astype(str).to_numpy()
    sources = sorted(set(source))
    source_code = pd.Categorical(source, categories=sources).codes
    person_code, _ = pd.factorize(person)
    # named[p, s]: source s names person p (however many records it holds about them)
    named = np.zeros((int(person_code.max()) + 1 if len(person) else 0, len(sources)), bool)
    named[person_code, source_code] = True
    lists_per_person = named.sum(axis=1)
    table = pd.DataFrame(
        {
            "source": sources,
            "records": np.bincount(source_code, minlength=len(sources)).astype(int),
            "persons": named.sum(axis=0).astype(int),
            "only_this_source": named[lists_per_person == 1].sum(axis=0).astype(int),
        },
        columns=["source", "records", "persons", "only_this_source"],
    )
    as_int = named.astype(np.int64)
    overlap = pd.DataFrame(as_int.T @ as_int, index=sources, columns=sources)
    if len(named):
        patterns, counts = np.unique(named, axis=0, return_counts=True)
    else:
        patterns, counts = np.zeros((0, len(sources)), bool), np.zeros(0, int)
    combos = ["+".join(s for s, on in zip(sources, row, strict=True) if on) for row in patterns]
    intersections = pd.DataFrame(
        {
            "sources": combos,
            "size": patterns.sum(axis=1).astype(int),
            "persons": counts.astype(int),
        },
        columns=["sources", "size", "persons"],
    )
    intersections = intersections.sort_values(
        ["persons", "size", "sources"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    return SourceFigures(table=table, overlap=overlap, intersections=intersections)
