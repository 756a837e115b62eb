"""Every table of a report as CSV and JSON, and one JSON document of all its figures.

A reader who wants to re-use a figure should not have to copy it out of a chart: each table
the report shows is written as ``<name>.csv`` (UTF-8 with a byte-order mark, so spreadsheet
programs read Arabic place names correctly) and ``<name>.json`` (a list of row objects).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from everyname.core import csvout, files
from everyname.core.provenance import json_safe
from everyname.core.report.build import Report


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and infinities become ``null``)."""
    return [{str(k): json_safe(v) for k, v in row.items()} for row in table.to_dict("records")]


def report_figures(report: Report) -> dict[str, Any]:
    """All figures of a report as one JSON-ready document (what golden tests pin)."""
    return {
        "title": report.title,
        "link_run": report.link_run,
        "filters": dict(report.filters),
        "headline": {"en": report.headline_en, "ar": report.headline_ar},
        "count": report.count.to_dict(),
        "tables": {name: table_records(table) for name, table in report.tables.items()},
    }


def write_tables(report: Report, folder: str | Path) -> list[Path]:
    """Write every table as CSV and JSON into ``folder`` (created), plus ``figures.json``."""
    folder = Path(folder)
    written = []
    for name, table in report.tables.items():
        csv_path = csvout.write_frame(table, folder / f"{name}.csv")
        json_path = files.write_text(
            folder / f"{name}.json",
            json.dumps(table_records(table), ensure_ascii=False, indent=1) + "\n",
        )
        written += [csv_path, json_path]
    everything = files.write_text(
        folder / "figures.json",
        json.dumps(report_figures(report), ensure_ascii=False, indent=1) + "\n",
    )
    written.append(everything)
    return written
