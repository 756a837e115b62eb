"""The Typer application object shared by the command modules, and the process entry point."""

from __future__ import annotations

import logging

import typer
from typer.core import TyperGroup

COMMAND_ORDER: tuple[str, ...] = (
    "init",
    "import",
    "sources",
    "places",
    "group",
    "claims",
    "link",
    "review",
    "count",
    "estimate",
    "report",
    "export",
    "user",
    "key",
    "audit",
    "worker",
    "demo",
)
"""The order ``everyname --help`` lists commands in: the order a user runs them. A command not
named here is listed after these, so none ever disappears from the help."""


class OrderedCommands(TyperGroup):
    """Lists commands in ``COMMAND_ORDER`` rather than in the order their modules register."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        registered = super().list_commands(ctx)
        known = [c for c in COMMAND_ORDER if c in registered]
        return known + [c for c in registered if c not in COMMAND_ORDER]


app = typer.Typer(
    name="everyname",
    cls=OrderedCommands,
    help="Casualty recording: import lists, link records into persons, count and estimate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    # Command modules register themselves on import.
    from everyname.cli import commands  # noqa: F401

    quiet_libraries()
    app()


def quiet_libraries() -> None:
    """Splink narrates its training at WARNING ("level not observed", "default max_pairs"):
    advice for someone tuning Splink by hand, noise for someone linking casualty lists. Its
    errors still show; what everyname itself warns about still shows."""
    logging.getLogger("splink").setLevel(logging.ERROR)
