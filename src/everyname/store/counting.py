"""Counting, the service every front end calls, and what counts read from the store.

:func:`count` is the use case (``everyname count``, a figures page, the API): it checks the
acting user may see figures and counts the persons of the latest link run. What it counts is
the core's plain input (:class:`~everyname.core.count.CountInput`), built from the run's
persons with each person's place resolved against the gazetteer, so that a count for a
governorate includes every neighbourhood below it.

Building that input reads every person and resolves every place: half a minute or more on a
million records. The run-only part of it, the persons with their places resolved, the
memberships and the conflicts (:func:`count_frames`), is built once per link run, by the run
itself, and kept in the database for every process (:class:`~everyname.store.models.CountFrame`).
The whole input is kept per process (:func:`count_input`), keyed on the run and on a version
stamp of everything else it depends on (:func:`input_stamp`), so a dashboard asking for
several breakdowns builds it once, and a decision, a place, a claim or a record added since is
seen by the next count.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max

import everyname
from everyname.core.count import CountFilters, CountInput, CountResult, count_persons
from everyname.core.count.breakdown import PLACE_COLUMNS, PLACE_LEVELS, resolve_places
from everyname.core.places import Gazetteer
from everyname.store.linking import decisions_in_force, latest_run, require_latest_run
from everyname.store.models import (
    Claim,
    CountFrame,
    DataVersion,
    LinkRun,
    MatchDecision,
    Membership,
    Person,
    Record,
    RecordRevision,
    ReviewPair,
    Source,
    UserPlace,
)
from everyname.store.permissions import Actor, Permission, require

logger = logging.getLogger(__name__)


def gazetteer() -> Gazetteer:
    """The bundled gazetteer with the places users imported (``everyname places import``)."""
    from everyname.store.places import current_gazetteer

    return current_gazetteer()


def persons_frame(run: LinkRun) -> pd.DataFrame:
    """One row per person of ``run``: id, resolved values (name as ``full_name``), and its
    place resolved against the gazetteer: ``place_id`` and the texts it could not place."""
    rows = []
    for person_id, resolved in (
        Person.objects.filter(link_run=run).values_list("person_id", "resolved").iterator(2000)
    ):
        row = {"person_id": person_id, **resolved}
        if "full_name" not in row and "name" in row:
            row["full_name"] = row.pop("name")
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    for column in ("person_id", *PLACE_LEVELS):
        if column not in frame.columns:
            frame[column] = None
    frame = frame.drop(columns=list(PLACE_COLUMNS), errors="ignore")
    return frame.join(resolve_places(frame, gazetteer()))


def conflicts_frame(run: LinkRun) -> pd.DataFrame:
    """The persons of ``run`` whose records disagree, with what they disagree on (most agree)."""
    ids, conflicts = [], []
    query = Person.objects.filter(link_run=run).exclude(conflicts=[])
    for person_id, conflict in query.values_list("person_id", "conflicts").iterator(5000):
        ids.append(person_id)
        conflicts.append(conflict)
    return pd.DataFrame(
        {"person_id": pd.Series(ids, dtype=object), "conflicts": pd.Series(conflicts, dtype=object)}
    )


def memberships_frame(run: LinkRun) -> pd.DataFrame:
    query = Membership.objects.filter(link_run=run).values_list(
        "person_id", "record_id", "record__source__code"
    )
    return pd.DataFrame.from_records(
        ((p, str(r), s) for p, r, s in query.iterator(5000)),
        columns=["person_id", "record_id", "source"],
    )


# --- the count frames kept in the database ----------------------------------------------

FRAMES_FORMAT = 1
"""Raise when :func:`persons_frame`, :func:`memberships_frame` or their encoding change: kept
frames of an older format are built again (the stamp carries it)."""
PIECE_BYTES = 64 * 1024 * 1024
"""A frame's Parquet bytes are kept in pieces of at most this size (a field holds 1 GB at most
on SQLite and PostgreSQL; smaller pieces keep each write and read modest)."""
FRAME_TRIGGER_PREFIX = "everyname_frames_"
FRAME_SOURCES: tuple[tuple[str, str], ...] = (
    ("store_person", ""),
    ("store_membership", ""),
    ("store_userplace", ""),
    ("store_source", "code"),
    ("store_record", "source_id"),
)
"""The tables kept frames are read from, and the column that matters when not every one does.
Rows are only ever added to them in normal use (a link run adds its persons, an import its
places), which the stamp sees; an edit or deletion in place (a repair by hand, raw SQL) makes
the database itself delete every kept frame, through these triggers."""


def _frame_triggers(vendor: str) -> dict[str, str]:
    """Name → statement creating it, for ``vendor`` (none for a database we do not know)."""
    table = CountFrame._meta.db_table
    if vendor == "sqlite":
        out = {}
        for source, column in FRAME_SOURCES:
            for op in ("update", "delete"):
                what = f"UPDATE OF {column}" if op == "update" and column else op.upper()
                name = f"{FRAME_TRIGGER_PREFIX}{source}_{op}"
                out[name] = (
                    f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {what} ON {source} "
                    f"BEGIN DELETE FROM {table}; END"
                )
        return out
    if vendor == "postgresql":
        out = {}
        for source, column in FRAME_SOURCES:
            update = f"UPDATE OF {column}" if column else "UPDATE"
            name = f"{FRAME_TRIGGER_PREFIX}{source}"
            out[name] = (
                f"CREATE TRIGGER {name} AFTER {update} OR DELETE OR TRUNCATE "
                f"ON {source} FOR EACH STATEMENT EXECUTE FUNCTION {FRAME_TRIGGER_PREFIX}forget()"
            )
        return out
    return {}


def _installed_frame_triggers(db: Any) -> set[str]:
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{FRAME_TRIGGER_PREFIX}%"],
            )
        elif db.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgname LIKE %s",
                [f"{FRAME_TRIGGER_PREFIX}%"],
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def install_frame_triggers(db: Any = None) -> None:
    """Put the triggers that delete kept frames on an edit in place (migration 0019, and again
    before frames are kept: on SQLite a migration that changes a column builds the table anew
    and drops its triggers)."""
    db = db or connection
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FRAME_TRIGGER_PREFIX}forget() RETURNS trigger AS $$ "
                f"BEGIN DELETE FROM {CountFrame._meta.db_table}; RETURN NULL; END; $$ "
                "LANGUAGE plpgsql"
            )
        for name, statement in _frame_triggers(db.vendor).items():
            if db.vendor == "postgresql":  # CREATE OR REPLACE TRIGGER needs PostgreSQL 14
                table = name.removeprefix(FRAME_TRIGGER_PREFIX)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(statement)


def uninstall_frame_triggers(db: Any = None) -> None:
    db = db or connection
    with db.cursor() as cursor:
        for name in _frame_triggers(db.vendor):
            if db.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                table = name.removeprefix(FRAME_TRIGGER_PREFIX)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        if db.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FRAME_TRIGGER_PREFIX}forget()")


def _frame_triggers_in_place() -> bool:
    expected = set(_frame_triggers(connection.vendor))
    return bool(expected) and expected <= _installed_frame_triggers(connection)


@lru_cache(maxsize=1)
def _bundled_gazetteer_digest() -> str:
    from importlib import resources

    from everyname.core.places import BUNDLED

    data = resources.files("everyname.core").joinpath("data", BUNDLED).read_bytes()
    return hashlib.sha256(data).hexdigest()


def frames_stamp(run: LinkRun) -> str:
    """What a run's frames depend on besides its own rows: the run (its id and creation time),
    the places users imported (row count, highest id), the bundled gazetteer, this code
    (:data:`FRAMES_FORMAT`, everyname's and pandas' versions)."""
    places = UserPlace.objects.aggregate(n=Count("id"), last=Max("id"))
    parts = (
        FRAMES_FORMAT,
        everyname.__version__,
        pd.__version__,
        _bundled_gazetteer_digest(),
        run.pk,
        run.created_at.isoformat(),
        places["n"],
        places["last"] or 0,
    )
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _encode_frame(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of ``frame``. Columns of Python objects are kept as text when every value
    is text or None, as lists of text when every value is one, else as JSON (tuples noted, so
    they read back as tuples)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = frame.copy()
    codecs: dict[str, str] = {}
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        values = frame[column].tolist()
        if all(v is None or type(v) is str for v in values):
            codecs[column] = "text"
            continue
        if all(v is None or (type(v) is list and all(type(i) is str for i in v)) for v in values):
            codecs[column] = "text-lists"  # a person's record ids: Parquet's own lists
            plain[column] = pa.array(values, type=pa.list_(pa.string()))
            continue
        tuples = _has_tuples(values)
        if tuples and _has_lists(values):
            raise ValueError(f"column {column!r} mixes lists and tuples")
        codecs[column] = "json-tuples" if tuples else "json"
        plain[column] = pd.Series(
            [None if v is None else json.dumps(v, ensure_ascii=False) for v in values],
            index=frame.index,
            dtype=object,
        )
    table = pa.Table.from_pandas(plain, preserve_index=True)
    metadata = {**(table.schema.metadata or {}), b"everyname": json.dumps(codecs).encode()}
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer, compression="zstd")
    return buffer.getvalue()


def _has_tuples(values: list[Any]) -> bool:
    return any(isinstance(v, tuple) or (isinstance(v, list) and _has_tuples(v)) for v in values)


def _has_lists(values: list[Any]) -> bool:
    return any(
        isinstance(v, list) or (isinstance(v, tuple) and _has_lists(list(v))) for v in values
    )


def _as_tuples(value: Any) -> Any:
    return tuple(_as_tuples(v) for v in value) if isinstance(value, list) else value


def _read_tuples(texts: list[str | None]) -> list[Any]:
    """JSON texts read as tuples: mostly the same few (no place left unplaced), each read once
    and shared, which tuples allow."""
    read: dict[str, Any] = {}
    out = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        if text not in read:
            read[text] = _as_tuples(json.loads(text))
        out.append(read[text])
    return out


def _decode_frame(data: bytes) -> pd.DataFrame:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    codecs = json.loads(table.schema.metadata[b"everyname"])
    frame = table.to_pandas()
    for column, codec in codecs.items():
        values = table.column(column).to_pylist()
        if codec == "json":
            values = [None if v is None else json.loads(v) for v in values]
        elif codec == "json-tuples":
            values = _read_tuples(values)
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _same_frame(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Whether two frames are the same to a count: columns, index, dtypes and every value, with
    its type (a list is not a tuple, 1 is not 1.0) and missing where the other is missing."""
    if list(left.columns) != list(right.columns) or not left.index.equals(right.index):
        return False
    for column in left.columns:
        a, b = left[column], right[column]
        if a.dtype != b.dtype:
            return False
        if a.dtype != object:
            if not a.equals(b):
                return False
            continue
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            if type(x) is not type(y):
                return False
            if not (x == y or (isinstance(x, float) and x != x and y != y)):
                return False
    return True


def _pieces(data: bytes) -> list[bytes]:
    return [data[i : i + PIECE_BYTES] for i in range(0, len(data), PIECE_BYTES)] or [b""]


def keep_count_frames(run: LinkRun) -> bool:
    """Build ``run``'s count frames and keep them in the database for every process, in place
    of any kept before (of any run: only the latest run's are worth their space). Called by
    the link run, so the worker or the command pays, never a page.

    Frames that would not read back exactly as built are not kept (counts then build them in
    each process, as before), and neither are they when the database refuses the write (a
    page's read-only moment, a busy SQLite) or a newer run has finished meanwhile: returns
    whether they were kept."""
    return _keep(run, _build_frames(run))


class Frames(NamedTuple):
    """What a count reads of a link run and of nothing else changing: built once per run."""

    persons: pd.DataFrame
    memberships: pd.DataFrame
    conflicts: pd.DataFrame


def _build_frames(run: LinkRun) -> Frames:
    return Frames(persons_frame(run), memberships_frame(run), conflicts_frame(run))


def _keep(run: LinkRun, frames: Frames) -> bool:
    stamp = frames_stamp(run)
    try:
        encoded = {name: _encode_frame(frame) for name, frame in frames._asdict().items()}
    except (TypeError, ValueError, OverflowError) as error:
        # the kind of error only: a message could quote a value, and values name people
        logger.warning("count frames of link run %s not kept: %s", run.pk, type(error).__name__)
        return False
    if not all(
        _same_frame(frame, _decode_frame(encoded[name])) for name, frame in frames._asdict().items()
    ):
        logger.warning("count frames of link run %s not kept: they do not read back", run.pk)
        return False
    try:
        with transaction.atomic():
            latest = latest_run()
            if latest is None or latest.pk != run.pk:  # a newer run finished meanwhile
                return False
            if not _frame_triggers_in_place():  # DDL only when missing: it locks the tables
                install_frame_triggers()
            CountFrame.objects.all().delete()
            for name, data in encoded.items():
                pieces = _pieces(data)
                for number, piece in enumerate(pieces):
                    CountFrame.objects.create(
                        link_run=run,
                        frame=name,
                        number=number,
                        pieces=len(pieces),
                        stamp=stamp,
                        data=piece,
                    )
    except DatabaseError as error:  # another process keeping them too, a read-only database
        logger.warning("count frames of link run %s not kept: %s", run.pk, error)
        return False
    return True


def kept_frames(run: LinkRun) -> Frames | None:
    """``run``'s frames as kept in the database, or None when they are not there whole, were
    built from other places or code (stamp), or their triggers are missing (an edit made
    meanwhile would not have removed them)."""
    stamp = frames_stamp(run)
    kept = CountFrame.objects.filter(link_run=run)
    if not kept.filter(stamp=stamp).exists() or not _frame_triggers_in_place():
        return None
    # every piece in one query, so one consistent set even while another process keeps them
    rows = list(
        kept.order_by("frame", "number").values_list("frame", "number", "pieces", "stamp", "data")
    )
    pieces: dict[str, tuple[int, list[bytes]]] = {}
    for name, number, total, kept_stamp, data in rows:
        got = pieces.setdefault(name, (total, []))[1]
        if kept_stamp != stamp or number != len(got):
            return None
        got.append(bytes(data))
    if set(pieces) != set(Frames._fields) or any(
        len(got) != total for total, got in pieces.values()
    ):
        return None
    return Frames(*(_decode_frame(b"".join(pieces[name][1])) for name in Frames._fields))


def count_frames(run: LinkRun) -> Frames:
    """``run``'s persons (places resolved), memberships and conflicts: as kept in the database
    when they are there and current, else built, and kept when ``run`` is the latest (an older
    database, a restored one, a places import since: the first count heals it for every
    process)."""
    kept = kept_frames(run)
    if kept is not None:
        return kept
    frames = _build_frames(run)
    latest = latest_run()
    if latest is not None and latest.pk == run.pk:  # an older run's would replace the latest's
        _keep(run, frames)
    return frames


def claims_frame() -> pd.DataFrame:
    return pd.DataFrame.from_records(
        Claim.objects.values("source", "date", "place", "category", "count", "text"),
        columns=["source", "date", "place", "category", "count", "text"],
    )


def copy_groups() -> dict[str, str]:
    return dict(Source.objects.exclude(copy_group="").values_list("code", "copy_group"))


def pending_pairs_frame(run: LinkRun, decided: set[tuple[str, str]]) -> pd.DataFrame:
    """The pairs of ``run`` awaiting review: its review pairs no decision has settled since."""
    query = ReviewPair.objects.filter(link_run=run).values_list(
        "record_l_id", "record_r_id", "match_probability"
    )
    rows = []
    for left, right, probability in query.iterator(5000):
        a, b = sorted((str(left), str(right)))
        if (a, b) not in decided:
            rows.append((a, b, probability))
    frame = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])
    return frame.drop_duplicates(["record_id_l", "record_id_r"])


def records_not_linked(run: LinkRun) -> int:
    """Records the run does not cover (imported after it): no figure of the run counts them."""
    linked = Membership.objects.filter(link_run=run).values("record_id")
    return Record.objects.exclude(pk__in=linked).count()


def build_count_input(run: LinkRun | None = None) -> CountInput:
    """The persons of ``run`` (default: the latest), ready for counting and reporting, with the
    linkage doubt every figure carries: the pairs awaiting review, the decisions in force and
    the records imported since the run. Read afresh from the database (see
    :func:`count_input` for the kept copy)."""
    run = run or require_latest_run()
    decisions = decisions_in_force()
    frames = count_frames(run)
    conflicts = frames.conflicts
    return CountInput(
        frames.persons,
        frames.memberships,
        link_run=str(run.pk),
        conflicts={
            p: list(c) for p, c in zip(conflicts["person_id"], conflicts["conflicts"], strict=True)
        },
        claims=claims_frame(),
        copy_groups=copy_groups(),
        pending_pairs=pending_pairs_frame(run, {d.key for d in decisions}),
        decisions=decisions,
        records_not_linked=records_not_linked(run),
    )


# --- the kept count input ----------------------------------------------------------------

STAMPED_TABLES = (Record, RecordRevision, MatchDecision, UserPlace, Claim)
"""Tables rows are only ever added to (a correction of a record is a revision, a changed
mind a newer decision): their row count and highest id change with every addition, which
is all a stamp needs. Edits and deletions in place, on these and on the run's own tables,
are counted by database triggers in :class:`~everyname.store.models.DataVersion`."""


@dataclass(frozen=True)
class InputStamp:
    """What a count input depends on, read in one cheap query: the database, the latest
    link run (id and creation time: an id alone is reused after a rolled-back run on
    SQLite), the row count and highest id of each table rows are added to, and the
    number of edits and deletions made in place since the database was created."""

    database: str
    run_id: int | None
    run_created: str
    tables: tuple[tuple[int, int], ...]
    edits: int


def input_stamp() -> InputStamp:
    """The stamp of the count input as it stands in the database now."""
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {m._meta.db_table}), (SELECT MAX(id) FROM {m._meta.db_table})"
        for m in STAMPED_TABLES
    )
    run_table, version_table = LinkRun._meta.db_table, DataVersion._meta.db_table
    sql = (
        f"SELECT (SELECT id FROM {run_table} ORDER BY created_at DESC, id DESC LIMIT 1), "
        f"(SELECT created_at FROM {run_table} ORDER BY created_at DESC, id DESC LIMIT 1), "
        f"{parts}, (SELECT MAX(version) FROM {version_table})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    counts = row[2:-1]
    return InputStamp(
        database=str(connection.settings_dict.get("NAME")),
        run_id=row[0],
        run_created=str(row[1]),
        tables=tuple(
            (int(counts[i] or 0), int(counts[i + 1] or 0)) for i in range(0, len(counts), 2)
        ),
        edits=int(row[-1] or 0),
    )


_inputs: dict[str, tuple[InputStamp, CountInput]] = {}
"""Per database, the latest run's count input and its stamp: one, since a stamp only moves
forward and a large run's input takes gigabytes."""
_inputs_lock = threading.Lock()
_build_lock = threading.Lock()
"""Held while a count input is built: one build at a time in a process (a build takes seconds
and its memory; two requests that both find no input would otherwise both build it)."""


def count_input(run: LinkRun | None = None) -> CountInput:
    """The count input of the latest link run, built once per stamp (of ``run``, when it is
    not the latest: read afresh).

    The input is shared: callers read it and never change its frames in place."""
    stamp = input_stamp()
    if run is not None and run.pk != stamp.run_id:
        return build_count_input(run)
    if stamp.run_id is None:
        return build_count_input()  # raises: there is no link run yet
    with _inputs_lock:
        kept = _inputs.get(stamp.database)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    with _build_lock:  # two first requests at once: the second waits and takes the first's
        with _inputs_lock:
            kept = _inputs.get(stamp.database)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        data = build_count_input()
        with _inputs_lock:
            _inputs[stamp.database] = (stamp, data)
    return data


def forget_count_inputs() -> None:
    """Drop the kept count inputs (a benchmark's first call; memory)."""
    with _inputs_lock:
        _inputs.clear()


# --- the use case ----------------------------------------------------------------------


def count(
    actor: Actor,
    filters: CountFilters | None = None,
    by: Iterable[str] = (),
    explain: bool = False,
) -> CountResult:
    """Count the persons (never records) of the latest link run that ``filters`` keep, broken
    down by each field of ``by``, every category's unknowns beside it; with ``explain``, the
    person ids behind each figure. ``to_dict()`` is the ``count --format json`` contract."""
    require(actor, Permission.VIEW_FIGURES)
    data, places = count_input(), gazetteer()
    filters, fields = filters or CountFilters(), tuple(by)
    key = (filters, fields, explain)
    with _results_lock:
        kept = _results.get(key)
    if kept is not None and kept[0]() is data and kept[1] is places:
        return kept[2]
    result = count_persons(data, filters, list(fields), gazetteer=places, explain=explain)
    with _results_lock:
        _results.pop(key, None)
        _results[key] = (weakref.ref(data), places, result)
        while len(_results) > KEPT_RESULTS:
            _results.pop(next(iter(_results)))
    return result


KEPT_RESULTS = 16
"""Counts kept for the filters asked most recently: a page (the figures, a shared link) asks
for the same count again and again, and on a million persons a count takes a second. A result
is used only with the count input and gazetteer it came from, so a change is seen at once."""
_results: dict[tuple[Any, ...], tuple[weakref.ref[CountInput], Any, CountResult]] = {}
_results_lock = threading.Lock()


# Claims and copy groups live in ``store.claims`` (permission-checked use cases); these two keep
# the callers of the earlier signatures working, acting as the local administrator for a name.
def import_claims(path: Path, *, actor: str) -> int:
    from everyname.store import claims

    who = actor if isinstance(actor, Actor) else Actor.local_admin(actor)
    return claims.import_claims(who, path).claims


def set_copy_group(codes: list[str], group: str, *, actor: str) -> None:
    from everyname.store import claims

    who = actor if isinstance(actor, Actor) else Actor.local_admin(actor)
    claims.set_copy_group(who, codes, group)
