"""The dashboard as one use case: what the team server's front page shows, read in one call.

A page that called the count, the estimates and the imports one by one would check the
permission in each and could show figures of two different link runs side by side; here the
figures, the headline, the estimate and the latest run are read together, for the same run.

The figures (the count, deaths per day by status, sex by age group, the sources and their
overlap) are worked out from the kept count input (:func:`everyname.store.counting.count_input`)
and kept with it: on a million records they take seconds, and the front page is opened far
more often than the persons change. A new link run, a decision, a record or a place gives a
new count input, and the next dashboard works its figures out again. The imports, the run and
the newest estimate are read afresh each time (a few rows): an estimate stored since does not
change the count input.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from everyname.core.count import CountFilters, CountInput, CountResult
from everyname.store.permissions import Actor, Permission, require

DASHBOARD_FIELDS = ("status", "sex", "age_group", "cause", "place")
"""The breakdowns the dashboard shows, each a table with its unknowns."""

MAX_COMBINATIONS = 24
"""Combinations of sources shown one by one; the rest are summed as one row (an UpSet chart
of hundreds of columns says nothing a reader can take in)."""


@dataclass(frozen=True)
class LatestImport:
    """One imported list, as a viewer may see it: which source, when, how many records (no
    file name or importer: those belong to the recorders' pages)."""

    source: str
    imported_at: str
    records: int
    rejected: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Table:
    """Persons by two fields at once: ``counts[i][j]`` persons have row value ``rows[i]`` and
    column value ``columns[j]``. Every category is there, ``unknown`` last on each axis, so
    the grand total is the count's total."""

    row_field: str
    column_field: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def row(self, value: str) -> tuple[int, ...]:
        return self.counts[self.rows.index(value)]

    @property
    def total(self) -> int:
        return sum(sum(r) for r in self.counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.row_field,
            "columns": self.column_field,
            "values": {
                r: dict(zip(self.columns, counts, strict=True))
                for r, counts in zip(self.rows, self.counts, strict=True)
            },
        }


@dataclass(frozen=True)
class SourceRow:
    """What one list contributes: its records about the counted persons, the persons it
    names, and those only it names."""

    source: str
    records: int
    persons: int
    only_this_source: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Combination:
    """Persons named by exactly these sources and no other (an UpSet chart's column);
    ``sources`` empty for the row that sums the combinations not shown one by one."""

    sources: tuple[str, ...]
    persons: int

    def to_dict(self) -> dict[str, Any]:
        return {"sources": list(self.sources), "persons": self.persons}


@dataclass(frozen=True)
class SourceOverlap:
    """The sources and how they overlap, for the persons counted."""

    sources: tuple[SourceRow, ...]
    combinations: tuple[Combination, ...]
    other_combinations: int = 0
    """How many combinations are summed in the last row (0: every one is shown)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": [s.to_dict() for s in self.sources],
            "combinations": [c.to_dict() for c in self.combinations],
            "other_combinations": self.other_combinations,
        }


@dataclass(frozen=True)
class Figures:
    """What the dashboard works out from one count input (kept with it)."""

    count: CountResult
    headline_en: str
    headline_ar: str
    by_day: Table
    """Deaths per day (rows: every day from the first to the last, then ``unknown``) by status."""
    sex_by_age: Table
    """Persons by age group (rows) and sex (columns)."""
    sources: SourceOverlap


@dataclass(frozen=True)
class Dashboard:
    """The front page: the latest run's count (None before the first link run), its headline
    in both languages, the run itself, the latest imports and the newest stored estimate; and
    for the charts, deaths per day by status, sex by age group and the sources' overlap."""

    count: CountResult | None
    headline_en: str = ""
    headline_ar: str = ""
    link_run: dict[str, Any] = field(default_factory=dict)
    imports: tuple[LatestImport, ...] = ()
    estimate: dict[str, Any] | None = None
    by_day: Table | None = None
    sex_by_age: Table | None = None
    sources: SourceOverlap | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count.to_dict() if self.count is not None else None,
            "headline_en": self.headline_en,
            "headline_ar": self.headline_ar,
            "link_run": dict(self.link_run),
            "imports": [i.to_dict() for i in self.imports],
            "estimate": self.estimate,
            "by_day": self.by_day.to_dict() if self.by_day is not None else None,
            "sex_by_age": self.sex_by_age.to_dict() if self.sex_by_age is not None else None,
            "sources": self.sources.to_dict() if self.sources is not None else None,
        }


def dashboard(actor: Actor, imports: int = 5) -> Dashboard:
    """The dashboard of the latest link run, with the ``imports`` latest imported lists."""
    require(actor, Permission.VIEW_FIGURES)
    from everyname.store.counting import count_input
    from everyname.store.linking import latest_run

    latest = _latest_imports(imports)
    run = latest_run()
    if run is None:
        return Dashboard(count=None, imports=latest)
    figures = _figures(count_input())
    return Dashboard(
        count=figures.count,
        headline_en=figures.headline_en,
        headline_ar=figures.headline_ar,
        link_run={
            "id": run.pk,
            "created_at": run.created_at.isoformat(timespec="seconds"),
            "created_by": run.created_by,
            "counts": dict(run.counts or {}),
        },
        imports=latest,
        estimate=_newest_estimate(actor, run.pk),
        by_day=figures.by_day,
        sex_by_age=figures.sex_by_age,
        sources=figures.sources,
    )


def _latest_imports(limit: int) -> tuple[LatestImport, ...]:
    from everyname.store.models import Batch

    rows = Batch.objects.order_by("-imported_at", "-id").values_list(
        "source__code", "imported_at", "records_imported", "rows_rejected"
    )[: max(0, limit)]
    return tuple(
        LatestImport(
            source=code,
            imported_at=when.isoformat(timespec="seconds"),
            records=records,
            rejected=rejected,
        )
        for code, when, records, rejected in rows
    )


def _newest_estimate(actor: Actor, run_id: int) -> dict[str, Any] | None:
    """The newest whole estimate of the run (a stratified estimate has no one figure to show
    beside the count), with its interval and warnings."""
    from everyname.store.estimating import list_estimates

    newest = next(
        (e for e in list_estimates(actor, link_run=run_id, limit=20) if e.by is None), None
    )
    if newest is None:
        return None
    overall = newest.overall
    return {
        "id": newest.stored_id,
        "created_at": newest.created_at,
        "seed": newest.seed,
        "filters": {k: v for k, v in newest.filters.items() if v not in (None, [], "")},
        **{k: overall.get(k) for k in ("method", "estimate", "lower", "upper", "level")},
        "observed": overall.get("observed"),
        "warnings": list(overall.get("warnings") or []),  # as stored: code, message, figures
    }


# --- the figures, kept with their count input ------------------------------------------------

_kept: list[tuple[weakref.ref[CountInput], Figures]] = []
"""The figures of the latest count input, with a weak reference to that input: the figures
of an input the counting service has dropped are not what keeps it alive."""
_kept_lock = threading.Lock()


def _figures(data: CountInput) -> Figures:
    with _kept_lock:
        kept = _kept[0] if _kept else None
    if kept is not None and kept[0]() is data:
        return kept[1]
    figures = work_out_figures(data)
    with _kept_lock:
        _kept[:] = [(weakref.ref(data), figures)]
    return figures


def forget_figures() -> None:
    """Drop the kept figures (a benchmark's first request)."""
    with _kept_lock:
        _kept.clear()


def work_out_figures(data: CountInput) -> Figures:
    """The dashboard's figures from one count input, read afresh."""
    from everyname.core.count import count_persons, crosstab, source_figures
    from everyname.core.count.headline import headline_ar, headline_en
    from everyname.store.counting import gazetteer

    places = gazetteer()
    result = count_persons(data, CountFilters(), DASHBOARD_FIELDS, gazetteer=places)
    return Figures(
        count=result,
        headline_en=headline_en(result),
        headline_ar=headline_ar(result),
        by_day=_table(crosstab(data, "day", "status", gazetteer=places)),
        sex_by_age=_table(crosstab(data, "age_group", "sex", gazetteer=places)),
        sources=_overlap(source_figures(data.memberships, result.person_ids)),
    )


def _table(frame: Any) -> Table:
    return Table(
        row_field=str(frame.index.name),
        column_field=str(frame.columns.name),
        rows=tuple(str(v) for v in frame.index),
        columns=tuple(str(v) for v in frame.columns),
        counts=tuple(tuple(int(n) for n in row) for row in frame.to_numpy()),
    )


def _overlap(figures: Any) -> SourceOverlap:
    sources = tuple(
        SourceRow(
            source=str(r["source"]),
            records=int(r["records"]),
            persons=int(r["persons"]),
            only_this_source=int(r["only_this_source"]),
        )
        for r in figures.table.to_dict("records")
    )
    every = [
        Combination(tuple(str(r["sources"]).split("+")), int(r["persons"]))
        for r in figures.intersections.to_dict("records")
    ]  # most persons first
    shown, rest = every[:MAX_COMBINATIONS], every[MAX_COMBINATIONS:]
    if rest:
        shown.append(Combination((), sum(c.persons for c in rest)))
    return SourceOverlap(sources, tuple(shown), len(rest))


__all__ = [
    "DASHBOARD_FIELDS",
    "Combination",
    "Dashboard",
    "LatestImport",
    "SourceOverlap",
    "SourceRow",
    "Table",
    "dashboard",
    "forget_figures",
    "work_out_figures",
]
