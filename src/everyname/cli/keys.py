"""``everyname key rotate``: re-encrypt every identity and file under a new key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import console, escape, user_errors

key_app = typer.Typer(
    help="The encryption key of reporter identities and original files: rotate it.",
    no_args_is_help=True,
)


@key_app.command("rotate")
@user_errors
def rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            help=(
                "Write the new key to this file (it must not exist) and leave the current key "
                "file as it is. Without it the new key replaces the current key file and the "
                "old key is kept beside it as KEYFILE.old-<time>."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Re-encrypt everything under a new key in one transaction (admins; audited).

    Stop the web server and workers first. Back up the new key file apart from the database:
    without it, nothing encrypted from now on can be read.
    """
    open_database()
    from everyname.store.keys import rotate_key

    result = rotate_key(current_actor(), new_key_file)
    total = sum(result.reencrypted.values())
    console.print(
        f"Re-encrypted {total} value(s) under a new key "
        f"(fingerprint {result.new_fingerprint[:16]})."
    )
    for column, count in result.reencrypted.items():
        console.print(f"  {escape(column)}: {count}")
    console.print(f"New key file: {escape(str(result.key_file))} (owner-only)")
    if result.old_key_kept is not None:
        console.print(
            f"The old key is kept in {escape(str(result.old_key_kept))} (owner-only): it opens "
            "backups made before this rotation, nothing else. Keep it with those backups."
        )
    else:
        console.print(
            "The current key file was left as it was and no longer opens this database. Set "
            f"EVERYNAME_KEY_FILE={escape(str(result.key_file))} for every command from now on."
        )
