"""``everyname places``: place spellings the gazetteer does not know, and adding them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everyname import config
from everyname.cli.db import open_database
from everyname.cli.output import console, escape, user_errors, write_json

places_app = typer.Typer(
    help="Places counts use: spellings the gazetteer does not know, and adding them.",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@places_app.command("unresolved")
@user_errors
def unresolved(
    format: Annotated[
        ListFormat, typer.Option("--format", help="Output: a table, or JSON.")
    ] = ListFormat.table,
) -> None:
    """Place texts of the records that no gazetteer place matches, with example records."""
    open_database()
    from everyname.store.places import unresolved_places

    spellings = unresolved_places()
    if format is ListFormat.json:
        rows = [
            {
                "field": s.field,
                "spelling": s.text,
                "records": s.records,
                "example_record_ids": list(s.example_record_ids),
            }
            | ({"candidates": list(s.candidates)} if s.candidates else {})
            for s in spellings
        ]
        write_json(rows, indent=1)
        return
    if not spellings:
        console.print("Every place the records name is in the gazetteer.")
        return
    table = Table(title="Place spellings counts cannot place (counted as unresolved)")
    for column in ("field", "spelling", "records", "example record ids", "why"):
        table.add_column(column, justify="right" if column == "records" else "left")
    for s in spellings:
        why = f"names several: {', '.join(s.candidates)}" if s.candidates else "not in gazetteer"
        table.add_row(
            escape(s.field),
            escape(s.text),
            f"{s.records:,}",
            escape(", ".join(s.example_record_ids)),
            escape(why),
        )
    console.print(table)
    console.print(
        "Add them with `everyname places import FILE.csv` (columns id, name_ar, name_en, "
        "alternates, level, parent_id, latitude, longitude; an existing id adds spellings). "
        "A text naming several places needs the records' governorate or town instead."
    )


@places_app.command("import")
@user_errors
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with the bundled gazetteer's columns: a new id adds a place, an existing "
            "id adds its names and alternates as spellings of that place."
        ),
    ],
) -> None:
    """Add places or spellings to the gazetteer (all rows or none); used from the next count."""
    open_database()
    from everyname.store.places import import_places

    result = import_places(file, actor=config.actor())
    console.print(
        f"Imported {result.rows} row(s) from {escape(result.file_name)}: "
        f"{len(result.new_places)} new place(s), spellings added to "
        f"{len(result.spellings_added)} known place(s). Counts use them from now on."
    )
