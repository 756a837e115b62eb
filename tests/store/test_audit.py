"""The audit log is append-only, in the model and in the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from everyname.store.audit import Action, record_event
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
