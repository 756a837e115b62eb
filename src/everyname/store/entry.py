"""Typing in one victim: what the entry would be, who it might already be, and saving it.

A recorder taking a call from a relative types the victim in; before anything is written,
:func:`check_entry` reads the values as an import would (``core.ingest.normalise``: an
unreadable value is flagged, never refused) and asks the latest link run's model which
existing persons the record might be (``core.link.candidates``: the model's own blocking and
comparison, best first, with what agrees and what differs). :func:`save_entry` then writes the
record through :func:`~everyname.store.records.enter_record` and, when the recorder says it is
the same person as one shown, records that as a decision on the pair (the new record and one
record of that person), which every later link run enforces, in the same transaction.

A check reads only the records a blocking rule of the model can pair with the entry (by the
stored name key and span of the date of death, ``core.link.candidates.blocks``) and counts how
common each name is once per link run (kept in this process, topped up with the records added
since), so its cost follows the few records sharing the entry's names, not the size of the
database; the candidates and their scores are those a scan of every record gives.

A recorder works only for their sources, but a duplicate may sit in any source: a candidate
from a source the actor may not read is shown by its person and the model's evidence only,
never by its values. The reporter's identity is never compared and never returned.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.ingest import normalise
from everyname.core.link.candidates import (
    Block,
    Candidate,
    Evidence,
    TermFrequencies,
    blocks,
    find_candidates,
    term_frequencies,
)
from everyname.core.schema import CANONICAL_FIELDS, PLACE_FIELDS, SENSITIVE_FIELDS
from everyname.store import name_index
from everyname.store.audit import Action, record_event
from everyname.store.linking import latest_run, records_frame
from everyname.store.models import (
    DataVersion,
    LinkRun,
    MatchDecision,
    Membership,
    Record,
    RecordRevision,
    RunTermFrequencies,
    Source,
)
from everyname.store.permissions import Actor, Permission, require
from everyname.store.records import (
    annotate_name_key,
    current_as_written,
    enter_record,
    shown_name,
)
from everyname.store.secrets import open_carried_identity, seal_carried_identity

ENTRY_FIELDS = tuple(f for f in CANONICAL_FIELDS if f not in SENSITIVE_FIELDS)
"""The fields typed for the victim (the reporter's identity is given apart)."""
DATE_FIELDS = ("date_of_death", "date_of_birth")
MAX_CANDIDATES = 10
SAME_PERSON_NOTE = "entered as the same person as this record"


def date_text(year: str | None, month: str | None, day: str | None) -> str | None:
    """A partial date typed as three boxes, as the text a list would give: "2012",
    "2012-02" or "2012-02-07" (the import's ISO form, whatever the date order).

    Nothing is checked here: the text is read by the import's own date parser, which flags a
    day without a month, month 13 or 30 February as it would in a file.
    """
    parts = [(p or "").strip() for p in (year, month, day)]
    if not any(parts):
        return None
    year_text, month_text, day_text = parts
    text = year_text or "0000"
    if month_text or day_text:
        text += "-" + (month_text.zfill(2) if month_text else "00")
    if day_text:
        text += "-" + day_text.zfill(2)
    return text


def entry_sources(actor: Actor) -> list[tuple[str, str]]:
    """The sources ``actor`` may enter records for, as (code, name), by code."""
    require(actor, Permission.ENTER_RECORD)
    query = Source.objects.order_by("code")
    scope = actor.source_scope()
    if scope is not None:
        query = query.filter(code__in=sorted(scope))
    return list(query.values_list("code", "name"))


@dataclass(frozen=True)
class PlaceChoice:
    """A gazetteer place to pick while typing: its names in both scripts and where it is."""

    value: str
    name_ar: str
    name_en: str
    level: str
    within: tuple[str, ...]
    """The places holding it, nearest first, in English (Arabic where there is none)."""
    within_ar: tuple[str, ...]


def place_choices(actor: Actor) -> list[PlaceChoice]:
    """Every gazetteer place, broadest first then by name: what the place box offers.

    The value typed into the record is the Arabic name (the English one where there is none);
    either resolves to the same place when counts read it, as any spelling the gazetteer knows
    does."""
    require(actor, Permission.ENTER_RECORD)
    from everyname.core.places import level_depth
    from everyname.store.places import current_gazetteer

    gazetteer = current_gazetteer()
    out = []
    for place in gazetteer:
        above = gazetteer.ancestors(place.id)
        out.append(
            PlaceChoice(
                value=place.name_ar or place.name_en,
                name_ar=place.name_ar,
                name_en=place.name_en,
                level=place.level,
                within=tuple(p.name_en or p.name_ar for p in above),
                within_ar=tuple(p.name_ar or p.name_en for p in above),
            )
        )
    out.sort(key=lambda c: (level_depth(c.level), c.name_en or c.name_ar))
    return out


RECORD_LEVEL = {
    "governorate": "governorate",
    "district": "district",
    "city": "locality",
    "town": "locality",
    "village": "locality",
    "neighbourhood": "neighbourhood",
}
"""The record field each gazetteer level fills (a subdistrict has none)."""


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def place_levels(written: Mapping[str, str]) -> dict[str, str]:
    """The level fields a typed place fills: "بابا عمرو" is the neighbourhood Baba Amr, in
    the city of Homs, in Homs governorate. Only fields left empty are filled, in the script
    the place was typed in; nothing when the gazetteer does not know the place.

    Why: a record compared by the link model agrees on a place only level by level, and lists
    give their places by level; a place typed as free text alone would agree with none.
    """
    text = (written.get("place") or "").strip()
    if not text:
        return {}
    from everyname.store.places import current_gazetteer

    gazetteer = current_gazetteer()
    match = gazetteer.resolve(text)
    if match is None:
        return {}
    filled: dict[str, str] = {}
    for place in (match.entry, *gazetteer.ancestors(match.entry.id)):
        field = RECORD_LEVEL.get(place.level)
        if field is None or written.get(field) or field in filled:
            continue
        name = place.name_ar if _arabic(text) else place.name_en
        filled[field] = name or place.name_ar or place.name_en
    return filled


@dataclass(frozen=True)
class FieldSide:
    """One field of a possible person beside the value typed, and whether they agree."""

    field: str
    entered: str
    existing: str
    agrees: bool | None


@dataclass(frozen=True)
class PossiblePerson:
    """An existing person the new record might be, through their most alike record."""

    person_id: str | None
    """None for a record no link run has placed yet (imported after the latest run)."""
    record_id: int
    source: str
    visible: bool
    """Whether the actor may read this record's values (a recorder: their sources only)."""
    name: str | None
    match_probability: float
    agrees: tuple[Evidence, ...]
    differs: tuple[Evidence, ...]
    missing: tuple[Evidence, ...]
    fields: tuple[FieldSide, ...]
    records: int
    """How many records the person has in the latest run."""


@dataclass(frozen=True)
class EntryCheck:
    """What saving these values would write, and who the record might already be."""

    source: str
    normalised: dict[str, Any]
    unreadable: tuple[dict[str, str], ...]
    """(field, expected) of each value that cannot be read: kept as written, unknown."""
    persons: tuple[PossiblePerson, ...]
    link_run: int | None
    """The run whose model compared the record; None before any link run."""
    names_somebody: bool
    place_levels: dict[str, str]
    """Level fields filled from the gazetteer for the place typed (see :func:`place_levels`):
    a front end offers them in the form, and the record is compared with them."""


SHOWN_FIELDS = (
    ("full_name", "full_name"),
    ("sex", "sex"),
    ("age", "age_years"),
    ("age_group", "age_group"),
    ("date_of_birth", "date_of_birth"),
    ("date_of_death", "date_of_death"),
    ("place", "place"),
    ("governorate", "governorate"),
    ("district", "district"),
    ("locality", "locality"),
    ("neighbourhood", "neighbourhood"),
    ("cause", "cause"),
    ("status", "status"),
)
"""(field as written, normalised key) shown side by side for a possible person."""


def _values(values: Mapping[str, str | None]) -> dict[str, str]:
    unknown = sorted(set(values) - set(ENTRY_FIELDS))
    if unknown:
        raise InvalidInput(f"not a field of a record: {', '.join(unknown)}", field=unknown[0])
    out = {}
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} is text", field=name)
        if value and not value.isspace():
            out[name] = value
    return out


def _source(actor: Actor, source_code: str) -> Source:
    if not source_code:
        raise InvalidInput("choose the source the record is entered for", field="source")
    require(actor, Permission.ENTER_RECORD, source_code)
    source = Source.objects.filter(code=source_code).first()
    if source is None:
        raise NotFound(f"no source {source_code!r}", field="source")
    return source


def check_entry(actor: Actor, source_code: str, values: Mapping[str, str | None]) -> EntryCheck:
    """Read ``values`` as an import would and find the existing persons they might be.

    Nothing is written. Before the first link run there is no model and no person: the check
    says so (``link_run`` None) and the record can still be saved."""
    source = _source(actor, source_code)
    written = _values(values)
    levels = place_levels(written)
    written = {**written, **levels}
    normalised, errors = normalise(written)
    for name in SENSITIVE_FIELDS:
        normalised.pop(name, None)
    unreadable = tuple({"field": f, "expected": e} for f, e in errors)
    names_somebody = any(normalised.get(n) for n in ("full_name", "given_name", "family_name"))
    run = latest_run()
    persons: tuple[PossiblePerson, ...] = ()
    if run is not None and names_somebody and Record.objects.exists():
        found = possible_records({**normalised, "source": source.code}, run)
        persons = _persons(actor, run, found, normalised, written)
    return EntryCheck(
        source=source.code,
        normalised=normalised,
        unreadable=unreadable,
        persons=persons,
        link_run=None if run is None else run.pk,
        names_somebody=bool(names_somebody),
        place_levels=levels,
    )


def possible_records(new: Mapping[str, Any], run: LinkRun) -> tuple[Candidate, ...]:
    """The existing records ``run``'s model pairs with ``new`` (normalised, with its
    ``source``), best first: those its blocking rules can pair read from the database, scored
    with the run's kept term frequencies; every record read when a rule pairs whatever the
    names (a model blocking on other columns only)."""
    limit = MAX_CANDIDATES * 3
    needed = blocks(new, run.model)
    if needed == ():
        return ()  # each rule needs a value the entry lacks
    query = None if needed is None else blocked_records(needed)
    if query is None:
        return find_candidates(new, records_frame(), run.model, limit=limit)
    frequencies = kept_term_frequencies(run)
    fetched = records_frame(query)
    return find_candidates(new, fetched, run.model, limit=limit, frequencies=frequencies)


def blocked_records(needed: tuple[Block, ...]) -> QuerySet | None:
    """The stored records holding what some block asks for (``Record.name_key`` with each
    key as whole parts, found through the name index; ``death_from``/``death_to`` the date's
    span); None when a block asks for nothing these columns can say (every record is then
    read)."""
    query = _blocked(needed)
    if query is None:
        return None
    return annotate_name_key(Record.objects.all()).filter(query)


def _blocked(needed: tuple[Block, ...]) -> Q | None:
    query = Q(pk__in=[])
    for block in needed:
        one = name_index.holding_keys(block.name_keys)
        if len(set(block.name_keys)) < len(block.name_keys):
            # a key twice (given and father name both Mohammed): each where its part is, a
            # part the rule does not compare (perhaps absent) allowed between
            pattern = "".join(
                "( [^ ]+)?" if key is None else " " + re.escape(key) for key in block.parts
            )
            one &= Q(_name_key__regex=pattern + " ")
        if block.death is not None:
            try:
                start, end = (date.fromisoformat(d) for d in block.death)
            except ValueError:
                start = end = None
            if start is not None:
                one &= Q(death_from=start, death_to=end)
            elif not block.name_keys:
                return None
        query |= one
    return query


@dataclass(frozen=True)
class _Kept:
    stamp: tuple[Any, ...]
    records: int
    highest: int
    frequencies: TermFrequencies


_kept: dict[str, _Kept] = {}
"""Per database, the latest run's term frequencies and what they were counted from."""
_kept_lock = threading.Lock()


def edits_stamp() -> tuple[int, int, int]:
    """What term frequencies counted before a correction or an edit in place no longer hold:
    the number of record revisions, the highest revision id and the count of edits in place
    (``DataVersion``)."""
    revisions = RecordRevision.objects.aggregate(n=Max("id"))["n"] or 0
    version = DataVersion.objects.aggregate(n=Max("version"))["n"] or 0
    return (RecordRevision.objects.count(), revisions, version)


def keep_term_frequencies(run: LinkRun, records: pd.DataFrame, edits: tuple[int, ...]) -> None:
    """Counted by the link run from the records it linked (``records_frame()``, read after
    ``edits`` was taken), and kept with the run: the first check after it then counts only the
    records added since, instead of reading every record (17 s for 200,000 records)."""
    frequencies = term_frequencies(records, run.model)
    highest = int(pd.to_numeric(records["record_id"]).max()) if len(records) else 0
    data = {"counts": frequencies.counts, "totals": frequencies.totals}
    stamp = {"edits": list(edits), "records": len(records), "highest": highest}
    packed = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    RunTermFrequencies.objects.update_or_create(
        link_run=run, defaults={"stamp": stamp, "data": packed}
    )


def _stored_term_frequencies(run: LinkRun, stamp: tuple[Any, ...]) -> _Kept | None:
    """The run's own counts, if no correction or edit in place came after them."""
    stored = RunTermFrequencies.objects.filter(link_run=run).first()
    if stored is None or tuple(stored.stamp.get("edits") or ()) != tuple(stamp[2:]):
        return None
    data = json.loads(zlib.decompress(bytes(stored.data)).decode("utf-8"))
    frequencies = TermFrequencies(data["counts"], data["totals"])
    return _Kept(stamp, int(stored.stamp["records"]), int(stored.stamp["highest"]), frequencies)


def kept_term_frequencies(run: LinkRun) -> TermFrequencies:
    """How common each value is among every record, for ``run``'s model: as the run counted
    them (:func:`keep_term_frequencies`), or counted at the first check after it (a scan of
    every record) for a run that did not; kept in this process; records added since are
    counted on top at the next check. Any correction or edit in place (a revision, a change
    counted by ``DataVersion``) and a new run count afresh."""
    database = str(connection.settings_dict.get("NAME"))
    stamp = (run.pk, str(run.created_at), *edits_stamp())
    extent = Record.objects.aggregate(n=Max("id"))["n"] or 0
    with _kept_lock:
        kept = _kept.get(database)
    if kept is None or kept.stamp != stamp:
        kept = _stored_term_frequencies(run, stamp)
    if kept is not None and kept.stamp == stamp:
        if kept.highest == extent and Record.objects.count() == kept.records:
            return _keep(database, kept)
        added = records_frame(Record.objects.filter(pk__gt=kept.highest, pk__lte=extent))
        if kept.records + len(added) == Record.objects.filter(pk__lte=extent).count():
            frequencies = kept.frequencies.plus(term_frequencies(added, run.model))
            return _keep(database, _Kept(stamp, kept.records + len(added), extent, frequencies))
    every = records_frame(Record.objects.filter(pk__lte=extent))
    return _keep(database, _Kept(stamp, len(every), extent, term_frequencies(every, run.model)))


def _keep(database: str, kept: _Kept) -> TermFrequencies:
    with _kept_lock:
        _kept[database] = kept
    return kept.frequencies


def _persons(
    actor: Actor,
    run: LinkRun,
    found: tuple[Candidate, ...],
    normalised: Mapping[str, Any],
    written: Mapping[str, str],
) -> tuple[PossiblePerson, ...]:
    """Candidates grouped by the person the run put them in, persons in the order of their
    best record (candidates come best first). A person is shown through the best of their
    records the actor may read, so a recorder sees a name where one of their own sources has
    it; failing that, through their best record, as its evidence only."""
    ids = [int(c.record_id) for c in found]
    records = Record.objects.select_related("source").in_bulk(ids)
    person_of = dict(
        Membership.objects.filter(link_run=run, record_id__in=ids).values_list(
            "record_id", "person_id"
        )
    )
    person_of.update(_joined_since(run, [i for i in ids if i not in person_of]))
    groups: dict[str, list[tuple[Candidate, Record, bool]]] = {}
    for candidate in found:
        record = records.get(int(candidate.record_id))
        if record is None:
            continue
        key = person_of.get(record.pk) or f"record:{record.pk}"
        visible = actor.can(Permission.VIEW_RECORDS, record.source.code)
        groups.setdefault(key, []).append((candidate, record, visible))
    out = []
    for group in list(groups.values())[:MAX_CANDIDATES]:
        candidate, record, visible = next((g for g in group if g[2]), group[0])
        person = person_of.get(record.pk)
        size = Membership.objects.filter(link_run=run, person_id=person).count() if person else 1
        out.append(
            PossiblePerson(
                person_id=person,
                record_id=record.pk,
                source=record.source.code,
                visible=visible,
                name=shown_name(current_as_written(record)) if visible else None,
                match_probability=candidate.match_probability,
                agrees=candidate.agrees,
                differs=candidate.differs,
                missing=tuple(e for e in candidate.evidence if e.verdict == "missing"),
                fields=_sides(normalised, written, record) if visible else (),
                records=size,
            )
        )
    return tuple(out)


def _joined_since(run: LinkRun, unplaced: list[int]) -> dict[int, str]:
    """The persons that records entered after ``run`` were said to be ("same person" as one of
    its records, the latest decision on the pair), so a victim entered twice before the next
    link run is shown as the person already chosen."""
    if not unplaced:
        return {}
    latest: dict[tuple[int, int], str] = {}
    for left, right, verdict in (
        MatchDecision.objects.filter(Q(record_l_id__in=unplaced) | Q(record_r_id__in=unplaced))
        .order_by("decided_at", "id")
        .values_list("record_l_id", "record_r_id", "verdict")
    ):
        latest[(left, right)] = verdict
    wanted = set(unplaced)
    other_of = {}
    for (left, right), verdict in latest.items():
        if verdict == MatchDecision.Verdict.SAME:
            mine, other = (left, right) if left in wanted else (right, left)
            other_of.setdefault(mine, other)
    placed = dict(
        Membership.objects.filter(link_run=run, record_id__in=set(other_of.values())).values_list(
            "record_id", "person_id"
        )
    )
    return {mine: placed[other] for mine, other in other_of.items() if other in placed}


def _age(values: Mapping[str, Any]) -> str:
    """An age as read: exact years, or the range a "40s" gives."""
    years = values.get("age_years")
    if years is not None:
        return _shown(years)
    low, high = values.get("age_min"), values.get("age_max")
    if low is None or high is None:
        return ""
    return f"{_shown(low)}–{_shown(high)}"


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any], low: str, high: str) -> bool | None:
    """Whether two spans (a partial date's days, an age's range) can be the same value."""
    if None in (a.get(low), a.get(high), b.get(low), b.get(high)):
        return None
    return bool(a[low] <= b[high] and b[low] <= a[high])


SPANS = {
    "age": ("age_min", "age_max"),
    "date_of_death": ("date_of_death_start", "date_of_death_end"),
    "date_of_birth": ("date_of_birth_start", "date_of_birth_end"),
}
"""Fields that agree when their spans overlap: "2012-02" and "2012-02-03", "40s" and 45."""


def _same_place(field: str, mine: str, other: str) -> bool | None:
    """Two place texts agree when the gazetteer takes them to one place ("حمص" and "Homs");
    None when either is empty or unknown to it."""
    if not mine or not other:
        return None
    from everyname.store.places import current_gazetteer

    gazetteer = current_gazetteer()
    level = None if field == "place" else field
    a, b = gazetteer.resolve(mine, level=level), gazetteer.resolve(other, level=level)
    if a is None or b is None:
        return None if mine != other else True
    return a.entry.id == b.entry.id


def _shown(value: Any) -> str:
    if value in (None, "", "unknown"):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sides(
    normalised: Mapping[str, Any], written: Mapping[str, str], record: Record
) -> tuple[FieldSide, ...]:
    theirs = record.normalised or {}
    their_text = current_as_written(record)
    out = []
    for field, key in SHOWN_FIELDS:
        mine, other = _shown(normalised.get(key)), _shown(theirs.get(key))
        if field == "full_name":
            mine = written.get("full_name") or shown_name(written) or ""
            other = shown_name(their_text) or ""
            agrees = None  # names: the model's evidence says how they compare, part by part
        elif field in SPANS:
            if field == "age":
                mine, other = _age(normalised), _age(theirs)
            agrees = _overlap(normalised, theirs, *SPANS[field]) if mine and other else None
        elif field in PLACE_FIELDS:
            agrees = _same_place(field, mine, other)
        else:
            agrees = None if not mine or not other else mine == other
        if mine or other:
            out.append(FieldSide(field, mine, other, agrees))
    return tuple(out)


def seal_reporter(actor: Actor, name: str | None, contact: str | None) -> str | None:
    """The reporter's details sealed for the entry form to carry from the check to the save
    (``store.secrets`` holds both sides: it is the one door to a reporter's identity)."""
    return seal_carried_identity(actor, name, contact)


@dataclass(frozen=True)
class SavedEntry:
    """The record written, and the decision that joins it to a person when one was chosen."""

    record_id: int
    same_as_record: int | None
    decision_id: int | None


def save_entry(
    actor: Actor,
    source_code: str,
    values: Mapping[str, str | None],
    reporter_name: str | None = None,
    reporter_contact: str | None = None,
    *,
    reporter_sealed: str | None = None,
    same_as_record: int | None = None,
) -> SavedEntry:
    """Write the entry (``records.enter_record``: checked, normalised and encrypted as an
    import's row) and, when ``same_as_record`` is given, a "same person" decision between the
    new record and that record, audited as a reviewer's decision, in one transaction.
    ``reporter_sealed`` (from :func:`seal_reporter`) stands for the reporter's details when
    none are typed again.

    The recorder who took the call decides here, as a reviewer would on the pair: the decision
    is the recorder's and names them; a later decision on the pair supersedes it.
    """
    source = _source(actor, source_code)
    written = _values(values)
    if (
        reporter_sealed
        and not (reporter_name or "").strip()
        and not (reporter_contact or "").strip()
    ):
        reporter_name, reporter_contact = open_carried_identity(actor, reporter_sealed)
    other = None
    if same_as_record is not None:
        if isinstance(same_as_record, bool) or not isinstance(same_as_record, int):
            raise InvalidInput("same_as_record is a record number", field="same_as_record")
        other = Record.objects.filter(pk=same_as_record).first()
        if other is None:
            raise NotFound(f"There is no record {same_as_record}", field="same_as_record")
    with transaction.atomic():
        detail = enter_record(actor, source.code, written, reporter_name, reporter_contact)
        decision = None
        if other is not None:
            left, right = sorted((detail.id, other.pk))
            decision = MatchDecision.objects.create(
                record_l_id=left,
                record_r_id=right,
                verdict=MatchDecision.Verdict.SAME,
                decided_by=actor.username,
                note=SAME_PERSON_NOTE,
                link_run=latest_run(),
            )
            record_event(
                Action.MATCH_DECIDED,
                actor,
                decision,
                records=[left, right],
                verdict=decision.verdict,
                entered=detail.id,
            )
    return SavedEntry(
        record_id=detail.id,
        same_as_record=None if other is None else other.pk,
        decision_id=None if decision is None else decision.pk,
    )
