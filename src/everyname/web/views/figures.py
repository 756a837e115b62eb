"""``/figures/``: ``everyname count`` in the browser, with the same filters and breakdowns.

The query lives in the URL (a GET form), so a figure can be bookmarked and shared; the CSV and
JSON downloads are byte for byte what ``everyname count --format csv/json`` prints for the same
filters, written by the same functions.
"""

from __future__ import annotations

import io
import threading
import weakref
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _

from everyname.cli.output import json_text, terminal_safe
from everyname.core import csvout
from everyname.core.count import CountFilters, CountInputError, CountResult
from everyname.core.schema import UNKNOWN
from everyname.store.counting import count
from everyname.store.linking import NoLinkRun
from everyname.store.permissions import Permission
from everyname.web import charts
from everyname.web.access import requires

CSV_COLUMNS = ["field", "value", "count", "low", "label", "label_ar"]
"""The columns of ``everyname count --format csv``."""

BY_CHOICES = (
    ("status", gettext_lazy("Status")),
    ("sex", gettext_lazy("Sex")),
    ("age_group", gettext_lazy("Age group")),
    ("cause", gettext_lazy("Cause")),
    ("outcome", gettext_lazy("Outcome")),
    ("place", gettext_lazy("Place")),
    ("governorate", gettext_lazy("Governorate")),
    ("neighbourhood", gettext_lazy("Neighbourhood")),
    ("date", gettext_lazy("Day")),
    ("week", gettext_lazy("Week")),
    ("month", gettext_lazy("Month")),
    ("grade", gettext_lazy("Corroboration")),
)
"""The breakdowns the form offers (``everyname count --by`` accepts the same names)."""

FIELD_NAMES = dict(BY_CHOICES)

VALUE_NAMES = {
    UNKNOWN: gettext_lazy("unknown"),
    "unresolved": gettext_lazy("place not resolved"),
    "civilian": gettext_lazy("civilian"),
    "combatant": gettext_lazy("combatant"),
    "male": gettext_lazy("male"),
    "female": gettext_lazy("female"),
    "child": gettext_lazy("child"),
    "adult": gettext_lazy("adult"),
    "killed": gettext_lazy("killed"),
    "injured": gettext_lazy("injured"),
    "shelling": gettext_lazy("shelling"),
    "shooting": gettext_lazy("shooting"),
    "sniper": gettext_lazy("sniper fire"),
    "airstrike": gettext_lazy("airstrike"),
    "explosion": gettext_lazy("explosion"),
    "torture": gettext_lazy("torture"),
    "execution": gettext_lazy("execution"),
    "other": gettext_lazy("other"),
    "confirmed": gettext_lazy("confirmed by two or more sources"),
    "single_source": gettext_lazy("one source only"),
    "contested": gettext_lazy("contested"),
}
"""Category values shown in the page's language (the downloads keep the codes)."""


DATE_FIELDS = ("date", "day", "week", "month")
CHART_BARS = 15
"""Categories drawn one by one in a breakdown's chart; the rest are one "other" bar (the table
lists them all). The unknowns are always drawn."""


def shown_value(value: str) -> Any:
    """A category code as the page shows it (the downloads keep the codes)."""
    return VALUE_NAMES.get(value, value)


def with_charts(tables: list[dict[str, Any]], rtl: bool) -> list[dict[str, Any]]:
    """The breakdown tables, each with its chart (``chart``): bars for categories, steps over
    time for a breakdown by date. Drawn in the page's language (place names in its script)."""
    arabic = (get_language() or "").startswith("ar")
    return [table | {"chart": _chart(table, rtl, arabic)} for table in tables]


def _chart(table: dict[str, Any], rtl: bool, arabic: bool) -> Any:
    rows, field = table["rows"], table["field"]
    title = str(table["title"])
    ident = f"chart-{field}"
    if field in DATE_FIELDS:
        dated = [r for r in rows if not r["unknown"]]
        undated = sum(r["count"] for r in rows if r["unknown"])
        desc = _("%(dated)s persons by date; %(undated)s more with no date this precise.") % {
            "dated": charts.number(sum(r["count"] for r in dated)),
            "undated": charts.number(undated),
        }
        days = [r["value"] for r in dated]
        counts = [(r["count"],) for r in dated]
        series = [charts.Series(_("Persons"))]
        return charts.time_chart(ident, days, counts, series, title=title, desc=desc, rtl=rtl)
    known = [r for r in rows if not r["unknown"]]
    shown, rest = known[:CHART_BARS], known[CHART_BARS:]
    bars = [charts.Bar(_row_label(r, arabic), r["count"], r["low"]) for r in shown]
    if rest:
        label = _("%(n)s others") % {"n": charts.number(len(rest))}
        bars.append(charts.Bar(label, sum(r["count"] for r in rest), unknown=True))
    bars += [
        charts.Bar(_row_label(r, arabic), r["count"], r["low"], unknown=True)
        for r in rows
        if r["unknown"]
    ]
    desc = _("Persons by %(field)s, the unknowns last; the table lists every row.") % {
        "field": title
    }
    return charts.bar_chart(ident, bars, title=title, desc=desc, rtl=rtl)


def breakdowns_html(result: CountResult, *, folded: bool = False) -> SafeString:
    """A count's breakdowns, each a chart and its table, as HTML in the page's language
    (``folded``: each table in a closed ``<details>``, as the dashboard shows them).

    Kept for the result: the counting service hands back the same result for the same
    filters while nothing has changed, and drawing a breakdown by day or place on a million
    persons would otherwise be most of a repeated request's time."""
    key = (id(result), get_language() or "en", folded)
    with _drawn_lock:
        kept = _drawn.get(key)
    if kept is not None and kept[0]() is result:
        return kept[1]
    tables = with_charts(breakdown_tables(result), get_language_bidi())
    html = mark_safe(  # the template escapes every value it shows
        "".join(
            render_to_string(
                "web/_breakdown.html",
                {"table": table, "in_doubt": result.in_doubt, "folded": folded},
            )
            for table in tables
        )
    )
    with _drawn_lock:
        _drawn.pop(key, None)
        _drawn[key] = (weakref.ref(result), html)
        while len(_drawn) > KEPT_DRAWINGS:
            _drawn.pop(next(iter(_drawn)))
    return html


KEPT_DRAWINGS = 32
_drawn: dict[tuple[int, str, bool], tuple[weakref.ref[CountResult], SafeString]] = {}
_drawn_lock = threading.Lock()


def _row_label(row: dict[str, Any], arabic: bool) -> str:
    if row["label"]:
        return str(row["label_ar"] if arabic and row["label_ar"] else row["label"])
    return str(row["shown"])


def breakdown_tables(result: CountResult) -> list[dict[str, Any]]:
    """Each breakdown as a table for a template: its rows with the shown label, the count,
    the low end while pairs await review, and the share of the largest row (for its bar)."""
    tables = []
    for name, figures in result.by.items():
        top = max((f.count for f in figures), default=0) or 1
        rows = [
            {
                "value": f.value,
                "label": f.label,
                "label_ar": f.label_ar,
                "shown": VALUE_NAMES.get(f.value, f.value),
                "count": f.count,
                "low": f.at_least,
                "top": top,
                "unknown": f.value in (UNKNOWN, "unresolved"),
            }
            for f in figures
        ]
        tables.append({"field": name, "title": FIELD_NAMES.get(name, name), "rows": rows})
    return tables


def as_json(result: CountResult) -> str:
    """What ``everyname count --format json`` prints."""
    return json_text(result.to_dict(), indent=1) + "\n"


def as_csv(result: CountResult) -> str:
    """What ``everyname count --format csv`` prints."""
    out = io.StringIO()
    writer = csvout.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([terminal_safe(r.get(k, "")) for k in CSV_COLUMNS] for r in result.rows())
    return out.getvalue()


def _by(request: HttpRequest) -> list[str]:
    """The breakdowns asked for: repeated ``by`` fields (the form's boxes) or a comma list."""
    fields: list[str] = []
    for value in request.GET.getlist("by"):
        fields += [f.strip() for f in value.split(",") if f.strip()]
    return list(dict.fromkeys(fields))


@requires(Permission.VIEW_FIGURES)
def figures(request: HttpRequest) -> HttpResponse:
    query = {k: (request.GET.get(k) or "").strip() or None for k in ("since", "until", "place")}
    by = _by(request)
    wanted = request.GET.get("format", "")
    error, result = None, None
    try:
        filters = CountFilters(**query)
        result = count(request.actor, filters, by)  # type: ignore[attr-defined]
    except (CountInputError, NoLinkRun) as exc:
        error = exc
    if result is not None and wanted in ("json", "csv"):
        body = as_json(result) if wanted == "json" else as_csv(result)
        kind = "application/json" if wanted == "json" else "text/csv"
        response = HttpResponse(body.encode("utf-8"), content_type=f"{kind}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="everyname-count.{wanted}"'
        return response
    downloads = request.GET.copy()
    downloads.pop("format", None)
    # htmx (the form, changed) asks for the result alone; without script the whole page comes.
    partial = bool(getattr(request, "htmx", False)) and not request.htmx.boosted  # type: ignore[attr-defined]
    response = render(
        request,
        "web/_figures_result.html" if partial else "web/figures.html",
        {
            "query": {k: v or "" for k, v in query.items()},
            "by": by,
            "by_choices": BY_CHOICES,
            "error": error,
            "result": result,
            "breakdowns": breakdowns_html(result) if result is not None else "",
            "download_query": downloads.urlencode(),
        },
        status=400 if isinstance(error, CountInputError) else 200,
    )
    patch_vary_headers(response, ("HX-Request",))
    return response
