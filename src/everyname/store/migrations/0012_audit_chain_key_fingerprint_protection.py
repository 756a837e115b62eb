"""The audit chain, the key's fingerprint, and triggers that protect records, batches and
decisions as well as the audit log.

The audit table's old triggers (0002) are replaced by ``store.protection``'s, which name their
definition; the events already written are chained in the order they were written (the first
gets seq 1), so ``everyname audit verify`` covers the whole log. ``at`` gets its value from
``audit.record_event`` (never before the previous event's) instead of the save's clock.
"""

import django.utils.timezone
from django.db import migrations, models

OLD_SQLITE = ["store_auditevent_no_update", "store_auditevent_no_delete"]
OLD_POSTGRES = ["store_auditevent_no_truncate", "store_auditevent_no_change"]


def drop_old_audit_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in OLD_SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
    elif vendor == "postgresql":
        for name in OLD_POSTGRES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON store_auditevent;")
        schema_editor.execute("DROP FUNCTION IF EXISTS store_auditevent_refuse();")


def restore_old_audit_triggers(apps, schema_editor):
    import importlib

    old = importlib.import_module("everyname.store.migrations.0002_audit_append_only_triggers")
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": old.SQLITE_FORWARD, "postgresql": old.POSTGRES_FORWARD}
    for statement in statements.get(vendor, []):
        schema_editor.execute(statement)


def chain_existing_events(apps, schema_editor):
    from everyname.store.audit import event_hash

    event_model = apps.get_model("store", "AuditEvent")
    previous = None
    for seq, event in enumerate(event_model._base_manager.order_by("id").iterator(), start=1):
        event.seq = seq
        event.previous_hash = previous.hash if previous is not None else ""
        if previous is not None and event.at < previous.at:
            event.at = previous.at
        event.hash = event_hash(event)
        event_model._base_manager.filter(pk=event.pk).update(
            seq=event.seq, previous_hash=event.previous_hash, hash=event.hash, at=event.at
        )
        previous = event


def install_protection(apps, schema_editor):
    from everyname.store import protection

    protection.install(lambda name: apps.get_model("store", name), schema_editor.connection)


def uninstall_protection(apps, schema_editor):
    from everyname.store import protection

    protection.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0011_stored_estimates_reports"),
    ]

    operations = [
        migrations.RunPython(drop_old_audit_triggers, restore_old_audit_triggers),
        migrations.CreateModel(
            name="KeyFingerprint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fingerprint", models.CharField(max_length=64)),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.RunPython(install_protection, uninstall_protection),
    ]
