"""Importing a list: every person in, original kept byte for byte, identities encrypted.

Parsing happens in ``everyname.core.ingest``; this module only decides what is written. A value
that cannot be read (an impossible date, "1962" in the age column) never keeps a person out: the
record goes in with that value kept as written, unknown in its normalised form, and flagged; the
batch keeps the list of such values (``Batch.unreadable``) so it can be read later. The whole
import runs in one transaction: if a row cannot be read as a record at all (broken structure,
text only in unused columns) and the user did not ask to skip such rows, or if ``strict`` is
asked and any value cannot be read, every problem is reported and the transaction is rolled
back, so the database is exactly as it was. Rows skipped on request are kept with the batch
(``RejectedRow``) and downloaded with :func:`rejected_rows_csv`; no file is written beside the
input.

:func:`import_list` is the use case every front end calls, with a path (the command line) or
an uploaded file object (the web, the API, a job). A recorder imports only into the existing
sources assigned to them; creating a source on first import needs ``MANAGE_SOURCES``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, connection, transaction

from everyname.core import csvout, files
from everyname.core.errors import (
    Conflict,
    ErrorKind,
    InputRejected,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
)
from everyname.core.headers import identity_field
from everyname.core.ingest import open_source, record_plan
from everyname.core.mapping import Mapping, load_mapping, parse_mapping, with_defaults
from everyname.store import crypto, name_index
from everyname.store.audit import Action, record_event
from everyname.store.compact_json import PLAN
from everyname.store.models import Batch, BatchFileChunk, Record, RejectedRow, Source
from everyname.store.permissions import Actor, Permission, require
from everyname.store.record_stream import Rejected, encoded_batches
from everyname.store.sources import check_code, get_or_create_source, unreadable_problem

CHUNK_BYTES = 1 << 20
INSERT_BATCH = 2000
REJECT_REASON_COLUMN = "everyname_rejected_because"
REJECT_ROW_COLUMN = "everyname_row"
NOTHING_READ = "a value in at least one of the columns used"
"""How ``core.ingest`` begins the reason for a row with text only in unused columns: such a
row's cells are where the header says, so only its identity columns need withholding."""
WITHHELD_NOTE = (
    "cells left empty are withheld: a reporter's or witness's identity, or, in a broken row of "
    "a list that has such columns, any cell (it may have slipped); see the original file"
)

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as an import goes on."""

FileInput = str | os.PathLike[str] | IO[bytes]
"""A path, or a binary file object with a ``name`` (an upload)."""


class AlreadyImported(InputRejected):
    """The same bytes were imported before; importing them again would double every count."""

    kind = ErrorKind.CONFLICT


def _refuse_if_imported(sha256: str, display: str) -> None:
    earlier = Batch.objects.filter(sha256=sha256).select_related("source").first()
    if earlier is not None:
        raise AlreadyImported(
            [],
            summary=(
                f"{display} was already imported as batch {earlier.pk} (source "
                f"{earlier.source.code}, file {earlier.file_name!r}, on "
                f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC by {earlier.imported_by}); "
                "the same bytes are never imported twice. Nothing was imported."
            ),
        )


@dataclass(frozen=True)
class ImportReport:
    file: Path
    source_code: str
    sha256: str
    file_format: str
    encoding: str
    rows_read: int
    records_imported: int
    rows_rejected: int
    dry_run: bool
    batch_id: int | None = None
    source_created: bool = False
    rejects_file: Path | None = None
    """Only :func:`import_file` (a script's convenience) writes one; the service never does."""
    columns_used: dict[str, tuple[str, ...]] = field(default_factory=dict)
    columns_unused: tuple[str, ...] = ()
    columns_withheld: tuple[str, ...] = ()
    """Unused columns that look like a witness's identity or contact: kept only encrypted."""
    problems: tuple[Problem, ...] = ()
    unreadable: tuple[Problem, ...] = ()
    """Values kept as written but unreadable (file, row, column, value, expected), file order."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["file"] = self.file.name
        data["rejects_file"] = str(self.rejects_file) if self.rejects_file else None
        data["columns_used"] = {k: list(v) for k, v in self.columns_used.items()}
        data["columns_unused"] = list(self.columns_unused)
        data["columns_withheld"] = list(self.columns_withheld)
        return data


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def upload_name(file: IO[bytes]) -> str:
    """An upload's file name without any folder part (a browser may send one; never trusted)."""
    name = Path(str(getattr(file, "name", "") or "").replace("\\", "/")).name
    if not name or name in (".", ".."):
        raise InvalidUpload("an uploaded file must have a name (its format is read from it)")
    return name


class InvalidUpload(InvalidInput):
    """An uploaded file cannot be taken as a list (it has no name)."""

    field = "file"


def rewind(file: IO[bytes]) -> None:
    """Start an upload from its first byte (a form may have read it to check it)."""
    seekable = getattr(file, "seekable", None)
    if seekable is not None and seekable():
        file.seek(0)


@contextmanager
def local_copy(file: FileInput) -> Iterator[tuple[Path, str]]:
    """``(path, display name)`` for a path or an upload.

    Readers detect encodings, open workbooks and hand a path to parsing processes, so an upload
    is spooled to a private temporary folder under its own name (problems then name the file
    the recorder uploaded) and removed afterwards, whatever happens.
    """
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        yield path, str(path)
        return
    name = upload_name(file)
    folder = Path(tempfile.mkdtemp(prefix="everyname-upload-"))
    try:
        path = folder / name
        rewind(file)
        with path.open("wb") as out:
            shutil.copyfileobj(file, out, CHUNK_BYTES)
        yield path, name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_mapping(mapping: FileInput | None) -> tuple[Mapping | None, str, str]:
    """The mapping, its file name and its text (kept with the batch)."""
    if mapping is None:
        return None, "", ""
    if isinstance(mapping, str | os.PathLike):
        path = Path(mapping)
        loaded = load_mapping(path)
        return loaded, path.name, path.read_text(encoding="utf-8-sig")
    name = upload_name(mapping)
    rewind(mapping)
    raw = mapping.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else str(raw)
    except UnicodeDecodeError as error:
        raise InputRejected(
            [Problem(file=name, expected=f"a readable UTF-8 TOML file ({error})")],
            summary=f"mapping {name} cannot be read",
        ) from None
    return parse_mapping(text, name=name), name, text


def check_may_import(actor: Actor, source_code: str) -> None:
    """A recorder imports only into existing sources assigned to them; creating a source on
    first import is managing sources."""
    require(actor, Permission.IMPORT, source_code)
    if not Source.objects.filter(code=source_code).exists() and not actor.can(
        Permission.MANAGE_SOURCES
    ):
        raise PermissionDenied(
            f"{actor.username} ({actor.role}) may not create source {source_code!r}; "
            "a list is imported into an existing source unless the user may manage sources",
            field="source",
        )


def import_list(
    actor: Actor,
    source_code: str,
    file: FileInput,
    *,
    mapping: FileInput | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    strict: bool = False,
    source_name: str | None = None,
    source_kind: str | None = None,
    defaults: dict[str, str] | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one list (a path or an uploaded file object) as one batch of ``source_code``.

    ``strict`` refuses the file when any value cannot be read (all or nothing on values, for a
    recorder who wants every cell fixed at the source first); without it such values are
    flagged and their records imported. ``skip_invalid`` imports the other rows when some
    cannot be read as records at all, and keeps those with the batch (:func:`rejected_rows_csv`).
    A dry run checks the same permissions and writes nothing.
    """
    source_code = check_code(source_code)
    check_may_import(actor, source_code)
    with local_copy(file) as (path, display):
        if not path.is_file():
            raise InputRejected([Problem(file=display, expected="an existing, readable file")])
        sha256, _size = file_sha256(path)
        _refuse_if_imported(sha256, display)
        loaded, mapping_name, mapping_text = _read_mapping(mapping)
        if defaults:
            loaded = with_defaults(loaded, defaults)
        with open_source(path, loaded) as source_file:
            if dry_run:
                report = _dry_run(path, source_code, sha256, source_file, progress)
                return replace(report, file=Path(display))
            with transaction.atomic():
                return _write(
                    path,
                    display,
                    source_code,
                    sha256,
                    source_file,
                    mapping=loaded,
                    actor=actor,
                    mapping_name=mapping_name,
                    mapping_text=mapping_text,
                    skip_invalid=skip_invalid,
                    source_name=source_name,
                    source_kind=source_kind,
                    progress=progress,
                    strict=strict,
                )


def import_file(
    path: Path,
    source_code: str,
    *,
    actor: Actor | str,
    mapping_path: Path | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    source_name: str | None = None,
    source_kind: str | None = None,
    defaults: dict[str, str] | None = None,
    progress: ProgressCallback | None = None,
    strict: bool = False,
    replace_rejects: bool = False,
) -> ImportReport:
    """:func:`import_list` from a path, for scripts, benchmarks and the demo: a plain name acts
    as the local administrator, and rows skipped with ``skip_invalid`` are also written, from the
    stored rows, to ``rejects_path`` (default: ``NAME.rejects.csv`` beside the file). An existing
    rejects file is replaced only with ``replace_rejects``; the list or mapping never."""
    if not isinstance(actor, Actor):
        actor = Actor.local_admin(actor)
    target = Path(rejects_path) if rejects_path else default_rejects_path(Path(path))
    if skip_invalid and not dry_run:
        inputs = [Path(path), Path(mapping_path) if mapping_path else None]
        check_rejects_target(target, inputs, overwrite=replace_rejects)
    report = import_list(
        actor,
        source_code,
        Path(path),
        mapping=mapping_path,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        strict=strict,
        source_name=source_name,
        source_kind=source_kind,
        defaults=defaults,
        progress=progress,
    )
    if report.batch_id is None or not report.rows_rejected:
        return report
    data = rejected_rows_csv(actor, report.batch_id)
    write_atomically(target, data, overwrite=replace_rejects)
    return replace(report, rejects_file=target)


class RejectsFileRefused(Conflict):
    """The rejects file would replace an existing file, or one of the import's own inputs."""

    field = "rejects"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_rejects_target(target: Path, inputs: list[Path | None], *, overwrite: bool) -> None:
    """Refuse, before importing, a rejects file that would overwrite an input or, unless
    ``overwrite``, any existing file: a file nobody named as output is never overwritten, and the
    list being imported never (a ``--rejects`` pointed at it once replaced a source list)."""
    for item in inputs:
        if item is not None and (_same_file(target, item) or target.resolve() == item.resolve()):
            raise RejectsFileRefused(
                f"the rejects file {target} is an input of this import; it is never overwritten. "
                "Name another file for the rejected rows. Nothing was imported."
            )
    if target.exists() and not overwrite:
        raise RejectsFileRefused(
            f"the rejects file {target} already exists and was not replaced. Name another file "
            "for the rejected rows, or allow replacing it. Nothing was imported."
        )


def write_atomically(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` so that ``path`` appears whole or not at all, owner-only (rejected rows
    are personal data); without ``overwrite`` an existing file is refused, never overwritten."""
    try:
        files.write_bytes(path, data, overwrite=overwrite)
    except FileExistsError:
        raise RejectsFileRefused(
            f"the rejects file {path} appeared while importing and was not replaced; the "
            "import itself is done and its rejected rows are kept with the batch"
        ) from None


def _dry_run(path, source_code, sha256, source_file, progress) -> ImportReport:
    rows = valid = 0
    problems: list[Problem] = []
    unreadable: list[Problem] = []
    for record in source_file.records(progress=progress):
        rows += 1
        if record.is_valid:
            valid += 1
            unreadable.extend(u.problem(path.name, record.row_number) for u in record.unreadable)
        else:
            problems.extend(record.problems)
    return ImportReport(
        file=path,
        source_code=source_code,
        sha256=sha256,
        file_format=source_file.format,
        encoding=source_file.encoding or "",
        rows_read=rows,
        records_imported=0,
        rows_rejected=rows - valid,
        dry_run=True,
        columns_used=dict(source_file.columns_used),
        columns_unused=tuple(source_file.columns_unused),
        columns_withheld=tuple(source_file.columns_withheld),
        problems=tuple(problems),
        unreadable=tuple(unreadable),
    )


def _write(
    path: Path,
    display: str,
    source_code: str,
    sha256: str,
    source_file,
    *,
    mapping,
    actor: Actor,
    mapping_name: str,
    mapping_text: str,
    skip_invalid: bool,
    source_name: str | None,
    source_kind: str | None,
    progress: ProgressCallback | None,
    strict: bool,
) -> ImportReport:
    source, created = get_or_create_source(
        source_code, actor, name=source_name, **({"kind": source_kind} if source_kind else {})
    )
    try:
        # A savepoint: another import of the same bytes may have started before this one and
        # committed meanwhile; the unique sha256 then refuses this batch, with the same message
        # as when the earlier import had finished first.
        with transaction.atomic():
            batch = Batch.objects.create(
                source=source,
                sha256=sha256,
                file_name=path.name,
                size_bytes=path.stat().st_size,
                file_format=source_file.format,
                encoding=source_file.encoding or "",
                mapping_name=mapping_name,
                mapping_text=mapping_text,
                columns={
                    "used": {k: list(v) for k, v in source_file.columns_used.items()},
                    "unused": list(source_file.columns_unused),
                    "withheld": list(source_file.columns_withheld),
                    "defaults": dict(mapping.defaults) if mapping else {},
                    # the raw rows' headers and how as_written comes from them (compact_json)
                    PLAN: record_plan(source_file),
                },
                imported_by=actor.username,
                original_compression=ORIGINAL_COMPRESSION,
            )
    except IntegrityError:
        _refuse_if_imported(sha256, display)
        raise
    _store_original(batch, path)

    with name_index.indexed_at_end(batch.pk), _page_cache_for_import():
        problems: list[Problem] = []
        unreadable: list[dict] = []
        insert = _RecordInserter(batch)
        sensitive = frozenset(source_file.sensitive_columns)
        rows = imported = rejected = 0
        for encoded in encoded_batches(path, mapping, source_file):
            rows += encoded.rows_read
            rejected += len(encoded.rejected)
            if not skip_invalid:
                for row in encoded.rejected:
                    problems.extend(row.problems)
            unreadable.extend(encoded.unreadable)
            if strict:
                problems.extend(unreadable_problem(path.name, flag) for flag in encoded.unreadable)
            # Once the import is bound to be refused, keep reading only to report every problem.
            if not problems:
                if encoded.rows:
                    insert(encoded.rows)
                    imported += len(encoded.rows)
                if skip_invalid and encoded.rejected:
                    RejectedRow.objects.bulk_create(
                        _rejected_row(batch, row, sensitive) for row in encoded.rejected
                    )
            if progress is not None:
                progress(encoded.bytes_read, encoded.total_bytes)
        if problems:
            problems.sort(key=lambda p: p.row or 0)  # file order, whatever the kind of problem
            refused = InputRejected(
                problems,
                summary=_refusal(
                    display, rows, 0 if skip_invalid else rejected, unreadable, strict
                ),
            )
            refused.field = "strict" if skip_invalid or not rejected else "skip_invalid"
            raise refused
        if imported == 0:
            raise InputRejected(
                [Problem(file=display, expected="at least one valid row")],
                summary=f"{display}: no valid rows; nothing was imported.",
            )
    Batch.objects.filter(pk=batch.pk).update(
        rows_read=rows,
        records_imported=imported,
        rows_rejected=rejected,
        unreadable=unreadable,
    )
    record_event(
        Action.BATCH_IMPORTED,
        actor,
        batch,
        source=source.code,
        file_name=path.name,
        sha256=sha256,
        rows_read=rows,
        records_imported=imported,
        rows_rejected=rejected,
        values_unreadable=len(unreadable),
        mapping=batch.mapping_name,
    )
    return ImportReport(
        file=Path(display),
        source_code=source.code,
        sha256=sha256,
        file_format=source_file.format,
        encoding=source_file.encoding or "",
        rows_read=rows,
        records_imported=imported,
        rows_rejected=rejected,
        dry_run=False,
        batch_id=batch.pk,
        source_created=created,
        columns_used=dict(source_file.columns_used),
        columns_unused=tuple(source_file.columns_unused),
        columns_withheld=tuple(source_file.columns_withheld),
        unreadable=tuple(unreadable_problem(path.name, flag) for flag in unreadable),
    )


def _refusal(display: str, rows: int, rejected: int, unreadable: list[dict], strict: bool) -> str:
    parts = []
    if rejected:
        parts.append(
            f"{rejected} of {rows} rows cannot be read as records (fix them, or skip them: "
            "the other rows are then imported and these kept with the batch to download)"
        )
    if strict and unreadable:
        parts.append(
            f"{len(unreadable)} values cannot be read and the import was asked to be strict "
            "(otherwise they are kept as written, counted as unknown and flagged)"
        )
    return f"{display}: {'; '.join(parts)}; nothing was imported."


def _rejected_row(batch: Batch, row: Rejected, sensitive: frozenset[str]) -> RejectedRow:
    """A skipped row as stored: identity cells only as ciphertext.

    In a broken row (a cell too many or too few) any cell may have slipped out of its column,
    so in a list that has identity columns every cell of such a row is withheld."""
    broken = any(not p.expected.startswith(NOTHING_READ) for p in row.problems)
    withhold_all = bool(sensitive) and broken
    cells: list[list[str | None]] = []
    secret: dict[str, str] = {}
    for column, text in row.raw.items():
        if withhold_all or column in sensitive or identity_field(column):
            cells.append([column, None])
            if text:
                secret[column] = text
        else:
            cells.append([column, text])
    return RejectedRow(
        batch=batch,
        row_number=row.row_number,
        cells=cells,
        reasons=[{"column": p.column, "expected": p.expected} for p in row.problems],
        sensitive_encrypted=(
            crypto.encrypt_text(json.dumps(secret, ensure_ascii=False)) if secret else None
        ),
    )


def rejected_rows_csv(actor: Actor, batch_id: int) -> bytes:
    """The rows a batch skipped, as a CSV to fix and import again: the row number, the cells as
    read (identity cells empty: they are never decrypted here) and the reason for each.

    UTF-8 with a byte-order mark, so a spreadsheet opens Arabic text correctly."""
    require(actor, Permission.IMPORT)
    batch = Batch.objects.select_related("source").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"there is no batch {batch_id}", field="batch")
    require(actor, Permission.IMPORT, batch.source.code)
    rows = list(batch.rejected_rows.order_by("row_number"))
    columns: dict[str, None] = {}
    for row in rows:
        for column, _text in row.cells:
            columns.setdefault(column, None)
    out = io.StringIO()
    writer = csvout.writer(out)
    writer.writerow([REJECT_ROW_COLUMN, *columns, REJECT_REASON_COLUMN])
    for row in rows:
        texts = {column: text for column, text in row.cells}
        reasons = "; ".join(
            f"{r['column'] + ': ' if r['column'] else ''}expected {r['expected']}"
            for r in row.reasons
        )
        if any(text is None for text in texts.values()):
            reasons += f"; {WITHHELD_NOTE}"
        writer.writerow([row.row_number, *(texts.get(c) or "" for c in columns), reasons])
    return out.getvalue().encode("utf-8-sig")


ORIGINAL_COMPRESSION = "zlib"
"""How a new batch's original file is packed (``Batch.original_compression``): compressed
before it is encrypted (ciphertext does not compress), a list to about a quarter of its size."""
ORIGINAL_LEVEL = 3
"""zlib's level 3, not its default 6: a generated list packs to 27% of its size instead of 23%
in 40% of the time (0.45 s against 1.12 s for 300,000 rows), time the import spends before its
parsing workers start."""


def _store_original(batch: Batch, path: Path) -> None:
    """Keep the original bytes, compressed and encrypted in chunks of at most ``CHUNK_BYTES``,
    so memory does not grow with file size."""
    packer = zlib.compressobj(ORIGINAL_LEVEL)
    pending = bytearray()
    index = 0

    def store(data: bytes) -> None:
        nonlocal index
        BatchFileChunk.objects.create(batch=batch, index=index, data=crypto.encrypt(data))
        index += 1

    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            pending += packer.compress(chunk)
            while len(pending) >= CHUNK_BYTES:
                store(bytes(pending[:CHUNK_BYTES]))
                del pending[:CHUNK_BYTES]
    pending += packer.flush()
    while pending:
        store(bytes(pending[:CHUNK_BYTES]))
        del pending[:CHUNK_BYTES]


def original_bytes(batch: Batch) -> Iterator[bytes]:
    """The batch's original file, piece by piece, exactly as imported (memory bounded: a
    chunk that unpacks to much more comes out in pieces of ``CHUNK_BYTES``)."""
    chunks = (crypto.decrypt(c.data) for c in batch.chunks.order_by("index").iterator())
    if batch.original_compression is None:  # imported before compression: stored as is
        yield from chunks
        return
    if batch.original_compression != ORIGINAL_COMPRESSION:
        raise ValueError(f"unknown packing of batch {batch.pk}: {batch.original_compression}")
    unpacker = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while data:
            piece = unpacker.decompress(data, CHUNK_BYTES)
            if piece:
                yield piece
            data = unpacker.unconsumed_tail
    if tail := unpacker.flush():
        yield tail


IMPORT_PAGE_CACHE_KIB = 65536


@contextmanager
def _page_cache_for_import() -> Iterator[None]:
    """SQLite's page cache raised to 64 MiB on the importing connection while it writes, then
    put back. With the default 2 MiB, the records table's and its indexes' pages were read back
    from the operating system for every batch: the importing process spent 25 µs a row, 17 with
    this (300,000 rows; benchmarks/results/import.md). Only while importing: each web server
    thread has a connection of its own, and a cache this size for each would add up."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_PAGE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


class _RecordInserter:
    """Inserts encoded record rows with ``executemany``.

    Why not ``bulk_create``: building a model instance per row, and Django's per-value JSON
    adaptation, cost more than parsing the row. Measured on the 2-core benchmark machine,
    bulk_create managed ~32,000 rows/s on its own and executemany ~83,000, against an import
    target of 20,000 rows/s including parsing. JSON arrives encoded (see ``record_stream``) and
    is cast to ``jsonb`` on PostgreSQL.
    """

    COLUMNS = (
        "batch",
        "source",
        "row_number",
        "source_record_id",
        "raw",
        "as_written",
        "normalised",
        "name_key",
        "death_from",
        "death_to",
        "sensitive_encrypted",
        "unreadable",
    )
    JSON_COLUMNS = frozenset({"raw", "as_written", "normalised", "unreadable"})
    DATE_COLUMNS = frozenset({"death_from", "death_to"})

    def __init__(self, batch: Batch) -> None:
        fields = [Record._meta.get_field(name) for name in self.COLUMNS]
        quote = connection.ops.quote_name
        postgresql = connection.vendor == "postgresql"
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(
            "%s::jsonb"
            if postgresql and name in self.JSON_COLUMNS
            else "%s::date"
            if postgresql and name in self.DATE_COLUMNS
            else "%s"
            for name in self.COLUMNS
        )
        self.sql = f"INSERT INTO {quote(Record._meta.db_table)} ({columns}) VALUES ({placeholders})"
        self.binary = Record._meta.get_field("sensitive_encrypted")
        self.batch_id = batch.pk
        self.source_id = batch.source_id

    def __call__(self, rows: list[tuple]) -> None:
        binary = self.binary
        prepared = [
            (
                self.batch_id,
                self.source_id,
                row_number,
                record_id,
                raw,
                as_written,
                normalised,
                name_key,
                death_from,
                death_to,
                binary.get_db_prep_save(secret, connection) if secret is not None else None,
                unreadable,
            )
            for (
                row_number,
                record_id,
                raw,
                as_written,
                normalised,
                name_key,
                death_from,
                death_to,
                secret,
                unreadable,
            ) in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, prepared)
