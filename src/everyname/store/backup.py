"""Backups a team can trust, restored anywhere, and an imported file given back byte for byte.

Why a backup is made this way:

- **A consistent snapshot while the system is in use.** Copying the SQLite file during an
  import gave corrupt copies, and a copy made while another connection was open missed a
  committed import. On SQLite the database is first copied with SQLite's online backup API
  (``sqlite3.Connection.backup``: a page-by-page copy of one committed state, into a private
  temporary folder beside the backup), and read from that copy. On PostgreSQL every table is
  read in one ``REPEATABLE READ, READ ONLY`` transaction: one snapshot for all tables, and
  writers are never blocked.
- **Database-neutral content.** The snapshot is written as JSON Lines, table by table in
  dependency order, each value encoded by its column's type (bytes as base64, datetimes as ISO
  8601 with their offset, JSON as JSON), so a backup of a laptop's SQLite database restores into
  a team server's PostgreSQL. A raw SQLite file could not be, and Django's ``dumpdata`` /
  ``loaddata`` go through each model's ``save()`` (the audit log refuses saves of existing rows)
  and are slow; rows are copied here with plain INSERTs, ids kept, and PostgreSQL's sequences
  reset after.
- **One stream, no plaintext on disk.** The lines are a single stream (a table's start line,
  its rows, ..., the manifest last) rather than a tar or zip, whose members need their size
  before their bytes, i.e. a plaintext temporary copy of each table. The stream is encrypted as
  it is written under a key derived from the passphrase (scrypt, then AES-256-GCM in
  authenticated chunks: see ``core.sealed`` for the construction and why).
- **A manifest.** The last line says which everyname, schema migrations and libraries made the
  backup, when, from which database, the key fingerprint the database records, and each table's
  row count and SHA-256. A restore reads the whole backup and checks all of it before it writes
  anything, then loads it in one transaction.
- **The key stays out.** Reporter identities and original files are encrypted under the
  database's key and stay so in the backup; the key file goes in only when asked for, and then
  only under the passphrase, like everything else.

The use cases need ``MANAGE_KEYS`` (admins; the local administrator on a laptop), except
:func:`write_original`, which needs ``DOWNLOAD_ORIGINAL``. Each is audited.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder

import everyname
from everyname import config
from everyname.core.errors import Conflict, InvalidInput, NotFound
from everyname.core.files import atomic_write
from everyname.core.provenance import library_versions
from everyname.core.sealed import (
    FORMAT,
    FORMAT_VERSION,
    SealedUnreadable,
    SealedWriter,
    b64,
    sealed_lines,
    unb64,
)
from everyname.store.audit import Action, record_event
from everyname.store.imports import original_bytes
from everyname.store.models import Batch, DataVersion
from everyname.store.permissions import Actor, Permission, require

MIN_PASSPHRASE = 12
INSERT_ROWS = 500
SNAPSHOT_ALIAS = "everyname_backup_snapshot"
LIBRARIES = ("django", "psycopg", "cryptography", "splink", "duckdb", "pandas")

SKIPPED_MODELS: tuple[str, ...] = (
    DataVersion._meta.label_lower,
    "store.countframe",
    "store.runtermfrequencies",
    "sessions.session",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
)
"""Not backed up: the counter of edits made in place, which tells a running process that its
kept count input is stale (a restored database starts its own); the count frames, derived
from the persons and places restored with the rest and built again by the first count (or
link run) after the restore, and the term frequencies a link run keeps for entry checks,
counted again by the first check; the web app's sessions, since
a session restored on another server would sign someone in there without their password; and
the sign-in attempts and lockouts, which hold staff's addresses and belong to the server that
saw them. Users, roles and second-factor devices are backed up: the team signs in as before."""
MIGRATE_MADE = ("contenttypes.contenttype", "auth.permission")
"""Rows ``migrate`` itself creates: backed up, but matched by name on restore (their ids may
differ in the new database), never inserted."""


BackupUnreadable = SealedUnreadable
"""A backup that cannot be verified (see ``core.sealed``)."""


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSummary:
    table: str
    rows: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BackupResult:
    """A backup as written: where, how large, what it holds."""

    file: Path
    size_bytes: int
    sha256: str
    """Of the encrypted file, to compare copies of it without the passphrase."""
    created_at: str
    database: str
    everyname_version: str
    key_included: bool
    key_fingerprint: str | None
    tables: tuple[TableSummary, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["file"] = str(self.file)
        data["tables"] = [t.to_dict() for t in self.tables]
        data["rows"] = self.rows
        return data


@dataclass(frozen=True)
class RestoreResult:
    """What a restore (or a check of a backup) read, and what it wrote."""

    file: Path
    created_at: str
    created_by: str
    database: str
    """Where the backup was made from: ``sqlite`` or ``postgresql``."""
    everyname_version: str
    key_included: bool
    key_written: bool
    key_matches: bool | None
    """Whether the key file in place is the key of the restored data (None: nothing to compare,
    no key file, or the backup records no fingerprint)."""
    migrations_applied: tuple[str, ...]
    tables: tuple[TableSummary, ...]
    checked_only: bool

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["file"] = str(self.file)
        data["tables"] = [t.to_dict() for t in self.tables]
        data["migrations_applied"] = list(self.migrations_applied)
        data["rows"] = self.rows
        return data


@dataclass(frozen=True)
class OriginalFile:
    batch: int
    file_name: str
    source: str
    sha256: str
    size_bytes: int
    out: Path

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"] = str(self.out)
        return data


# --- use cases -------------------------------------------------------------------------------


def backup(
    actor: Actor,
    out: str | os.PathLike[str],
    passphrase: str,
    *,
    include_key: bool = False,
    overwrite: bool = False,
) -> BackupResult:
    """Write an encrypted, consistent snapshot of the whole database to ``out``.

    The file appears whole or not at all (a temporary name, renamed when complete), owner-only;
    an existing file is replaced only with ``overwrite``, and never the database or key file.
    """
    require(actor, Permission.MANAGE_KEYS)
    out = Path(out)
    _check_passphrase(passphrase)
    _refuse_own_files(out)
    if out.exists() and not overwrite:
        raise Conflict(f"{out} already exists; nothing was written", field="output")
    key_bytes = _read_key_file() if include_key else None
    created_at = dt.datetime.now(dt.UTC).isoformat()
    with _snapshot(out.parent) as alias:
        ordered = _models_in_order()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "everyname_version": everyname.__version__,
            "created_at": created_at,
            "created_by": actor.username,
            "database": connections[alias].vendor,
            "migrations": _applied_migrations(alias),
            "libraries": library_versions(*LIBRARIES),
            "key_fingerprint": _key_fingerprint(alias),
            "key_included": key_bytes is not None,
            "key_sha256": hashlib.sha256(key_bytes).hexdigest() if key_bytes else None,
            "tables": [],
        }
        try:
            with atomic_write(out, "wb", overwrite=overwrite) as handle:
                sealed = SealedWriter(handle, passphrase)
                for model in ordered:
                    manifest["tables"].append(_write_table(sealed, model, alias))
                if key_bytes is not None:
                    sealed.write_line({"key_file": base64.b64encode(key_bytes).decode("ascii")})
                sealed.write_line({"manifest": manifest})
                sealed.finish()
        except FileExistsError:
            raise Conflict(f"{out} already exists; nothing was written", field="output") from None
    tables = tuple(TableSummary(t["table"], t["rows"], t["sha256"]) for t in manifest["tables"])
    with out.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    result = BackupResult(
        file=out,
        size_bytes=out.stat().st_size,
        sha256=digest,
        created_at=created_at,
        database=manifest["database"],
        everyname_version=everyname.__version__,
        key_included=key_bytes is not None,
        key_fingerprint=manifest["key_fingerprint"],
        tables=tables,
    )
    with transaction.atomic():
        record_event(
            Action.BACKUP_WRITTEN,
            actor,
            None,
            file=out.name,
            sha256=digest,
            size_bytes=result.size_bytes,
            rows={t.table: t.rows for t in tables},
            key_included=result.key_included,
        )
    return result


def restore(
    actor: Actor,
    path: str | os.PathLike[str],
    passphrase: str,
    *,
    check_only: bool = False,
) -> RestoreResult:
    """Restore a backup into this database, which must hold no data; ``check_only`` reads and
    verifies the whole backup and writes nothing.

    Everything is verified first (passphrase, every chunk, every table's rows and SHA-256, the
    manifest, the schema) so that a backup that cannot be trusted writes nothing; then the rows
    go in, with their ids, in one transaction. A database with no tables yet is migrated to the
    backup's schema first, and to this version's after the load.
    """
    require(actor, Permission.MANAGE_KEYS)
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"there is no backup file {path}", field="backup")
    manifest, key_bytes = _verify(path, passphrase)
    tables = tuple(TableSummary(t["table"], t["rows"], t["sha256"]) for t in manifest["tables"])
    plan = _schema_plan(manifest)
    summary = {
        "file": path,
        "created_at": manifest["created_at"],
        "created_by": manifest["created_by"],
        "database": manifest["database"],
        "everyname_version": manifest["everyname_version"],
        "key_included": key_bytes is not None,
        "tables": tables,
    }
    if check_only:
        return RestoreResult(
            **summary,
            key_written=False,
            key_matches=_key_matches(manifest),
            migrations_applied=(),
            checked_only=True,
        )
    applied = _migrate(plan.backup_state) if plan.fresh else ()
    _refuse_data()
    key_written = _place_key(key_bytes) if key_bytes is not None else False
    by_table = {m._meta.db_table: m for m in _models_in_order(include_skipped=True)}
    with transaction.atomic():
        _load(path, passphrase, manifest, by_table)
        _reset_sequences([by_table[t["table"]] for t in manifest["tables"]])
        record_event(
            Action.DATABASE_RESTORED,
            actor,
            None,
            file=path.name,
            created_at=manifest["created_at"],
            created_by=manifest["created_by"],
            made_from=manifest["database"],
            everyname_version=manifest["everyname_version"],
            rows={t.table: t.rows for t in tables},
            key_written=key_written,
        )
    if plan.fresh:
        # Outside the load's transaction: SQLite cannot change a schema inside one.
        applied += _migrate(None)
    return RestoreResult(
        **summary,
        key_written=key_written,
        key_matches=_key_matches(manifest),
        migrations_applied=applied,
        checked_only=False,
    )


def write_original(
    actor: Actor, batch_id: int, out: str | os.PathLike[str], *, overwrite: bool = False
) -> OriginalFile:
    """Write batch ``batch_id``'s original file to ``out``, byte for byte as it was imported.

    The bytes are checked against the SHA-256 taken at import before the file appears; the file
    is owner-only (it may name witnesses), written whole or not at all, and an existing file is
    replaced only with ``overwrite`` (never the database or its key). Audited.
    """
    require(actor, Permission.DOWNLOAD_ORIGINAL)
    batch = Batch.objects.select_related("source").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"there is no batch {batch_id}", field="batch")
    out = Path(out)
    _refuse_own_files(out)
    if out.exists() and not overwrite:
        raise Conflict(f"{out} already exists; nothing was written", field="output")
    digest = hashlib.sha256()
    size = 0
    try:
        with transaction.atomic(), atomic_write(out, "wb", overwrite=overwrite) as handle:
            for chunk in original_bytes(batch):
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            if digest.hexdigest() != batch.sha256 or size != batch.size_bytes:
                raise Conflict(
                    f"batch {batch.pk}'s stored file does not match the SHA-256 taken when it "
                    "was imported; nothing was written",
                    field="batch",
                )
            record_event(
                Action.ORIGINAL_DOWNLOADED,
                actor,
                batch,
                file_name=batch.file_name,
                sha256=batch.sha256,
                out=out.name,
            )
    except FileExistsError:
        raise Conflict(f"{out} already exists; nothing was written", field="output") from None
    return OriginalFile(
        batch=batch.pk,
        file_name=batch.file_name,
        source=batch.source.code,
        sha256=batch.sha256,
        size_bytes=size,
        out=out,
    )


# --- files and passphrases -------------------------------------------------------------------


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(
            f"a backup passphrase must be at least {MIN_PASSPHRASE} characters long",
            field="passphrase",
        )


def _refuse_own_files(out: Path) -> None:
    """Never write over the database or the key: a backup or an original must not replace what
    it was made from."""
    own = [config.key_file_path()]
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        own += [Path(name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    target = out.expanduser().resolve()
    for path in own:
        if target == path.expanduser().resolve():
            raise InvalidInput(
                f"{out} is this database's own file ({path.name}); choose another file",
                field="output",
            )


def _read_key_file() -> bytes:
    from everyname.store import crypto

    path = config.key_file_path()
    crypto.cipher()  # refuses a missing, unreadable or too widely readable key file
    crypto.check_permissions(path)
    return path.read_bytes()


def _place_key(key_bytes: bytes) -> bool:
    """Write the backup's key where this database's key belongs, unless one is there: the same
    key is left as it is; another key is refused (it could not read the restored data)."""
    path = config.key_file_path()
    if path.exists():
        if path.read_bytes().strip() == key_bytes.strip():
            return False
        raise Conflict(
            f"the key file {path} exists and is not the key in the backup; the restored "
            "identities and files could not be read with it. Move it aside or set "
            "EVERYNAME_KEY_FILE to where the backup's key should be written. Nothing was restored.",
            field="key_file",
        )
    try:
        with atomic_write(path, "wb", overwrite=False) as handle:
            handle.write(key_bytes)
    except FileExistsError:
        raise Conflict(f"the key file {path} appeared meanwhile", field="key_file") from None
    return True


def _key_matches(manifest: dict[str, Any]) -> bool | None:
    from everyname.store import crypto

    recorded, path = manifest.get("key_fingerprint"), config.key_file_path()
    if recorded is None or not path.exists():
        return None
    try:
        return crypto.read_key_file(path.resolve()).fingerprint == recorded
    except crypto.KeyFileError:
        return False


# --- reading the database --------------------------------------------------------------------


@contextmanager
def _snapshot(folder: Path) -> Iterator[str]:
    """A database alias whose every read sees one committed state of the whole database."""
    if connection.in_atomic_block:
        # Called inside a transaction (a caller's, a test's): on either database its reads see
        # one state already, its isolation cannot be changed now, and SQLite's backup API
        # cannot copy pages this connection is writing (it waits for them forever).
        yield connection.alias
        return
    if connection.vendor == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(prefix=".everyname-backup-", dir=folder))
        copy = private / "snapshot.sqlite3"
        try:
            connection.ensure_connection()
            target = sqlite3.connect(copy)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            with _opened(copy, SNAPSHOT_ALIAS):
                yield SNAPSHOT_ALIAS
        finally:
            shutil.rmtree(private, ignore_errors=True)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield connection.alias


@contextmanager
def _opened(path: Path, alias: str) -> Iterator[None]:
    """A SQLite file opened under ``alias`` for this thread only, not added to the settings."""
    from django.db.utils import load_backend

    settings = {
        **connection.settings_dict,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {},
    }
    wrapper = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias)
    connections[alias] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        del connections[alias]


def _models_in_order(include_skipped: bool = False) -> list[type[models.Model]]:
    """Every table of the installed apps, each after the tables it refers to."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed
        and not m._meta.proxy
        and (include_skipped or m._meta.label_lower not in SKIPPED_MODELS)
    ]
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()

    def place(model: type[models.Model], path: tuple[type[models.Model], ...] = ()) -> None:
        if model in placed or model in path:
            return
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target in found and target is not model:
                place(target, (*path, model))
        placed.add(model)
        ordered.append(model)

    for model in sorted(found, key=lambda m: m._meta.db_table):
        place(model)
    return ordered


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _kind(field: models.Field) -> str:
    return (
        field.target_field.get_internal_type() if field.is_relation else field.get_internal_type()
    )


def _write_table(sealed: SealedWriter, model: type[models.Model], alias: str) -> dict[str, Any]:
    fields = _columns(model)
    encoders = [_ENCODERS.get(_kind(f), _plain) for f in fields]
    columns = [[f.column, _kind(f)] for f in fields]
    sealed.write_line({"table": model._meta.db_table, "columns": columns})
    digest = hashlib.sha256()
    rows = 0
    values = (
        model._base_manager.using(alias)
        .order_by("pk")
        .values_list(*(f.attname for f in fields))
        .iterator(chunk_size=2000)
    )
    for row in values:
        digest.update(sealed.write_line([enc(v) for enc, v in zip(encoders, row, strict=True)]))
        rows += 1
    return {
        "table": model._meta.db_table,
        "model": model._meta.label_lower,
        "columns": columns,
        "rows": rows,
        "sha256": digest.hexdigest(),
    }


def _applied_migrations(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _key_fingerprint(alias: str) -> str | None:
    try:
        model = apps.get_model("store", "KeyFingerprint")
    except LookupError:
        return None
    row = model._base_manager.using(alias).order_by("-pk").values_list("fingerprint").first()
    return row[0] if row else None


# --- values ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value


def _optional(encode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else encode(value)


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "BinaryField": _optional(b64),
    "DateTimeField": _optional(lambda v: v.isoformat()),
    "DateField": _optional(lambda v: v.isoformat()),
    "TimeField": _optional(lambda v: v.isoformat()),
    "DurationField": _optional(lambda v: v // dt.timedelta(microseconds=1)),
    "DecimalField": _optional(str),
    "UUIDField": _optional(str),
}
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "BinaryField": _optional(unb64),
    "DateTimeField": _optional(dt.datetime.fromisoformat),
    "DateField": _optional(dt.date.fromisoformat),
    "TimeField": _optional(dt.time.fromisoformat),
    "DurationField": _optional(lambda v: dt.timedelta(microseconds=v)),
    "DecimalField": _optional(decimal.Decimal),
    "UUIDField": _optional(uuid.UUID),
}


# --- restoring -------------------------------------------------------------------------------


def _verify(path: Path, passphrase: str) -> tuple[dict[str, Any], bytes | None]:
    """Read the whole backup once: every chunk authenticated, every table's rows counted and
    hashed, then compared with the manifest. Nothing is written."""
    seen: list[dict[str, Any]] = []
    manifest: dict[str, Any] | None = None
    key_bytes: bytes | None = None
    digest = None
    bad = BackupUnreadable(f"{path} is not laid out as an everyname backup; nothing was restored")
    for line in sealed_lines(path, passphrase):
        if manifest is not None:
            raise bad  # nothing may follow the manifest
        if line.startswith(b"["):
            if digest is None:
                raise bad
            digest.update(line)
            seen[-1]["rows"] += 1
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise bad from None
        if not isinstance(item, dict):
            raise bad
        if seen and digest is not None:
            seen[-1]["sha256"] = digest.hexdigest()
            digest = None
        if "table" in item:
            seen.append({"table": item["table"], "columns": item["columns"], "rows": 0})
            digest = hashlib.sha256()
        elif "key_file" in item:
            key_bytes = unb64(item["key_file"])
        elif "manifest" in item:
            manifest = item["manifest"]
        else:
            raise bad
    if manifest is None or not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise bad
    listed = manifest.get("tables", [])
    if len(listed) != len(seen):
        raise BackupUnreadable(
            f"{path} holds {len(seen)} tables but its manifest lists {len(listed)}; nothing was "
            "restored"
        )
    for table, stated in zip(seen, listed, strict=True):
        for what in ("table", "columns", "rows", "sha256"):
            if table.get(what) != stated.get(what):
                raise BackupUnreadable(
                    f"{path}: table {stated.get('table')!r} does not match its manifest "
                    f"({what}); nothing was restored",
                )
    if manifest.get("key_included") != (key_bytes is not None) or (
        key_bytes is not None and hashlib.sha256(key_bytes).hexdigest() != manifest["key_sha256"]
    ):
        raise BackupUnreadable(f"{path}: its key file does not match its manifest")
    return manifest, key_bytes


@dataclass(frozen=True)
class _SchemaPlan:
    fresh: bool
    backup_state: dict[str, str]
    """Each app's last migration in the backup."""


def _schema_plan(manifest: dict[str, Any]) -> _SchemaPlan:
    """Check that this everyname can hold the backup's rows: the same migrations applied, or a
    database with no tables yet, which is migrated to the backup's state first."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    known = set(loader.graph.nodes)
    backup_applied = {
        (app, name) for app, names in manifest["migrations"].items() for name in names
    }
    unknown = sorted(f"{app}.{name}" for app, name in backup_applied - known)
    if unknown:
        raise InvalidInput(
            f"the backup was made by a newer everyname ({manifest['everyname_version']}) whose "
            f"schema this one does not know ({', '.join(unknown[:5])}); restore it with that "
            "version or a later one",
            field="backup",
        )
    here = set(loader.applied_migrations)
    leaves = {}
    for app, name in backup_applied:
        children = loader.graph.node_map[(app, name)].children
        if not any(child.key in backup_applied and child.key[0] == app for child in children):
            leaves[app] = name
    if not here:
        return _SchemaPlan(fresh=True, backup_state=leaves)
    if here != backup_applied:
        differ = sorted(f"{a}.{n}" for a, n in here ^ backup_applied)
        raise InvalidInput(
            "this database's schema is not the backup's (migrations that differ: "
            f"{', '.join(differ[:5])}{', ...' if len(differ) > 5 else ''}); restore into a new, "
            "empty database: `everyname restore` creates its tables itself",
            field="backup",
        )
    return _SchemaPlan(fresh=False, backup_state=leaves)


def _migrate(state: dict[str, str] | None) -> tuple[str, ...]:
    """Apply migrations up to ``state`` (each app's last migration), or all of them."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets = list(state.items()) if state is not None else executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if not plan:
        return ()
    if state is None:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    else:
        for app, name in sorted(state.items()):
            call_command("migrate", app, name, interactive=False, verbosity=0, stdout=io.StringIO())
    return tuple(f"{m.app_label}.{m.name}" for m, _ in plan)


def _refuse_data() -> None:
    """A restore goes into an empty database only: rows already there would mix with the
    backup's, and their ids would collide. Rows ``migrate`` makes are not data."""
    held = []
    for model in _models_in_order():
        if model._meta.label_lower in MIGRATE_MADE:
            continue
        count = model._base_manager.count()
        if count:
            held.append(f"{model._meta.db_table} ({count} row{'s' if count > 1 else ''})")
    if held:
        raise Conflict(
            "this database already holds data: "
            + ", ".join(held)
            + ". A backup is restored into an empty database only: create a new database and "
            "run `everyname restore` on it (it creates the tables; do not run `everyname init` "
            "first, its audit entry is data). Nothing was restored.",
            field="database",
        )


def _load(
    path: Path,
    passphrase: str,
    manifest: dict[str, Any],
    by_table: dict[str, type[models.Model]],
) -> None:
    """Insert every row, checking each table's hash again (the file is read a second time)."""
    listed = {t["table"]: t for t in manifest["tables"]}
    remap: dict[str, dict[Any, Any]] = {}
    loader: _TableLoader | None = None
    for line in sealed_lines(path, passphrase):
        if line.startswith(b"["):
            assert loader is not None
            loader.add(line)
            continue
        item = json.loads(line)
        if loader is not None:
            loader.finish()
            loader = None
        if "table" in item:
            model = by_table.get(item["table"])
            if model is None:
                raise InvalidInput(
                    f"the backup holds table {item['table']!r}, which this everyname does not "
                    "have; nothing was restored",
                    field="backup",
                )
            loader = _TableLoader(model, item["columns"], listed[item["table"]], remap)


class _TableLoader:
    def __init__(
        self,
        model: type[models.Model],
        columns: list[list[str]],
        stated: dict[str, Any],
        remap: dict[str, dict[Any, Any]],
    ) -> None:
        fields = {f.column: f for f in _columns(model)}
        missing = [c for c, _ in columns if c not in fields]
        if missing or len(columns) != len(fields):
            raise InvalidInput(
                f"table {model._meta.db_table} in the backup has columns "
                f"{', '.join(c for c, _ in columns)}; this database's has "
                f"{', '.join(fields)}; nothing was restored",
                field="backup",
            )
        self.model = model
        self.fields = [fields[c] for c, _ in columns]
        self.decoders = [_DECODERS.get(kind, _plain) for _, kind in columns]
        self.stated = stated
        self.digest = hashlib.sha256()
        self.rows = 0
        self.pending: list[list[Any]] = []
        self.label = model._meta.label_lower
        self.matched = self.label in MIGRATE_MADE
        # Columns that point at rows migrate made: translated to this database's ids.
        self.remapped = [
            (i, remap.setdefault(f.related_model._meta.label_lower, {}))
            for i, f in enumerate(self.fields)
            if f.is_relation and f.related_model._meta.label_lower in MIGRATE_MADE
        ]
        self.own_ids = remap.setdefault(self.label, {}) if self.matched else None
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in self.fields)}) "
            f"VALUES ({', '.join(['%s'] * len(self.fields))})"
        )

    def add(self, line: bytes) -> None:
        self.digest.update(line)
        self.rows += 1
        values = [dec(v) for dec, v in zip(self.decoders, json.loads(line), strict=True)]
        for i, ids in self.remapped:
            if values[i] is not None:
                if values[i] not in ids:
                    if self.matched:
                        return  # a permission of a model this everyname no longer has
                    raise InvalidInput(
                        f"{self.model._meta.db_table} refers to a {self.fields[i].name} this "
                        "database does not have; nothing was restored",
                        field="backup",
                    )
                values[i] = ids[values[i]]
        if self.matched:
            self._match(values)
            return
        self.pending.append(values)
        if len(self.pending) >= INSERT_ROWS:
            self._flush()

    def _match(self, values: list[Any]) -> None:
        row = {f.attname: v for f, v in zip(self.fields, values, strict=True)}
        if self.label == "contenttypes.contenttype":
            key = {"app_label": row["app_label"], "model": row["model"]}
        else:
            key = {"content_type_id": row["content_type_id"], "codename": row["codename"]}
        here = self.model._base_manager.filter(**key).values_list("pk", flat=True).first()
        if here is not None:
            assert self.own_ids is not None
            self.own_ids[row["id"]] = here

    def _flush(self) -> None:
        if not self.pending:
            return
        prepared = [
            [f.get_db_prep_save(v, connection) for f, v in zip(self.fields, row, strict=True)]
            for row in self.pending
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, prepared)
        self.pending.clear()

    def finish(self) -> None:
        self._flush()
        if self.rows != self.stated["rows"] or self.digest.hexdigest() != self.stated["sha256"]:
            raise BackupUnreadable(
                f"table {self.model._meta.db_table} changed between the check and the load; "
                "nothing was restored"
            )


def _reset_sequences(tables: Iterable[type[models.Model]]) -> None:
    """PostgreSQL's id sequences start after the restored ids (SQLite's AUTOINCREMENT follows
    the largest id inserted by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(tables))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
