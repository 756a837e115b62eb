"""``everyname audit verify``: check the audit log's chain and the protective triggers."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import EXIT_REJECTED, console, errors, escape, user_errors

audit_app = typer.Typer(
    help="The audit log: check that no entry was forged, removed or reordered.",
    no_args_is_help=True,
)


class VerifyFormat(StrEnum):
    text = "text"
    json = "json"


@audit_app.command("verify")
@user_errors
def verify(
    output_format: Annotated[
        VerifyFormat,
        typer.Option("--format", help="text for a person, json for a script."),
    ] = VerifyFormat.text,
) -> None:
    """Check every audit entry against the one before it; exit 1 naming the first bad entry.

    Also checks that the database's protective triggers are in place (``everyname init`` puts
    back any that are missing). Note the last entry's hash somewhere else: a log rewritten
    from some entry onwards, every hash recomputed, no longer ends with it.
    """
    open_database()
    from everyname.store.audit import verify_chain

    report = verify_chain(current_actor())
    if output_format is VerifyFormat.json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        if report.intact:
            console.print(f"{report.entries} entries, chain intact.")
            if report.head_hash:
                console.print(f"Last entry's hash: {report.head_hash}")
        else:
            errors.print(
                f"[bold red]The audit log was tampered with:[/] entry {report.first_bad_id} "
                f"(seq {report.first_bad_seq if report.first_bad_seq is not None else 'none'}): "
                f"{escape(report.problem)}. {report.entries} entries read."
            )
        if report.triggers_missing:
            errors.print(
                "[bold red]Protective triggers missing:[/] "
                f"{escape(', '.join(report.triggers_missing))}. Run `everyname init` to restore "
                "them."
            )
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)
