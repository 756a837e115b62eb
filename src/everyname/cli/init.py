"""``everyname init``: create or migrate the database and create the key file."""

from __future__ import annotations

from everyname.cli.app import app
from everyname.cli.db import open_database
from everyname.cli.output import console, escape, user_errors


@app.command()
@user_errors
def init() -> None:
    """Create or migrate the database, and create the encryption key file if it is missing."""
    open_database(require_init=False)
    from everyname.store.maintenance import initialise

    result = initialise()
    console.print(f"Database: {escape(result.database)}")
    if result.key_created:
        console.print(
            f"Created the encryption key {escape(str(result.key_file))} (owner-only). "
            "Keep it and back it up apart from the database: without it, reporter identities "
            "cannot be read."
        )
    else:
        console.print(f"Key file: {escape(str(result.key_file))}")
    if result.migrations_applied:
        console.print(f"Applied {len(result.migrations_applied)} migration(s).")
    else:
        console.print("The database is up to date.")
    from everyname.store.users import users_exist

    if not users_exist():
        console.print(
            "No users yet: commands act as the local administrator. If others will use this "
            "database, create your own admin first: everyname user add NAME --role admin."
        )
