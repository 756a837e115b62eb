"""Database triggers that keep the audit log, records, batches and decisions as written.

The models refuse edits too, but raw SQL, a bulk update or a repair by hand bypasses a model;
these triggers refuse it in the database itself, on SQLite and on PostgreSQL:

- the audit log, a batch's file chunks, record revisions and match decisions: no UPDATE, no
  DELETE (nor TRUNCATE on PostgreSQL). A correction is a new revision, a changed mind a newer
  decision.
- records: no DELETE; an UPDATE may change only the columns a correction changes (the current
  ``normalised`` values with the columns filtered by that follow them, ``unreadable`` flags,
  ``corrected`` text, ``source_record_id`` and the re-sealed ``sensitive_encrypted``:
  ``records.correct_record``). ``raw`` and ``as_written`` stay
  as imported; what changed is in the revision, with its audit entry.
- batches: no DELETE; an UPDATE may only set the import's counts and unreadable list once, at
  the end of the import that created it (while its counts are still zero).

Key rotation re-encrypts the chunks and revisions these triggers freeze: it removes the triggers
of those tables inside its own transaction and puts them back before it commits
(:func:`suspended`), so no other writer ever sees them missing and a failed rotation restores
them with everything else.

A trigger's name ends with a digest of its definition, so :func:`check` finds one dropped,
disabled or replaced by name alone, and ``everyname init`` puts back whatever is missing
(:func:`install`). A migration that remakes one of these tables (SQLite rebuilds a table for
most column changes) must call :func:`install` after it; ``init`` would otherwise report the
triggers as dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

PREFIX = "everyname_protect_"
PG_FUNCTION = "everyname_refuse_change"


@dataclass(frozen=True)
class Rule:
    """How one table is protected: which columns an UPDATE may change (none: no UPDATE at all)
    and, if given, a condition on the old row under which they may (SQL over ``OLD``)."""

    model: str
    message: str
    updatable: tuple[str, ...] = ()
    update_only_when: str = ""


RULES: tuple[Rule, ...] = (
    Rule("AuditEvent", "the audit log is append-only"),
    Rule(
        "Record",
        "a record is corrected by a revision (everyname records correct), never edited",
        updatable=(
            "normalised",
            "name_key",
            "death_from",
            "death_to",
            "unreadable",
            "corrected",
            "source_record_id",
            "sensitive_encrypted",
        ),
    ),
    Rule(
        "Batch",
        "an imported batch is never edited or deleted",
        updatable=("rows_read", "records_imported", "rows_rejected", "unreadable"),
        update_only_when="OLD.rows_read = 0 AND OLD.records_imported = 0 AND OLD.rows_rejected = 0",
    ),
    Rule("BatchFileChunk", "an imported file is kept byte for byte"),
    Rule("RecordRevision", "a record revision is never edited: add a newer one"),
    Rule("MatchDecision", "a match decision is never edited: add a newer one"),
)


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    sql: str


ModelGetter = Callable[[str], Any]


def _current_model(name: str) -> Any:
    from django.apps import apps

    return apps.get_model("store", name)


def _columns(model: Any) -> list[str]:
    """Sorted: a migration's historical model and the current one list fields in different
    orders, and the same columns must give the same trigger."""
    return sorted(field.column for field in model._meta.concrete_fields)


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def triggers(vendor: str, get_model: ModelGetter = _current_model) -> list[Trigger]:
    """Every protective trigger for ``vendor`` ("sqlite" or "postgresql"), made from the models
    as ``get_model`` gives them (a migration passes its historical models)."""
    out: list[Trigger] = []
    distinct = "IS NOT" if vendor == "sqlite" else "IS DISTINCT FROM"
    for rule in RULES:
        model = get_model(rule.model)
        table = model._meta.db_table
        frozen = [c for c in _columns(model) if c not in rule.updatable]
        changed = " OR ".join(f"OLD.{_quote(c)} {distinct} NEW.{_quote(c)}" for c in frozen)
        condition = changed
        if rule.updatable and rule.update_only_when:
            condition = f"({changed}) OR NOT ({rule.update_only_when})"
        message = rule.message.replace("'", "''")
        ops: list[tuple[str, str]] = [("delete", "")]
        ops.insert(0, ("update", condition if rule.updatable else ""))
        for op, when in ops:
            if vendor == "sqlite":
                body = (
                    f"BEFORE {op.upper()} ON {table} {f'WHEN {when} ' if when else ''}"
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            else:
                body = (
                    f"BEFORE {op.upper()} ON {table} FOR EACH ROW "
                    f"{f'WHEN ({when}) ' if when else ''}"
                    f"EXECUTE FUNCTION {PG_FUNCTION}('{message}')"
                )
            out.append(_trigger(table, op, body))
        if vendor == "postgresql":
            body = (
                f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {PG_FUNCTION}('{message}')"
            )
            out.append(_trigger(table, "truncate", body))
    return out


def _trigger(table: str, op: str, body: str) -> Trigger:
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]
    name = f"{PREFIX}{table.removeprefix('store_')}_{op}_{digest}"
    return Trigger(name=name, table=table, sql=f"CREATE TRIGGER {name} {body}")


PG_FUNCTION_SQL = f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$
   BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END; $$ LANGUAGE plpgsql;"""


def _present(cursor: Any, vendor: str) -> dict[str, str]:
    """Our triggers in the database, enabled ones only: name → table."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [PREFIX + "%"],
        )
    else:
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgname LIKE %s "
            "AND p.proname = %s",
            [PREFIX + "%", PG_FUNCTION],
        )
    return {name: table for name, table in cursor.fetchall()}


@dataclass(frozen=True)
class ProtectionStatus:
    """Which protective triggers are missing (dropped, disabled or replaced) and which are left
    over from an older definition."""

    missing: tuple[str, ...]
    stale: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "missing": list(self.missing), "stale": list(self.stale)}


def check(get_model: ModelGetter = _current_model, using: Any = None) -> ProtectionStatus:
    conn = using or connection
    expected = {t.name for t in triggers(conn.vendor, get_model)}
    with conn.cursor() as cursor:
        present = _present(cursor, conn.vendor)
        # a disabled PostgreSQL trigger is missing too, and must be dropped before it is made
        everything = _all_named(cursor, conn.vendor)
    return ProtectionStatus(
        missing=tuple(sorted(expected - set(present))),
        stale=tuple(sorted(set(everything) - expected)),
    )


def _all_named(cursor: Any, vendor: str) -> dict[str, str]:
    if vendor == "sqlite":
        return _present(cursor, vendor)
    cursor.execute(
        "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
        [PREFIX + "%"],
    )
    return {name: table for name, table in cursor.fetchall()}


def install(get_model: ModelGetter = _current_model, using: Any = None) -> ProtectionStatus:
    """Create every missing trigger and drop those of an older definition; returns what was
    missing before (empty when everything was in place)."""
    conn = using or connection
    wanted = triggers(conn.vendor, get_model)
    with conn.cursor() as cursor:
        present = _present(cursor, conn.vendor)
        everything = _all_named(cursor, conn.vendor)
        names = {t.name for t in wanted}
        missing = tuple(sorted(names - set(present)))
        stale = tuple(sorted(set(everything) - names))
        if conn.vendor == "postgresql":
            cursor.execute(PG_FUNCTION_SQL)
        for name in stale:
            _drop(cursor, conn.vendor, name, everything[name])
        for trigger in wanted:
            if trigger.name in present:
                continue
            if trigger.name in everything:  # disabled: drop and make it again
                _drop(cursor, conn.vendor, trigger.name, trigger.table)
            cursor.execute(trigger.sql)
    return ProtectionStatus(missing=missing, stale=stale)


def uninstall(using: Any = None) -> None:
    conn = using or connection
    with conn.cursor() as cursor:
        for name, table in _all_named(cursor, conn.vendor).items():
            _drop(cursor, conn.vendor, name, table)
        if conn.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")


def _drop(cursor: Any, vendor: str, name: str, table: str) -> None:
    if vendor == "sqlite":
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


@contextmanager
def suspended(models: Iterable[str]) -> Iterator[None]:
    """Remove the protective triggers of ``models`` for the body of a transaction and make them
    again after it. Only inside ``transaction.atomic()``: if the body fails, the rollback
    restores the triggers with everything else, and no other connection sees them missing."""
    if not connection.in_atomic_block:
        raise RuntimeError("protection is suspended only inside a transaction")
    tables = {_current_model(name)._meta.db_table for name in models}
    wanted = [t for t in triggers(connection.vendor) if t.table in tables]
    with connection.cursor() as cursor:
        for trigger in wanted:
            _drop(cursor, connection.vendor, trigger.name, trigger.table)
    yield
    with connection.cursor() as cursor:
        for trigger in wanted:
            cursor.execute(trigger.sql)
