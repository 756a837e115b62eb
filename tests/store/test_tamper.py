"""Tampering shows: records, batches, decisions and the audit log refuse edits in the database
itself, and an audit log rewritten anyway (its triggers dropped) fails ``audit verify`` at the
first entry touched. Every edit here is raw SQL, as someone with the database file would make it.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from everyname.core.errors import PermissionDenied
from everyname.store import protection
from everyname.store.audit import Action, event_hash, record_event, verify_chain
from everyname.store.imports import import_file
from everyname.store.maintenance import initialise
from everyname.store.models import AuditEvent, Batch, MatchDecision, Record
from everyname.store.records import correct_record

pytestmark = pytest.mark.django_db

LIST = "name,sex,age\nAhmad Khalil,m,40\nHuda Ali,f,31\nSamir Nasr,m,22\n"


@pytest.fixture
def stored(tmp_path, key_file, cast):
    """An import, a correction, a decision and a few audit events: one row in every table the
    triggers protect."""
    path = tmp_path / "list.csv"
    path.write_text(LIST, encoding="utf-8")
    import_file(path, "src-a", actor="setup")
    first, second = Record.objects.order_by("pk")[:2]
    correct_record(cast["admin"], first.pk, {"age": "41"}, reason="death certificate")
    MatchDecision.objects.create(
        record_l=first, record_r=second, verdict="different", decided_by="carol"
    )
    for n in range(3):
        record_event(Action.SOURCE_CREATED, "alice", code=f"x{n}")
    return first


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def refused(sql: str, params: list | None = None) -> bool:
    try:
        with transaction.atomic():
            execute(sql, params)
    except DatabaseError:
        return True
    return False


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


PROTECTED = [
    ("store_record", "raw"),
    ("store_record", "as_written"),
    ("store_record", "batch_id"),
    ("store_batch", "file_name"),
    ("store_batch", "rows_read"),
    ("store_batchfilechunk", "data"),
    ("store_recordrevision", "reason"),
    ("store_matchdecision", "verdict"),
    ("store_auditevent", "actor"),
]


@pytest.mark.parametrize(("table", "column"), PROTECTED)
def test_an_edit_in_place_is_refused(stored, table, column):
    model = next(m for m in apps.get_app_config("store").get_models() if m._meta.db_table == table)
    pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
    before = model.objects.filter(pk=pk).values(column).get()
    assert (
        refused(f'UPDATE {table} SET "{column}" = "{column}" || \'\' WHERE id = %s', [pk])
        or refused(f'UPDATE {table} SET "{column}" = NULL WHERE id = %s', [pk])
        # a record's as_written is null when its raw row gives it (store.compact_json)
        or refused(f"UPDATE {table} SET \"{column}\" = '{{}}' WHERE id = %s", [pk])
    )
    assert model.objects.filter(pk=pk).values(column).get() == before


@pytest.mark.parametrize(
    "table",
    [
        "store_record",
        "store_batch",
        "store_batchfilechunk",
        "store_recordrevision",
        "store_matchdecision",
        "store_auditevent",
    ],
)
def test_a_deletion_is_refused(stored, table):
    model = next(m for m in apps.get_app_config("store").get_models() if m._meta.db_table == table)
    count = model.objects.count()
    assert count > 0
    # the rows no other row points to, so only a trigger stops it
    assert refused(f"DELETE FROM {table} WHERE id = (SELECT MAX(id) FROM {table})")
    assert model.objects.count() == count


def test_a_correction_still_changes_the_current_values_and_nothing_else(stored):
    """The columns a correction writes stay writable (records.correct_record); a batch's
    counts were set once, at the end of its import."""
    assert not refused("UPDATE store_record SET corrected = corrected WHERE id = %s", [stored.pk])
    assert refused("UPDATE store_batch SET rows_read = 0")
    assert Record.objects.get(pk=stored.pk).corrected == {"age": "41"}


def test_an_intact_log_verifies(stored, cast):
    report = verify_chain(cast["admin"])
    assert report.ok and report.entries == AuditEvent.objects.count() > 5
    assert report.head_hash == events()[-1].hash
    assert [e.seq for e in events()] == list(range(1, report.entries + 1))


@pytest.mark.parametrize("role", ["admin", "analyst", "reviewer", "recorder_a", "viewer"])
def test_who_may_verify(stored, cast, role):
    before = AuditEvent.objects.count()
    if role in ("admin", "analyst"):
        assert verify_chain(cast[role]).ok
    else:
        with pytest.raises(PermissionDenied):
            verify_chain(cast[role])
    assert AuditEvent.objects.count() == before  # verifying writes nothing


def test_an_altered_entry_is_found(stored, cast):
    protection.uninstall()
    victim = events()[3]
    execute(
        "UPDATE store_auditevent SET details = %s WHERE id = %s", ['{"code": "forged"}', victim.pk]
    )
    report = verify_chain(cast["admin"])
    assert not report.intact and report.first_bad_id == victim.pk
    assert "altered" in report.problem
    assert "everyname_protect_auditevent_update" in " ".join(report.triggers_missing)


def test_a_removed_entry_is_found(stored, cast):
    protection.uninstall()
    log = events()
    execute("DELETE FROM store_auditevent WHERE id = %s", [log[2].pk])
    report = verify_chain(cast["admin"])
    assert not report.intact and report.first_bad_id == log[3].pk
    assert "removed" in report.problem


def test_reordered_entries_are_found(stored, cast):
    """Two entries' contents swapped (every field, hashes too): the first is out of place."""
    protection.uninstall()
    log = events()
    a, b = log[2], log[3]
    fields = ["at", "actor", "action", "object_type", "object_id", "details", "previous_hash"]
    fields += ["hash"]
    execute("UPDATE store_auditevent SET seq = NULL WHERE id IN (%s, %s)", [a.pk, b.pk])
    for target, source in ((a, b), (b, a)):
        values = {f: getattr(source, f) for f in fields}
        values["details"] = json.dumps(values["details"])
        sets = ", ".join(f'"{f}" = %s' for f in fields) + ", seq = %s"
        execute(
            f"UPDATE store_auditevent SET {sets} WHERE id = %s",
            [*values.values(), source.seq, target.pk],
        )
    report = verify_chain(cast["admin"])
    assert not report.intact and report.first_bad_id == a.pk
    assert "out of order" in report.problem


def test_a_back_dated_insert_is_found(stored, cast):
    """An INSERT needs no dropped trigger: one written outside everyname is not chained, and
    one whose hashes were forged as well is dated before the entry before it."""
    log = events()
    early = log[0].at - timedelta(days=30)
    with transaction.atomic():
        forged = AuditEvent(
            at=early,
            actor="mallory",
            action="source.created",
            details={"code": "ghost"},
            seq=log[-1].seq + 1,
            previous_hash=log[-1].hash,
        )
        forged.hash = event_hash(forged)
        forged.save()
    report = verify_chain(cast["admin"])
    assert not report.intact and report.first_bad_id == forged.pk
    assert "back-dated" in report.problem


def test_an_unchained_insert_is_found(stored, cast):
    last = events()[-1]
    execute(
        "INSERT INTO store_auditevent (at, actor, action, object_type, object_id, details, "
        "previous_hash, hash) VALUES (%s, 'mallory', 'source.created', '', '', '{}', '', '')",
        [events()[0].at],
    )
    raw = AuditEvent.objects.order_by("-id").first()
    report = verify_chain(cast["admin"])
    assert not report.intact and report.first_bad_id == raw.pk
    assert "outside everyname" in report.problem
    # record_event chains after the last chained entry, not after the raw one
    event = record_event(Action.SOURCE_CREATED, "alice", code="after")
    assert (event.seq, event.previous_hash) == (last.seq + 1, last.hash)


@pytest.mark.parametrize("table", ["store_auditevent", "store_record", "store_matchdecision"])
def test_a_dropped_trigger_is_reported_and_init_puts_it_back(stored, cast, table):
    trigger = next(t for t in protection.triggers(connection.vendor) if t.table == table)
    if connection.vendor == "sqlite":
        execute(f"DROP TRIGGER {trigger.name}")
    else:
        execute(f"DROP TRIGGER {trigger.name} ON {table}")
    assert protection.check().missing == (trigger.name,)
    report = verify_chain(cast["admin"])
    assert report.intact and not report.ok and report.triggers_missing == (trigger.name,)

    result = initialise()
    assert result.triggers_restored == (trigger.name,)
    assert protection.check().intact
    event = AuditEvent.objects.filter(action=Action.PROTECTION_RESTORED).get()
    assert event.details == {"triggers": [trigger.name]}
    assert initialise().triggers_restored == ()


def test_a_disabled_postgresql_trigger_counts_as_dropped(stored):
    if connection.vendor != "postgresql":
        # SQLite has no way to disable one trigger: it can only be dropped (tested above)
        assert all(t.sql.startswith("CREATE TRIGGER") for t in protection.triggers("sqlite"))
        return
    execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's pending foreign-key checks, now
    execute("ALTER TABLE store_batch DISABLE TRIGGER USER")
    assert any("batch" in name for name in protection.check().missing)
    initialise()
    assert protection.check().intact
    assert refused("DELETE FROM store_batch")


def test_the_migration_chains_a_log_written_before_chains(stored, cast):
    """0012 chains the events an older database already holds, in the order written."""
    import importlib

    migration = importlib.import_module(
        "everyname.store.migrations.0012_audit_chain_key_fingerprint_protection"
    )
    protection.uninstall()
    execute("UPDATE store_auditevent SET seq = NULL, previous_hash = '', hash = ''")
    assert not verify_chain(cast["admin"]).intact
    migration.chain_existing_events(apps, None)
    migration.install_protection(apps, type("Editor", (), {"connection": connection})())
    report = verify_chain(cast["admin"])
    assert report.ok and report.entries == AuditEvent.objects.count()


def test_a_batch_cannot_be_emptied_of_its_counts(stored):
    batch = Batch.objects.get()
    assert refused("UPDATE store_batch SET records_imported = 0 WHERE id = %s", [batch.pk])
    assert Batch.objects.get().records_imported == batch.records_imported == 3
