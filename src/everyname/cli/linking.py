"""``everyname link``, ``everyname export persons`` and ``everyname review``."""

from __future__ import annotations

import csv
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.prompt import Prompt
from rich.table import Table

from everyname import config
from everyname.cli.app import app
from everyname.cli.db import open_database
from everyname.cli.output import console, errors, escape, user_errors


class Backend(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class ExportWhat(StrEnum):
    persons = "persons"
    public = "public"


class Withhold(StrEnum):
    none = "none"
    children = "children"
    all = "all"


@app.command()
@user_errors
def link(
    backend: Annotated[
        Backend, typer.Option("--backend", help="Where Splink runs: duckdb, or spark.")
    ] = Backend.duckdb,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", min=0.0, max=1.0, help="Match probability at which records join."
        ),
    ] = None,
) -> None:
    """Score, cluster and apply reviewers' decisions: records become persons."""
    open_database()
    from everyname.store.linking import run_link

    summary = run_link_with_progress(run_link, backend=backend.value, threshold=threshold)
    print_link_summary(summary)


def run_link_with_progress(run_link, **kwargs):  # type: ignore[no-untyped-def]
    """Run a link with a progress display of its stages."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]Linking[/] {task.description}"),
        TextColumn("stage {task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("records", total=5)

        def stage(name: str, step: int, steps: int) -> None:
            progress.update(task, description=name, completed=step, total=steps)

        return run_link(actor=config.actor(), progress=stage, **kwargs)


def print_link_summary(summary) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"Link run {summary.link_run} ({summary.backend})", show_header=False)
    table.add_row("records", f"{summary.records:,}")
    table.add_row("persons", f"{summary.persons:,}")
    table.add_row("pairs scored", f"{summary.pairs_scored:,}")
    table.add_row("pairs awaiting review", f"{summary.pairs_awaiting_review:,}")
    table.add_row("reviewers' decisions applied", f"{summary.decisions_applied:,}")
    table.add_row("persons keeping their id", f"{summary.persons_kept_id:,}")
    table.add_row("threshold", f"{summary.threshold:g}")
    console.print(table)
    if summary.fallbacks:
        console.print(
            "[bold yellow]Defaults used:[/] too little to learn from in these records, so "
            "the model could not be trained fully:"
        )
        for fallback in summary.fallbacks:
            console.print(f"  - {escape(fallback)}")


@app.command()
@user_errors
def export(
    what: Annotated[ExportWhat, typer.Argument(help="persons, or public (a release folder).")],
    out: Annotated[Path, typer.Option("--out", help="File (persons) or folder (public).")],
    format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.csv,
    withhold: Annotated[
        Withhold,
        typer.Option("--withhold", help="public: withhold the names of children, or of all."),
    ] = Withhold.none,
) -> None:
    """Export persons (one row per record with its person id), or a public release."""
    open_database()
    if what is ExportWhat.public:
        from everyname.store.reporting import publish_release

        manifest = publish_release(out, withhold=withhold.value, actor=config.actor())
        changes = ", ".join(f"{k} {v}" for k, v in manifest.changes.items() if v) or "none"
        console.print(
            f"Release v{manifest.version} of link run {manifest.link_run}: "
            f"{manifest.persons:,} persons in {escape(str(manifest.folder))} "
            f"(changes since the previous release: {changes}). Checksums in SHA256SUMS."
        )
        return
    from everyname.store.linking import EXPORT_COLUMNS, export_rows, require_latest_run

    run = require_latest_run()
    rows = export_rows(run)
    count = 0
    if format is ExportFormat.csv:
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                count += 1
    else:
        materialised = list(rows)
        count = len(materialised)
        out.write_text(
            json.dumps({"link_run": run.pk, "records": materialised}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    console.print(f"Wrote {count:,} records of link run {run.pk} to {escape(str(out))}.")


REVIEW_PROMPT = "[s]ame person, [d]ifferent people, [k] skip, [q]uit"

REVIEW_FIELDS = (
    ("source", None),
    ("row", None),
    ("name", "full_name"),
    ("given", "given_name"),
    ("father", "father_name"),
    ("grandfather", "grandfather_name"),
    ("family", "family_name"),
    ("sex", "sex"),
    ("age", "age_years"),
    ("date of death", "date_of_death"),
    ("governorate", "governorate"),
    ("locality", "locality"),
    ("neighbourhood", "neighbourhood"),
    ("place", "place"),
    ("cause", "cause"),
    ("status", "status"),
)


def _cell(record, key):  # type: ignore[no-untyped-def]
    if key is None:
        return ""
    value = record.normalised.get(key)
    written = record.as_written.get(key)
    if value in (None, "unknown") and written:
        return f"{written} (unread)"
    return "" if value is None else str(value)


@app.command()
@user_errors
def review(
    limit: Annotated[int, typer.Option("--limit", help="Stop after this many decisions.")] = 50,
) -> None:
    """Decide uncertain pairs side by side: same person, different people, or skip."""
    open_database()
    from everyname.store.linking import next_pair_for_review, record_decision, require_latest_run

    run = require_latest_run()
    skipped: set[int] = set()
    decided = 0
    while decided < limit:
        item = next_pair_for_review(skipped)
        if item is None:
            console.print("No pairs are waiting for review.")
            break
        pair = item.review_pair
        table = Table(
            title=(
                f"Pair {pair.rank} of link run {run.pk}: match probability "
                f"{pair.match_probability:.3f} ({pair.get_kind_display()})"
            )
        )
        table.add_column("")
        table.add_column(f"record {item.left.pk}")
        table.add_column(f"record {item.right.pk}")
        for label, key in REVIEW_FIELDS:
            if label == "source":
                values = (item.left.source.code, item.right.source.code)
            elif label == "row":
                values = (str(item.left.row_number), str(item.right.row_number))
            else:
                values = (_cell(item.left, key), _cell(item.right, key))
            if any(values):
                table.add_row(label, *(escape(v) for v in values))
        console.print(table)
        answer = Prompt.ask(
            escape(REVIEW_PROMPT),  # the keys in brackets are text, not console markup
            choices=["s", "d", "k", "q"],
            console=console,
        )
        if answer == "q":
            break
        if answer == "k":
            skipped.add(pair.pk)
            continue
        verdict = "same" if answer == "s" else "different"
        record_decision(item.left.pk, item.right.pk, verdict, actor=config.actor(), link_run=run)
        decided += 1
    console.print(f"{decided} decision(s) recorded; they apply from the next `everyname link`.")
