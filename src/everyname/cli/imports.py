"""``everyname import`` and ``everyname sources``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everyname import config
from everyname.cli.app import app
from everyname.cli.db import open_database
from everyname.cli.output import byte_progress, console, errors, escape, user_errors


@app.command("import")
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
            "--skip-invalid", help="Import the valid rows; write the others to a rejects CSV."
        ),
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Where --skip-invalid writes rejected rows.")
    ] = None,
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
    """Import one list. All or nothing unless --skip-invalid; the original file is kept."""
    open_database()
    from everyname.store.imports import import_file

    with byte_progress(f"Importing {file.name}") as progress:
        report = import_file(
            file,
            source,
            actor=config.actor(),
            mapping_path=mapping,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            rejects_path=rejects,
            source_name=source_name,
            source_kind=source_kind,
            defaults=parse_defaults(default or []),
            progress=progress,
        )
    used = ", ".join(
        f"{column} → {'+'.join(fields)}" for column, fields in report.columns_used.items()
    )
    console.print(
        f"Format: {report.file_format} ({report.encoding or 'n/a'}); columns: {escape(used)}"
    )
    if report.columns_unused:
        console.print(f"Columns not used: {escape(', '.join(report.columns_unused))}")
    if report.dry_run:
        console.print(
            f"Dry run: {report.rows_read} rows read, {report.rows_read - report.rows_rejected} "
            f"valid, {report.rows_rejected} invalid. Nothing was written."
        )
        for problem in report.problems[:50]:
            errors.print(f"  - {escape(str(problem))}")
        if len(report.problems) > 50:
            errors.print(f"  ... and {len(report.problems) - 50} more")
        return
    if report.source_created:
        console.print(f"Created source {report.source_code!r}.")
    console.print(
        f"Imported batch {report.batch_id}: {report.records_imported} records from "
        f"{report.rows_read} rows into source {report.source_code!r}."
    )
    if report.rejects_file is not None:
        console.print(
            f"{report.rows_rejected} invalid rows were written to "
            f"{escape(str(report.rejects_file))} with the reason for each."
        )


def parse_defaults(values: list[str]) -> dict[str, str]:
    defaults = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise typer.BadParameter(f"{value!r}: expected FIELD=VALUE, e.g. outcome=killed")
        defaults[name.strip()] = text.strip()
    return defaults


@app.command()
@user_errors
def sources() -> None:
    """List sources with their batches and record counts."""
    open_database()
    from everyname.store.sources import list_sources

    summaries = list_sources()
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
