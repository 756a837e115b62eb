"""Sources (who reports came from) and their batches, as every front end lists them.

:func:`sources` and :func:`batch` are the use cases; they show what was imported, by whom, how
many rows were skipped and every value that could not be read, and need ``VIEW_RECORDS`` (those
values are victims' details), so a recorder sees only the sources assigned to them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count

from everyname.core.errors import InvalidInput, NotFound, Problem
from everyname.store import crypto
from everyname.store.audit import Action, record_event
from everyname.store.models import Batch, Source, SourceKind
from everyname.store.permissions import Actor, Permission, require

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class BadSourceCode(InvalidInput):
    field = "source"


def check_code(code: str) -> str:
    """Source codes are short lowercase slugs so that a typo cannot silently create a twin."""
    normalised = code.strip().lower()
    if not CODE_PATTERN.match(normalised):
        raise BadSourceCode(
            f"Source code {code!r} is not usable; expected lowercase letters, digits, '-' or '_' "
            "(up to 64 characters), e.g. 'lcc-homs' or 'field_hospital_1'"
        )
    return normalised


def get_or_create_source(
    code: str,
    actor: Actor | str,
    name: str | None = None,
    kind: str = SourceKind.OTHER,
    contact: str | None = None,
) -> tuple[Source, bool]:
    """The source with this code, created (with an audit entry) on first use. The caller checks
    that ``actor`` may create one (see ``imports.import_list``)."""
    code = check_code(code)
    existing = Source.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    if kind not in SourceKind.values:
        raise InvalidInput(
            f"Source kind {kind!r} is not known; expected one of {', '.join(SourceKind.values)}",
            field="source_kind",
        )
    try:
        # A savepoint: on PostgreSQL another import may create the same source meanwhile; its
        # insert wins, and this one takes the source it made instead of failing.
        with transaction.atomic():
            source = Source.objects.create(
                code=code,
                name=name or code,
                kind=kind,
                created_by=str(actor),
                contact_encrypted=crypto.encrypt_text(contact) if contact else None,
            )
    except IntegrityError:
        existing = Source.objects.filter(code=code).first()
        if existing is None:
            raise
        return existing, False
    record_event(Action.SOURCE_CREATED, actor, source, code=code, kind=kind)
    return source, True


def _problems(items: tuple[Problem, ...]) -> list[dict[str, Any]]:
    return [asdict(p) for p in items]


@dataclass(frozen=True)
class BatchSummary:
    id: int
    file_name: str
    sha256: str
    imported_at: str
    imported_by: str
    records: int
    rejected: int
    unreadable: int = 0
    """How many values could not be read (the values themselves: :func:`batch`)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceSummary:
    code: str
    name: str
    kind: str
    records: int
    batches: tuple[BatchSummary, ...]
    copy_group: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "batches": [b.to_dict() for b in self.batches]}


def sources(actor: Actor) -> tuple[SourceSummary, ...]:
    """Every source the actor may see, with its batches and record counts."""
    require(actor, Permission.VIEW_RECORDS)
    visible = Source.objects.all()
    scope = actor.source_scope()
    if scope is not None:
        visible = visible.filter(code__in=scope)
    summaries = []
    for source in visible.annotate(n_records=Count("records")).order_by("code"):
        batches = tuple(
            BatchSummary(
                id=b.pk,
                file_name=b.file_name,
                sha256=b.sha256,
                imported_at=b.imported_at.isoformat(timespec="seconds"),
                imported_by=b.imported_by,
                records=b.records_imported,
                rejected=b.rows_rejected,
                unreadable=len(b.unreadable),
            )
            for b in source.batches.order_by("imported_at", "id")
        )
        summaries.append(
            SourceSummary(
                code=source.code,
                name=source.name,
                kind=source.kind,
                records=source.n_records,
                batches=batches,
                copy_group=source.copy_group,
            )
        )
    return tuple(summaries)


def unreadable_problem(file_name: str, flag: dict) -> Problem:
    """A stored flag ({row, field, column, value, expected}) as a problem a person can read."""
    return Problem(
        file=file_name,
        row=flag["row"],
        column=flag["column"],
        value=flag["value"],
        expected=flag["expected"],
    )


@dataclass(frozen=True)
class BatchDetail:
    """One batch as imported, with the values it holds that could not be read."""

    id: int
    source: str
    file_name: str
    sha256: str
    imported_at: str
    imported_by: str
    rows_read: int
    records: int
    rejected: int
    unreadable: tuple[Problem, ...]
    rejected_rows_kept: int = 0
    """Skipped rows kept with the batch, to download (``imports.rejected_rows_csv``)."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unreadable": _problems(self.unreadable)}


def batch(actor: Actor, batch_id: int) -> BatchDetail:
    """A batch and its unreadable values (file order), kept since the import so they can be
    reviewed and fixed at the source later."""
    require(actor, Permission.VIEW_RECORDS)
    found = Batch.objects.select_related("source").filter(pk=batch_id).first()
    scope = actor.source_scope()
    if found is None or (scope is not None and found.source.code not in scope):
        visible = Batch.objects.all()
        if scope is not None:
            visible = visible.filter(source__code__in=scope)
        known = ", ".join(str(pk) for pk in visible.values_list("pk", flat=True)) or "none"
        raise NotFound(f"There is no batch {batch_id}; batches: {known}", field="batch")
    return BatchDetail(
        id=found.pk,
        source=found.source.code,
        file_name=found.file_name,
        sha256=found.sha256,
        imported_at=found.imported_at.isoformat(timespec="seconds"),
        imported_by=found.imported_by,
        rows_read=found.rows_read,
        records=found.records_imported,
        rejected=found.rows_rejected,
        unreadable=tuple(unreadable_problem(found.file_name, f) for f in found.unreadable),
        rejected_rows_kept=found.rejected_rows.count(),
    )
