"""``everyname token``: API tokens for a user's scripts (``Authorization: Bearer TOKEN``).

A token acts with its user's role, never more; it is printed once, when made, and kept only
as a hash. Anyone may make and revoke their own tokens; an administrator anyone's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import console, escape, user_errors, write_json

token_app = typer.Typer(
    help="API tokens: make one for a user (shown once), list them, revoke one.",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@token_app.command("create")
@user_errors
def create(
    user: Annotated[str, typer.Argument(help="Whose token: the token acts with their role.")],
    name: Annotated[
        str, typer.Option("--name", help="What the token is for (a script, a dashboard).")
    ] = "",
) -> None:
    """Make a token and print it (only this once: it is kept as a hash)."""
    open_database()
    from everyname.store.tokens import create_token

    made = create_token(current_actor(), user, name)
    console.print(
        f"Token {made.info.id} for {escape(made.info.user)} ({escape(made.info.prefix)}…); "
        "copy it now, it is not shown again:",
        highlight=False,
    )
    typer.echo(made.token)


@token_app.command("list")
@user_errors
def list_command(
    user: Annotated[
        str | None, typer.Argument(help="Whose tokens (default: your own).", show_default=False)
    ] = None,
    format: Annotated[ListFormat, typer.Option("--format", help="A table or JSON.")] = (
        ListFormat.table
    ),
) -> None:
    """List a user's tokens, active and revoked (never the tokens themselves)."""
    open_database()
    from everyname.store.tokens import list_tokens

    found = list_tokens(current_actor(), user)
    if format is ListFormat.json:
        write_json([t.to_dict() for t in found], indent=1)
        return
    table = Table(title="API tokens")
    for column in ("id", "user", "name", "starts with", "created", "last used", "revoked"):
        table.add_column(column)
    for t in found:
        table.add_row(
            str(t.id),
            escape(t.user),
            escape(t.name),
            escape(t.prefix),
            t.created_at,
            t.last_used_at or "",
            t.revoked_at or "",
        )
    console.print(table)


@token_app.command("revoke")
@user_errors
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `everyname token list`).")],
) -> None:
    """Revoke a token: every later request with it is refused (401)."""
    open_database()
    from everyname.store.tokens import revoke_token

    info = revoke_token(current_actor(), token_id)
    console.print(f"Token {info.id} of {escape(info.user)} revoked.")
