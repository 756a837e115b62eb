"""The audit log is append-only, in the model and in the database itself."""

from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from everyname.core.errors import InvalidInput, PermissionDenied
from everyname.store.audit import Action, list_events, record_event
from everyname.store.models import AuditEvent, AuditLogIsAppendOnly

pytestmark = pytest.mark.django_db


def test_events_are_recorded_with_stable_names():
    event = record_event(Action.SOURCE_CREATED, "alice", code="lcc")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor, stored.details) == (
        "source.created",
        "alice",
        {"code": "lcc"},
    )


def test_model_refuses_changes_and_deletion():
    event = record_event(Action.SOURCE_CREATED, "alice")
    event.actor = "mallory"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().update(actor="mallory")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor == "alice"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE store_auditevent SET actor = 'mallory'", "DELETE FROM store_auditevent"],
)
def test_database_refuses_raw_sql_that_rewrites_history(statement):
    record_event(Action.SOURCE_CREATED, "alice")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(actor="alice").count() == 1


# --- the acting user, and what details may carry --------------------------------------------


def test_the_acting_user_or_a_system_name_is_recorded(cast):
    by_actor = record_event(Action.SOURCE_CREATED, cast["recorder_a"], None, code="src-a")
    by_name = record_event(Action.DATABASE_INITIALISED, "laptop-owner")
    assert (by_actor.actor, by_name.actor) == ("dina", "laptop-owner")
    with pytest.raises(ValueError):
        record_event("no.such.action", "alice")


@pytest.mark.parametrize(
    "details",
    [
        {"reporter_name": "Umm Khaled"},
        {"changes": {"reporter_contact": "+963"}},
        {"changes": [{"before": {"reporter_name": "x"}}]},
    ],
)
def test_details_named_after_an_identity_are_refused(details):
    with pytest.raises(ValueError, match="identities"):
        record_event(Action.SOURCE_CREATED, "alice", None, **details)
    assert not AuditEvent.objects.exists()


# --- reading the log back ---------------------------------------------------------------------

CAST = ["admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer"]


@pytest.fixture
def log(cast):
    """Seven events by three actors on two kinds of object; returned oldest first."""
    from everyname.store.models import Source

    source = Source.objects.create(code="src-a", name="A", created_by="alice")
    made = [
        record_event(Action.DATABASE_INITIALISED, "laptop-owner", None, migrations=["0001"]),
        record_event(Action.SOURCE_CREATED, cast["admin"], source, code="src-a"),
        record_event(Action.BATCH_IMPORTED, cast["recorder_a"], source, rows_read=3),
        record_event(Action.BATCH_IMPORTED, cast["recorder_a"], source, rows_read=5),
        record_event(Action.SOURCES_GROUPED, cast["analyst"], None, sources=["src-a"]),
        record_event(Action.BATCH_IMPORTED, cast["admin"], None, rows_read=1),
        record_event(Action.SECRET_READ, cast["analyst"], source, fields=["reporter_name"]),
    ]
    return [AuditEvent.objects.get(pk=e.pk) for e in made]


@pytest.mark.parametrize("who", CAST)
def test_reading_the_log_for_every_cast_member(who, cast, log):
    actor = cast[who]
    if who not in ("admin", "analyst"):
        with pytest.raises(PermissionDenied) as info:
            list_events(actor)
        assert info.value.kind == "permission_denied"
        return
    page = list_events(actor)
    assert page.total == len(log) and page.page == 1 and page.page_size == 50
    assert [e.id for e in page.items] == [e.pk for e in reversed(log)]  # newest first
    newest = page.items[0].to_dict()
    assert newest["action"] == "secret.read" and newest["actor"] == "bob"
    assert newest["object_type"] == "Source" and newest["details"] == {"fields": ["reporter_name"]}
    assert newest["at"] == log[-1].at.isoformat()


def test_pages_cover_the_log_once_newest_first(cast, log):
    pages = [list_events(cast["admin"], page=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [len(p.items) for p in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {len(log)} and pages[0].to_dict()["pages"] == 3
    seen = [item.id for p in pages for item in p.items]
    assert seen == [e.pk for e in reversed(log)]


def test_filters_narrow_the_log(cast, log):
    def ids(**filters):
        return [item.id for item in list_events(cast["admin"], **filters).items]

    def expected(keep):
        return [e.pk for e in reversed(log) if keep(e)]

    assert ids(action=Action.BATCH_IMPORTED) == expected(lambda e: e.action == "batch.imported")
    assert ids(action="batch.imported", actor_name="dina") == expected(
        lambda e: e.action == "batch.imported" and e.actor == "dina"
    )
    assert len(ids(action="batch.imported", actor_name="dina")) == 2
    assert ids(object_type="Source") == expected(lambda e: e.object_type == "Source")
    assert ids(object_type="Source", object_id=log[1].object_id) == expected(
        lambda e: e.object_type == "Source"
    )
    assert ids(object_id=999999) == []
    middle = log[3].at
    assert ids(since=middle) == expected(lambda e: e.at >= middle)
    assert ids(until=middle) == expected(lambda e: e.at <= middle)
    assert log[3].pk in ids(since=middle, until=middle)
    today = log[0].at.date()
    assert ids(since=today, until=today) == expected(lambda e: True)
    assert ids(until=today - timedelta(days=1)) == []
    assert ids(since=today + timedelta(days=1)) == []
    naive = middle.replace(tzinfo=None)  # read as UTC
    assert ids(since=naive) == ids(since=middle)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": "2"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"action": "user.deleted"}, "action"),
        ({"since": date(2026, 2, 2), "until": date(2026, 2, 1)}, "until"),
        ({"since": "2026-02-01"}, "since"),
    ],
)
def test_bad_filters_name_their_field(cast, filters, field):
    with pytest.raises(InvalidInput) as info:
        list_events(cast["admin"], **filters)
    assert info.value.field == field


def test_two_writers_never_chain_to_the_same_entry():
    """While one transaction holds the chain (it wrote an event, not yet committed), another
    writer waits for it (PostgreSQL: the advisory lock, seen waiting in pg_locks) or is refused
    (SQLite's test database, shared in memory, refuses a second writer at once): it never reads
    the same previous entry and forks the chain. Both roll back, so the test leaves nothing."""
    import threading

    from django.db import OperationalError, connections

    from everyname.store.audit import verify_chain
    from everyname.store.permissions import Actor, Role

    if connection.vendor == "sqlite":
        # the test's own transaction holds SQLite's write lock: a second connection is refused
        record_event(Action.SOURCE_CREATED, "alice", code="before")
        outcome: dict[str, object] = {}

        def second_writer() -> None:
            try:
                with transaction.atomic():
                    record_event(Action.SOURCE_CREATED, "bob", code="second")
                outcome["wrote"] = True
            except OperationalError as exc:
                outcome["refused"] = str(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join()
        assert "locked" in str(outcome.get("refused")), outcome
    else:
        holding, release = threading.Event(), threading.Event()
        results: dict[str, object] = {}

        class Rollback(Exception):
            pass

        def first() -> None:
            try:
                with transaction.atomic():
                    results["first"] = record_event(Action.SOURCE_CREATED, "a", code="first")
                    holding.set()
                    release.wait()
                    raise Rollback
            except Rollback:
                pass
            finally:
                connections.close_all()

        def second() -> None:
            try:
                with transaction.atomic():
                    results["second"] = record_event(Action.SOURCE_CREATED, "b", code="second")
                    raise Rollback
            except Rollback:
                pass
            finally:
                connections.close_all()

        a = threading.Thread(target=first)
        a.start()
        holding.wait()
        b = threading.Thread(target=second)
        b.start()
        waiting = False
        with connection.cursor() as cursor:
            while not waiting and b.is_alive():
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                waiting = cursor.fetchone()[0] > 0
        assert waiting, "the second writer did not wait for the first"
        assert "second" not in results
        release.set()
        a.join()
        b.join()
        # the first rolled back: the second chained to the last committed entry, not to it
        assert results["second"].seq == results["first"].seq
        assert results["second"].previous_hash == results["first"].previous_hash
    assert verify_chain(Actor("alice", Role.ADMIN)).intact
