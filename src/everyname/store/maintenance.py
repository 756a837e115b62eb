"""Creating and migrating the database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from everyname import config
from everyname.store import crypto
from everyname.store.audit import Action, record_event


@dataclass(frozen=True)
class InitResult:
    database: str
    key_file: Path
    key_created: bool
    migrations_applied: tuple[str, ...]


def describe_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite file {settings['NAME']}"
    return f"PostgreSQL database {settings['NAME']} on {settings.get('HOST') or 'local socket'}"


def initialise() -> InitResult:
    """Create the key file if missing, then apply pending migrations (with an audit entry)."""
    key_file, created = crypto.create_key_file()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = tuple(f"{m.app_label}.{m.name}" for m, _ in plan)
    if pending:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
        record_event(Action.DATABASE_INITIALISED, config.actor(), migrations=list(pending))
    return InitResult(
        database=describe_database(),
        key_file=key_file,
        key_created=created,
        migrations_applied=pending,
    )
