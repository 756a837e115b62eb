"""The dashboard as one use case: what the team server's front page shows, read in one call.

A page that called the count, the estimates and the imports one by one would check the
permission in each and could show figures of two different link runs side by side; here the
figures, the headline, the estimate and the latest run are read together, for the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from everyname.core.count import CountFilters, CountResult
from everyname.store.permissions import Actor, Permission, require

DASHBOARD_FIELDS = ("status", "sex", "age_group", "cause", "place")
"""The breakdowns the dashboard shows, each a table with its unknowns."""


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
class Dashboard:
    """The front page: the latest run's count (None before the first link run), its headline
    in both languages, the run itself, the latest imports and the newest stored estimate."""

    count: CountResult | None
    headline_en: str = ""
    headline_ar: str = ""
    link_run: dict[str, Any] = field(default_factory=dict)
    imports: tuple[LatestImport, ...] = ()
    estimate: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count.to_dict() if self.count is not None else None,
            "headline_en": self.headline_en,
            "headline_ar": self.headline_ar,
            "link_run": dict(self.link_run),
            "imports": [i.to_dict() for i in self.imports],
            "estimate": self.estimate,
        }


def dashboard(actor: Actor, imports: int = 5) -> Dashboard:
    """The dashboard of the latest link run, with the ``imports`` latest imported lists."""
    require(actor, Permission.VIEW_FIGURES)
    from everyname.core.count.headline import headline_ar, headline_en
    from everyname.store.counting import count
    from everyname.store.estimating import list_estimates
    from everyname.store.linking import latest_run
    from everyname.store.models import Batch

    latest = tuple(
        LatestImport(
            source=code,
            imported_at=when.isoformat(timespec="seconds"),
            records=records,
            rejected=rejected,
        )
        for code, when, records, rejected in Batch.objects.order_by(
            "-imported_at", "-id"
        ).values_list("source__code", "imported_at", "records_imported", "rows_rejected")[
            : max(0, imports)
        ]
    )
    run = latest_run()
    if run is None:
        return Dashboard(count=None, imports=latest)
    result = count(actor, CountFilters(), DASHBOARD_FIELDS)
    newest = next(
        (e for e in list_estimates(actor, link_run=run.pk, limit=20) if e.by is None), None
    )  # a stratified estimate has no one figure to show beside the count
    estimate = None
    if newest is not None:
        overall = newest.overall
        estimate = {
            "id": newest.stored_id,
            "created_at": newest.created_at,
            "seed": newest.seed,
            "filters": {k: v for k, v in newest.filters.items() if v not in (None, [], "")},
            **{k: overall.get(k) for k in ("method", "estimate", "lower", "upper", "level")},
            "observed": overall.get("observed"),
            "warnings": [
                w.get("message", str(w)) if isinstance(w, dict) else str(w)
                for w in overall.get("warnings") or []
            ],
        }
    return Dashboard(
        count=result,
        headline_en=headline_en(result),
        headline_ar=headline_ar(result),
        link_run={
            "id": run.pk,
            "created_at": run.created_at.isoformat(timespec="seconds"),
            "created_by": run.created_by,
            "counts": dict(run.counts or {}),
        },
        imports=latest,
        estimate=estimate,
    )
