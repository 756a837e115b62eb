"""``everyname count``, ``everyname report``, ``everyname claims`` and ``everyname group``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everyname.cli.db import current_actor, open_database
from everyname.cli.output import (
    EXIT_USAGE,
    console,
    errors,
    escape,
    terminal_safe,
    user_errors,
    write_json,
)
from everyname.core import csvout, files
from everyname.core.errors import EverynameError


class CountFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


Since = Annotated[
    str | None, typer.Option("--since", help="First day of the window (inclusive), 2012-02-03.")
]
Until = Annotated[str | None, typer.Option("--until", help="Last day of the window (inclusive).")]
Place = Annotated[
    str | None, typer.Option("--place", help="A place at any level, in either script.")
]
OutcomeOption = Annotated[
    str | None, typer.Option("--outcome", help="killed or injured (default: both).")
]


def usage_error(exc: EverynameError) -> typer.Exit:
    """Print a usage error naming the option the field came from; exit code 2."""
    where = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
    errors.print(f"[bold red]Usage error:[/] {escape(where + str(exc))}")
    return typer.Exit(EXIT_USAGE)


def make_filters(since, until, place, outcome, sources=(), grade=None):  # type: ignore[no-untyped-def]
    """The core's filters, with bad values reported as usage errors (exit code 2)."""
    from everyname.core.count import CountFilters, CountInputError

    try:
        return CountFilters(
            since=since,
            until=until,
            place=place,
            outcome=outcome,
            sources=tuple(sources),
            grade=grade,
        )
    except CountInputError as exc:
        raise usage_error(exc) from None


@user_errors
def count(
    since: Since = None,
    until: Until = None,
    place: Place = None,
    outcome: OutcomeOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only persons this source names.")
    ] = None,
    grade: Annotated[
        str | None,
        typer.Option("--grade", help="confirmed, single_source or contested."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Breakdowns, e.g. sex,age_group,status,cause,place,date."),
    ] = None,
    format: Annotated[
        CountFormat, typer.Option("--format", help="Output: a table, JSON or CSV.")
    ] = CountFormat.table,
    explain: Annotated[
        bool, typer.Option("--explain", help="List the person ids behind each figure.")
    ] = False,
) -> None:
    """Count persons (never records), with every category's unknowns beside it."""
    open_database()
    from everyname.core.count import CountInputError
    from everyname.store.counting import count as count_persons

    filters = make_filters(since, until, place, outcome, source or (), grade)
    fields = [f.strip() for f in (by or "").split(",") if f.strip()]
    try:
        result = count_persons(current_actor(), filters, fields, explain)
    except CountInputError as exc:
        raise usage_error(exc) from None
    if format is CountFormat.json:
        write_json(result.to_dict(), indent=1)
        return  # total_range, range and records_not_linked say it in the JSON
    rows = result.rows()
    if format is CountFormat.csv:
        columns = ["field", "value", "count", "low", "label", "label_ar"]
        writer = csvout.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([terminal_safe(r.get(k, "")) for k in columns] for r in rows)
        return  # the low column and the pairs/records rows say it in the CSV
    console.print(count_table(result, f"Persons (link run {result.link_run})"))
    print_doubt(result, console)
    print_unresolved(result, console, explain)
    if explain:
        console.print_json(json.dumps(result.to_dict().get("explain", {}), ensure_ascii=False))


def count_table(result, title: str) -> Table:  # type: ignore[no-untyped-def]
    """A count as a table; while pairs await review, with the low end of each figure."""
    doubt = result.in_doubt
    table = Table(title=title)
    table.add_column("field")
    table.add_column("value")
    table.add_column("persons", justify="right")
    if doubt:
        table.add_column("at least", justify="right")
    for row in result.rows():
        shown = row.get("label") or row["value"]  # a gazetteer place by its name
        cells = [escape(str(row["field"])), escape(str(shown)), str(row["count"])]
        table.add_row(*cells, *([str(row["low"])] if doubt else []))
    return table


def print_unresolved(result, out, explain: bool) -> None:  # type: ignore[no-untyped-def]
    """Say which place spellings the gazetteer did not know (the ``unresolved`` rows)."""
    for field, spellings in result.unresolved.items():
        n = result.figure(field, "unresolved")
        if not n:
            continue
        out.print(
            f"[yellow]{escape(field)}:[/] {n:,} persons are counted as unresolved: the "
            "gazetteer does not know their place, or it names several places. See `everyname "
            "places unresolved` (and --explain); add places with `everyname places import`."
        )
        if explain:
            for spelling in spellings:
                which = (
                    f" (names several places: {', '.join(spelling.candidates)})"
                    if spelling.candidates
                    else ""
                )
                out.print(
                    f"  {escape(spelling.field)} {escape(repr(spelling.text))}: "
                    f"{spelling.persons:,} persons{escape(which)}"
                )


def print_doubt(result, out) -> None:  # type: ignore[no-untyped-def]
    """Say what a count leaves in doubt: pairs awaiting review, records not linked."""
    from everyname.core.count.headline import not_linked_en

    if result.in_doubt:
        n = result.pairs_awaiting_review
        pairs = f"{n:,} pair{'s' if n != 1 else ''} of records await review"
        out.print(
            f"[yellow]Linkage doubt:[/] {pairs}; if every one were the same person there "
            f"would be {result.total_low:,} persons, not {result.total:,} ('at least' column; "
            "JSON total_range). Review them with `everyname review`, then link again."
        )
    if result.records_not_linked:
        text = not_linked_en(result.records_not_linked, result.link_run)
        out.print(f"[yellow]Warning:[/] {escape(text)}")


@user_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="report.html, or report.pdf for a PDF.")],
    since: Since = None,
    until: Until = None,
    place: Place = None,
    outcome: OutcomeOption = None,
    tables: Annotated[
        Path | None, typer.Option("--tables", help="Also write every table as CSV and JSON here.")
    ] = None,
    estimate: Annotated[
        bool, typer.Option("--estimate/--no-estimate", help="Include a log-linear MSE estimate.")
    ] = True,
) -> None:
    """Write the report: headline in English and Arabic, charts, tables, methodology."""
    open_database()
    from everyname.core.report import write_tables
    from everyname.store.reporting import build_report

    filters = make_filters(since, until, place, outcome)
    kind = "pdf" if out.suffix.lower() == ".pdf" else "html"
    built = build_report(current_actor(), filters, kind, with_estimate=estimate)
    files.write_bytes(out, built.content)
    if tables is not None and built.report is not None:
        write_tables(built.report, tables)
    console.print(built.headline_en)
    console.print(f"Report written to {escape(str(out))}.")


claims_app = typer.Typer(help="Aggregate statements without names, shown beside named counts.")


@claims_app.command("import")
@user_errors
def claims_import(
    file: Annotated[Path, typer.Argument(help="CSV: source,date,place,category,count,text.")],
) -> None:
    """Import claims (all rows or none)."""
    open_database()
    from everyname.store.claims import import_claims

    n = import_claims(current_actor(), file).claims
    console.print(
        f"Imported {n} claim(s) from {escape(file.name)}; they are never added to counts."
    )


@user_errors
def group(
    sources: Annotated[list[str], typer.Argument(help="Codes of sources that copy one another.")],
    name: Annotated[str, typer.Option("--name", help="Name of the group.")],
) -> None:
    """Mark sources as copying one another: they count once as corroboration."""
    open_database()
    from everyname.store.claims import set_copy_group

    set_copy_group(current_actor(), sources, name)
    console.print(f"Sources {', '.join(sources)} now count once, as {name!r}.")
