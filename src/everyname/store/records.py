"""Records as a recorder works with them: read a page, read one, type one in, correct one.

A record is never edited destructively. Its ``raw`` row and its values ``as_written`` stay byte
for byte as imported; a correction is a :class:`~everyname.store.models.RecordRevision` (who,
when, why, before and after) with an audit entry, written in one transaction. The record's
``normalised`` values and flags are kept *current*: linkage, counts and place listings read one
column and never have to replay a history, so a correction costs nothing at link time (what
``normalised`` held before is in the revision). Corrected and typed values go through the
import's own code (``core.ingest.normalise``): an unreadable value is kept as written, unknown,
and flagged, exactly as in a file.

Reporter identity is never returned here (``secrets.reveal_identity`` is the one reader), and
never stored in the clear in a revision or an audit entry.
"""

from __future__ import annotations

import hashlib
import json
import secrets as token_source
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Concat
from django.db.models.lookups import In

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.ingest import normalise
from everyname.core.mapping import parse_mapping
from everyname.core.names import name_forms
from everyname.core.names.readings import key_readings
from everyname.core.schema import (
    CANONICAL_FIELDS,
    NAME_FIELDS,
    NAME_PART_FIELDS,
    PLACE_FIELDS,
    SENSITIVE_FIELDS,
    VOCABULARIES,
    ParsedRecord,
    UnreadableValue,
)
from everyname.store import crypto, name_index
from everyname.store.audit import Action, record_event
from everyname.store.compact_json import PLAN, filter_columns, pack_as_written, pack_raw
from everyname.store.linking import latest_run
from everyname.store.models import (
    Batch,
    BatchFileChunk,
    Membership,
    Record,
    RecordRevision,
    Source,
)
from everyname.store.paging import Page, filters_of, page_of
from everyname.store.permissions import Actor, Permission, require
from everyname.store.record_stream import record_columns, stored_normalised
from everyname.store.secrets import change_identity

MAX_REASON_LENGTH = 2000
ENTRY_FORMAT = "entry"
"""``Batch.file_format`` of a typed entry: one batch per entry (see :func:`enter_record`)."""
ENTRY_FILE_NAME = "typed entry"


# --- pages -----------------------------------------------------------------------------------


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilters:
    """What a list of records can be narrowed by; every filter is optional.

    ``name`` finds a name in either script through the stored name forms (see
    :func:`name_matches`); ``since``/``until`` are inclusive and, as in counts, a partial date
    of death is inside only when its whole span is; ``place`` is a place in either script, with
    the places inside it (see :func:`place_matches`).
    """

    name: str | None = None
    source: str | None = None
    batch: int | None = None
    since: date | str | None = None
    until: date | str | None = None
    place: str | None = None
    status: str | None = None
    sex: str | None = None
    age_group: str | None = None

    @classmethod
    def of(cls, filters: RecordFilters | Mapping[str, Any] | None) -> RecordFilters:
        """Filters as given by any front end: this class, a mapping of the same names, or None."""
        return filters_of(cls, filters)

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


def _day(value: date | str | None, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InvalidInput(
            f"{name} must be a full date (YYYY-MM-DD), got {value!r}", field=name
        ) from None


def vocabulary_value(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    allowed = [v.value for v in VOCABULARIES[name]]
    if value not in allowed:
        raise InvalidInput(f"{name} is one of {', '.join(allowed)}; got {value!r}", field=name)
    return value


def name_keys(text: str) -> list[str]:
    """The cross-script keys of a name as typed in a search box: "محمد الخالدي" and "Mohammed
    al-Khalidi" both give ``["MHMD", "KLD"]``, the keys ingest stores per record."""
    key = name_forms({"full_name": text}).get("full_key")
    return str(key).split() if key else []


def name_matches(text: str) -> Q:
    """Records whose name holds every part of ``text``, in either script and any common
    spelling.

    Compares the stored cross-script key of the whole name (``Record.name_key``) part by
    part, so spelling variants and the script do not matter (parts left out, such as a
    father's name, do not either); text with no key (a placeholder such as "مجهول") is
    looked for in the name as written of the records whose name has no key either (a name
    holding a placeholder is one: "طفل مجهول" has none), read through their own index. The
    records holding every key are found through the name index
    (:mod:`~everyname.store.name_index`); of those, the ones holding them in the order typed
    are kept: "محمد الخالدي" finds "محمد عبد الرحمن الخالدي" but not
    "خالد محمود" (whose keys are the same, reversed). A compound name is found written as one
    part or two (:mod:`~everyname.core.names.readings`): "محمد نور الخالدي" finds the record
    whose given name is "محمد نور" (``MHMDNR KLD``), "محمدنور" the one written "محمد نور".
    """
    keys = name_keys(text)
    if not keys:
        return Q(name_key__isnull=True, normalised__full_name__icontains=text.strip())
    readings = key_readings(keys, name_index.known_keys)
    return name_index.holding_any(readings) & name_index.in_order_any(readings)


def annotate_name_key(query: QuerySet) -> QuerySet:
    """``_name_key``: the record's stored name key with a space either side, so that a
    regular expression can compare whole parts ("KLD" must not find "KLDN")."""
    space = Value(" ", output_field=TextField())
    return query.annotate(_name_key=Concat(space, F("name_key"), space, output_field=TextField()))


def place_matches(text: str) -> Q:
    """Records with ``text`` in a place field, or whose place field names, in any spelling,
    the place ``text`` resolves to in the gazetteer or a place inside it: "Baba Amr" finds
    "حي بابا عمرو", and "Homs" the neighbourhoods of Homs.

    Each distinct text of each place field is resolved once (a list holds a few thousand
    distinct place texts however many records it has), as counts resolve them.
    """
    from everyname.store.places import current_gazetteer

    text = text.strip()
    query = Q()
    for name in PLACE_FIELDS:
        query |= Q(**{f"normalised__{name}__icontains": text})
    gazetteer = current_gazetteer()
    match = gazetteer.resolve(text)
    if match is None:
        return query
    inside = {match.entry.id, *(place.id for place in gazetteer.descendants(match.entry.id))}
    for name in PLACE_FIELDS:
        level = None if name == "place" else name
        texts = (
            Record.objects.order_by()
            .annotate(_text=KT(f"normalised__{name}"))
            .exclude(_text=None)
            .values_list("_text", flat=True)
            .distinct()
        )
        found = sorted(
            t
            for t in texts
            if (resolved := gazetteer.resolve(t, level=level)) and resolved.entry.id in inside
        )
        if found:
            query |= Q(**{f"normalised__{name}__in": found})
    return query


def in_sources(codes: Iterable[str], named: bool = False) -> Q:
    """Records of these sources. ``named``: the query also searches by name, and the sources
    are then checked on each record the name index finds, not used to pick the records
    (SQLite, knowing nothing of how many records a source has, otherwise walks every record
    of the source: a recorder whose one source holds a million records waited 0.25 s more a
    search). ``source_id + 0`` is how SQLite is told not to use the column's index."""
    if not named:
        return Q(source__code__in=sorted(codes))
    ids = sorted(Source.objects.filter(code__in=codes).values_list("pk", flat=True))
    return Q(In(ExpressionWrapper(F("source_id") + 0, output_field=BigIntegerField()), ids))


def records_matching(actor: Actor, filters: RecordFilters) -> QuerySet:
    """The records ``actor`` may see that ``filters`` keep (a recorder: their sources' only).
    Checks only that a source asked for is theirs: callers check the use case's permission."""
    query = Record.objects.all()
    scope = actor.source_scope()
    named = bool(filters.name and filters.name.strip())
    if filters.source is not None:
        require(actor, Permission.VIEW_RECORDS, filters.source)
        query = query.filter(in_sources([filters.source], named))
    elif scope is not None:
        query = query.filter(in_sources(scope, named))
    if filters.batch is not None:
        batch = filters.batch
        if isinstance(batch, str) and batch.strip().isdigit():
            batch = int(batch)  # as a form or a query string gives it
        if isinstance(batch, bool) or not isinstance(batch, int):
            raise InvalidInput(f"batch is a batch number, got {filters.batch!r}", field="batch")
        query = query.filter(batch_id=batch)
    since, until = _day(filters.since, "since"), _day(filters.until, "until")
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    if since is not None:
        query = query.filter(death_from__gte=since)
    if until is not None:
        query = query.filter(death_to__lte=until)
    if filters.place and filters.place.strip():
        query = query.filter(place_matches(filters.place))
    for name in ("status", "sex", "age_group"):
        value = vocabulary_value(name, getattr(filters, name))
        if value is not None:
            query = query.filter(**{f"normalised__{name}": value})
    if filters.name and filters.name.strip():
        query = query.filter(name_matches(filters.name))
    return query


# --- results ---------------------------------------------------------------------------------


def shown_name(values: Mapping[str, Any]) -> str | None:
    """A record's name for a list: the full name, else its parts in order."""
    if values.get("full_name"):
        return str(values["full_name"])
    parts = [str(values[f]) for f in NAME_PART_FIELDS if values.get(f)]
    return " ".join(parts) or None


def _first_place(values: Mapping[str, Any]) -> str | None:
    for name in ("neighbourhood", "locality", "district", "place", "governorate"):
        if values.get(name):
            return str(values[name])
    return None


@dataclass(frozen=True)
class RecordSummary:
    """One line of a list of records, with its current values."""

    id: int
    source: str
    batch: int
    row_number: int
    source_record_id: str
    name: str | None
    sex: str
    age_group: str
    age_years: float | None
    date_of_death: str | None
    place: str | None
    status: str
    unreadable: int
    corrected: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_summary(record: Record) -> RecordSummary:
    values = record.normalised or {}
    return RecordSummary(
        id=record.pk,
        source=record.source.code,
        batch=record.batch_id,
        row_number=record.row_number,
        source_record_id=record.source_record_id,
        name=shown_name(current_as_written(record)),
        sex=values.get("sex", "unknown"),
        age_group=values.get("age_group", "unknown"),
        age_years=values.get("age_years"),
        date_of_death=values.get("date_of_death"),
        place=_first_place(values),
        status=values.get("status", "unknown"),
        unreadable=len(record.unreadable or []),
        corrected=record.corrected is not None,
    )


@dataclass(frozen=True)
class Revision:
    """One correction as a reader sees it (reporter identity only as the names of its fields)."""

    number: int
    at: datetime
    by: str
    reason: str
    as_written_before: dict[str, str | None]
    as_written_after: dict[str, str | None]
    normalised_before: dict[str, Any]
    normalised_after: dict[str, Any]
    unreadable: tuple[dict[str, Any], ...]
    sensitive_fields: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["at"] = self.at.isoformat()
        out["unreadable"] = list(self.unreadable)
        out["sensitive_fields"] = list(self.sensitive_fields)
        return out


def _revision(row: RecordRevision) -> Revision:
    return Revision(
        number=row.number,
        at=row.changed_at,
        by=row.changed_by,
        reason=row.reason,
        as_written_before=dict(row.as_written_before),
        as_written_after=dict(row.as_written_after),
        normalised_before=dict(row.normalised_before),
        normalised_after=dict(row.normalised_after),
        unreadable=tuple(row.unreadable),
        sensitive_fields=tuple(row.sensitive_fields),
    )


@dataclass(frozen=True)
class RecordDetail:
    """One record: its current values, the values as imported, its history and its flags.

    ``as_written`` is the current text of each field (the import's, with every correction
    applied); ``as_imported`` and ``raw`` are exactly as the source gave them. Reporter
    identity is never here: ``has_reporter_identity`` only says whether one is stored.
    """

    id: int
    source: str
    batch: int
    batch_file: str
    row_number: int
    source_record_id: str
    as_written: dict[str, str]
    normalised: dict[str, Any]
    as_imported: dict[str, str]
    raw: dict[str, str]
    unreadable: tuple[dict[str, Any], ...]
    revisions: tuple[Revision, ...]
    has_reporter_identity: bool
    person_id: str | None
    """The person the latest link run put this record in (None before any run covers it)."""

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["unreadable"] = list(self.unreadable)
        out["revisions"] = [r.to_dict() for r in self.revisions]
        return out


def current_as_written(record: Record) -> dict[str, str]:
    """The record's fields as written now: as imported, with every correction's text applied
    (a field a correction cleared is absent)."""
    values = dict(record.as_written or {})
    for name, text in (record.corrected or {}).items():
        if text:
            values[name] = text
        else:
            values.pop(name, None)
    return values


def _detail(record: Record) -> RecordDetail:
    run = latest_run()
    person = None
    if run is not None:
        person = (
            Membership.objects.filter(link_run=run, record=record)
            .values_list("person_id", flat=True)
            .first()
        )
    return RecordDetail(
        id=record.pk,
        source=record.source.code,
        batch=record.batch_id,
        batch_file=record.batch.file_name,
        row_number=record.row_number,
        source_record_id=record.source_record_id,
        as_written=current_as_written(record),
        normalised=dict(record.normalised or {}),
        as_imported=dict(record.as_written or {}),
        raw=dict(record.raw or {}),
        unreadable=tuple(record.unreadable or ()),
        revisions=tuple(_revision(r) for r in record.revisions.order_by("number")),
        has_reporter_identity=bool(record.sensitive_encrypted),
        person_id=person,
    )


# --- reading ---------------------------------------------------------------------------------


def list_records(
    actor: Actor,
    filters: RecordFilters | Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """A page of records (oldest first) with their current values; a recorder sees only the
    records of the sources assigned to them."""
    require(actor, Permission.VIEW_RECORDS)
    query = records_matching(actor, RecordFilters.of(filters))
    rows, total = page_of(
        # the raw row and the batch's plan give each record's text as imported (compact_json)
        query.select_related("source", "batch").order_by("pk").defer("sensitive_encrypted"),
        page,
        page_size,
    )
    return Page(tuple(record_summary(r) for r in rows), page, page_size, total)


def _record(record_id: int) -> Record:
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        try:
            record_id = int(str(record_id).strip())
        except ValueError:
            raise InvalidInput(
                f"a record id is a number, got {record_id!r}", field="record"
            ) from None
    record = Record.objects.select_related("source", "batch").filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"no record {record_id}", field="record")
    return record


def get_record(actor: Actor, record_id: int) -> RecordDetail:
    """One record with its current values, the values as imported, revisions and flags."""
    require(actor, Permission.VIEW_RECORDS)
    record = _record(record_id)
    require(actor, Permission.VIEW_RECORDS, record.source.code)
    return _detail(record)


# --- typed entry -----------------------------------------------------------------------------


def _check_values(values: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    allowed = set(allowed)
    for name, value in values.items():
        if name not in allowed:
            hint = (
                "reporter identity is given on its own, not among the values"
                if name in SENSITIVE_FIELDS
                else f"{what} are {', '.join(sorted(allowed))}"
            )
            raise InvalidInput(f"{name!r} is not a record field; {hint}", field=name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} is text, got {type(value).__name__}", field=name)


def _names_somebody(as_written: Mapping[str, str]) -> None:
    if not any((as_written.get(name) or "").strip() for name in NAME_FIELDS):
        raise InvalidInput(
            "a record names somebody: give a full name or a name part (an unidentified person "
            "can be entered as such, e.g. 'unidentified')",
            field="full_name",
        )


def _flags(errors: list[tuple[str, str]], as_written: Mapping[str, str]) -> list[UnreadableValue]:
    """Flags for values typed (or corrected) that cannot be read; the column is the field."""
    return [
        UnreadableValue(
            field=name,
            column=name,
            value=None if name in SENSITIVE_FIELDS else as_written.get(name),
            expected=expected,
        )
        for name, expected in errors
    ]


def enter_record(
    actor: Actor,
    source_code: str,
    values: Mapping[str, str | None],
    reporter_name: str | None = None,
    reporter_contact: str | None = None,
) -> RecordDetail:
    """Type in one victim for a source, checked and normalised as a row of an imported file.

    Each entry is a batch of its own (format ``entry``, one row): a batch is immutable and
    keeps the original bytes with their SHA-256, so an entry keeps exactly that too — the
    entry as submitted, encrypted like a file since it may name its reporter — and nothing is
    ever appended to an earlier batch. A per-day batch would have to be reopened for every
    entry, and one entry's refusal could not leave the others' batch untouched.
    """
    require(actor, Permission.ENTER_RECORD, source_code)
    source = Source.objects.filter(code=source_code).first()
    if source is None:
        raise NotFound(f"no source {source_code!r}", field="source")
    values = dict(values or {})
    _check_values(values, (f for f in CANONICAL_FIELDS if f not in SENSITIVE_FIELDS), "fields")
    for name, value in (("reporter_name", reporter_name), ("reporter_contact", reporter_contact)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} is text", field=name)
        if value and value.strip():
            values[name] = value
    # As in a file, an empty cell is no value; the text as typed is kept as written.
    as_written = {k: v for k, v in values.items() if v and not v.isspace()}
    _names_somebody(as_written)
    normalised, errors = normalise(as_written)
    parsed = ParsedRecord(
        row_number=1,
        raw=dict(as_written),
        as_written=as_written,
        normalised=normalised,
        sensitive_columns=tuple(f for f in SENSITIVE_FIELDS if f in as_written),
        unreadable=_flags(errors, as_written),
    )
    record_id, raw, kept, stored, secret, unreadable = record_columns(parsed)
    name_key, death_from, death_to = filter_columns(stored)
    # a typed entry's raw row is its fields, each its own column (see compact_json)
    plan = {
        "headers": list(raw),
        "columns": [[name, [name]] for name in raw],
        "label_notes": False,
        "defaults": {},
    }
    entered_at = datetime.now(UTC)
    document = json.dumps(
        {
            "everyname": "typed entry",
            "source": source.code,
            "entered_by": actor.username,
            "entered_at": entered_at.isoformat(),
            "values": as_written,
            # Two entries with the same text are two entries (two unidentified bodies on one
            # day): the nonce keeps their bytes, and so their batches' SHA-256, apart.
            "nonce": token_source.token_hex(16),
        },
        ensure_ascii=False,
        sort_keys=True,
        indent=1,
    ).encode("utf-8")
    with transaction.atomic():
        batch = Batch.objects.create(
            source=source,
            sha256=hashlib.sha256(document).hexdigest(),
            file_name=ENTRY_FILE_NAME,
            size_bytes=len(document),
            file_format=ENTRY_FORMAT,
            encoding="utf-8",
            columns={
                "used": {name: [name] for name in as_written},
                "unused": [],
                "defaults": {},
                PLAN: plan,
            },
            imported_by=actor.username,
            rows_read=1,
            records_imported=1,
            unreadable=[{"row": 1, **flag} for flag in unreadable],
        )
        BatchFileChunk.objects.create(batch=batch, index=0, data=crypto.encrypt(document))
        record = Record.objects.create(
            batch=batch,
            source=source,
            row_number=1,
            source_record_id=record_id,
            raw=pack_raw(raw, plan),
            as_written=pack_as_written(kept, raw, plan),
            normalised=stored,
            name_key=name_key,
            death_from=death_from,
            death_to=death_to,
            sensitive_encrypted=secret,
            unreadable=unreadable,
        )
        record_event(
            Action.RECORD_ENTERED,
            actor,
            record,
            source=source.code,
            batch=batch.pk,
            fields=sorted(as_written),
            values_unreadable=len(unreadable),
        )
    return _detail(Record.objects.select_related("source", "batch").get(pk=record.pk))


# --- corrections -----------------------------------------------------------------------------


def _batch_mapping(batch: Batch) -> tuple[dict[str, dict[str, str]] | None, str]:
    """The value maps and date order the batch was read with, so a corrected record is
    normalised by the same rules as its neighbours in the file."""
    if not batch.mapping_text:
        return None, "DMY"
    mapping = parse_mapping(batch.mapping_text, batch.mapping_name or "mapping.toml")
    return mapping.values, mapping.date_order


def correct_record(
    actor: Actor,
    record_id: int,
    changes: Mapping[str, str | None],
    reason: str,
) -> RecordDetail:
    """Correct some of a record's values (field → text as written; "" or None clears it).

    Writes a revision with the values before and after and a ``record.corrected`` audit entry
    in one transaction. The whole record is normalised again, with the value maps and date
    order of its batch, through the import's code; a value that cannot be read is kept as
    written and flagged, never refused. The next link run and every count read the new values.
    """
    require(actor, Permission.CORRECT_RECORD)
    record = _record(record_id)
    require(actor, Permission.CORRECT_RECORD, record.source.code)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the record is corrected: a reason is required", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"a reason has at most {MAX_REASON_LENGTH} characters", field="reason")
    changes = dict(changes or {})
    if not changes:
        raise InvalidInput("a correction changes at least one field", field="changes")
    _check_values(changes, CANONICAL_FIELDS, "fields")
    with transaction.atomic():
        record = (
            Record.objects.select_for_update().select_related("source", "batch").get(pk=record.pk)
        )
        revision = _write_revision(actor, record, changes, reason)
        record_event(
            Action.RECORD_CORRECTED,
            actor,
            record,
            source=record.source.code,
            revision=revision.number,
            fields=sorted({*revision.as_written_after, *revision.sensitive_fields}),
            reason=reason,
            values_unreadable=len(revision.unreadable),
        )
    return _detail(Record.objects.select_related("source", "batch").get(pk=record.pk))


def _text(value: str | None) -> str | None:
    return value if value and not value.isspace() else None


def _write_revision(
    actor: Actor, record: Record, changes: dict[str, str | None], reason: str
) -> RecordRevision:
    written = current_as_written(record)
    identity = change_identity(
        record.sensitive_encrypted,
        {name: text for name, text in changes.items() if name in SENSITIVE_FIELDS},
    )
    plain = {
        name: _text(text)
        for name, text in changes.items()
        if name not in SENSITIVE_FIELDS and _text(text) != written.get(name)
    }
    if not plain and identity is None:
        raise InvalidInput(
            "the correction changes nothing: every value given is the record's current one",
            field=next(iter(changes)),
        )
    after = dict(written)
    for name, text in plain.items():
        if text is None:
            after.pop(name, None)
        else:
            after[name] = text
    _names_somebody(after)
    value_maps, date_order = _batch_mapping(record.batch)
    normalised, errors = normalise(after, value_maps, date_order)
    stored = stored_normalised(normalised)
    before = dict(record.normalised or {})
    changed_keys = sorted(k for k in {*before, *stored} if before.get(k) != stored.get(k))
    number = (record.revisions.order_by("-number").values_list("number", flat=True).first()) or 0
    number += 1
    new_flags = [
        {**flag.to_dict(), "revision": number}
        for flag in _flags([(n, e) for n, e in errors if n in plain], after)
    ]
    flags = [f for f in (record.unreadable or []) if f.get("field") not in plain] + new_flags
    if identity is not None:
        record.sensitive_encrypted = identity.sealed
    revision = RecordRevision.objects.create(
        record=record,
        number=number,
        reason=reason,
        changed_by=actor.username,
        as_written_before={name: written.get(name) for name in plain},
        as_written_after=plain,
        normalised_before={k: before.get(k) for k in changed_keys},
        normalised_after={k: stored.get(k) for k in changed_keys},
        unreadable=new_flags,
        sensitive_fields=list(identity.fields) if identity else [],
        sensitive_encrypted=identity.revision if identity else None,
    )
    corrected = dict(record.corrected or {})
    corrected.update({name: text or "" for name, text in plain.items()})
    name_key, death_from, death_to = filter_columns(stored)
    Record.objects.filter(pk=record.pk).update(
        normalised=stored,
        name_key=name_key,
        death_from=death_from,
        death_to=death_to,
        unreadable=flags,
        corrected=corrected,
        source_record_id=str(stored.get("source_record_id") or "")[:200],
        sensitive_encrypted=record.sensitive_encrypted,
    )
    return revision
