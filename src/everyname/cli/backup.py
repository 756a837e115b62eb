"""``everyname backup``, ``restore`` and ``originals``: a consistent, encrypted copy of the whole
database, put back into an empty one (SQLite or PostgreSQL), and an imported file given back.

Each command parses its arguments, calls one use case of ``everyname.store.backup`` and prints
what it did. The passphrase is never an option (it would stay in the shell's history and be
seen in the process list): it comes from ``EVERYNAME_BACKUP_PASSPHRASE`` (or the file named by
``EVERYNAME_BACKUP_PASSPHRASE_FILE``), else it is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from everyname import config
from everyname.cli.db import current_actor, open_database
from everyname.cli.output import console, errors, escape, user_errors

PASSPHRASE_VARIABLE = "EVERYNAME_BACKUP_PASSPHRASE"


def _passphrase(confirm: bool) -> str:
    given = config.env(PASSPHRASE_VARIABLE)
    if given is not None:
        return given
    return typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@user_errors
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    include_key: Annotated[
        bool,
        typer.Option(
            "--include-key",
            help="Put the encryption key file inside the backup too (under the passphrase). "
            "Without it, keep the key file safe apart: the backup cannot reveal identities "
            "or original files without it.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write an encrypted, consistent snapshot of the whole database to FILE, while the system
    is in use. The passphrase comes from EVERYNAME_BACKUP_PASSPHRASE (or its _FILE), else it
    is asked for twice."""
    open_database()
    from everyname.store.backup import backup as make_backup

    actor = current_actor()
    passphrase = _passphrase(confirm=True)
    result = make_backup(actor, file, passphrase, include_key=include_key, overwrite=force)
    console.print(
        f"Wrote {escape(str(result.file))} ({result.size_bytes:,} bytes, owner-only): "
        f"{result.rows} rows in {len(result.tables)} tables, SHA-256 {result.sha256}."
    )
    if result.key_included:
        console.print("The encryption key is inside, under the passphrase.")
    else:
        console.print(
            f"The encryption key is not inside: keep {escape(str(config.key_file_path()))} "
            "safe apart from the backup; the backup cannot reveal identities or files without it."
        )


@user_errors
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file to read.", show_default=False)],
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only read and verify the whole backup (passphrase, every checksum, the "
            "manifest); write nothing.",
        ),
    ] = False,
) -> None:
    """Restore a backup into an empty database (SQLite or PostgreSQL, whichever
    EVERYNAME_DATABASE_URL names; a new one is given its tables). Everything is verified before
    anything is written, and loaded in one transaction."""
    open_database(require_init=False)
    from django.db import connection

    from everyname.store.backup import restore as restore_backup
    from everyname.store.permissions import Actor

    # A database with no tables yet has no users: the local administrator restores into it.
    fresh = "auth_user" not in connection.introspection.table_names()
    actor = Actor.local_admin(config.actor()) if fresh else current_actor()
    result = restore_backup(actor, file, _passphrase(confirm=False), check_only=check)
    made = (
        f"made {result.created_at} by {escape(result.created_by)} from "
        f"{result.database} with everyname {result.everyname_version}"
    )
    if result.checked_only:
        console.print(
            f"{escape(str(result.file))} is whole and opens with this passphrase: {made}; "
            f"{result.rows} rows in {len(result.tables)} tables, every checksum matches."
            + (" The encryption key is inside." if result.key_included else "")
        )
        return
    console.print(
        f"Restored {result.rows} rows in {len(result.tables)} tables from "
        f"{escape(str(result.file))} ({made})."
    )
    if result.migrations_applied:
        console.print(f"Applied {len(result.migrations_applied)} migration(s).")
    if result.key_written:
        console.print(
            f"Wrote the backup's encryption key to {escape(str(config.key_file_path()))} "
            "(owner-only)."
        )
    elif result.key_matches is False:
        errors.print(
            f"The key file {escape(str(config.key_file_path()))} is not the key this data was "
            "encrypted with: set EVERYNAME_KEY_FILE to the database's own key before importing "
            "or revealing."
        )
    elif not result.key_included and result.key_matches is None:
        console.print(
            "The backup holds no key: put this database's key file where EVERYNAME_KEY_FILE "
            f"says ({escape(str(config.key_file_path()))}) before importing or revealing."
        )


@user_errors
def originals(
    batch: Annotated[int, typer.Argument(help="The batch number (see `everyname sources`).")],
    out: Annotated[
        Path, typer.Option("--out", help="The file to write the original to.", show_default=False)
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
) -> None:
    """Write an imported file back, byte for byte as it was imported (checked against its
    SHA-256; audited; owner-only)."""
    open_database()
    from everyname.store.backup import write_original

    result = write_original(current_actor(), batch, out, overwrite=force)
    console.print(
        f"Wrote batch {result.batch}'s original {escape(result.file_name)} (source "
        f"{escape(result.source)}, {result.size_bytes:,} bytes, SHA-256 {result.sha256}) to "
        f"{escape(str(result.out))}."
    )
