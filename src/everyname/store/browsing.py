"""Imports as the web's pages browse them: a page of batches, and a batch's original file handed
to a browser.

``sources.sources`` lists every batch of every source at once, which suits a command line but
not a team server holding years of lists; :func:`list_batches` pages them, newest first, and a
recorder sees only the batches of their sources. ``backup.write_original`` writes an original
to a path on the server's disk; a browser needs the bytes themselves, which
:func:`original_download` gives, with the same checks and the same audit entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from everyname.core.errors import Conflict, InvalidInput, NotFound
from everyname.store.audit import Action, record_event
from everyname.store.imports import original_bytes
from everyname.store.models import Batch
from everyname.store.paging import Page, page_of
from everyname.store.permissions import Actor, Permission, require


@dataclass(frozen=True)
class BatchLine:
    """One batch in a list of imports: what was read, kept and skipped (no values: those are
    on the batch's own page)."""

    id: int
    source: str
    file_name: str
    file_format: str
    sha256: str
    imported_at: str
    imported_by: str
    rows_read: int
    records: int
    rejected: int
    unreadable: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_batches(
    actor: Actor, source: str | None = None, page: int = 1, page_size: int = 50
) -> Page:
    """A page of batches, newest first (the import a recorder just made is on top); a recorder
    sees only the batches of the sources assigned to them, and asking for another source is
    refused."""
    require(actor, Permission.VIEW_RECORDS)
    query = Batch.objects.select_related("source")
    source = (source or "").strip() or None
    if source is not None:
        require(actor, Permission.VIEW_RECORDS, source)
        query = query.filter(source__code=source)
    elif (scope := actor.source_scope()) is not None:
        query = query.filter(source__code__in=sorted(scope))
    rows, total = page_of(
        query.order_by("-imported_at", "-id").defer("mapping_text", "columns"), page, page_size
    )
    items = tuple(
        BatchLine(
            id=b.pk,
            source=b.source.code,
            file_name=b.file_name,
            file_format=b.file_format,
            sha256=b.sha256,
            imported_at=b.imported_at.isoformat(timespec="seconds"),
            imported_by=b.imported_by,
            rows_read=b.rows_read,
            records=b.records_imported,
            rejected=b.rows_rejected,
            unreadable=len(b.unreadable or ()),
        )
        for b in rows
    )
    return Page(items, page, page_size, total)


@dataclass(frozen=True)
class OriginalDownload:
    """A batch's original file for a browser: its name, checksum, size, and its bytes in pieces
    (``chunks`` can be iterated once)."""

    batch: int
    file_name: str
    sha256: str
    size_bytes: int
    chunks: Iterator[bytes]


def _batch_id(batch_id: int | str) -> int:
    if isinstance(batch_id, bool):
        raise InvalidInput(f"a batch is a batch number, got {batch_id!r}", field="batch")
    try:
        return int(str(batch_id).strip())
    except ValueError:
        raise InvalidInput(f"a batch is a batch number, got {batch_id!r}", field="batch") from None


def original_download(actor: Actor, batch_id: int | str) -> OriginalDownload:
    """Batch ``batch_id``'s original file, byte for byte as imported, audited as
    ``batch.original_downloaded``.

    The stored bytes are read once and checked against the SHA-256 taken at import before
    anything is handed out or audited (a damaged file is refused whole rather than sent half),
    then read again for the download: the original is never held in memory or written to the
    server's disk in the clear, whatever its size.
    """
    require(actor, Permission.DOWNLOAD_ORIGINAL)
    batch = Batch.objects.select_related("source").filter(pk=_batch_id(batch_id)).first()
    if batch is None:
        raise NotFound(f"there is no batch {batch_id}", field="batch")
    digest, size = hashlib.sha256(), 0
    for chunk in original_bytes(batch):
        digest.update(chunk)
        size += len(chunk)
    if digest.hexdigest() != batch.sha256 or size != batch.size_bytes:
        raise Conflict(
            f"batch {batch.pk}'s stored file does not match the SHA-256 taken when it was "
            "imported; it is not handed out",
            field="batch",
        )
    record_event(
        Action.ORIGINAL_DOWNLOADED,
        actor,
        batch,
        file_name=batch.file_name,
        sha256=batch.sha256,
        out="browser",
    )
    return OriginalDownload(
        batch=batch.pk,
        file_name=batch.file_name,
        sha256=batch.sha256,
        size_bytes=size,
        chunks=original_bytes(batch),
    )
