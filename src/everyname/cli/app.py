"""The Typer application object shared by the command modules, and the process entry point."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="everyname",
    help="Casualty recording: import lists, link records into persons, count and estimate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    # Command modules register themselves on import.
    from everyname.cli import commands  # noqa: F401

    app()
