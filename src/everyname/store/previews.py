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
import pickle
import re
import secrets
import shutil
import stat
import tempfile
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from everyname import config
from everyname.core import files
from everyname.core.dates import DATE_ORDERS
from everyname.core.errors import InputRejected, InvalidInput, NotFound, Problem
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
from everyname.store.jobs import JobStatus, enqueue
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
        with os.fdopen(fd, "wb") as out:
            while chunk := file.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
        meta = {
            "user": actor.username,
            "source": source,
            "file_name": name,
            "size": size,
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


def preview_staged(actor: Actor, token: str, *, rows: int = PREVIEW_ROWS) -> ImportPreview:
    """The preview of a waiting upload with its current mapping.

    Reading a large list takes a while, and the page is reloaded (after each change of the
    mapping, by a person coming back to it): the preview is kept beside the upload, in its
    owner-only folder, for as long as the mapping stays the same. Only the batch already holding
    these bytes is looked up afresh (another import may have committed them meanwhile)."""
    staged = staged_upload(actor, token)
    key = hashlib.sha256(f"{rows}\n{staged.mapping_text}".encode()).hexdigest()
    cache = staged.path.parent.parent / "preview.pickle"
    try:
        with cache.open("rb") as handle:
            cached_key, cached = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, ValueError, EOFError, AttributeError):
        cached_key, cached = None, None
    if cached_key == key and isinstance(cached, ImportPreview):
        check_may_import(actor, staged.source)
        return replace(cached, already_imported=_earlier(actor, cached.sha256))
    preview = preview_import(
        actor,
        staged.path,
        staged.source,
        staged.mapping_text or None,
        mapping_name=staged.mapping_name or "mapping.toml",
        rows=rows,
    )
    files.write_bytes(cache, pickle.dumps((key, preview), protocol=pickle.HIGHEST_PROTOCOL))
    return preview


def discard_staged(actor: Actor, token: str) -> None:
    staged = staged_upload(actor, token)
    shutil.rmtree(staged.path.parent.parent, ignore_errors=True)


def commit_staged(actor: Actor, token: str, *, skip_invalid: bool = False) -> JobStatus:
    """Queue the import of a waiting upload, with its mapping, as a background job; the upload
    leaves the staging folder (the job keeps its own encrypted copy until the worker runs it,
    and the batch keeps the original bytes)."""
    staged = staged_upload(actor, token)
    # Refused now rather than by the job: the same bytes are never imported twice.
    _refuse_if_imported(file_sha256(staged.path)[0], staged.file_name)
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
