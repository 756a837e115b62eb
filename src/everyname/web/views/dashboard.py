"""The dashboard at ``/``: what everyone with a role sees first."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from everyname.core.count import CountResult
from everyname.store.dashboard import Dashboard, SourceOverlap, Table
from everyname.store.dashboard import dashboard as read_dashboard
from everyname.store.permissions import Permission
from everyname.web import charts
from everyname.web.access import requires
from everyname.web.views.estimates import warnings_of
from everyname.web.views.figures import breakdowns_html, shown_value


@requires(Permission.VIEW_FIGURES)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = read_dashboard(request.actor)  # type: ignore[attr-defined]
    drawn = drawings(board) if board.count is not None else {}
    return render(
        request,
        "web/dashboard.html",
        {
            "board": board,
            "estimate_chart": estimate_chart(board.estimate),
            # said in the page's language from their figures, as on the estimate's own page
            "estimate_warnings": warnings_of(board.estimate) if board.estimate else [],
            **drawn,
        },
    )


def estimate_chart(estimate: dict[str, Any] | None) -> Any:
    """The newest estimate on its interval beside the persons documented (drawn each time:
    an estimate stored since the figures were kept is shown at once)."""
    if not estimate or None in (
        estimate.get("estimate"),
        estimate.get("lower"),
        estimate.get("upper"),
    ):
        return None
    return charts.interval_chart(
        "chart-estimate",
        float(estimate["estimate"]),
        float(estimate["lower"]),
        float(estimate["upper"]),
        None if estimate.get("observed") is None else float(estimate["observed"]),
        labels=(_("estimate"), _("documented by name")),
        title=_("Estimated total with its interval"),
        desc=_(
            "Estimate %(estimate)s, interval %(lower)s to %(upper)s; "
            "%(observed)s documented by name."
        )
        % {
            "estimate": charts.number(float(estimate["estimate"])),
            "lower": charts.number(float(estimate["lower"])),
            "upper": charts.number(float(estimate["upper"])),
            "observed": charts.number(float(estimate.get("observed") or 0)),
        },
        rtl=get_language_bidi(),
    )


# The charts and tables of one count, drawn once per language: the figures are kept between
# requests (store.dashboard), and drawing a long timeline or a place table again for each
# request would be most of a repeated request's time.
_drawn: dict[str, tuple[weakref.ref[CountResult], dict[str, Any]]] = {}
_drawn_lock = threading.Lock()


def drawings(board: Dashboard) -> dict[str, Any]:
    """The dashboard's charts and tables in the page's language (kept for the count)."""
    assert board.count is not None
    language = get_language() or "en"
    with _drawn_lock:
        kept = _drawn.get(language)
    if kept is not None and kept[0]() is board.count:
        return kept[1]
    drawn = _draw(board, get_language_bidi())
    with _drawn_lock:
        _drawn[language] = (weakref.ref(board.count), drawn)
    return drawn


def _draw(board: Dashboard, rtl: bool) -> dict[str, Any]:
    result = board.count
    assert result is not None and board.by_day is not None
    assert board.sex_by_age is not None and board.sources is not None
    return {
        "breakdowns": breakdowns_html(result, folded=True),
        "timeline": _timeline(board.by_day, result, rtl),
        "sex_age": _sex_age(board.sex_by_age, rtl),
        "overlap": _overlap(board.sources, rtl),
    }


def _series(table: Table) -> list[charts.Series]:
    return [
        charts.Series(str(shown_value(value)), unknown=value == "unknown")
        for value in table.columns
    ]


def _legend(table: Table) -> list[dict[str, str]]:
    return [
        {"label": s.label, "cls": "unknown" if s.unknown else f"series-{j}"}
        for j, s in enumerate(_series(table))
    ]


def _timeline(table: Table, result: CountResult, rtl: bool) -> dict[str, Any]:
    """Deaths per day by status: the chart, its legend, the persons with no known day (not in
    the chart, shown beside it) and the table of the days with a death."""
    days = [d for d in table.rows if d != "unknown"]
    counts = [table.row(d) for d in days]
    undated = table.row("unknown") if "unknown" in table.rows else tuple(0 for _ in table.columns)
    series = _series(table)
    dated = sum(sum(c) for c in counts)
    chart = charts.time_chart(
        "chart-by-day",
        days,
        counts,
        series,
        title=_("Deaths per day by status"),
        desc=_(
            "%(dated)s persons with a known day of death, from %(first)s to %(last)s, "
            "stacked by status; %(undated)s more have no known day."
        )
        % {
            "dated": charts.number(dated),
            "first": days[0] if days else "–",
            "last": days[-1] if days else "–",
            "undated": charts.number(sum(undated)),
        },
        rtl=rtl,
    )
    # A table of every day is the chart's exact alternative while it stays readable; over a
    # longer span the days are summed by month (the figures page gives each day).
    by_month = len(days) > TABLE_DAYS
    rows: dict[str, list[int]] = {}
    for day, c in zip(days, counts, strict=True):
        if sum(c):
            key = day[:7] if by_month else day
            rows[key] = [a + b for a, b in zip(rows.get(key, [0] * len(c)), c, strict=True)]
    # Written here, not by the template: years of days are thousands of rows, and the
    # template engine would spend most of a request writing them again each time.
    body = mark_safe(  # ISO days or months and whole numbers, escaped all the same
        "".join(
            f'<tr><th scope="row"><time dir="ltr">{escape(key)}</time></th>'
            + "".join(f'<td class="num">{int(n)}</td>' for n in c)
            + f'<td class="num">{sum(c)}</td></tr>'
            for key, c in rows.items()
        )
    )
    return {
        "chart": chart,
        "legend": _legend(table),
        "columns": [s.label for s in series],
        "body": body,
        "by_month": by_month,
        "undated": {"counts": undated, "total": sum(undated)},
        "days": len(days),
    }


TABLE_DAYS = 92
"""The longest span (in days) whose table lists each day; a longer one is tabled by month."""


def _sex_age(table: Table, rtl: bool) -> dict[str, Any]:
    """Persons by age group, each bar split by sex (unknowns on both axes shown)."""
    series = _series(table)
    rows = [(str(shown_value(r)), table.row(r), r == "unknown") for r in table.rows]
    chart = charts.stacked_bars(
        "chart-sex-age",
        rows,
        series,
        title=_("Persons by age group and sex"),
        desc=_("A bar per age group, split by sex; %(total)s persons in all.")
        % {"total": charts.number(table.total)},
        rtl=rtl,
    )
    return {
        "chart": chart,
        "legend": _legend(table),
        "columns": [s.label for s in series],
        "rows": [
            {"label": label, "counts": counts, "total": sum(counts), "unknown": unknown}
            for label, counts, unknown in rows
        ],
    }


def _overlap(overlap: SourceOverlap, rtl: bool) -> dict[str, Any]:
    """The sources and their overlap: an UpSet chart of the combinations of sources."""
    names = [s.source for s in overlap.sources]
    chart = charts.upset_chart(
        "chart-sources",
        names,
        [(c.sources, c.persons) for c in overlap.combinations],
        title=_("Persons named by each combination of sources"),
        desc=_(
            "A column per combination of sources: how many persons exactly those sources "
            "name, and no other; the dots below mark the sources."
        ),
        other=_("other combinations"),
        rtl=rtl,
    )
    return {"chart": chart, "sources": overlap.sources, "combinations": overlap.combinations,
            "other": overlap.other_combinations}  # fmt: skip
