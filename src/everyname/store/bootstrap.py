"""Starting Django from outside a web server (the command line, scripts, benchmarks)."""

from __future__ import annotations

import os

from everyname.core.errors import EverynameError


class NotInitialised(EverynameError):
    """The database has no everyname tables yet."""


def setup() -> None:
    """Configure Django once per process; a no-op when it is already set up (tests, web)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everyname.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def require_initialised() -> None:
    """Refuse to work on a database that ``everyname init`` has not prepared."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        applied = executor.loader.applied_migrations
        if not any(app == "store" for app, _ in applied):
            raise NotInitialised(
                "The database has not been initialised. Run `everyname init` first."
            )
        raise NotInitialised(
            "The database needs migrating to this version of everyname. Run `everyname init`."
        )
