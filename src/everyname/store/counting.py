"""Counting, the service every front end calls, and what counts read from the store.

:func:`count` is the use case (``everyname count``, a figures page, the API): it checks the
acting user may see figures and counts the persons of the latest link run. What it counts is
the core's plain input (:class:`~everyname.core.count.CountInput`), built from the run's
persons with each person's place resolved against the gazetteer, so that a count for a
governorate includes every neighbourhood below it.

Building that input reads every person and resolves every place: seconds on a large
database. It is kept per process (:func:`count_input`), keyed on the run and on a version
stamp of everything else it depends on (:func:`input_stamp`), so a dashboard asking for
several breakdowns builds it once, and a decision, a place, a claim or a record added since
is seen by the next count.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import connection

from everyname.core.count import CountFilters, CountInput, CountResult, count_persons
from everyname.core.count.breakdown import PLACE_COLUMNS, PLACE_LEVELS, resolve_places
from everyname.core.places import Gazetteer
from everyname.store.linking import decisions_in_force, require_latest_run
from everyname.store.models import (
    Claim,
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


def memberships_frame(run: LinkRun) -> pd.DataFrame:
    query = Membership.objects.filter(link_run=run).values_list(
        "person_id", "record_id", "record__source__code"
    )
    return pd.DataFrame.from_records(
        ((p, str(r), s) for p, r, s in query.iterator(5000)),
        columns=["person_id", "record_id", "source"],
    )


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
    conflicts = {
        person_id: list(conflict)
        for person_id, conflict in Person.objects.filter(link_run=run)
        .exclude(conflicts=[])
        .values_list("person_id", "conflicts")
    }
    return CountInput(
        persons_frame(run),
        memberships_frame(run),
        link_run=str(run.pk),
        conflicts=conflicts,
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
