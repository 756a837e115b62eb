"""The report as one self-contained HTML file (inline CSS and SVG; no network, no scripts).

The page layout is ``templates/report.html``, filled with :class:`string.Template`: the
sections are small HTML fragments built here with every data value escaped. The core stays
free of a template engine (see the project's style notes); the layout stays editable apart
from the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from importlib.resources import files
from string import Template
from typing import Any

import pandas as pd

from everyname.core.count.breakdown import UNRESOLVED
from everyname.core.report.build import Report
from everyname.core.schema import UNKNOWN

NUMERIC_KINDS = "iuf"


def _template() -> Template:
    text = files("everyname.core.report").joinpath("templates/report.html").read_text("utf-8")
    return Template(text)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return escape(str(value))  # codes (fh_babaamr, single_source) are shown as they are


def html_table(table: pd.DataFrame, caption: str | None = None) -> str:
    """A table with numbers right-aligned and ``unknown``/``unresolved`` rows greyed (but
    shown)."""
    numeric = [c for c in table.columns if table[c].dtype.kind in NUMERIC_KINDS]
    head = "".join(
        f'<th class="num">{escape(str(c))}</th>' if c in numeric else f"<th>{escape(str(c))}</th>"
        for c in table.columns
    )
    rows = []
    for record in table.to_dict("records"):
        first = next(iter(record.values()), None)
        css = ' class="unknown"' if first in (UNKNOWN, UNRESOLVED) else ""
        cells = "".join(
            f'<td class="num">{_cell(record[c])}</td>'
            if c in numeric
            else f'<td dir="auto">{_cell(record[c])}</td>'
            for c in table.columns
        )
        rows.append(f"<tr{css}>{cells}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _filters_text(filters: Mapping[str, Any]) -> str:
    shown = [
        f"{name} {', '.join(v) if isinstance(v, (list, tuple)) else v}"
        for name, v in filters.items()
        if v not in (None, [], ())
    ]
    return escape("; ".join(shown) or "none (everyone in the link run)")


def _claims(report: Report) -> str:
    rows = report.claims.rows
    lead = (
        f'<p><span class="big">{report.claims.named_total}</span> persons named in this '
        "window and place.</p>"
    )
    if rows.empty:
        return (
            lead + '<p class="note">No aggregate claim was recorded for this window and place.</p>'
        )
    shown = rows[["date", "source", "place", "category", "count", "text", "in_window"]].rename(
        columns={"in_window": "date in window", "count": "claimed"}
    )
    return (
        lead
        + html_table(shown, "Aggregate claims (no names) for the same window and place")
        + f'<p class="note">{escape(report.claims.note)} A claim whose date only partly '
        "overlaps the window is marked “possibly”.</p>"
    )


def _estimate(report: Report) -> str:
    if report.estimate is None and not report.estimate_strata:
        return ""
    parts = ['<section id="estimate">', "<h2>Estimated total, beside the documented count</h2>"]
    if report.estimate is not None:
        parts.append(f'<div class="figure">{report.figures["estimate"]}</div>')
        parts.append(html_table(report.tables["estimate"], "Estimate"))
        warnings = report.tables["estimate"].iloc[0].get("warnings") or ""
        if warnings:
            items = "".join(f"<li>{escape(w)}</li>" for w in str(warnings).split(" | "))
            parts.append(f'<ul class="warning">{items}</ul>')
    if report.estimate_strata:
        parts.append(f'<div class="figure">{report.figures["estimate_strata"]}</div>')
        parts.append(html_table(report.tables["estimate_strata"], "Estimates by stratum"))
    parts.append(
        '<p class="note">The documented count is a count of named persons. The estimate is a '
        "statistical inference (multiple systems estimation) of the total including deaths no "
        "list has documented; it is never added to or mixed with the count.</p></section>"
    )
    return "\n".join(parts)


def _list(items: Iterable[str]) -> str:
    return "\n".join(f"<li>{escape(item)}</li>" for item in items)


def render_html(report: Report) -> str:
    """The whole report as one HTML string."""
    count = report.count
    unit = report.date_unit
    unknown_day = int(report.time_table.set_index("date").loc[UNKNOWN].sum())
    daily_note = (
        f"{unknown_day} counted persons have a date of death not known to the {unit} and are "
        "not in the chart (they are in every other figure)."
        if unknown_day
        else f"Every counted person has a date of death known to the {unit}."
    )
    if count.possibly_in_window:
        daily_note += (
            f" {len(count.possibly_in_window)} more persons may fall in this window (dates known "
            "only to the month or year) and are not counted."
        )
    values = {
        "title": escape(report.title),
        "footer": escape(f"everyname — link run {report.link_run}").replace('"', ""),
        "generated_at": escape(report.generated_at),
        "link_run": escape(report.link_run),
        "filters": _filters_text(report.filters),
        "headline_en": escape(report.headline_en),
        "headline_ar": escape(report.headline_ar),
        "summary_table": html_table(report.tables["summary"]),
        "figure_daily": report.figures["daily"],
        "date_unit": escape(unit),
        "daily_note": escape(daily_note),
        "figure_place": report.figures["place"],
        "places_table": html_table(
            report.tables["by_place"].rename(columns={"name_ar": "الاسم", "place_id": "id"}),
            "Persons by place (gazetteer places, in English and Arabic)",
        ),
        "figure_sex_age": report.figures["sex_age"],
        "sex_age_table": html_table(report.tables["sex_by_age_group"], "Sex × age group"),
        "figure_cause": report.figures["cause"],
        "figure_sources": report.figures["sources"],
        "sources_table": html_table(
            report.tables["sources"].rename(columns={"only_this_source": "named only here"}),
            "Records and persons by source",
        ),
        "corroboration_table": html_table(
            report.tables["corroboration"], "Persons by corroboration grade"
        ),
        "claims": _claims(report),
        "estimate": _estimate(report),
        "methodology": _list(report.methodology),
    }
    return _template().substitute(values)
