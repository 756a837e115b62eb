"""``everyname link``, ``everyname export persons`` and ``everyname review``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.prompt import Prompt
from rich.table import Table

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import console, errors, escape, user_errors
from everyname.core import files


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


def run_link_with_progress(run_link, actor=None, **kwargs):  # type: ignore[no-untyped-def]
    """Run a link with a progress display of its stages (for the command's acting user unless
    ``actor`` is given)."""
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

        return run_link(actor or current_actor(), progress=stage, **kwargs)


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


@user_errors
def export(
    what: Annotated[ExportWhat, typer.Argument(help="persons, or public (a release folder).")],
    out: Annotated[Path, typer.Option("--out", help="File (persons) or folder (public).")],
    format: Annotated[
        ExportFormat, typer.Option("--format", help="persons: CSV, or JSON {link_run, records}.")
    ] = ExportFormat.csv,
    withhold: Annotated[
        Withhold,
        typer.Option("--withhold", help="public: withhold the names of children, or of all."),
    ] = Withhold.none,
    site: Annotated[
        Path | None,
        typer.Option(
            "--site",
            help="public: also write the release's static public site (search, figures, a page "
            "per person; English and Arabic; no server needed) to this new folder.",
        ),
    ] = None,
) -> None:
    """Export persons (one row per record with its person id), or a public release."""
    if site is not None and what is not ExportWhat.public:
        raise typer.BadParameter("only a public export has a site", param_hint="--site")
    open_database()
    actor = current_actor()
    if what is ExportWhat.public and site is not None:
        from everyname.store.site import publish_release_with_site

        manifest, built = publish_release_with_site(actor, out, site, withhold.value)
        console.print(
            f"Release v{manifest.version} of link run {manifest.link_run}: "
            f"{manifest.persons:,} persons in {escape(str(manifest.folder))}; its public site "
            f"({built.files:,} files, {built.size_bytes / 2**20:.1f} MiB) in "
            f"{escape(str(built.folder))}: open index.html there."
        )
        return
    if what is ExportWhat.public:
        from everyname.store.releases import publish_release

        manifest = publish_release(actor, out, withhold.value)
        changes = ", ".join(f"{k} {v}" for k, v in manifest.changes.items() if v) or "none"
        console.print(
            f"Release v{manifest.version} of link run {manifest.link_run}: "
            f"{manifest.persons:,} persons in {escape(str(manifest.folder))} "
            f"(changes since the previous release: {changes}). Checksums in SHA256SUMS."
        )
        return
    from everyname.store.linking import export_persons

    exported = export_persons(actor, format.value)
    files.write_bytes(out, exported.content())
    console.print(
        f"Wrote {exported.count:,} records of link run {exported.link_run} to {escape(str(out))}."
    )


REVIEW_PROMPT = "[s]ame person, [d]ifferent people, [k] skip, [q]uit"


@user_errors
def review(
    limit: Annotated[int, typer.Option("--limit", help="Stop after this many decisions.")] = 50,
) -> None:
    """Decide uncertain pairs side by side: same person, different people, or skip."""
    open_database()
    from everyname.store.linking import decide, pending_pairs

    actor = current_actor()
    skipped: set[int] = set()
    decided = 0
    while decided < limit:
        page = pending_pairs(actor, 1, 1, skip=skipped)
        if not page.pairs:
            console.print("No pairs are waiting for review.")
            break
        pair = page.pairs[0]
        console.print(pair_table(pair))
        answer = Prompt.ask(
            escape(REVIEW_PROMPT),  # the keys in brackets are text, not console markup
            choices=["s", "d", "k", "q"],
            console=console,
        )
        if answer == "q":
            break
        if answer == "k":
            skipped.add(pair.pair_id)
            continue
        verdict = "same" if answer == "s" else "different"
        decide(actor, pair.left.record_id, pair.right.record_id, verdict, pair.link_run)
        decided += 1
    console.print(f"{decided} decision(s) recorded; they apply from the next `everyname link`.")


def pair_table(pair) -> Table:  # type: ignore[no-untyped-def]
    """A pair for review (``store.linking.PairForReview``) as a table: source and row first,
    then each field either record gives."""
    table = Table(
        title=(
            f"Pair {pair.rank} of link run {pair.link_run}: match probability "
            f"{pair.match_probability:.3f} ({pair.kind_label})"
        )
    )
    table.add_column("")
    table.add_column(f"record {pair.left.record_id}")
    table.add_column(f"record {pair.right.record_id}")
    table.add_row("source", escape(pair.left.source), escape(pair.right.source))
    table.add_row("row", str(pair.left.row_number), str(pair.right.row_number))
    for compared in pair.fields:
        left = f"{compared.left} (unread)" if compared.left_unread else compared.left
        right = f"{compared.right} (unread)" if compared.right_unread else compared.right
        table.add_row(compared.label, escape(left), escape(right))
    return table
