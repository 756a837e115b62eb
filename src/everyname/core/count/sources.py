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

import pandas as pd


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
        rows = memberships[memberships["person_id"].isin(set(person_ids))]
    rows = rows.assign(source=rows["source"].astype(str), person_id=rows["person_id"].astype(str))
    sources = sorted(rows["source"].unique())
    sets = rows.groupby("person_id")["source"].agg(lambda s: frozenset(s))
    table = pd.DataFrame(
        {
            "source": sources,
            "records": [int((rows["source"] == s).sum()) for s in sources],
            "persons": [int(sets.map(lambda x, s=s: s in x).sum()) for s in sources],
            "only_this_source": [int(sets.map(lambda x, s=s: x == {s}).sum()) for s in sources],
        },
        columns=["source", "records", "persons", "only_this_source"],
    )
    overlap = pd.DataFrame(0, index=sources, columns=sources, dtype=int)
    for named in sets:
        for a in named:
            for b in named:
                overlap.loc[a, b] += 1
    combos = sets.map(lambda x: "+".join(sorted(x))).value_counts()
    intersections = pd.DataFrame(
        {
            "sources": combos.index.tolist(),
            "size": [c.count("+") + 1 for c in combos.index],
            "persons": combos.to_numpy(dtype=int).tolist(),
        },
        columns=["sources", "size", "persons"],
    )
    intersections = intersections.sort_values(
        ["persons", "size", "sources"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    return SourceFigures(table=table, overlap=overlap, intersections=intersections)
