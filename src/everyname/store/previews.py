"""An uploaded list looked at before anything is written: its columns, the canonical field each
feeds, its first rows as they will be stored, and every value and row that cannot be read.

Why a preview at all: a recorder who uploads a committee's spreadsheet learns only after an
import that a column was not recognised or that every date was read month first; an import is
never undone lightly (it changes the counts). The preview reads the file exactly as the import
will (``core.ingest.open_source`` with the same mapping), so what it shows is what the import
stores; nothing here parses a cell itself.

The upload waits in a private staging folder until it is committed (queued as an ``import``
job, which keeps its own encrypted copy until the worker has run it) or dropped; a folder older
than :data:`KEEP_SECONDS` is removed at the next upload. Staging is on the web server's own disk
under the system's temporary folder (``TMPDIR``), owner-only, like the files Django spools
uploads to: the bytes never wait in the database in the clear, and a crash leaves nothing a
later request reads.

The page of a waiting upload answers at once with what the start of the file says (its columns,
the field each feeds, its first rows); reading the whole file (every unreadable value and
rejected row; minutes for a 200 MB list) is a scan kept beside the upload, for one (file,
mapping) pair: done in the request for a small upload, by a ``preview`` job otherwise
(:func:`preview_staged`, :func:`run_scan`). A scan's result is never shown for another mapping
than its own, and an import is never started from a page that showed another mapping.

A mapping is TOML text with the semantics of ``everyname import --mapping`` (``core.mapping``):
the page's column choices are written into that text (:func:`adjust_mapping`), so a saved or
downloaded mapping works on the command line unchanged. Saved mappings are TOML files in a
``mappings`` folder beside the key file (where the installation keeps its other files: the key,
the web app's secret key), one folder per source; the mapping of every earlier import is also
offered, since each batch keeps its mapping's text.

Witness identities: a column feeding ``reporter_name``/``reporter_contact``, or looking like one,
is never shown here, neither its cells in the first rows nor in an unreadable value; the
import stores it encrypted (``core.ingest`` and ``core.mapping`` enforce it; the preview says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

from everyname import config
from everyname.core import csvout, files
from everyname.core.dates import DATE_ORDERS
from everyname.core.errors import Conflict, InputRejected, InvalidInput, NotFound, Problem
from everyname.core.headers import identity_field, resolve_columns
from everyname.core.ingest import open_source
from everyname.core.mapping import Mapping, parse_mapping
from everyname.core.readers import open_reader
from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS, ParsedRecord
from everyname.store.imports import (
    CHUNK_BYTES,
    FileInput,
    _refuse_if_imported,
    check_may_import,
    file_sha256,
    local_copy,
    upload_name,
)
from everyname.store.jobs import JobStatus, Progress, enqueue, job_status
from everyname.store.models import Batch, Source
from everyname.store.permissions import Actor, Permission, require
from everyname.store.sources import check_code

PREVIEW_ROWS = 20
"""How many of the first rows the preview shows as they will be stored."""
KEEP_SECONDS = 24 * 60 * 60
"""How long an upload waits, uncommitted, before the next upload removes it."""
DEFAULT_LIMIT = 200 * 1024 * 1024
MAPPING_NAME = re.compile(r"^[\w][\w .-]{0,79}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{24,64}$")
_META = "upload.json"


class UploadTooLarge(InvalidInput):
    """An upload over the configured limit (``EVERYNAME_UPLOAD_LIMIT_MB``)."""

    field = "file"


def limit_text(limit: int) -> str:
    """A size limit as a person reads it (200 MB)."""
    return f"{limit / (1024 * 1024):g} MB"


def too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the file is larger than the upload limit of {limit_text(limit)}; nothing was kept. "
        "Split the list into smaller files, or ask whoever runs the server to raise the limit "
        "(EVERYNAME_UPLOAD_LIMIT_MB), or import it on the server with `everyname import`."
    )


# --- the preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """One column of the file and what the import does with it.

    ``how``: ``mapped`` (the mapping names it), ``recognised`` (by its header), ``ignored`` (the
    mapping's ``ignore``), ``withheld`` (looks like a witness's identity: kept only encrypted,
    feeds nothing) or ``unused`` (nothing recognised it: worth mapping)."""

    column: str
    fields: tuple[str, ...]
    how: str
    sensitive: bool
    looks_like_identity: str | None


@dataclass(frozen=True)
class PreviewCell:
    """A canonical field of one row: the value stored (``shown``) and the text as written.
    Both are None for a witness's identity, which is stored encrypted and never shown."""

    field: str
    shown: str | None
    as_written: str | None
    unreadable: bool
    sensitive: bool


@dataclass(frozen=True)
class PreviewRow:
    row: int
    cells: tuple[PreviewCell, ...]


@dataclass(frozen=True)
class EarlierBatch:
    """The batch that already holds these exact bytes."""

    id: int
    source: str
    file_name: str
    imported_at: str
    imported_by: str
    visible: bool
    """Whether the acting user may open that batch's page."""


@dataclass(frozen=True)
class ImportPreview:
    source: str
    file_name: str
    sha256: str
    size_bytes: int
    file_format: str
    encoding: str
    columns: tuple[ColumnPlan, ...]
    fields: tuple[str, ...]
    """The canonical fields this file provides, in the schema's order (the rows' columns)."""
    rows: tuple[PreviewRow, ...]
    rows_read: int
    rows_valid: int
    unreadable: tuple[Problem, ...]
    """Every value kept as written but unreadable (row, column, value, expected), file order."""
    rejected: tuple[Problem, ...]
    """Every problem of a row that cannot be read as a record, file order."""
    problems: tuple[Problem, ...]
    """Whole-file problems (no name column, a mapped column the file lacks): nothing imports."""
    notes: tuple[str, ...]
    already_imported: EarlierBatch | None
    mapping_text: str
    date_order: str

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_valid

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.sensitive)

    @property
    def importable(self) -> bool:
        return not self.problems and self.already_imported is None and self.rows_valid > 0


def _earlier(actor: Actor, sha256: str) -> EarlierBatch | None:
    """The batch holding these bytes: ``import_list`` refuses them (``AlreadyImported``) with
    the same facts; the preview says so before the user commits."""
    found = Batch.objects.filter(sha256=sha256).select_related("source").first()
    if found is None:
        return None
    return EarlierBatch(
        id=found.pk,
        source=found.source.code,
        file_name=found.file_name,
        imported_at=f"{found.imported_at:%Y-%m-%d %H:%M} UTC",
        imported_by=found.imported_by,
        visible=actor.can(Permission.VIEW_RECORDS, found.source.code),
    )


def _columns(
    all_columns: list[str],
    used: dict[str, tuple[str, ...]],
    withheld: list[str],
    mapping: Mapping | None,
) -> tuple[ColumnPlan, ...]:
    mapped = set(mapping.columns) if mapping else set()
    ignored = set(mapping.ignore) if mapping else set()
    plans = []
    for column in all_columns:
        fields = tuple(used.get(column, ()))
        if column in withheld:
            how = "withheld"
        elif fields:
            how = "mapped" if column in mapped else "recognised"
        elif column in ignored:
            how = "ignored"
        else:
            how = "unused"
        sensitive = column in withheld or any(f in SENSITIVE_FIELDS for f in fields)
        plans.append(ColumnPlan(column, fields, how, sensitive, identity_field(column)))
    return tuple(plans)


def _shown(record: ParsedRecord, name: str) -> str | None:
    value = record.normalised
    if name == "age":
        if value.get("age_years") is not None:
            return f"{value['age_years']:g}"
        if value.get("age_min") is not None or value.get("age_max") is not None:
            low = "" if value.get("age_min") is None else f"{value['age_min']:g}"
            high = "" if value.get("age_max") is None else f"{value['age_max']:g}"
            return f"{low}–{high}"
        return None
    shown = value.get(name)
    return None if shown is None else str(shown)


def _row(record: ParsedRecord, fields: tuple[str, ...]) -> PreviewRow:
    bad = {u.field for u in record.unreadable}
    cells = []
    for name in fields:
        sensitive = name in SENSITIVE_FIELDS
        cells.append(
            PreviewCell(
                field=name,
                shown=None if sensitive else _shown(record, name),
                as_written=None if sensitive else record.as_written.get(name),
                unreadable=name in bad,
                sensitive=sensitive,
            )
        )
    return PreviewRow(record.row_number, tuple(cells))


def _unopenable(
    path: Path, mapping: Mapping | None
) -> tuple[list[str], dict[str, tuple[str, ...]], list[str], list[str], str, str]:
    """The columns of a file ``open_source`` refused as a whole (no name column, a mapped
    column it lacks), so the page can show them and the user map one. A file that cannot be
    read at all (not a list, an unknown encoding) is refused as it was."""
    with open_reader(
        path,
        encoding=mapping.encoding if mapping else None,
        delimiter=mapping.delimiter if mapping else None,
        sheet=mapping.sheet if mapping else None,
    ) as reader:
        columns = list(reader.columns)
        plan = resolve_columns(
            columns,
            explicit={
                c: f for c, f in (mapping.columns if mapping else {}).items() if c in columns
            },
            ignore=mapping.ignore if mapping else (),
            recognise=mapping.recognise_headers if mapping else True,
            not_identity=mapping.not_identity if mapping else (),
        )
        return (
            columns,
            dict(plan.used),
            list(plan.withheld),
            list(plan.notes),
            reader.format,
            reader.encoding_name or "",
        )


def preview_import(
    actor: Actor,
    file: FileInput,
    source: str,
    mapping: str | None = None,
    *,
    mapping_name: str = "mapping.toml",
    rows: int = PREVIEW_ROWS,
) -> ImportPreview:
    """Read a list as ``import_list`` would, writing nothing, and say what it would store.

    The same permission as importing (a recorder only into their own sources). ``mapping`` is
    a mapping's TOML text; a wrong one raises :class:`InputRejected` with every problem in it.
    A file refused as a whole still shows its columns, with the problems, so that the user can
    map the column that was missing."""
    source = check_code(source)
    check_may_import(actor, source)
    loaded = parse_mapping(mapping, name=mapping_name) if mapping and mapping.strip() else None
    with local_copy(file) as (path, display):
        display = Path(display).name
        sha256, size = file_sha256(path)
        earlier = _earlier(actor, sha256)
        shown_rows: list[PreviewRow] = []
        unreadable: list[Problem] = []
        rejected: list[Problem] = []
        problems: list[Problem] = []
        read = valid = 0
        try:
            source_file = open_source(path, loaded)
        except InputRejected as refusal:
            columns, used, withheld, notes, file_format, encoding = _unopenable(path, loaded)
            problems.extend(refusal.problems or [Problem(file=display, expected=refusal.summary)])
        else:
            with source_file:
                columns, used = list(source_file.columns), dict(source_file.columns_used)
                withheld, notes = list(source_file.columns_withheld), list(source_file.notes)
                file_format, encoding = source_file.format, source_file.encoding or ""
                fields = tuple(f for f in CANONICAL_FIELDS if f in source_file.fields)
                try:
                    for record in source_file.records():
                        read += 1
                        if not record.is_valid:
                            rejected.extend(record.problems)
                            continue
                        valid += 1
                        unreadable.extend(
                            u.problem(display, record.row_number) for u in record.unreadable
                        )
                        if len(shown_rows) < rows:
                            shown_rows.append(_row(record, fields))
                except InputRejected as refusal:  # undecodable past the part first looked at
                    problems.extend(refusal.problems)
        provided = {f for fs in used.values() for f in fs} | set(loaded.defaults if loaded else ())
        return ImportPreview(
            source=source,
            file_name=display,
            sha256=sha256,
            size_bytes=size,
            file_format=file_format,
            encoding=encoding,
            columns=_columns(columns, used, withheld, loaded),
            fields=tuple(f for f in CANONICAL_FIELDS if f in provided),
            rows=tuple(shown_rows),
            rows_read=read,
            rows_valid=valid,
            unreadable=tuple(unreadable),
            rejected=tuple(rejected),
            problems=tuple(problems),
            notes=tuple(notes),
            already_imported=earlier,
            mapping_text=mapping or "",
            date_order=loaded.date_order if loaded else "DMY",
        )


# --- the mapping as edited in the page -------------------------------------------------------

AUTOMATIC = ""
"""A column's choice in the page: recognised by its header, as without a mapping."""
IGNORE = "-"
"""A column's choice in the page: deliberately unused (the mapping's ``ignore``)."""
KEEP = "="
"""A column's choice in the page: as the mapping's text says (two fields from one column)."""


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    raise InvalidInput(f"a mapping value of type {type(value).__name__}", field="mapping")


def mapping_to_toml(data: dict[str, Any]) -> str:
    """A mapping's parsed TOML (plain values, tables of values, ``values.<field>`` tables)
    written back as TOML text; ``tomllib`` reads it back as the same data."""
    lines: list[str] = []
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, table in tables:
        plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        if plain or not nested:
            lines.append("")
            lines.append(f"[{_toml_key(key)}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in plain.items())
        for sub, subtable in nested.items():
            lines.append("")
            lines.append(f"[{_toml_key(key)}.{_toml_key(sub)}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in subtable.items())
    return "\n".join(lines).lstrip("\n") + "\n"


def adjust_mapping(
    text: str,
    choices: dict[str, str],
    *,
    date_order: str | None = None,
    name: str = "mapping.toml",
) -> str:
    """The mapping ``text`` with the page's choices written in, checked by ``parse_mapping``.

    ``choices`` maps a column to :data:`AUTOMATIC` (header recognition, as with no mapping),
    :data:`IGNORE`, a canonical field, or :data:`KEEP` (what the mapping's text says of it, such
    as a column mapped to two fields, which one choice in a page cannot express). Raises
    :class:`InputRejected` listing the problems (a field fed by two columns, a column that looks
    like a witness's contact mapped elsewhere)."""
    try:
        data = tomllib.loads(text) if text.strip() else {}
    except tomllib.TOMLDecodeError:
        parse_mapping(text, name=name)  # raises with the line and the reason
        raise
    columns = dict(data.get("columns") or {})
    ignore = [c for c in data.get("ignore") or [] if isinstance(c, str)]
    for column, choice in choices.items():
        if choice == KEEP:
            continue
        columns.pop(column, None)
        ignore = [c for c in ignore if c != column]
        if choice == IGNORE:
            ignore.append(column)
        elif choice != AUTOMATIC:
            columns[column] = choice
    data["columns"] = columns
    if ignore:
        data["ignore"] = ignore
    else:
        data.pop("ignore", None)
    if date_order:
        if date_order not in DATE_ORDERS:
            raise InvalidInput(
                f"date order {date_order!r}: expected one of {', '.join(DATE_ORDERS)}",
                field="date_order",
            )
        dates = dict(data.get("dates") or {})
        if date_order != dates.get("order", "DMY"):  # DMY is the default: written if changed
            data["dates"] = {**dates, "order": date_order}
    if not data["columns"]:
        data.pop("columns")
    adjusted = mapping_to_toml(data) if data else ""
    parse_mapping(adjusted, name=name)
    return adjusted


# --- saved mappings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedMapping:
    """A mapping to start from: saved under a name, or used by an earlier import."""

    key: str
    """``saved:<name>`` or ``batch:<id>``, what a page sends back to choose it."""
    label: str
    text: str


def mappings_folder(source: str) -> Path:
    """Where a source's saved mappings are: ``mappings/<source>/`` beside the key file."""
    return config.key_file_path().with_name("mappings") / check_code(source)


def _check_mapping_name(name: str) -> str:
    name = name.strip().removesuffix(".toml")
    if not MAPPING_NAME.match(name) or name.startswith("."):
        raise InvalidInput(
            "a mapping's name: letters, digits, spaces, '.', '-' or '_' (up to 80 characters)",
            field="mapping_name",
        )
    return name


def save_mapping(actor: Actor, source: str, name: str, text: str) -> SavedMapping:
    """Keep a checked mapping under a name for the next list of this source (replacing one of
    the same name). Its text holds column names and value codes, never an identity."""
    source = check_code(source)
    require(actor, Permission.IMPORT, source)
    name = _check_mapping_name(name)
    parse_mapping(text, name=f"{name}.toml")
    files.write_text(mappings_folder(source) / f"{name}.toml", text)
    return SavedMapping(f"saved:{name}", name, text)


def saved_mappings(actor: Actor, source: str) -> tuple[SavedMapping, ...]:
    """The mappings one may start from for ``source``: those saved for it (by name), then those
    of its earlier imports (newest first, each text once)."""
    source = check_code(source)
    require(actor, Permission.IMPORT, source)
    found: list[SavedMapping] = []
    folder = mappings_folder(source)
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            if not path.name.startswith("."):
                text = path.read_text(encoding="utf-8")
                found.append(SavedMapping(f"saved:{path.stem}", path.stem, text))
    seen = {m.text for m in found}
    batches = Batch.objects.filter(source__code=source).exclude(mapping_text="")
    for earlier in batches.order_by("-imported_at", "-id").only(
        "id", "mapping_name", "mapping_text", "file_name"
    ):
        if earlier.mapping_text not in seen:
            seen.add(earlier.mapping_text)
            label = (
                f"{earlier.mapping_name or 'mapping'} (import {earlier.pk}, {earlier.file_name})"
            )
            found.append(SavedMapping(f"batch:{earlier.pk}", label, earlier.mapping_text))
    return tuple(found)


def importable_sources(actor: Actor) -> tuple[tuple[str, str], ...]:
    """(code, name) of the sources the actor may import into."""
    require(actor, Permission.IMPORT)
    sources = Source.objects.order_by("code")
    scope = actor.source_scope()
    if scope is not None:
        sources = sources.filter(code__in=scope)
    return tuple(sources.values_list("code", "name"))


# --- staging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedUpload:
    token: str
    path: Path
    source: str
    file_name: str
    size_bytes: int
    mapping_text: str
    mapping_name: str
    created: float
    sha256: str

    @property
    def folder(self) -> Path:
        """The upload's own folder: its file, its metadata and its scans."""
        return self.path.parent.parent


def staging_root() -> Path:
    """The owner-only folder uploads wait in; refused if another user made it first (a shared
    temporary folder)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"everyname-uploads-{uid}"
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=files.PRIVATE_FOLDER)
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != uid):
        raise RuntimeError(f"{root} is not a folder of this user's; uploads cannot wait there")
    os.chmod(root, files.PRIVATE_FOLDER)
    return root


def remove_stale(now: float | None = None) -> int:
    """Remove the uploads left uncommitted longer than :data:`KEEP_SECONDS`; how many."""
    now = time.time() if now is None else now
    removed = 0
    for folder in staging_root().iterdir():
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            old = now - float(meta["created"]) > KEEP_SECONDS
        except (OSError, ValueError, KeyError):
            old = now - folder.lstat().st_mtime > KEEP_SECONDS
        if old:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def stage_upload(
    actor: Actor,
    file: IO[bytes],
    source: str,
    *,
    limit: int = DEFAULT_LIMIT,
    mapping_text: str = "",
    mapping_name: str = "",
) -> StagedUpload:
    """Keep an upload until it is previewed and committed; returns its token. Refuses a file
    over ``limit`` bytes (nothing is kept) and a source the user may not import into."""
    source = check_code(source)
    check_may_import(actor, source)
    if mapping_text.strip():
        parse_mapping(mapping_text, name=mapping_name or "mapping.toml")
    name = upload_name(file)
    remove_stale()
    token = secrets.token_urlsafe(24)
    folder = staging_root() / token
    folder.mkdir(mode=files.PRIVATE_FOLDER)
    size = 0
    try:
        (folder / "file").mkdir(mode=files.PRIVATE_FOLDER)
        path = folder / "file" / name
        if hasattr(file, "seek"):
            file.seek(0)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.PRIVATE_FILE)
        digest = hashlib.sha256()  # while it arrives: the page's first answer reads no more
        with os.fdopen(fd, "wb") as out:
            while chunk := file.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
                digest.update(chunk)
        meta = {
            "user": actor.username,
            "source": source,
            "file_name": name,
            "size": size,
            "sha256": digest.hexdigest(),
            "mapping_text": mapping_text,
            "mapping_name": mapping_name,
            "created": time.time(),
        }
        files.write_text(folder / _META, json.dumps(meta, ensure_ascii=False))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _staged(token, meta, path)


def _staged(token: str, meta: dict[str, Any], path: Path) -> StagedUpload:
    return StagedUpload(
        token=token,
        path=path,
        source=meta["source"],
        file_name=meta["file_name"],
        size_bytes=int(meta["size"]),
        mapping_text=meta.get("mapping_text") or "",
        mapping_name=meta.get("mapping_name") or "",
        created=float(meta["created"]),
        # An upload staged before the hash was kept with it: hashed now (once per request).
        sha256=meta.get("sha256") or file_sha256(path)[0],
    )


def staged_upload(actor: Actor, token: str) -> StagedUpload:
    """One's own waiting upload (another user's is not found, like an expired one)."""
    gone = NotFound(
        "this upload is no longer waiting (it was imported, dropped, or left for more than a "
        "day); upload the file again",
        field="upload",
    )
    if not _TOKEN.match(token or ""):
        raise gone
    folder = staging_root() / token
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise gone from None
    if meta.get("user") != actor.username or time.time() - float(meta["created"]) > KEEP_SECONDS:
        raise gone
    path = folder / "file" / meta["file_name"]
    if not path.is_file():
        raise gone
    check_may_import(actor, meta["source"])
    return _staged(token, meta, path)


def set_staged_mapping(actor: Actor, token: str, mapping_text: str, mapping_name: str = "") -> None:
    """Change the mapping a waiting upload is previewed and imported with (checked first)."""
    staged = staged_upload(actor, token)
    name = mapping_name or staged.mapping_name or f"{Path(staged.file_name).stem}-mapping.toml"
    if mapping_text.strip():
        parse_mapping(mapping_text, name=name)
    meta_path = staging_root() / token / _META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(mapping_text=mapping_text, mapping_name=name if mapping_text.strip() else "")
    files.write_text(meta_path, json.dumps(meta, ensure_ascii=False))


# --- the preview of a waiting upload: its start at once, the whole file in the background ----

INLINE_SCAN_BYTES = 1024 * 1024
"""Uploads up to this size are read whole in the request that shows the preview; larger ones by
the worker (a ``preview`` job). Why 1 MiB: the whole-file reading goes at about 2 MB (19,000 to
20,000 rows) a second on the benchmark machine (benchmarks/results/import.md, "Upload
preview"), so a list under it answers in about half a second at most, with every problem on the
first page and without waiting for a worker; a 200 MB list takes over a hundred seconds, longer
than browsers and proxies wait. The web app reads it from ``UPLOAD_SCAN_INLINE_BYTES``."""
SCAN_LISTED = 500
"""How many unreadable values and rejected rows a scan keeps to list in the page; the CSV has
them all."""
HEAD_ROWS_READ = 5_000
"""The most rows the page's first answer reads to find :data:`PREVIEW_ROWS` readable ones (a
list whose first thousands of rows are all rejected shows fewer)."""
_SCAN_FORMAT = "1"
"""Part of every scan's key: a change to what a scan keeps makes older scan files unused."""
_CHECK_SECONDS = 0.5
"""How often a running scan looks whether its mapping is still the upload's."""
PROBLEMS_HEADER = ("row", "column", "problem", "value", "expected")
PROBLEM_KINDS = {
    "unreadable": "value kept as written, counted as unknown",
    "rejected": "row not imported",
    "file": "file cannot be imported as mapped",
}
"""The ``problem`` column of the problems' CSV."""


@dataclass(frozen=True)
class ScanResult:
    """What reading the whole staged file found, for one mapping (``key``).

    ``unreadable``/``rejected`` are the first :data:`SCAN_LISTED` of each, in file order; the
    counts are of all of them, and the problems' CSV (:func:`scan_problems_csv`) lists every one.
    ``problems`` are whole-file problems met while reading (bytes that cannot be decoded past the
    part first looked at): nothing can be imported then."""

    key: str
    rows_read: int
    rows_valid: int
    unreadable_count: int
    rejected_count: int
    unreadable: tuple[Problem, ...]
    rejected: tuple[Problem, ...]
    problems: tuple[Problem, ...]
    seconds: float

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_valid

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "unreadable_count": self.unreadable_count,
            "rejected_count": self.rejected_count,
            "unreadable": [asdict(p) for p in self.unreadable],
            "rejected": [asdict(p) for p in self.rejected],
            "problems": [asdict(p) for p in self.problems],
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanResult:
        return cls(
            key=data["key"],
            rows_read=int(data["rows_read"]),
            rows_valid=int(data["rows_valid"]),
            unreadable_count=int(data["unreadable_count"]),
            rejected_count=int(data["rejected_count"]),
            unreadable=tuple(Problem(**p) for p in data["unreadable"]),
            rejected=tuple(Problem(**p) for p in data["rejected"]),
            problems=tuple(Problem(**p) for p in data["problems"]),
            seconds=float(data["seconds"]),
        )


@dataclass(frozen=True)
class ScanState:
    """Where the whole-file reading of one (upload, mapping) stands.

    ``state``: ``done`` (``result`` is there), ``queued`` or ``running`` (a ``preview`` job,
    ``done``/``total`` bytes read), ``failed`` (``error`` says why), ``blocked`` (the file cannot
    be read as mapped at all: the start of the file says why, nothing more to read) or ``stale``
    (the upload's mapping is no longer the one asked about: its result is never shown)."""

    key: str
    state: str
    result: ScanResult | None = None
    job_id: int | None = None
    done: int = 0
    total: int | None = None
    error: str | None = None
    already_imported: EarlierBatch | None = None
    """Looked up afresh each time: another import may have committed these bytes meanwhile."""

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def importable(self) -> bool:
        """Read whole with this mapping, records found, no whole-file problem, not imported."""
        result = self.result
        return (
            result is not None
            and not result.problems
            and result.rows_valid > 0
            and self.already_imported is None
        )

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))


@dataclass(frozen=True)
class StagedPreview:
    """A waiting upload as its page shows it: what the start of the file says (columns, fields,
    first rows, whole-file problems), at once, and where the reading of the whole file stands."""

    source: str
    file_name: str
    sha256: str
    size_bytes: int
    file_format: str
    encoding: str
    columns: tuple[ColumnPlan, ...]
    fields: tuple[str, ...]
    rows: tuple[PreviewRow, ...]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    already_imported: EarlierBatch | None
    mapping_text: str
    date_order: str
    scan: ScanState

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.sensitive)

    @property
    def importable(self) -> bool:
        """Whether the import may be started: only once the whole file has been read with this
        mapping and found to hold records and no whole-file problem."""
        return not self.problems and self.scan.importable


def scan_key(staged: StagedUpload) -> str:
    """What a scan's result belongs to: the staged bytes and the mapping's exact text."""
    text = f"{_SCAN_FORMAT}\n{staged.sha256}\n{staged.mapping_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _scan_file(folder: Path, key: str, suffix: str) -> Path:
    return folder / f"scan-{key}.{suffix}"


def _loaded(staged: StagedUpload) -> Mapping | None:
    if not staged.mapping_text.strip():
        return None
    return parse_mapping(staged.mapping_text, name=staged.mapping_name or "mapping.toml")


def preview_staged(
    actor: Actor,
    token: str,
    *,
    rows: int = PREVIEW_ROWS,
    inline_bytes: int = INLINE_SCAN_BYTES,
) -> StagedPreview:
    """The preview of a waiting upload with its current mapping, answered at once.

    What needs only the start of the file is read now (the columns and the field each feeds,
    the first ``rows`` readable rows as they will be stored, the problems that stop the whole
    file). The whole file (counts, every unreadable value and rejected row) is read in the
    request for an upload up to ``inline_bytes``, otherwise by a ``preview`` job queued now
    (once per mapping): see :func:`scan_status` and :func:`run_scan`. A finished scan is kept
    beside the upload, so showing the page again reads nothing more."""
    staged = staged_upload(actor, token)
    loaded = _loaded(staged)
    path, display = staged.path, staged.file_name
    shown_rows: list[PreviewRow] = []
    problems: list[Problem] = []
    try:
        source_file = open_source(path, loaded)
    except InputRejected as refusal:
        columns, used, withheld, notes, file_format, encoding = _unopenable(path, loaded)
        problems.extend(refusal.problems or [Problem(file=display, expected=refusal.summary)])
    else:
        with source_file:
            columns, used = list(source_file.columns), dict(source_file.columns_used)
            withheld, notes = list(source_file.columns_withheld), list(source_file.notes)
            file_format, encoding = source_file.format, source_file.encoding or ""
            fields = tuple(f for f in CANONICAL_FIELDS if f in source_file.fields)
            try:
                for read, record in enumerate(source_file.records(), start=1):
                    if record.is_valid:
                        shown_rows.append(_row(record, fields))
                    if len(shown_rows) >= rows or read >= HEAD_ROWS_READ:
                        break
            except InputRejected:
                pass  # undecodable early on: the scan says so, with the row
    provided = {f for fs in used.values() for f in fs} | set(loaded.defaults if loaded else ())
    key = scan_key(staged)
    earlier = _earlier(actor, staged.sha256)
    if problems:
        scan = ScanState(key, "blocked", already_imported=earlier)
    else:
        scan = replace(
            _scan_state(actor, staged, key, inline_bytes=inline_bytes), already_imported=earlier
        )
    return StagedPreview(
        source=staged.source,
        file_name=display,
        sha256=staged.sha256,
        size_bytes=staged.size_bytes,
        file_format=file_format,
        encoding=encoding,
        columns=_columns(columns, used, withheld, loaded),
        fields=tuple(f for f in CANONICAL_FIELDS if f in provided),
        rows=tuple(shown_rows),
        problems=tuple(problems),
        notes=tuple(notes),
        already_imported=earlier,
        mapping_text=staged.mapping_text,
        date_order=loaded.date_order if loaded else "DMY",
        scan=scan,
    )


def scan_status(
    actor: Actor, token: str, key: str, *, inline_bytes: int = INLINE_SCAN_BYTES
) -> ScanState:
    """Where the scan of a waiting upload with the mapping ``key`` stands (what the page asks
    for again while it runs). ``stale`` once the upload's mapping has changed: an old scan's
    result is never shown for another mapping. A scan missing for the current mapping (its job
    stopped because the mapping changed meanwhile and then changed back) is started again."""
    staged = staged_upload(actor, token)
    if key != scan_key(staged):
        return ScanState(key, "stale")
    state = _scan_state(actor, staged, key, inline_bytes=inline_bytes)
    return replace(state, already_imported=_earlier(actor, staged.sha256))


def _read_result(folder: Path, key: str) -> ScanResult | None:
    try:
        data = json.loads(_scan_file(folder, key, "json").read_text(encoding="utf-8"))
        return ScanResult.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _scan_state(actor: Actor, staged: StagedUpload, key: str, *, inline_bytes: int) -> ScanState:
    result = _read_result(staged.folder, key)
    if result is not None:
        return ScanState(key, "done", result=result)
    if staged.size_bytes <= inline_bytes:
        result = _scan_to_files(staged, key)
        if result is not None:
            return ScanState(key, "done", result=result)
        return ScanState(key, "stale")
    for _attempt in range(2):
        job_id = _claim_scan(actor, staged, key)
        if job_id is None:  # another request is queuing it this very moment
            return ScanState(key, "queued")
        status = job_status(actor, job_id)
        if status.state == "done":
            result = _read_result(staged.folder, key)
            if result is not None:
                return ScanState(key, "done", result=result, job_id=job_id)
            # Stopped without a result (the mapping changed while it ran): once more.
            _scan_file(staged.folder, key, "job").unlink(missing_ok=True)
            continue
        if status.state == "failed":
            error = status.error.message if status.error else "the scan stopped"
            return ScanState(key, "failed", job_id=job_id, error=error)
        return ScanState(key, status.state, job_id=job_id, done=status.done, total=status.total)
    return ScanState(key, "failed", error="the scan stopped twice without a result")


def _claim_scan(actor: Actor, staged: StagedUpload, key: str) -> int | None:
    """The ``preview`` job scanning ``key``, queued now unless one is: the job's id is kept in
    ``scan-<key>.job``, created exclusively so two requests at once queue one job."""
    marker = _scan_file(staged.folder, key, "job")
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.PRIVATE_FILE)
    except FileExistsError:
        text = marker.read_text(encoding="ascii").strip()
        return int(text) if text.isdigit() else None
    try:
        params = {
            "token": staged.token,
            "key": key,
            "source": staged.source,
            "staged_on": staged_on(),
        }
        status = enqueue(actor, "preview", params)
    except BaseException:
        os.close(fd)
        marker.unlink(missing_ok=True)
        raise
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(str(status.id))
    return status.id


class _Superseded(Exception):
    """The upload's mapping changed, or the upload left, while its scan ran."""


def _current_key(folder: Path, sha256: str) -> str | None:
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    text = f"{_SCAN_FORMAT}\n{sha256}\n{meta.get('mapping_text') or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _scan_to_files(
    staged: StagedUpload, key: str, progress: Progress | None = None
) -> ScanResult | None:
    """Read the whole staged file with the mapping of ``key``; write every problem to
    ``scan-<key>.csv`` and then the summary to ``scan-<key>.json``, each whole or not at all (the
    summary's presence says the scan is complete). None if the mapping changed or the upload
    left meanwhile: nothing is kept then."""
    folder = staged.folder
    loaded = _loaded(staged)
    display = staged.file_name
    started = time.monotonic()
    checked = [started]

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, "bytes read")
        now = time.monotonic()
        if now - checked[0] >= _CHECK_SECONDS:
            checked[0] = now
            if _current_key(folder, staged.sha256) != key:
                raise _Superseded

    read = valid = unreadable_count = rejected_count = 0
    unreadable: list[Problem] = []
    rejected: list[Problem] = []
    problems: list[Problem] = []
    try:
        with files.atomic_write(
            _scan_file(folder, key, "csv"), "w", encoding="utf-8-sig", newline=""
        ) as handle:
            writer = csvout.writer(handle)
            writer.writerow(PROBLEMS_HEADER)

            def write(kind: str, problem: Problem, hidden: frozenset[str]) -> None:
                # A witness's identity never: the reader already withholds it (value None);
                # a column feeding or looking like one is blanked here as well.
                value = None if problem.column in hidden else problem.value
                writer.writerow(
                    [problem.row, problem.column, PROBLEM_KINDS[kind], value, problem.expected]
                )

            try:
                source_file = open_source(staged.path, loaded)
            except InputRejected as refusal:
                problems.extend(
                    refusal.problems or [Problem(file=display, expected=refusal.summary)]
                )
                for problem in problems:
                    write("file", problem, frozenset())
            else:
                with source_file:
                    hidden = frozenset(source_file.sensitive_columns)
                    try:
                        for record in source_file.records(progress=step):
                            read += 1
                            if not record.is_valid:
                                for problem in record.problems:
                                    rejected_count += 1
                                    if len(rejected) < SCAN_LISTED:
                                        rejected.append(problem)
                                    write("rejected", problem, hidden)
                                continue
                            valid += 1
                            for value in record.unreadable:
                                problem = value.problem(display, record.row_number)
                                if problem.column in hidden:
                                    problem = replace(problem, value=None)
                                unreadable_count += 1
                                if len(unreadable) < SCAN_LISTED:
                                    unreadable.append(problem)
                                write("unreadable", problem, hidden)
                    except InputRejected as refusal:  # undecodable past the part first looked at
                        problems.extend(refusal.problems)
                        for problem in refusal.problems:
                            write("file", problem, hidden)
            if _current_key(folder, staged.sha256) != key:
                raise _Superseded
        result = ScanResult(
            key=key,
            rows_read=read,
            rows_valid=valid,
            unreadable_count=unreadable_count,
            rejected_count=rejected_count,
            unreadable=tuple(unreadable),
            rejected=tuple(rejected),
            problems=tuple(problems),
            seconds=time.monotonic() - started,
        )
        files.write_text(
            _scan_file(folder, key, "json"), json.dumps(result.to_dict(), ensure_ascii=False)
        )
    except _Superseded:
        return None
    except OSError:
        if not (folder / _META).is_file():  # dropped or committed while it was read
            return None
        raise
    return result


def staged_on() -> str:
    """Where this process stages uploads (machine and folder): a ``preview`` job names it, so a
    worker that cannot see that folder says so instead of "not found"."""
    return f"{socket.gethostname()}:{staging_root()}"


def run_scan(
    actor: Actor,
    token: str,
    key: str,
    progress: Progress | None = None,
    *,
    where: str | None = None,
) -> dict[str, Any]:
    """The ``preview`` job's work: read the whole waiting upload with the mapping of ``key``.

    Why a job: a 200 MB list takes minutes to read, longer than a browser or a proxy waits for
    a page, and the worker already reports progress and records an error for the page to show.
    The job reads the upload where the web server staged it (the staging folder, on the web
    server's disk): a worker started beside ``everyname serve``, as the same user, sees it; a
    worker on another machine does not, and the job fails saying so (``where``: the
    :func:`staged_on` of the web server that queued it). (Copying the file into the job, as an
    import does, would cost the recorder the copy of 200 MB at every change of the mapping.)
    The job ends done without a result if the mapping changed while it ran (the page has asked
    for a scan of the new mapping meanwhile) or the upload was dropped or imported."""
    if where is not None and where != staged_on():
        raise InvalidInput(
            f"the upload waits on {where}, which this worker ({staged_on()}) cannot read: "
            "start a worker beside `everyname serve`, on the same machine and as the same user",
            field="upload",
        )
    if _TOKEN.match(token or "") and not (staging_root() / token / _META).is_file():
        return {"key": key, "gone": True}
    staged = staged_upload(actor, token)
    if scan_key(staged) != key:
        return {"key": key, "superseded": True}
    result = _read_result(staged.folder, key) or _scan_to_files(staged, key, progress)
    if result is None:
        return {"key": key, "superseded": True}
    return {
        "key": key,
        "rows_read": result.rows_read,
        "rows_valid": result.rows_valid,
        "unreadable": result.unreadable_count,
        "rejected": result.rejected_count,
        "seconds": round(result.seconds, 3),
    }


def scan_problems_csv(actor: Actor, token: str, key: str) -> tuple[Path, str]:
    """Every unreadable value and rejected row a finished scan found (row, column, problem, the
    value as written, what was expected), as the CSV file kept with the upload, and the name to
    download it as. Never a witness's identity: the reader withholds those values and the scan
    blanks any column feeding or looking like one. Only the current mapping's: an old scan's
    CSV is not found."""
    staged = staged_upload(actor, token)
    path = _scan_file(staged.folder, key, "csv")
    if key != scan_key(staged) or _read_result(staged.folder, key) is None or not path.is_file():
        raise NotFound(
            "the problems of this upload with its current mapping are not ready; "
            "go back to its preview",
            field="scan",
        )
    return path, f"{Path(staged.file_name).stem}-problems.csv"


def discard_staged(actor: Actor, token: str) -> None:
    staged = staged_upload(actor, token)
    shutil.rmtree(staged.path.parent.parent, ignore_errors=True)


def commit_staged(
    actor: Actor, token: str, *, skip_invalid: bool = False, key: str | None = None
) -> JobStatus:
    """Queue the import of a waiting upload, with its mapping, as a background job; the upload
    leaves the staging folder (the job keeps its own encrypted copy until the worker runs it,
    and the batch keeps the original bytes).

    ``key`` is the :func:`scan_key` of the preview the user looked at: if the mapping changed
    since (in another tab), the import is refused rather than run with a mapping not seen."""
    staged = staged_upload(actor, token)
    if key is not None and key != scan_key(staged):
        raise Conflict(
            "the mapping of this upload was changed after this preview was shown; "
            "look at the preview again before importing",
            field="mapping",
        )
    # Refused now rather than by the job: the same bytes are never imported twice.
    _refuse_if_imported(staged.sha256, staged.file_name)
    params: dict[str, Any] = {"source": staged.source, "skip_invalid": bool(skip_invalid)}
    if staged.mapping_text.strip():
        params["mapping_text"] = staged.mapping_text
        params["mapping_name"] = staged.mapping_name or "mapping.toml"
    with staged.path.open("rb") as file:
        status = enqueue(actor, "import", params, file=file)
    shutil.rmtree(staged.path.parent.parent, ignore_errors=True)
    return status


def mapping_choices(preview: ImportPreview) -> dict[str, str]:
    """Each column's current choice in the page's terms (a single field, ignore or automatic)."""
    out = {}
    for column in preview.columns:
        if column.how == "mapped" and len(column.fields) == 1:
            out[column.column] = column.fields[0]
        elif column.how == "mapped":
            out[column.column] = KEEP
        elif column.how == "ignored":
            out[column.column] = IGNORE
        else:
            out[column.column] = AUTOMATIC
    return out
