"""``everyname init``: create or migrate the database and create the key file."""

from __future__ import annotations

import os

from everyname.cli.db import open_database
from everyname.cli.output import console, errors, escape, user_errors


@user_errors
def init() -> None:
    """Create or migrate the database, restore its protective triggers, and create the
    encryption key file if it is missing (never for a database that already holds encrypted
    data)."""
    open_database(require_init=False)
    from everyname.store.maintenance import initialise

    result = initialise()
    console.print(f"Database: {escape(result.database)}")
    if result.migrations_applied:
        console.print(f"Applied {len(result.migrations_applied)} migration(s).")
    else:
        console.print("The database is up to date.")
    if result.triggers_restored:
        errors.print(
            f"[bold yellow]Warning:[/] {len(result.triggers_restored)} protective trigger(s) "
            "had been dropped or disabled and were restored: "
            f"{escape(', '.join(result.triggers_restored))}. Someone changed the database "
            "outside everyname: run `everyname audit verify` to check the audit log."
        )
    fingerprint = f"(fingerprint {result.key_fingerprint[:16]})"
    if result.key_created:
        console.print(
            f"Created the encryption key {escape(str(result.key_file))} {fingerprint}, "
            "owner-only. Keep it and back it up apart from the database: without it, reporter "
            "identities cannot be read."
        )
    else:
        console.print(f"Key file: {escape(str(result.key_file))} {fingerprint}")
    from everyname.web.secret_key import create_secret_key_file

    if not os.environ.get("EVERYNAME_SECRET_KEY"):  # a key given itself needs no file
        secret_path, secret_created = create_secret_key_file()
        if secret_created:
            console.print(
                f"Created the web app's secret key {escape(str(secret_path))}, owner-only "
                "(it signs sign-ins; everyname serve needs it)."
            )
    from everyname.store.users import users_exist

    if not users_exist():
        console.print(
            "No users yet: commands act as the local administrator. If others will use this "
            "database, create your own admin first: everyname user add NAME --role admin."
        )
