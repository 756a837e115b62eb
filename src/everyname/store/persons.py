"""Persons as a reader looks them up: a page of them, found by name in either script, and one
person with everything behind it (records, resolved values, conflicts, decisions, id history).

A person is what a link run made of records; the latest run is read unless another is named.
Name search goes through the forms ingest stores with every record (the cross-script key of each
name part), so "محمد الخالدي" and "Mohammed al-Khalidi" find the same people. A recorder sees a
person only through the records of the sources assigned to them: the list holds the persons
with such a record, and a person's other records are counted, not shown. Nor is what those
records say: a person a recorder sees is resolved again from their records alone (see
:func:`_seen_by`), so no value, conflict or source of another source reaches them.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.link import resolve_persons
from everyname.core.provenance import json_safe
from everyname.store.linking import latest_run, records_frame, standing_decisions
from everyname.store.models import LinkRun, MatchDecision, Membership, Person, Record, Source
from everyname.store.paging import Page, check_paging, filters_of, page_of
from everyname.store.permissions import Actor, Permission, require
from everyname.store.places import place_key
from everyname.store.records import (
    RecordFilters,
    RecordSummary,
    in_sources,
    name_matches,
    place_matches,
    record_summary,
    records_matching,
    vocabulary_value,
)


@dataclass(frozen=True)
class PersonFilters:
    """What a list of persons can be narrowed by (resolved values; a source the person has a
    record from).

    ``since``/``until`` (inclusive, full dates) keep persons whose resolved date of death lies
    wholly inside the window, as counts do: a month or a year is inside only when all of it
    is. ``place`` keeps persons with a record naming that place or a place inside it, in
    either script (see :func:`~everyname.store.records.place_matches`).
    """

    source: str | None = None
    sex: str | None = None
    status: str | None = None
    age_group: str | None = None
    since: date | str | None = None
    until: date | str | None = None
    place: str | None = None

    @classmethod
    def of(cls, filters: PersonFilters | Mapping[str, Any] | None) -> PersonFilters:
        return filters_of(cls, filters)


@dataclass(frozen=True)
class PersonSummary:
    person_id: str
    name: str | None
    n_records: int
    sources: tuple[str, ...]
    sex: str
    age_group: str
    age_years: float | None
    date_of_death: str | None
    status: str
    conflicts: int

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["sources"] = list(self.sources)
        return out


def _person_summary(person: Seen) -> PersonSummary:
    resolved = person.resolved
    return PersonSummary(
        person_id=person.person_id,
        name=resolved.get("name") or resolved.get("full_name"),
        n_records=person.n_records,
        sources=person.sources,
        sex=resolved.get("sex") or "unknown",
        age_group=resolved.get("age_group") or "unknown",
        age_years=resolved.get("age_years"),
        date_of_death=resolved.get("date_of_death"),
        status=resolved.get("status") or "unknown",
        conflicts=len(person.conflicts),
    )


def _summaries(actor: Actor, run: LinkRun, persons: list[Person]) -> tuple[PersonSummary, ...]:
    """The page's persons as ``actor`` may see them (re-resolving only this page's)."""
    seen = _seen_by(actor, run, persons)
    return tuple(_person_summary(seen[p.person_id]) for p in persons)


# --- a person as an actor may see it ---------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What a person is made of, from the records one actor may see.

    For an actor who sees every source this is the stored :class:`Person` as the link run
    resolved it. For a recorder whose sources hold only some of the person's records it is
    those records resolved again, alone, by the core's own rules
    (:func:`~everyname.core.link.resolve_persons`, called as a link run calls it): the values
    most of *their* records give, conflicts among *their* records only, their sources, their
    number of records. The stored values are resolved from every source's records, so showing
    them (or a conflict "src-a says 12, src-b says 15") would tell a recorder what records they
    may not read say.

    Re-resolved values come from the records as they are now: a correction made since the link
    run shows here at once, where other roles see it in the person after the next run.
    """

    person_id: str
    n_records: int
    sources: tuple[str, ...]
    resolved: dict[str, Any]
    conflicts: tuple[dict[str, Any], ...]
    whole: bool
    """Whether this is the whole person (every record seen), as every role sees it."""

    @classmethod
    def of(cls, person: Person) -> Seen:
        return cls(
            person_id=person.person_id,
            n_records=person.n_records,
            sources=tuple(person.sources or ()),
            resolved=dict(person.resolved or {}),
            conflicts=tuple(person.conflicts or ()),
            whole=True,
        )


def _seen_by(actor: Actor, run: LinkRun, persons: list[Person]) -> dict[str, Seen]:
    """Each of ``persons`` as ``actor`` may see it (see :class:`Seen`). A person all of whose
    sources the actor is assigned to is seen whole, as stored; only the others are resolved
    again, from the actor's records of them (two queries and one small resolution a page)."""
    scope = actor.source_scope()
    seen = {p.person_id: Seen.of(p) for p in persons}
    if scope is None:
        return seen
    partial = [p.person_id for p in persons if not set(p.sources or ()) <= scope]
    if not partial:
        return seen
    members = dict(
        Membership.objects.filter(
            link_run=run, person_id__in=partial, record__source__code__in=sorted(scope)
        ).values_list("record_id", "person_id")
    )
    resolved = _resolved_from(members)
    for person_id in partial:
        # a person none of whose records the actor may see is listed for no one who sees it
        # this way, but were it ever, it would show nothing rather than every source's values
        seen[person_id] = resolved.get(person_id) or Seen(person_id, 0, (), {}, (), False)
    return seen


def _resolved_from(person_of: Mapping[int, str]) -> dict[str, Seen]:
    """The persons these records (record id -> person id) make, each from these records alone,
    resolved as :func:`~everyname.store.linking.run_link` resolves a run's persons."""
    if not person_of:
        return {}
    frame = records_frame(Record.objects.filter(pk__in=sorted(person_of)))
    table = resolve_persons(
        frame, [person_of[int(r)] for r in frame["record_id"]], place_key=place_key()
    )
    columns = [
        c
        for c in table.columns
        if c not in ("person_id", "n_records", "sources", "conflicts", "record_ids")
    ]
    return {
        str(row["person_id"]): Seen(
            person_id=str(row["person_id"]),
            n_records=int(row["n_records"]),
            sources=tuple(str(s) for s in row["sources"]),
            resolved=json_safe({c: row[c] for c in columns}),
            conflicts=tuple(json_safe(list(row["conflicts"] or []))),
            whole=False,
        )
        for row in table.to_dict("records")
    }


def _run(link_run: int | None) -> LinkRun:
    if link_run is None:
        run = latest_run()
        if run is None:
            raise NotFound("there is no link run yet: link the records first", field="link_run")
        return run
    run = LinkRun.objects.filter(pk=link_run).first()
    if run is None:
        raise NotFound(f"no link run {link_run}", field="link_run")
    return run


def _scoped_records(actor: Actor) -> QuerySet:
    scope = actor.source_scope()
    records = Record.objects.all()
    return records if scope is None else records.filter(in_sources(scope))


def list_persons(
    actor: Actor,
    query: str | None = None,
    filters: PersonFilters | Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int = 50,
    link_run: int | None = None,
) -> Page:
    """A page of the persons of a link run (default: the latest), ordered by person id.

    ``query`` is a person id or a name in either script (every part must match some record
    of the person). A recorder's filters ask about their own records (:func:`_recorders_persons`).
    """
    require(actor, Permission.VIEW_RECORDS)
    check_paging(page, page_size)
    filters = PersonFilters.of(filters)
    run = _run(link_run)
    text = (query or "").strip()
    by_id = bool(text) and Person.objects.filter(link_run=run, person_id=text).exists()
    named = bool(text) and not by_id  # a person id is not looked for as a name
    scope = actor.source_scope()
    if scope is not None:
        return _recorders_persons(actor, run, text, by_id, filters, page, page_size)
    records = Record.objects.all()
    restricted = filters.source is not None
    if restricted:
        require(actor, Permission.VIEW_RECORDS, filters.source)
        records = records.filter(in_sources([filters.source], named))
    persons = Person.objects.filter(link_run=run)
    if by_id:
        if restricted and not _members(run, records).filter(person_id=text).exists():
            persons = persons.none()
        persons = persons.filter(person_id=text)
    elif named:
        by_name = _members(run, records.filter(name_matches(text)))
        if not _person_filters(filters):
            return _page_of_members(actor, run, by_name, page, page_size)
        persons = persons.filter(person_id__in=by_name.values("person_id"))
    elif restricted:
        persons = persons.filter(person_id__in=_members(run, records).values("person_id"))
    if filters.place and filters.place.strip():
        there = records.filter(place_matches(filters.place))
        persons = persons.filter(person_id__in=_members(run, there).values("person_id"))
    window = _date_window(filters.since, filters.until)
    if window is not None:
        died = Cast(KT("resolved__date_of_death"), output_field=TextField())
        persons = persons.annotate(_died=died).filter(window)
    for name in ("sex", "status", "age_group"):
        value = vocabulary_value(name, getattr(filters, name))
        if value is not None:
            persons = persons.filter(**{f"resolved__{name}": value})
    rows, total = page_of(persons.order_by("person_id"), page, page_size)
    return Page(_summaries(actor, run, rows), page, page_size, total)


def _recorders_persons(
    actor: Actor,
    run: LinkRun,
    text: str,
    by_id: bool,
    filters: PersonFilters,
    page: int,
    page_size: int,
) -> Page:
    """A recorder's persons: those with a record of their sources that every filter keeps
    (the name too, unless ``text`` is a person id).

    The filters ask about the recorder's own records, never about the person's resolved
    values, which other sources' records make: filtering on those told a recorder what a
    source they may not read says (that someone is a combatant, or died in March)."""
    if filters.source is not None:
        require(actor, Permission.VIEW_RECORDS, filters.source)
    wanted = RecordFilters(
        name=text if text and not by_id else None,
        source=filters.source,
        since=filters.since,
        until=filters.until,
        place=filters.place,
        status=filters.status,
        sex=filters.sex,
        age_group=filters.age_group,
    )
    members = _members(run, records_matching(actor, wanted))
    if by_id:
        members = members.filter(person_id=text)
    if wanted.name is not None:
        return _page_of_members(actor, run, members, page, page_size)
    persons = Person.objects.filter(link_run=run, person_id__in=members.values("person_id"))
    rows, total = page_of(persons.order_by("person_id"), page, page_size)
    return Page(_summaries(actor, run, rows), page, page_size, total)


def _page_of_members(
    actor: Actor, run: LinkRun, members: QuerySet, page: int, page_size: int
) -> Page:
    """The persons of the memberships a name search found, listed and counted once here:
    asking the database for the count and then for the page made it find them twice."""
    ids = sorted(set(members.values_list("person_id", flat=True)))
    start = (page - 1) * page_size
    shown = Person.objects.filter(link_run=run, person_id__in=ids[start : start + page_size])
    rows = list(shown.order_by("person_id"))
    return Page(_summaries(actor, run, rows), page, page_size, len(ids))


def _members(run: LinkRun, records: QuerySet) -> QuerySet:
    """The memberships in ``run`` of these records."""
    return Membership.objects.filter(link_run=run, record_id__in=records.values("pk"))


def _person_filters(filters: PersonFilters) -> bool:
    """Whether any filter asks about the person rather than which records are searched."""
    return any(
        str(getattr(filters, f.name) or "").strip() for f in fields(filters) if f.name != "source"
    )


DAY, MONTH, YEAR = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", r"^[0-9]{4}-[0-9]{2}$", r"^[0-9]{4}$"


def _full_date(value: date | str | None, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"{name} must be a full date (YYYY-MM-DD), got {value!r}", field=name
        ) from None


def _date_window(since: date | str | None, until: date | str | None) -> Q | None:
    """Persons (annotated ``_died``: the resolved date as text) whose date of death lies wholly
    in the window. A resolved date is a day, a month (YYYY-MM) or a year (YYYY): each precision
    is compared with the first and last month or year wholly inside, as text of its own length,
    so the database compares strings and no row is read into Python."""
    start, end = _full_date(since, "since"), _full_date(until, "until")
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"until ({end}) is before since ({start})", field="until")
    day, month, year = Q(_died__regex=DAY), Q(_died__regex=MONTH), Q(_died__regex=YEAR)
    if start is not None:
        first_month = (start.year, start.month) if start.day == 1 else _next_month(start)
        first_year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
        day &= Q(_died__gte=start.isoformat())
        month &= Q(_died__gte=f"{first_month[0]:04d}-{first_month[1]:02d}")
        year &= Q(_died__gte=f"{first_year:04d}")
    if end is not None:
        last_day = calendar.monthrange(end.year, end.month)[1]
        last_month = (end.year, end.month) if end.day == last_day else _previous_month(end)
        last_year = end.year if (end.month, end.day) == (12, 31) else end.year - 1
        day &= Q(_died__lte=end.isoformat())
        month &= Q(_died__lte=f"{last_month[0]:04d}-{last_month[1]:02d}")
        year &= Q(_died__lte=f"{last_year:04d}")
    return day | month | year


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def _previous_month(day: date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


# --- one person ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A reviewer's verdict on a pair of this person's records (``in_force``: the latest on
    that pair, the one every link run applies)."""

    id: int
    record_l: int
    record_r: int
    verdict: str
    decided_by: str
    decided_at: datetime
    note: str
    in_force: bool

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["decided_at"] = self.decided_at.isoformat()
        return out


@dataclass(frozen=True)
class IdEvent:
    """One step of a person id's history: the id present in a run (``kind="present"``, with
    its number of records), or an earlier id that became this person's (``kind="became"``,
    with the ids it became in that run: one for a merge, several for a split)."""

    link_run: int
    at: datetime
    kind: str
    person_id: str
    records: int | None = None
    now: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["at"] = self.at.isoformat()
        out["now"] = list(self.now)
        return out


@dataclass(frozen=True)
class PersonDetail:
    """One person of a link run and everything a reader needs to trust it."""

    person_id: str
    link_run: int
    redirected_from: str | None
    """The id asked for when it is an earlier id of this person (merged into it)."""
    n_records: int
    sources: tuple[str, ...]
    resolved: dict[str, Any]
    conflicts: tuple[dict[str, Any], ...]
    records: tuple[RecordSummary, ...]
    records_not_shown: int
    """Records of this person from sources the acting user is not assigned to."""
    decisions: tuple[Decision, ...]
    id_history: tuple[IdEvent, ...]
    grade: str = "unknown"
    """Corroboration (:mod:`everyname.core.corroboration`): confirmed, single_source or
    contested, counting a copy group of sources once, as counts grade persons; ``withheld``
    for a recorder not shown some of the person's records (see :func:`get_person`)."""
    independent_sources: int | None = 0
    """None when the grade is withheld."""
    contested_fields: tuple[str, ...] = ()
    place_spellings: tuple[str, ...] = ()
    """Place fields among ``conflicts`` whose values all name one gazetteer place (two scripts
    or spellings of it): listed as conflicts by link runs made before places were compared as
    places, not a disagreement to a reader."""
    records_one_place: bool = False
    """Whether the records shown give their place in different texts that all name one
    gazetteer place ("باب هود" and "Bab Hud"): a page need not mark them as differing."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "link_run": self.link_run,
            "redirected_from": self.redirected_from,
            "n_records": self.n_records,
            "sources": list(self.sources),
            "resolved": dict(self.resolved),
            "conflicts": list(self.conflicts),
            "records": [r.to_dict() for r in self.records],
            "records_not_shown": self.records_not_shown,
            "decisions": [d.to_dict() for d in self.decisions],
            "id_history": [e.to_dict() for e in self.id_history],
            "grade": self.grade,
            "independent_sources": self.independent_sources,
            "contested_fields": list(self.contested_fields),
            "place_spellings": list(self.place_spellings),
            "records_one_place": self.records_one_place,
        }


def _runs_up_to(run: LinkRun) -> list[LinkRun]:
    return list(
        LinkRun.objects.filter(created_at__lte=run.created_at)
        .exclude(created_at=run.created_at, pk__gt=run.pk)
        .order_by("created_at", "id")
        .only("pk", "created_at", "id_changes")
    )


def _current_ids(person_id: str, runs: list[LinkRun]) -> set[str]:
    """What ``person_id`` became by the last of ``runs``, following each run's id changes."""
    ids = {person_id}
    for run in runs:
        for change in run.id_changes or ():
            if change.get("person_id") in ids:
                ids.discard(change["person_id"])
                ids.update(str(i) for i in change.get("now") or ())
    return ids


def _id_history(person_id: str, runs: list[LinkRun]) -> tuple[IdEvent, ...]:
    events: list[IdEvent] = []
    lineage = {person_id}
    for run in reversed(runs):
        for pid, n in Person.objects.filter(link_run=run, person_id__in=lineage).values_list(
            "person_id", "n_records"
        ):
            events.append(IdEvent(run.pk, run.created_at, "present", pid, records=n))
        earlier = set()
        for change in run.id_changes or ():
            now = tuple(str(i) for i in change.get("now") or ())
            if lineage & set(now):
                old = str(change["person_id"])
                events.append(IdEvent(run.pk, run.created_at, "became", old, now=now))
                earlier.add(old)
        lineage |= earlier
    events.sort(key=lambda e: (e.at, e.link_run, e.kind != "became", e.person_id))
    return tuple(events)


def _decisions(record_ids: list[int], actor: Actor) -> tuple[Decision, ...]:
    """The decisions on pairs with a record of this person; for a recorder only those on
    pairs of two records they may see (a decision on another source's record would show its
    record id, its source and the reviewer's note about it). Which decision is in force is
    decided over all of them, as every link run decides it."""
    rows = list(
        MatchDecision.objects.filter(Q(record_l_id__in=record_ids) | Q(record_r_id__in=record_ids))
        .order_by("decided_at", "id")
        .values_list(
            "pk", "record_l_id", "record_r_id", "verdict", "decided_by", "decided_at", "note"
        )
    )
    standing = standing_decisions(row[:5] for row in rows)
    in_force = {stack[-1][0] for stack in standing.values() if stack}
    if actor.source_scope() is not None:
        named = {r for row in rows for r in row[1:3]}
        mine = set(_scoped_records(actor).filter(pk__in=sorted(named)).values_list("pk", flat=True))
        rows = [row for row in rows if row[1] in mine and row[2] in mine]
    return tuple(
        Decision(pk, left, right, verdict, by, at, note, pk in in_force)
        for pk, left, right, verdict, by, at, note in rows
    )


def get_person(actor: Actor, person_id: str, link_run: int | None = None) -> PersonDetail:
    """One person of a link run (default: the latest). An earlier id of the person (from
    before a merge) finds it too, saying so in ``redirected_from``; an id that was split
    between several persons is not found, and the message names them.

    A recorder not assigned to every source of the person sees it as their records alone make
    it (:class:`Seen`): values, conflicts, sources and decisions among those records, with the
    number of records not shown. The corroboration grade is then withheld (``withheld``, no
    number of independent sources) rather than computed over what they see: the whole
    person's grade says whether sources they may not read agree with theirs ("contested" is a
    disagreement with a value they cannot see), and a grade over their records alone would
    claim what the whole person is not ("one independent source only" of a person two others
    confirm, "confirmed" of one they contest)."""
    require(actor, Permission.VIEW_RECORDS)
    person_id = str(person_id or "").strip()
    if not person_id:
        raise InvalidInput("a person id is required", field="person")
    run = _run(link_run)
    runs = _runs_up_to(run)
    person = Person.objects.filter(link_run=run, person_id=person_id).first()
    redirected_from = None
    if person is None:
        now = _current_ids(person_id, runs)
        if now == {person_id} or not now:
            raise NotFound(f"no person {person_id} in link run {run.pk}", field="person")
        if len(now) > 1:
            raise NotFound(
                f"{person_id} was split in later link runs; it is now {', '.join(sorted(now))}",
                field="person",
            )
        redirected_from = person_id
        person = Person.objects.filter(link_run=run, person_id=next(iter(now))).first()
        if person is None:
            raise NotFound(f"no person {person_id} in link run {run.pk}", field="person")
    # Sorted here, not by the database: asked to order by record, SQLite (no statistics)
    # walks the run's (link run, record) index through every membership of the run instead
    # of the (link run, person) one: 80 ms on a million records (benchmarks/work_pages.py).
    record_ids = sorted(
        Membership.objects.filter(link_run=run, person_id=person.person_id)
        .order_by()
        .values_list("record_id", flat=True)
    )
    visible = list(
        _scoped_records(actor)
        .filter(pk__in=record_ids)
        .select_related("source", "batch")  # the batch's column plan rebuilds as_written
        .defer("sensitive_encrypted")
        .order_by("pk")
    )
    if not visible:
        sources = sorted(set(person.sources or ()))
        require(actor, Permission.VIEW_RECORDS, sources[0] if sources else None)
    not_shown = len(record_ids) - len(visible)
    if not_shown:
        mine = _resolved_from({r.pk: person.person_id for r in visible})
        seen = mine.get(person.person_id) or Seen(person.person_id, 0, (), {}, (), False)
        grade = {"grade": "withheld", "independent_sources": None, "contested_fields": ""}
    else:
        seen = Seen.of(person)
        grade = _corroboration(person)
    resolved = {k: v for k, v in seen.resolved.items() if k != "record_ids"}
    independent = grade["independent_sources"]
    summaries = tuple(record_summary(r) for r in visible)
    return PersonDetail(
        person_id=person.person_id,
        link_run=run.pk,
        redirected_from=redirected_from,
        n_records=seen.n_records,
        sources=seen.sources,
        resolved=resolved,
        conflicts=seen.conflicts,
        records=summaries,
        records_not_shown=not_shown,
        decisions=_decisions(record_ids, actor),
        id_history=_id_history(person.person_id, runs),
        grade=str(grade["grade"]),
        independent_sources=None if independent is None else int(independent),
        contested_fields=tuple(f for f in str(grade["contested_fields"]).split(";") if f),
        place_spellings=_place_spellings(seen.conflicts),
        records_one_place=_one_place(summaries),
    )


def _one_place(records: tuple[RecordSummary, ...]) -> bool:
    """Whether the records' places are different texts naming one gazetteer place."""
    texts = {r.place for r in records if r.place}
    if len(texts) < 2:
        return False
    key = place_key()
    found = {key(text, "place") for text in texts}
    return len(found) == 1 and None not in found


def _place_spellings(conflicts: Any) -> tuple[str, ...]:
    """The place fields of ``conflicts`` whose every value resolves, at that level, to the same
    gazetteer place ("Homs" and "حمص")."""
    from everyname.core.schema import PLACE_FIELDS
    from everyname.store.places import current_gazetteer

    out: list[str] = []
    gazetteer = None
    for conflict in conflicts:
        name = conflict.get("field")
        if name not in PLACE_FIELDS:
            continue
        gazetteer = gazetteer or current_gazetteer()
        level = None if name == "place" else name
        found = {
            match.entry.id if (match := gazetteer.resolve(str(value), level=level)) else None
            for value in conflict.get("values") or {}
        }
        if len(found) == 1 and None not in found:
            out.append(str(name))
    return tuple(out)


def _corroboration(person: Person) -> dict[str, Any]:
    """The person's row of :func:`~everyname.core.corroboration.corroborate`, with the copy
    groups in force (the same grade a count by ``grade`` gives)."""
    import pandas as pd

    from everyname.core.corroboration import corroborate

    sources = [str(s) for s in person.sources or ()]
    groups = dict(
        Source.objects.filter(code__in=sources)
        .exclude(copy_group="")
        .values_list("code", "copy_group")
    )
    memberships = pd.DataFrame({"person_id": [person.person_id] * len(sources), "source": sources})
    graded = corroborate(
        memberships, {person.person_id: person.conflicts or []}, groups, [person.person_id]
    )
    return graded.table.iloc[0].to_dict()
