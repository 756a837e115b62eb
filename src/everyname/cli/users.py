"""``everyname user``: who may use this database, with which role.

On a laptop where nobody has been made a user, every command acts as the local administrator.
The first ``user add`` must create an admin; from then on every command must run as an active
user, named by ``EVERYNAME_USER``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import console, escape, user_errors, write_json
from everyname.store.permissions import Role

if TYPE_CHECKING:
    from everyname.store.users import UserInfo

user_app = typer.Typer(
    help="Users and their roles: add, list, set a role, assign a recorder's sources, disable.",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


SourcesOption = Annotated[
    str | None,
    typer.Option(
        "--sources",
        help="Source codes a recorder is assigned to, comma-separated (A,B).",
        show_default=False,
    ),
]


def _codes(sources: str | None) -> list[str]:
    return [code.strip() for code in (sources or "").split(",") if code.strip()]


def _describe(info: UserInfo) -> str:
    role = info.role or "no role"
    sources = f"; sources {', '.join(info.sources)}" if info.sources else ""
    state = "" if info.active else "; disabled"
    return f"{info.name} ({role}{sources}{state})"


@user_app.command("add")
@user_errors
def add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, @ . + - _).")],
    role: Annotated[Role, typer.Option("--role", help="The user's one role.")],
    sources: SourcesOption = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="Read the password from this file (its first line); otherwise it is asked for.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ] = None,
    one_time: Annotated[
        bool,
        typer.Option(
            "--one-time",
            help="The password is one you give the user: they must change it when they first "
            "sign in to the web app.",
        ),
    ] = False,
) -> None:
    """Add a user with a role (and, for a recorder, the sources they work on)."""
    open_database()
    from everyname.store.users import add_user

    actor = current_actor()
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    info = add_user(actor, name, role, _codes(sources), password=password, one_time=one_time)
    console.print(f"Added user {escape(_describe(info))}.")
    if actor.user_id is None:
        console.print(
            f"{escape(info.name)} is the first user, so the local administrator is gone: from now "
            f"on every command must name an active user. Set EVERYNAME_USER={escape(info.name)} "
            "to go on."
        )


@user_app.command("list")
@user_errors
def list_(
    format: Annotated[
        ListFormat, typer.Option("--format", help="Output: a table, or JSON.")
    ] = ListFormat.table,
) -> None:
    """Every user, with role, assigned sources and whether they are active."""
    open_database()
    from everyname.store.users import list_users

    listing = list_users(current_actor())
    if format is ListFormat.json:
        write_json(listing.to_dict(), indent=1)
        return
    if not listing.users:
        console.print(
            "No users yet: commands act as the local administrator. Add your own admin first "
            "(everyname user add NAME --role admin)."
        )
        return
    table = Table(title="Users")
    for column in ("name", "role", "sources", "active"):
        table.add_column(column)
    for info in listing.users:
        table.add_row(
            escape(info.name),
            str(info.role or "no role"),
            escape(", ".join(info.sources)),
            "yes" if info.active else "no (disabled)",
        )
    console.print(table)


@user_app.command("set-role")
@user_errors
def set_role(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    role: Annotated[Role, typer.Argument(help="The new role.")],
    sources: SourcesOption = None,
) -> None:
    """Give a user another role. A new recorder needs --sources unless already assigned some."""
    open_database()
    from everyname.store import users

    given = _codes(sources) if sources is not None else None
    info = users.set_role(current_actor(), name, role, given)
    console.print(f"{escape(_describe(info))}.")


@user_app.command("assign")
@user_errors
def assign(
    name: Annotated[str, typer.Argument(help="The recorder's name.")],
    sources: Annotated[
        str,
        typer.Option(
            "--sources", help="Source codes, comma-separated (A,B); replaces the current ones."
        ),
    ],
) -> None:
    """Set the sources a recorder works on (replacing the ones they had)."""
    open_database()
    from everyname.store.users import assign_sources

    info = assign_sources(current_actor(), name, _codes(sources))
    console.print(f"{escape(_describe(info))}.")


@user_app.command("disable")
@user_errors
def disable(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Stop a user from acting. They stay in the audit log; the last active admin cannot be
    disabled."""
    open_database()
    from everyname.store.users import disable_user

    info = disable_user(current_actor(), name)
    console.print(f"{escape(_describe(info))}.")
