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

from everyname.cli.app import app
from everyname.cli.output import byte_progress, console, escape, user_errors
from everyname.core.errors import EverynameError

DEMO_DATABASE = "everyname-demo.sqlite3"


@app.command()
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
    from everyname.core.demo import generate_demo
    from everyname.store.bootstrap import setup

    setup()
    from everyname import config
    from everyname.store.imports import import_file
    from everyname.store.maintenance import initialise

    console.rule("[bold]everyname demo: Homs, 3–9 February 2012")
    lists_dir = out / "lists"
    manifest = generate_demo(lists_dir, seed=seed)
    console.print(
        f"Generated {len(manifest.files)} sample lists in {escape(str(lists_dir))} "
        f"(ground truth: {escape(str(manifest.ground_truth))})."
    )
    result = initialise()
    console.print(f"Fresh database: {escape(result.database)}")

    table = Table(title="Imported lists")
    for column in ("source", "kind", "file", "format", "encoding", "rows", "records", "rejected"):
        table.add_column(column)
    actor = config.actor()
    for item in manifest.files:
        with byte_progress(f"Importing {item.path.name}") as progress:
            report = import_file(
                item.path,
                item.source_code,
                actor=actor,
                mapping_path=item.mapping,
                source_name=item.source_name,
                source_kind=item.source_kind,
                skip_invalid=True,
                defaults={"outcome": "killed"},  # the sample lists are lists of the dead
                rejects_path=out / f"{item.path.stem}.rejects.csv",
                progress=progress,
            )
        table.add_row(
            report.source_code,
            item.source_kind,
            escape(item.path.name),
            report.file_format,
            report.encoding,
            str(report.rows_read),
            str(report.records_imported),
            str(report.rows_rejected),
        )
    console.print(table)
    _link_count_estimate_report(out, manifest, actor)


def _link_count_estimate_report(out: Path, manifest, actor: str) -> None:  # type: ignore[no-untyped-def]
    from everyname.cli.counting import count_table, print_doubt
    from everyname.cli.linking import print_link_summary, run_link_with_progress
    from everyname.core.count import CountFilters, count_persons
    from everyname.store.counting import count_input, gazetteer, import_claims
    from everyname.store.linking import run_link
    from everyname.store.reporting import estimate_for, write_report

    claims = import_claims(manifest.claims, actor=actor)
    console.print(f"Imported {claims} claims (statements without names; never added to counts).")
    print_link_summary(run_link_with_progress(run_link))

    filters = CountFilters(
        since=manifest.period_start, until=manifest.period_end, place=manifest.place
    )
    data = count_input()
    result = count_persons(
        data, filters, ("sex", "age_group", "status", "cause"), gazetteer=gazetteer()
    )
    title = f"Persons named, {manifest.place}, {filters.since} to {filters.until}"
    console.print(count_table(result, title))
    print_doubt(result, console)

    estimate = estimate_for(data, filters)
    merged = None
    if estimate is not None:
        merged = estimate_for(data, filters, estimate.method, pending_merged=True)
    report_path = out / "report.html"
    report = write_report(
        report_path,
        filters,
        tables=out / "tables",
        data=data,
        estimate=estimate,
        pending_estimate=merged,
    )
    console.rule("[bold]Headline")
    console.print(report.headline_en)
    console.print(report.headline_ar, justify="right")
    shown = report.estimate
    if estimate is not None and shown is not None:
        console.print(
            f"Estimated total (multiple systems estimation, {estimate.method}): "
            f"{_span(shown)} ({estimate.level:.0%} interval) beside {result.total:,} "
            "documented by name."
        )
        pending = shown.get("pending_merged")
        if pending:
            console.print(
                f"If the {result.pairs_awaiting_review:,} pairs awaiting review were matches: "
                f"{_span(pending)} beside {pending['observed']:,} documented by name."
            )
        for warning in shown.get("warnings") or []:
            message = warning.get("message", warning) if isinstance(warning, dict) else warning
            console.print(f"  warning: {escape(str(message))}")
    console.print(f"Report: {escape(str(report_path))} (tables in {escape(str(out / 'tables'))})")


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
