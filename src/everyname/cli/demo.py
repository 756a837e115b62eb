"""``everyname demo``: the whole pipeline on bundled sample lists, in a folder of its own.

The demo never touches the user's own database: it works in ``everyname-demo/`` (its own SQLite
file and key), recreated on every run so that its figures are always those of the sample data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everyname.cli.output import byte_progress, console, errors, escape, user_errors
from everyname.core.errors import EverynameError

DEMO_DATABASE = "everyname-demo.sqlite3"


@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path(
        "everyname-demo"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample-list generator.")] = 2012,
) -> None:
    """Generate sample lists for Homs, 3–9 February 2012, and run the pipeline on them."""
    out = out.resolve()
    _use_demo_database(out)
    from everyname.store.bootstrap import setup

    setup()
    from everyname.cli.counting import count_table, print_doubt
    from everyname.cli.db import current_actor
    from everyname.cli.linking import print_link_summary
    from everyname.store.demo import add_demo_users, run_demo
    from everyname.store.maintenance import initialise

    console.rule("[bold]everyname demo: Homs, 3–9 February 2012")
    console.print(f"Fresh database: {escape(initialise().database)}")

    def link_stage(name: str, step: int, steps: int) -> None:
        errors.print(f"Linking: {escape(name)} (stage {step}/{steps})")

    result = run_demo(
        current_actor(),
        out,
        seed=seed,
        import_progress=lambda path: byte_progress(f"Importing {path.name}"),
        link_progress=link_stage,
    )
    console.print(
        f"Generated {len(result.imports)} sample lists in {escape(str(result.lists_dir))} "
        f"(ground truth: {escape(str(result.ground_truth))})."
    )
    table = Table(title="Imported lists")
    for column in ("source", "kind", "file", "format", "encoding", "rows", "records", "rejected"):
        table.add_column(column)
    for item in result.imports:
        table.add_row(
            item.source, item.kind, escape(item.file), item.format, item.encoding,
            str(item.rows), str(item.records), str(item.rejected),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"Imported {result.claims} claims (statements without names; never added to counts)."
    )
    print_link_summary(result.link)

    filters = result.filters
    title = f"Persons named, {result.place}, {filters.since} to {filters.until}"
    console.print(count_table(result.count, title))
    print_doubt(result.count, console)

    console.rule("[bold]Headline")
    console.print(result.report.headline_en)
    console.print(result.report.headline_ar, justify="right")
    if result.estimate is not None:
        shown = result.estimate.overall
        console.print(
            f"Estimated total (multiple systems estimation, {shown['method']}): "
            f"{_span(shown)} ({shown['level']:.0%} interval) beside {result.count.total:,} "
            f"documented by name (seed {result.estimate.seed})."
        )
        pending = shown.get("pending_merged")
        if pending and pending.get("estimate") is not None:
            console.print(
                f"If the {result.count.pairs_awaiting_review:,} pairs awaiting review were "
                f"matches: {_span(pending)} beside {pending['observed']:,} documented by name."
            )
        for warning in shown.get("warnings") or []:
            message = warning.get("message", warning) if isinstance(warning, dict) else warning
            console.print(f"  warning: {escape(str(message))}")
    console.print(
        f"Report: {escape(str(result.report_path))} (tables in {escape(str(result.tables_path))})"
    )
    _open_in_browser(add_demo_users(current_actor()), out)


def _open_in_browser(users, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Say who may sign in to the demo, and how to open it with ``everyname serve`` (whose
    secret key file, beside the demo's key, is made here as ``everyname init`` makes one)."""
    from everyname.web.secret_key import create_secret_key_file

    create_secret_key_file(out / "everyname.secret")
    console.rule("[bold]The demo in the browser")
    for user in users:
        console.print(
            f"User {escape(user.name)} ({escape(user.role)}), one-time password: "
            f"[bold]{escape(user.password)}[/]"
        )
    console.print(
        "These one-time passwords are shown only now and must be changed before this database "
        "holds anything but the demo (every run of the demo makes new ones). The administrator "
        "sets up a second factor (an authenticator app) at the first sign-in."
    )
    env = (
        f"EVERYNAME_DATABASE_URL=sqlite:///{out / DEMO_DATABASE} "
        f"EVERYNAME_KEY_FILE={out / 'everyname.key'}"
    )
    console.print("Open the demo in your browser:", soft_wrap=True)
    console.print(f"  {escape(env)} everyname serve", soft_wrap=True)
    console.print("  then go to http://127.0.0.1:8000/ and sign in.", soft_wrap=True)
    console.print(
        "Uploads, link runs, estimates and reports started in the browser wait for a worker; "
        "start one beside the server, in a second terminal:",
        soft_wrap=True,
    )
    console.print(f"  {escape(env)} everyname worker", soft_wrap=True)
    console.print(
        "Commands on the demo's database now name a user: add EVERYNAME_USER=demo-admin "
        "to the variables above.",
        soft_wrap=True,
    )


def _span(estimate: dict) -> str:
    """ "428 [353, 547]" (an unbounded end as ∞), escaped for the console."""

    def number(key: str) -> str:
        value = estimate.get(key)
        return "∞" if value is None else f"{float(value):,.0f}"

    return escape(f"{number('estimate')} [{number('lower')}, {number('upper')}]")


def _use_demo_database(out: Path) -> None:
    """Point this process at a fresh demo database before Django starts."""
    from django.apps import apps

    if apps.ready:
        raise EverynameError(
            "The demo must run in a process of its own (Django is already set up)."
        )
    out.mkdir(parents=True, exist_ok=True)
    database = out / DEMO_DATABASE
    for stale in (database, database.with_name(database.name + "-wal"),
                  database.with_name(database.name + "-shm")):  # fmt: skip
        stale.unlink(missing_ok=True)
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["EVERYNAME_KEY_FILE"] = str(out / "everyname.key")
