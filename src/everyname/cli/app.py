"""The command line assembled in one place: the Typer app, every command put on it, the entry point.

Command modules define their commands as plain functions (and sub-apps such as ``places``) and
change nothing when imported; :func:`register` puts each on the app, so importing this module
gives the whole command line, whoever imports it (``everyname``, a test, the docs).
"""

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
    "backup",
    "restore",
    "originals",
    "user",
    "token",
    "key",
    "audit",
    "worker",
    "serve",
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


def register(app: typer.Typer) -> None:
    """Put every command and sub-app on ``app``, under the name ``--help`` lists."""
    from everyname.cli import (
        audit,
        backup,
        counting,
        demo,
        estimate,
        imports,
        init,
        keys,
        linking,
        places,
        serve,
        tokens,
        users,
        worker,
    )

    commands = {
        "init": init.init,
        "import": imports.import_command,
        "sources": imports.sources,
        "group": counting.group,
        "link": linking.link,
        "review": linking.review,
        "count": counting.count,
        "estimate": estimate.estimate_command,
        "report": counting.report,
        "export": linking.export,
        "backup": backup.backup,
        "restore": backup.restore,
        "originals": backup.originals,
        "worker": worker.worker,
        "serve": serve.serve,
        "demo": demo.demo,
    }
    for name, function in commands.items():
        app.command(name)(function)
    groups = {
        "places": places.places_app,
        "claims": counting.claims_app,
        "user": users.user_app,
        "token": tokens.token_app,
        "key": keys.key_app,
        "audit": audit.audit_app,
    }
    for name, group in groups.items():
        app.add_typer(group, name=name)


register(app)


def main() -> None:
    quiet_libraries()
    app()


def quiet_libraries() -> None:
    """Splink narrates its training at WARNING ("level not observed", "default max_pairs"):
    advice for someone tuning Splink by hand, noise for someone linking casualty lists. Its
    errors still show; what everyname itself warns about still shows."""
    logging.getLogger("splink").setLevel(logging.ERROR)
