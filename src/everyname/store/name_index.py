"""The index a name search reads: which records hold a given cross-script name key.

A name search looks for records whose ``Record.name_key`` holds every key typed ("محمد
الخالدي" and "Mohammed al-Khalidi" both give ``MHMD KLD``). No ordinary index serves "holds
this word somewhere", so without one every search read the whole records table (a million
records: 0.3-0.4 s a search, more for persons; benchmarks/results/work_pages.md). Each
database has a built-in index for exactly this, used here rather than a table of name parts
kept by hand:

- SQLite: an FTS5 table over ``store_record.name_key`` (external content, so the keys are not
  stored twice; ``detail=none``, as only "which records hold this key" is asked: 4 MB for a
  million records), kept by triggers on the records table, so every way a record is written
  (an import's bulk insert, an entry, a correction, a restore) keeps it without asking.
- PostgreSQL: a GIN index on ``string_to_array(name_key, ' ')``, which the ``@>`` of
  :func:`holding_any` uses.

The index only narrows: :func:`~everyname.store.records.name_matches` still checks the keys'
order in the name itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup, Q, TextField, Value
from django.db.models.expressions import RawSQL

TABLE = "store_record_names"
DEFERRED = "store_record_names_deferred"
GIN_INDEX = "store_record_name_parts"
TRIGGERS = {
    f"{TABLE}_insert_2": f"""
        CREATE TRIGGER IF NOT EXISTS {TABLE}_insert_2 AFTER INSERT ON store_record
        WHEN new.name_key IS NOT NULL
            AND new.batch_id NOT IN (SELECT batch_id FROM {DEFERRED}) BEGIN
            INSERT INTO {TABLE}(rowid, name_key) VALUES (new.id, new.name_key);
        END""",
    f"{TABLE}_delete": f"""
        CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON store_record
        WHEN old.name_key IS NOT NULL BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, name_key) VALUES ('delete', old.id, old.name_key);
        END""",
    f"{TABLE}_update": f"""
        CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF id, name_key ON store_record
        BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, name_key)
                SELECT 'delete', old.id, old.name_key WHERE old.name_key IS NOT NULL;
            INSERT INTO {TABLE}(rowid, name_key)
                SELECT new.id, new.name_key WHERE new.name_key IS NOT NULL;
        END""",
}
"""What keeps the SQLite index: an external-content FTS5 table is told of every change, with
the values it indexed (an FTS5 'delete' needs the old text). A trigger's name changes with its
definition, so that :func:`keep_triggers` replaces an older one.

An import's records are indexed together at its end instead (:func:`indexed_at_end`): row by
row, through the trigger, FTS5 took 14 µs a record, a million-row import 11 s of its 54."""


def install(db: BaseDatabaseWrapper) -> None:
    """Creates the index and fills it from the records there are (a migration's step)."""
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(name_key, "
                "content='store_record', content_rowid='id', detail='none', columnsize=0)"
            )
            cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED} (batch_id INTEGER PRIMARY KEY)")
            _put_triggers(cursor)
        elif db.vendor == "postgresql":
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON store_record "
                "USING gin (string_to_array(name_key, ' '))"
            )


def uninstall(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            for name in _our_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {DEFERRED}")
        elif db.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


def keep_triggers(db: BaseDatabaseWrapper) -> None:
    """Puts back what keeps the index, if missing, after every ``migrate``: on SQLite any
    trigger (Django changes a column by building the table anew and dropping the old one, and
    its triggers with it), then indexes the records afresh; on PostgreSQL the index itself."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM django_migrations WHERE app = 'store' AND name = %s",
                ["0018_name_index"],
            )
            made = cursor.fetchone() is not None
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [GIN_INDEX])
            if made and cursor.fetchone() is None:
                install(db)
        return
    if db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master")
        tables = {row[0] for row in cursor.fetchall()}
        if TABLE not in tables or "store_record" not in tables:
            return  # before the migration that makes it
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED} (batch_id INTEGER PRIMARY KEY)")
        if set(_our_triggers(cursor)) != set(TRIGGERS):
            _put_triggers(cursor)
            # records may have been written while a trigger was missing: read them all again
            # (a second for a million records)
            cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")


def _our_triggers(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
        [f"{TABLE}_%"],
    )
    return [row[0] for row in cursor.fetchall()]


def _put_triggers(cursor: Any) -> None:
    """Every trigger of :data:`TRIGGERS` there, and no other of ours (an older definition)."""
    for name in _our_triggers(cursor):
        if name not in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    for sql in TRIGGERS.values():
        cursor.execute(sql)


@contextmanager
def indexed_at_end(batch_id: int) -> Iterator[None]:
    """The records a batch inserts inside this block are indexed together when it ends, in the
    caller's transaction (which must be open: if the block fails, the transaction's rollback
    takes back the records and the deferral with them).

    On SQLite the insert trigger skips the batch's records meanwhile, and one statement adds
    them all at the end: FTS5 indexes a million names in about a second that way, against 14 s
    row by row (PostgreSQL's GIN index keeps up on its own)."""
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexed_at_end needs the caller's transaction")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {DEFERRED} (batch_id) VALUES (%s)", [batch_id])
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE}(rowid, name_key) SELECT id, name_key FROM store_record "
            "WHERE batch_id = %s AND name_key IS NOT NULL",
            [batch_id],
        )
        cursor.execute(f"DELETE FROM {DEFERRED} WHERE batch_id = %s", [batch_id])


class _HoldsParts(Lookup):
    """PostgreSQL: the name key, split at its spaces, holds every one of the keys given (the
    very expression the GIN index is built on, so the index serves it)."""

    lookup_name = "everyname_holds_parts"

    def as_sql(self, compiler: Any, db: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, db)
        rhs, rhs_params = self.process_rhs(compiler, db)
        return f"string_to_array({lhs}, ' ') @> ({rhs})::text[]", [*lhs_params, *rhs_params]


def holding_keys(keys: Sequence[str]) -> Q:
    """Records whose name key holds every one of ``keys`` as a whole part, in any order,
    found through the index (the caller checks the order, if it matters)."""
    return holding_any([keys])


def holding_any(readings: Sequence[Sequence[str]]) -> Q:
    """Records whose name key holds every key of one of ``readings`` (an entry may be
    several adjacent parts, "MHMD NR"), through the index: one lookup whatever their number."""
    parts = [list(dict.fromkeys(k for entry in keys for k in entry.split())) for keys in readings]
    readings = [keys for keys in parts if keys]
    if not readings:
        return Q()
    if connection.vendor == "sqlite":
        # Keys are capital letters only (core.names.keys), so quoting each as an FTS5 string
        # cannot turn it into an operator.
        match = " OR ".join(
            "(" + " AND ".join(f'"{key}"' for key in keys) + ")" for keys in readings
        )
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", (match,)))
    query = Q()
    for keys in readings:
        if connection.vendor == "postgresql":
            query |= Q(_HoldsParts(F("name_key"), Value(keys)))
        else:  # any other database: no index, the same answer
            one = Q()
            for key in keys:
                one &= Q(name_key__regex=rf"(^| ){key}( |$)")
            query |= one
    return query


def known_keys(keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` some record holds as a part, in one query that reads the index only
    (a name search asks this of the few dozen ways a name can be cut or joined)."""
    keys = sorted(set(keys))
    if not keys:
        return set()
    held: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for start in range(0, len(keys), 200):  # SQLite allows 500 SELECTs in a UNION
                chunk = keys[start : start + 200]
                cursor.execute(
                    " UNION ALL ".join(
                        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s)"
                        for _ in chunk
                    ),
                    [value for key in chunk for value in (key, f'"{key}"')],
                )
                held.update(row[0] for row in cursor.fetchall())
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT k FROM unnest(%s::text[]) AS k WHERE EXISTS (SELECT 1 FROM store_record "
                "WHERE string_to_array(name_key, ' ') @> ARRAY[k])",
                [keys],
            )
            held.update(row[0] for row in cursor.fetchall())
        else:
            from everyname.store.models import Record

            held.update(k for k in keys if Record.objects.filter(holding_keys([k])).exists())
    return held


class _Like(Lookup):
    """SQL's LIKE with the pattern as given (Django's own lookups escape ``%``)."""

    lookup_name = "everyname_like"

    def as_sql(self, compiler: Any, db: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, db)
        rhs, rhs_params = self.process_rhs(compiler, db)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def in_order_any(readings: Sequence[Sequence[str]]) -> Q:
    """Records whose name key holds the keys of one of ``readings`` in their order as whole
    parts, other parts allowed between ("MHMD KLD" in "MHMD BDLRHMN KLD", not in "KLD MHMD"
    nor "MHMD KLDN"); an entry of several parts ("MHMD NR") must stand as those parts next to
    each other.

    A LIKE per reading, which both databases run in their own code (a regular expression is,
    on SQLite, a Python function called for each row): the key is written with its spaces
    doubled and a space either side, so that each part of the pattern, `` KEY ``, takes its
    own spaces."""
    from django.db.models.functions import Concat, Replace

    readings = [keys for keys in readings if keys]
    if not readings:
        return Q()
    space = Value(" ", output_field=TextField())
    doubled = Replace(F("name_key"), space, Value("  ", output_field=TextField()))
    spaced = Concat(space, doubled, space, output_field=TextField())
    query = Q()
    for keys in readings:
        pattern = "%" + "%".join(" {} ".format(key.replace(" ", "  ")) for key in keys) + "%"
        query |= Q(_Like(spaced, Value(pattern, output_field=TextField())))
    return query
