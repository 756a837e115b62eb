"""Creating and migrating the database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from everyname import config
from everyname.store import crypto, protection
from everyname.store.audit import Action, record_event


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did. ``triggers_restored`` names protective triggers that had been dropped
    or disabled and were put back (empty when all were in place)."""

    database: str
    key_file: Path
    key_created: bool
    migrations_applied: tuple[str, ...]
    key_fingerprint: str = ""
    triggers_restored: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "key_file": str(self.key_file),
            "key_created": self.key_created,
            "migrations_applied": list(self.migrations_applied),
            "key_fingerprint": self.key_fingerprint,
            "triggers_restored": list(self.triggers_restored),
        }


def describe_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite file {settings['NAME']}"
    return f"PostgreSQL database {settings['NAME']} on {settings.get('HOST') or 'local socket'}"


def initialise() -> InitResult:
    """Apply pending migrations, put back any protective trigger that was dropped, and create
    the key file if it is missing, each with an audit entry.

    A key is created only for a database that holds no encrypted data: for one that does, a
    missing key file is refused (a new key would not read what is stored), and a key file
    that does not match the database's is refused as every other command refuses it.
    """
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = tuple(f"{m.app_label}.{m.name}" for m, _ in plan)
    if pending:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    actor = config.actor()
    key_path = config.key_file_path()
    with transaction.atomic():
        if pending:
            record_event(Action.DATABASE_INITIALISED, actor, migrations=list(pending))
        restored = protection.install()
        if restored.missing:
            record_event(Action.PROTECTION_RESTORED, actor, triggers=list(restored.missing))
    with transaction.atomic():
        created = False
        recorded = crypto.recorded_fingerprint()
        if not key_path.exists():
            if crypto.holds_encrypted_data():
                raise crypto.KeyFileError(
                    f"The key file {key_path} does not exist, and this database already holds "
                    "encrypted data. init does not create a new key for it: "
                    "a new key would not read what is stored. Set EVERYNAME_KEY_FILE to this "
                    "database's key file, or restore that file from your backup.",
                    field="key_file",
                )
            key_path, created = crypto.create_key_file(key_path)
        loaded = crypto.current_key()
        crypto.check_key(loaded)  # refuses another key; records this one on a new database
        if created:
            record_event(
                Action.KEY_CREATED,
                actor,
                fingerprint=loaded.fingerprint[:16],
                key_file=str(key_path),
            )
        elif recorded is None:
            record_event(
                Action.KEY_RECORDED,
                actor,
                fingerprint=loaded.fingerprint[:16],
                key_file=str(key_path),
            )
    return InitResult(
        database=describe_database(),
        key_file=key_path,
        key_created=created,
        migrations_applied=pending,
        key_fingerprint=loaded.fingerprint,
        triggers_restored=restored.missing,
    )
