"""Claims (aggregate statements without names) and copy groups (sources that copy one another).

Both change what a count shows beside, or how it grades, the named persons without touching a
record, so they are managed by analysts and admins: claims with ``MANAGE_CLAIMS``, copy groups
with ``MANAGE_SOURCES``; anyone who may see figures may list the claims.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from everyname.core.claims import read_claims
from everyname.core.errors import NotFound
from everyname.store.audit import Action, record_event
from everyname.store.imports import FileInput, local_copy
from everyname.store.models import Claim, Source
from everyname.store.permissions import Actor, Permission, require
from everyname.store.sources import check_code


class UnknownSource(NotFound):
    field = "source"


@dataclass(frozen=True)
class ClaimsImported:
    file_name: str
    claims: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClaimRow:
    id: int
    source: str
    date: str
    place: str
    category: str
    count: int
    text: str
    file_name: str
    row_number: int | None
    created_by: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_claims(actor: Actor, file: FileInput) -> ClaimsImported:
    """Import a claims CSV (a path or an upload), all rows or none, with an audit entry."""
    require(actor, Permission.MANAGE_CLAIMS)
    with local_copy(file) as (path, _display):
        frame = read_claims(path)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    with transaction.atomic():
        created = Claim.objects.bulk_create(
            Claim(
                source=row["source"],
                date=row["date"] or "",
                place=row["place"] or "",
                category=row["category"] or "",
                count=int(row["count"]),
                text=row["text"] or "",
                created_by=actor.username,
                file_name=path.name,
                row_number=number,
            )
            for number, row in enumerate(rows, start=2)
        )
        record_event(Action.CLAIMS_IMPORTED, actor, None, file_name=path.name, claims=len(created))
    return ClaimsImported(file_name=path.name, claims=len(created))


def list_claims(actor: Actor) -> tuple[ClaimRow, ...]:
    """Every claim, by date: what a figures page shows beside the named counts."""
    require(actor, Permission.VIEW_FIGURES)
    return tuple(
        ClaimRow(
            id=c.pk,
            source=c.source,
            date=c.date,
            place=c.place,
            category=c.category,
            count=c.count,
            text=c.text,
            file_name=c.file_name,
            row_number=c.row_number,
            created_by=c.created_by,
            created_at=c.created_at.isoformat(timespec="seconds"),
        )
        for c in Claim.objects.order_by("date", "id")
    )


@dataclass(frozen=True)
class CopyGroupSet:
    sources: tuple[str, ...]
    group: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def set_copy_group(actor: Actor, codes: list[str], group: str) -> CopyGroupSet:
    """Mark sources as copying one another: they count once as corroboration."""
    require(actor, Permission.MANAGE_SOURCES)
    codes = [check_code(c) for c in codes]
    found = set(Source.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = sorted(set(codes) - found)
    if missing:
        raise UnknownSource(f"No source with code {', '.join(missing)}")
    with transaction.atomic():
        Source.objects.filter(code__in=codes).update(copy_group=group)
        record_event(Action.SOURCES_GROUPED, actor, None, sources=codes, copy_group=group)
    return CopyGroupSet(sources=tuple(codes), group=group)
