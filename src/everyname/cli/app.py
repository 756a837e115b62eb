"""The Typer application object shared by the command modules, and the process entry point."""

from __future__ import annotations

import logging

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

    quiet_libraries()
    app()


def quiet_libraries() -> None:
    """Splink narrates its training at WARNING ("level not observed", "default max_pairs"):
    advice for someone tuning Splink by hand, noise for someone linking casualty lists. Its
    errors still show; what everyname itself warns about still shows."""
    logging.getLogger("splink").setLevel(logging.ERROR)
