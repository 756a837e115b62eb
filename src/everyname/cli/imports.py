"""``everyname import`` and ``everyname sources``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import (
    EXIT_REJECTED,
    byte_progress,
    console,
    errors,
    escape,
    user_errors,
)
from everyname.core.errors import InputRejected, Problem

UNREADABLE_NOTE = "kept as written, counted as unknown and flagged on their records"


@user_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON list to import.")],
    source: Annotated[str, typer.Option("--source", help="Code of the source the list came from.")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="TOML mapping for unrecognised layouts.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and report; write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Import the other rows when some cannot be read as records at all (broken "
            "structure, no value in any column used); write those to a rejects CSV.",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse the file if any value cannot be read (nothing is written; every "
            "value listed). Without it such values are kept as written, counted as unknown "
            "and flagged, and their records imported.",
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Where --skip-invalid writes rejected rows (default: NAME.rejects.csv beside "
            "the list). An existing file is not replaced without --overwrite-rejects; the list "
            "and the mapping never.",
        ),
    ] = None,
    overwrite_rejects: Annotated[
        bool,
        typer.Option("--overwrite-rejects", help="Replace an existing rejects file."),
    ] = False,
    source_name: Annotated[
        str | None, typer.Option("--source-name", help="Full name of a new source.")
    ] = None,
    source_kind: Annotated[
        str | None, typer.Option("--source-kind", help="Kind of a new source, e.g. field_hospital.")
    ] = None,
    default: Annotated[
        list[str] | None,
        typer.Option(
            "--default",
            help="FIELD=VALUE for every row that has none, e.g. outcome=killed (repeatable).",
        ),
    ] = None,
) -> None:
    """Import one list; the original file is kept.

    Every person goes in: a value that cannot be read (2012-02-30, an age of 430, a cause
    outside the vocabulary) is kept as written, counted as unknown and flagged, and every such
    value is listed by column (`everyname sources --batch N` lists them again later). Only a
    row nothing can be read from refuses the file, unless --skip-invalid; --strict refuses it
    for any unreadable value.
    """
    open_database()
    from everyname.store.imports import (
        RejectsFileRefused,
        check_rejects_target,
        default_rejects_path,
        import_list,
        rejected_rows_csv,
        write_atomically,
    )

    actor = current_actor()
    rejects_file = rejects or default_rejects_path(file)
    if skip_invalid and not dry_run:
        # Before importing: a refused rejects file must not leave an import half reported.
        try:
            check_rejects_target(rejects_file, [file, mapping], overwrite=overwrite_rejects)
        except RejectsFileRefused as refused:
            errors.print(f"[bold red]Error:[/] {escape(str(refused))}")
            errors.print("Use --rejects FILE, or --overwrite-rejects to replace it.", markup=False)
            raise typer.Exit(EXIT_REJECTED) from None
    try:
        with byte_progress(f"Importing {file.name}") as progress:
            report = import_list(
                actor,
                source,
                file,
                mapping=mapping,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                strict=strict,
                source_name=source_name,
                source_kind=source_kind,
                defaults=parse_defaults(default or []),
                progress=progress,
            )
    except InputRejected as refused:
        # Every problem, not the first fifty: the recorder fixes the file in one go.
        errors.print(f"[bold red]Error:[/] {escape(refused.summary)}")
        if refused.field == "skip_invalid":
            errors.print(
                "Pass --skip-invalid to import the other rows; the rows that cannot be read "
                "are then written to a rejects file.",
                markup=False,
            )
        if strict:
            errors.print("--strict was given.", markup=False)
        print_by_column(refused.problems, errors)
        raise typer.Exit(EXIT_REJECTED) from None
    if report.batch_id is not None and report.rows_rejected:
        data = rejected_rows_csv(actor, report.batch_id)
        write_atomically(rejects_file, data, overwrite=overwrite_rejects)
    else:
        rejects_file = None
    used = ", ".join(
        f"{column} → {'+'.join(fields)}" for column, fields in report.columns_used.items()
    )
    console.print(
        f"Format: {report.file_format} ({report.encoding or 'n/a'}); columns: {escape(used)}"
    )
    if report.columns_unused:
        console.print(f"Columns not used: {escape(', '.join(report.columns_unused))}")
    if report.columns_withheld:
        console.print(
            "Columns that look like a witness's identity or contact, kept only encrypted: "
            f"{escape(', '.join(report.columns_withheld))}. A mapping reads them as "
            "reporter_name or reporter_contact, or names them in not_identity if they are not.",
        )
    if report.unreadable:
        console.print(
            f"{len(report.unreadable)} values could not be read; they are {UNREADABLE_NOTE}"
            + (" (with --strict they would refuse the file):" if report.dry_run else ":")
        )
        print_by_column(report.unreadable, console)
    if report.dry_run:
        console.print(
            f"Dry run: {report.rows_read} rows read, {report.rows_read - report.rows_rejected} "
            f"can be imported, {report.rows_rejected} cannot be read as records. "
            "Nothing was written."
        )
        if report.problems:
            errors.print("Rows that cannot be read as records:")
            print_by_column(report.problems, errors)
        return
    if report.source_created:
        console.print(f"Created source {report.source_code!r}.")
    console.print(
        f"Imported batch {report.batch_id}: {report.records_imported} records from "
        f"{report.rows_read} rows into source {report.source_code!r}."
    )
    if rejects_file is not None:
        console.print(
            f"{report.rows_rejected} rows that cannot be read as records were written to "
            f"{escape(str(rejects_file))} with the reason for each (identity cells left empty)."
        )
    if report.unreadable:
        console.print(
            f"See them again with `everyname sources --batch {report.batch_id}`.",
            markup=False,
        )


def print_by_column(problems: Sequence[Problem], out: Console) -> None:
    """Every problem, grouped by the column it is in (file order within a column): the
    recorder fixing a list works column by column."""
    groups: dict[str | None, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.column, []).append(problem)
    for column, found in groups.items():
        title = "the row as a whole" if column is None else f"column {column!r}"
        out.print(f"  {escape(title)}: {len(found)}")
        for problem in found:
            out.print(f"    - {escape(str(problem))}")


def parse_defaults(values: list[str]) -> dict[str, str]:
    defaults = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip() or not text.strip():
            # Not repeated: it may be a witness's name typed without its field.
            raise typer.BadParameter(
                "expected FIELD=VALUE, e.g. outcome=killed", param_hint="--default"
            )
        defaults[name.strip()] = text.strip()
    return defaults


@user_errors
def sources(
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            help="Show one batch (by its number) and every value in it that could not be "
            "read, grouped by column: kept as written, counted as unknown, flagged.",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="With --batch: write the rows the import skipped (kept with the batch) to "
            "this CSV, with the reason for each; identity cells are left empty.",
        ),
    ] = None,
) -> None:
    """List sources with their batches and record counts, or one batch's unreadable values."""
    open_database()
    from everyname.store import sources as service
    from everyname.store.imports import rejected_rows_csv, write_atomically

    actor = current_actor()
    if rejects is not None and batch is None:
        raise typer.BadParameter("--rejects needs --batch N", param_hint="--rejects")
    if batch is not None:
        detail = service.batch(actor, batch)
        console.print(
            f"Batch {detail.id}: {escape(detail.file_name)} (source {escape(detail.source)}), "
            f"imported {detail.imported_at} by {escape(detail.imported_by)}; "
            f"{detail.records} records from {detail.rows_read} rows, "
            f"{detail.rejected} rows rejected."
        )
        if rejects is not None:
            write_atomically(rejects, rejected_rows_csv(actor, detail.id))
            console.print(
                f"{detail.rejected_rows_kept} rows kept with the batch were written to "
                f"{escape(str(rejects))}."
            )
        elif detail.rejected_rows_kept:
            console.print(
                f"{detail.rejected_rows_kept} of them are kept with the batch: "
                f"`everyname sources --batch {detail.id} --rejects FILE.csv` writes them out.",
                markup=False,
            )
        if not detail.unreadable:
            console.print("Every value in it could be read.")
            return
        console.print(
            f"{len(detail.unreadable)} values could not be read; they are {UNREADABLE_NOTE}:"
        )
        print_by_column(detail.unreadable, console)
        return

    summaries = service.sources(actor)
    if not summaries:
        console.print("No sources yet. Import a list with `everyname import FILE --source CODE`.")
        return
    table = Table(title="Sources")
    for column in ("source", "kind", "records", "batch", "file", "imported", "by", "rejected"):
        table.add_column(column)
    for summary in summaries:
        first = True
        for batch in summary.batches or (None,):
            table.add_row(
                escape(summary.code) if first else "",
                summary.kind if first else "",
                str(summary.records) if first else "",
                str(batch.id) if batch else "",
                escape(batch.file_name) if batch else "",
                batch.imported_at if batch else "",
                escape(batch.imported_by) if batch else "",
                str(batch.rejected) if batch else "",
            )
            first = False
    console.print(table)
    flagged = [b for s in summaries for b in s.batches if b.unreadable]
    for batch in flagged:
        console.print(
            f"Batch {batch.id} has {batch.unreadable} values that could not be read "
            f"(kept as written, counted as unknown): `everyname sources --batch {batch.id}`.",
            markup=False,
        )
