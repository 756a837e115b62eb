"""Starting Django from outside a web server (the command line, scripts, benchmarks)."""

from __future__ import annotations

import os
from pathlib import Path

from everyname.core.errors import EverynameError
from everyname.core.files import PRIVATE_FILE, PRIVATE_FOLDER


class NotInitialised(EverynameError):
    """The database has no everyname tables yet."""


def setup() -> None:
    """Configure Django once per process; a no-op when it is already set up (tests, web)."""
    configure()
    _create_private_sqlite_file()


def configure() -> None:
    """Django set up, so that the store's modules (which define its models) can be imported,
    without touching any database: for work that needs none (an estimate from a histories
    file), where :func:`setup` would create an empty database file."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everyname.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _create_private_sqlite_file() -> None:
    """Create a new SQLite database file owner-only (0600, a new folder 0700) before SQLite does.

    SQLite creates its file with the umask's permissions, usually readable by every user of
    the machine, and gives its -wal, -shm and -journal files the mode of the database file: an
    empty file made here first (an empty file is a valid new database) keeps all of them, and
    the names of the dead they hold, to the owner.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database.get("ENGINE") != "django.db.backends.sqlite3" or not name:
        return
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return
    path = Path(name)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:  # another process made it first: its own creation applies
        return


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
