"""``/figures/``: ``everyname count`` in the browser, with the same filters and breakdowns.

The query lives in the URL (a GET form), so a figure can be bookmarked and shared; the CSV and
JSON downloads are byte for byte what ``everyname count --format csv/json`` prints for the same
filters, written by the same functions.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from everyname.cli.output import json_text, terminal_safe
from everyname.core import csvout
from everyname.core.count import CountFilters, CountInputError, CountResult
from everyname.core.schema import UNKNOWN
from everyname.store.counting import count
from everyname.store.linking import NoLinkRun
from everyname.store.permissions import Permission
from everyname.web.access import requires

CSV_COLUMNS = ["field", "value", "count", "low", "label", "label_ar"]
"""The columns of ``everyname count --format csv``."""

BY_CHOICES = (
    ("status", _("Status")),
    ("sex", _("Sex")),
    ("age_group", _("Age group")),
    ("cause", _("Cause")),
    ("outcome", _("Outcome")),
    ("place", _("Place")),
    ("governorate", _("Governorate")),
    ("neighbourhood", _("Neighbourhood")),
    ("date", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("grade", _("Corroboration")),
)
"""The breakdowns the form offers (``everyname count --by`` accepts the same names)."""

FIELD_NAMES = dict(BY_CHOICES)

VALUE_NAMES = {
    UNKNOWN: _("unknown"),
    "unresolved": _("place not resolved"),
    "civilian": _("civilian"),
    "combatant": _("combatant"),
    "male": _("male"),
    "female": _("female"),
    "child": _("child"),
    "adult": _("adult"),
    "killed": _("killed"),
    "injured": _("injured"),
    "shelling": _("shelling"),
    "shooting": _("shooting"),
    "sniper": _("sniper fire"),
    "airstrike": _("airstrike"),
    "explosion": _("explosion"),
    "torture": _("torture"),
    "execution": _("execution"),
    "other": _("other"),
    "confirmed": _("confirmed by two or more sources"),
    "single_source": _("one source only"),
    "contested": _("contested"),
}
"""Category values shown in the page's language (the downloads keep the codes)."""


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
    return render(
        request,
        "web/figures.html",
        {
            "query": {k: v or "" for k, v in query.items()},
            "by": by,
            "by_choices": BY_CHOICES,
            "error": error,
            "result": result,
            "tables": breakdown_tables(result) if result is not None else [],
            "download_query": downloads.urlencode(),
        },
        status=400 if isinstance(error, CountInputError) else 200,
    )
