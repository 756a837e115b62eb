"""Sources: who reports came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count

from everyname.core.errors import EverynameError, Problem
from everyname.store import crypto
from everyname.store.audit import Action, record_event
from everyname.store.models import Batch, Source, SourceKind

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class BadSourceCode(EverynameError):
    pass


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
    actor: str,
    name: str | None = None,
    kind: str = SourceKind.OTHER,
    contact: str | None = None,
) -> tuple[Source, bool]:
    """The source with this code, created (with an audit entry) on first use."""
    code = check_code(code)
    existing = Source.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    if kind not in SourceKind.values:
        raise EverynameError(
            f"Source kind {kind!r} is not known; expected one of {', '.join(SourceKind.values)}"
        )
    source = Source.objects.create(
        code=code,
        name=name or code,
        kind=kind,
        created_by=actor,
        contact_encrypted=crypto.encrypt_text(contact) if contact else None,
    )
    record_event(Action.SOURCE_CREATED, actor, source, code=code, kind=kind)
    return source, True


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


@dataclass(frozen=True)
class SourceSummary:
    code: str
    name: str
    kind: str
    records: int
    batches: tuple[BatchSummary, ...]


def list_sources() -> list[SourceSummary]:
    """Every source with its batches and record counts."""
    summaries = []
    for source in Source.objects.annotate(n_records=Count("records")).order_by("code"):
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
            )
        )
    return summaries


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


def batch_detail(batch_id: int) -> BatchDetail:
    """A batch and its unreadable values (file order), kept since the import so they can be
    reviewed and fixed at the source later; raises when there is no such batch."""
    batch = Batch.objects.select_related("source").filter(pk=batch_id).first()
    if batch is None:
        known = ", ".join(str(pk) for pk in Batch.objects.values_list("pk", flat=True)) or "none"
        raise EverynameError(f"There is no batch {batch_id}; batches: {known}")
    return BatchDetail(
        id=batch.pk,
        source=batch.source.code,
        file_name=batch.file_name,
        sha256=batch.sha256,
        imported_at=batch.imported_at.isoformat(timespec="seconds"),
        imported_by=batch.imported_by,
        rows_read=batch.rows_read,
        records=batch.records_imported,
        rejected=batch.rows_rejected,
        unreadable=tuple(unreadable_problem(batch.file_name, f) for f in batch.unreadable),
    )
