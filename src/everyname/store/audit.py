"""Audit events: small typed records with stable names, written by one function.

Every write the store makes goes through :func:`record_event` in the same transaction as the
write, so a rolled-back change leaves no audit entry and a committed one always has one. Reading
a witness's identity is itself an event (see ``secrets``). Events are read back, a page at a
time, through :func:`list_events`, which only roles with ``VIEW_AUDIT`` may call.

Events form a chain: each carries its position (``seq``), the hash of the event before it and
its own hash, a SHA-256 over its content and that previous hash (:func:`event_hash`). Changing,
removing, reordering or back-dating an entry, even with the database's triggers dropped, breaks
the chain, and :func:`verify_chain` (``everyname audit verify``) names the first entry where it
breaks. The previous event is read under a lock (PostgreSQL: an advisory lock held to the end of
the transaction; SQLite: the database's write lock), so two writers never chain to the same one.
The chain proves the log was not rewritten by someone who does not also recompute every later
hash; the head's hash, printed by ``audit verify``, kept somewhere else catches even that.

An event's ``details`` are plain JSON whose shape each action fixes (counts, codes, ids, file
names). They never carry a reporter or witness identity: :func:`record_event` refuses a detail
named after one of those fields, and a test plants a reporter name and searches every row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from everyname.core.errors import InvalidInput
from everyname.core.schema import SENSITIVE_FIELDS
from everyname.store.models import AuditEvent
from everyname.store.paging import Page, check_paging, page_of
from everyname.store.permissions import Actor, Permission, require


class Action(StrEnum):
    """Stable event names: the audit log, its filters and anything reading it rely on them, so
    a name is never changed once an event carries it (add a new one instead)."""

    DATABASE_INITIALISED = "database.initialised"
    KEY_CREATED = "key.created"
    KEY_ROTATED = "key.rotated"
    KEY_RECORDED = "key.recorded"
    PROTECTION_RESTORED = "protection.restored"
    SOURCE_CREATED = "source.created"
    BATCH_IMPORTED = "batch.imported"
    SECRET_READ = "secret.read"
    LINK_RUN_CREATED = "link_run.created"
    MATCH_DECIDED = "match.decided"
    CLAIMS_IMPORTED = "claims.imported"
    SOURCES_GROUPED = "sources.grouped"
    RELEASE_PUBLISHED = "release.published"
    PLACES_IMPORTED = "places.imported"
    USER_ADDED = "user.added"
    USER_ROLE_SET = "user.role_set"
    USER_SOURCES_ASSIGNED = "user.sources_assigned"
    USER_DISABLED = "user.disabled"
    USER_SECOND_FACTOR_RESET = "user.second_factor_reset"
    USER_PASSWORD_CHANGED = "user.password_changed"
    JOB_QUEUED = "job.queued"
    RECORD_ENTERED = "record.entered"
    RECORD_CORRECTED = "record.corrected"
    ESTIMATE_STORED = "estimate.stored"
    REPORT_STORED = "report.stored"
    BACKUP_WRITTEN = "backup.written"
    DATABASE_RESTORED = "database.restored"
    ORIGINAL_DOWNLOADED = "batch.original_downloaded"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"


def record_event(
    action: Action,
    actor: Actor | str,
    obj: Any | None = None,
    /,
    **details: Any,
) -> AuditEvent:
    """Append one audit event for ``actor``: the acting user, or a plain name for what the
    system does on someone's behalf (``init`` migrating the database).

    ``details`` must never contain reporter or witness identities; a detail named after one of
    those fields is refused outright, so the mistake fails in a test rather than in the log.
    """
    _refuse_identity_fields(details)
    name = actor.username if isinstance(actor, Actor) else str(actor)
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(getattr(obj, "pk", "")) if obj is not None else ""
    stored = json.loads(json.dumps(details))  # as the database gives it back (tuples as lists)
    with transaction.atomic():
        _lock_chain()
        last = (
            AuditEvent.objects.filter(seq__isnull=False)
            .order_by("-seq")
            .values("seq", "hash", "at")
            .first()
        )
        seq = last["seq"] + 1 if last else 1
        previous = last["hash"] if last else ""
        at = timezone.now()
        if last and at < last["at"]:
            at = last["at"]  # another machine's clock behind: never dated before the previous
        event = AuditEvent(
            at=at,
            actor=name,
            action=str(Action(action)),
            object_type=object_type,
            object_id=object_id,
            details=stored,
            seq=seq,
            previous_hash=previous,
        )
        event.hash = event_hash(event)
        event.save()
    return event


def _lock_chain() -> None:
    """Hold the chain until this transaction ends, so the previous event read next is the last
    one committed and no other writer can chain to it meanwhile."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        else:
            # A write statement takes SQLite's write lock (held to commit) even when it changes
            # no row; the busy timeout makes another writer wait for it.
            cursor.execute("UPDATE store_auditevent SET id = id WHERE 0")


CHAIN_LOCK = 0x65766E616D65  # "evname": the advisory lock's key, any constant of our own


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over an event's content and the previous event's hash, in one canonical JSON
    form that reads the same from SQLite and PostgreSQL (keys sorted, a whole float as an
    integer, the time in UTC to the microsecond)."""
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = [
        event.seq,
        at,
        event.actor,
        event.action,
        event.object_type,
        event.object_id,
        _canonical(event.details),
        event.previous_hash,
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # PostgreSQL's jsonb gives 1e20 back as an integer
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _refuse_identity_fields(details: Mapping[str, Any]) -> None:
    stack: list[Any] = [details]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            named = sorted(set(value) & set(SENSITIVE_FIELDS))
            if named:
                raise ValueError(f"audit details must not carry identities ({', '.join(named)})")
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One event as a reader sees it. ``action`` is the stable name (an :class:`Action`)."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "details": self.details,
        }


#: A page of the audit log (the same page as every other list).
AuditPage = Page


def list_events(
    actor: Actor,
    page: int = 1,
    page_size: int = 50,
    action: Action | str | None = None,
    actor_name: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
) -> AuditPage:
    """A page of the audit log, newest first.

    ``since`` and ``until`` are inclusive: a date covers its whole day (UTC), a datetime is
    exact (a naive one is read as UTC). A page past the end is empty, not an error, so a
    reader whose log did not grow as expected still gets the total.
    """
    require(actor, Permission.VIEW_AUDIT)
    check_paging(page, page_size)
    events = AuditEvent.objects.all()
    if action is not None:
        try:
            events = events.filter(action=str(Action(action)))
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise InvalidInput(
                f"unknown audit action {action!r}; known actions: {known}", field="action"
            ) from None
    if actor_name is not None:
        events = events.filter(actor=actor_name)
    start = _moment(since, "since", end_of_day=False)
    end = _moment(until, "until", end_of_day=True)
    whole_day = not isinstance(until, datetime)  # a date's end is excluded: the next day
    if start is not None and end is not None and (start >= end if whole_day else start > end):
        raise InvalidInput(f"until ({until}) is before since ({since})", field="until")
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end) if whole_day else events.filter(at__lte=end)
    if object_type is not None:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    rows, total = page_of(events.order_by("-at", "-id"), page, page_size)
    items = tuple(
        AuditEntry(
            id=row.pk,
            at=row.at,
            actor=row.actor,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            details=row.details,
        )
        for row in rows
    )
    return AuditPage(items=items, page=page, page_size=page_size, total=total)


def _moment(value: date | datetime | None, field: str, *, end_of_day: bool) -> datetime | None:
    """A filter bound as an aware datetime; a date's end is the start of the next day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    if isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return datetime.combine(day, time.min, tzinfo=UTC)
    raise InvalidInput(f"{field} must be a date or a date and time, got {value!r}", field=field)


# --- the chain -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """What ``audit verify`` found: how many entries, whether the chain holds, the first entry
    where it breaks and why, the head's hash (to keep elsewhere), and which protective triggers
    are missing."""

    entries: int
    intact: bool
    first_bad_id: int | None
    first_bad_seq: int | None
    problem: str
    head_hash: str
    triggers_missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.intact and not self.triggers_missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "intact": self.intact,
            "first_bad_id": self.first_bad_id,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "head_hash": self.head_hash,
            "triggers_missing": list(self.triggers_missing),
        }


def verify_chain(actor: Actor) -> ChainReport:
    """Walk the audit log in the order it was written and check every link.

    Reports the first entry that is not chained (a raw INSERT), was altered (its hash does not
    match its content), is out of sequence (an entry removed or moved), does not follow the
    one before (an entry inserted, removed or reordered), or is dated before the one before it
    (back-dated). Reads only; runs in one transaction so a writer meanwhile is not half-seen.
    """
    require(actor, Permission.VIEW_AUDIT)
    from everyname.store import protection

    with transaction.atomic():
        count = 0
        previous: AuditEvent | None = None
        bad: tuple[AuditEvent, str] | None = None
        for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
            count += 1
            if bad is None:
                problem = _link_problem(event, previous)
                if problem:
                    bad = (event, problem)
            previous = event
        missing = protection.check().missing
    return ChainReport(
        entries=count,
        intact=bad is None,
        first_bad_id=bad[0].pk if bad else None,
        first_bad_seq=bad[0].seq if bad else None,
        problem=bad[1] if bad else "",
        head_hash=previous.hash if previous is not None else "",
        triggers_missing=missing,
    )


def _link_problem(event: AuditEvent, previous: AuditEvent | None) -> str:
    if event.seq is None or not event.hash:
        return "it is not chained: it was written into the database outside everyname"
    if event_hash(event) != event.hash:
        return "it was altered after it was written: its hash does not match its content"
    expected = previous.seq + 1 if previous is not None and previous.seq is not None else 1
    if event.seq > expected:
        later = AuditEvent.objects.filter(seq=expected).values_list("pk", flat=True).first()
        if later is not None:
            return (
                f"it is out of order: seq {event.seq} where seq {expected} (entry {later}) belongs"
            )
        gone = event.seq - expected
        return f"{gone} entr{'y' if gone == 1 else 'ies'} before it (from seq {expected}) removed"
    if event.seq < expected:
        return f"it is out of order: seq {event.seq} where seq {expected} belongs"
    if event.previous_hash != (previous.hash if previous is not None else ""):
        return "it does not follow the entry before it: an entry was removed, replaced or moved"
    if previous is not None and event.at < previous.at:
        return (
            f"it is dated {event.at.isoformat()}, before the entry before it "
            f"({previous.at.isoformat()}): back-dated"
        )
    return ""
