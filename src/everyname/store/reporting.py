"""Reports, the service every front end calls: build one, store it, read stored ones back.

:func:`build_report` computes the report of the latest link run for a set of filters (the
count, the tables and charts, and, unless left out, the estimate overall and by place, fitted
through :mod:`everyname.store.estimating` so that they follow its rules and are stored with
their seed), renders it as HTML or PDF and stores the file with its SHA-256. It returns the
bytes and what a page lists about them; writing a file is the front end's business.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from everyname.core.count import CountFilters
from everyname.core.errors import InvalidInput, NotFound
from everyname.core.report import Report, render_html, render_pdf
from everyname.core.report import build_report as compute_report
from everyname.store.audit import Action, record_event
from everyname.store.counting import count_input, gazetteer
from everyname.store.estimating import PLACE_STRATA, EstimateOptions, Estimates, estimate
from everyname.store.models import StoredEstimate, StoredReport
from everyname.store.permissions import Actor, Permission, require

FORMATS = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True)
class BuiltReport:
    """A report as built or stored: its file (``content``, ``sha256``) and what it shows.

    ``report`` is the computed content (tables for a CSV/JSON export) when it was built in
    this call; a report read back from the store has only its file and metadata."""

    id: int
    format: str
    content: bytes = field(repr=False)
    sha256: str
    size_bytes: int
    link_run: str
    filters: Mapping[str, Any]
    headline_en: str
    headline_ar: str
    settings: Mapping[str, Any]
    versions: Mapping[str, Any]
    estimate_ids: tuple[int, ...]
    created_by: str
    created_at: str
    report: Report | None = field(default=None, repr=False, compare=False)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def seed(self) -> int | None:
        return self.settings.get("seed")

    def to_dict(self) -> dict[str, Any]:
        """Everything but the file's bytes."""
        return {
            "id": self.id,
            "format": self.format,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "link_run": self.link_run,
            "filters": dict(self.filters),
            "headline_en": self.headline_en,
            "headline_ar": self.headline_ar,
            "settings": dict(self.settings),
            "versions": dict(self.versions),
            "estimate_ids": list(self.estimate_ids),
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


def build_report(
    actor: Actor,
    filters: CountFilters | None = None,
    format: str = "html",
    *,
    with_estimate: bool = True,
    seed: int | None = None,
) -> BuiltReport:
    """Build, render and store the report for ``filters`` (``format`` html or pdf).

    With ``with_estimate`` the report shows an MSE estimate of the persons it counts and one
    per place where the places are large enough; a failed estimate is shown as failed, with
    its reason. Every estimate is stored, and the seed used is recorded and shown."""
    require(actor, Permission.RUN_ANALYSIS)
    if format not in FORMATS:
        raise InvalidInput(
            f"report format: expected one of {', '.join(FORMATS)}, got {format!r}", field="format"
        )
    filters = filters or CountFilters()
    data = count_input()
    overall: Estimates | None = None
    strata: Estimates | None = None
    if with_estimate:
        overall = estimate(actor, filters=filters, seed=seed)
        strata = estimate(actor, filters=filters, by=PLACE_STRATA, seed=overall.seed)
    report = compute_report(
        data,
        filters,
        gazetteer=gazetteer(),
        estimate=overall.overall if overall is not None else None,
        estimate_strata=list(strata.strata) if strata is not None and strata.strata else None,
    )
    html = render_html(report)
    content = render_pdf(html) if format == "pdf" else html.encode("utf-8")
    estimates = [e for e in (overall, strata) if e is not None]
    settings = {
        "with_estimate": with_estimate,
        "seed": overall.seed if overall is not None else seed,
        "options": EstimateOptions().to_dict() if with_estimate else None,
        "date_unit": report.date_unit,
        "place_level": report.count.settings.get("place_level"),
    }
    versions = dict(overall.versions) if overall is not None else _versions()
    with transaction.atomic():
        row = StoredReport.objects.create(
            link_run_id=int(data.link_run),
            filters=filters.to_dict(),
            format=format,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
            settings=settings,
            versions=versions,
            headline_en=report.headline_en,
            headline_ar=report.headline_ar,
            created_by=actor.username,
        )
        row.estimates.set(StoredEstimate.objects.filter(pk__in=[e.stored_id for e in estimates]))
        record_event(
            Action.REPORT_STORED,
            actor,
            row,
            link_run=data.link_run,
            format=format,
            sha256=row.sha256,
            filters=filters.to_dict(),
            estimates=[e.stored_id for e in estimates],
        )
    return _from_row(row, report)


def _versions() -> dict[str, Any]:
    from everyname.core.estimate.result import library_versions

    return library_versions()


def _from_row(
    row: StoredReport, report: Report | None = None, *, with_content: bool = True
) -> BuiltReport:
    return BuiltReport(
        id=row.pk,
        format=row.format,
        content=bytes(row.content) if with_content else b"",
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        link_run=str(row.link_run_id),
        filters=row.filters,
        headline_en=row.headline_en,
        headline_ar=row.headline_ar,
        settings=row.settings,
        versions=row.versions,
        estimate_ids=tuple(row.estimates.order_by("pk").values_list("pk", flat=True)),
        created_by=row.created_by,
        created_at=row.created_at.isoformat(timespec="seconds"),
        report=report,
    )


def list_reports(
    actor: Actor, *, link_run: int | None = None, limit: int = 50
) -> list[BuiltReport]:
    """Stored reports, newest first (of one link run when given), without their files
    (``content`` empty; :func:`get_report` has it)."""
    require(actor, Permission.VIEW_FIGURES)
    rows = StoredReport.objects.defer("content").order_by("-created_at", "-id")
    if link_run is not None:
        rows = rows.filter(link_run_id=link_run)
    return [_from_row(row, with_content=False) for row in rows[: max(1, int(limit))]]


def get_report(actor: Actor, report_id: int) -> BuiltReport:
    """One stored report, its file byte for byte as it was published."""
    require(actor, Permission.VIEW_FIGURES)
    row = StoredReport.objects.filter(pk=report_id).first()
    if row is None:
        raise NotFound(f"no stored report {report_id}", field="report")
    return _from_row(row)
