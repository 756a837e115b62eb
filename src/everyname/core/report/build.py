"""Everything a report shows, computed once: :func:`build_report` → :class:`Report`.

The HTML, the PDF and the CSV/JSON tables are all rendered from one :class:`Report`, so the
figures in the charts, the text and the exported tables cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from everyname.core.claims import ClaimsView, claims_beside
from everyname.core.corroboration import corroborate
from everyname.core.count import (
    CountFilters,
    CountInput,
    CountResult,
    PlaceHierarchy,
    count_persons,
    crosstab,
    headline,
    source_figures,
)
from everyname.core.count.data import isin
from everyname.core.count.doubt import doubt_notes, doubt_rows, with_pending_merged
from everyname.core.count.filters import resolve_place
from everyname.core.count.headline import day_en
from everyname.core.errors import EverynameError

TIME_TABLES = {"day": "daily_by_status", "week": "weekly_by_status", "month": "monthly_by_status"}
REPORT_FIELDS = ("sex", "age_group", "status", "cause", "outcome", "place", "grade", "date")


class ReportError(EverynameError):
    """A report cannot be produced as asked (the message says what to change)."""


@dataclass(frozen=True)
class Report:
    """The computed content of one report. ``tables`` are what the CSV/JSON export writes;
    ``figures`` are inline SVG charts keyed like the sections that show them."""

    title: str
    link_run: str
    generated_at: str
    filters: Mapping[str, Any]
    place_label: str | None
    count: CountResult
    headline_en: str
    headline_ar: str
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, str]
    claims: ClaimsView
    methodology: tuple[str, ...]
    estimate: Mapping[str, Any] | None = None
    estimate_strata: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    date_unit: str = "day"

    @property
    def time_table(self) -> pd.DataFrame:
        """Persons by date (at ``date_unit``) and status."""
        return self.tables[TIME_TABLES[self.date_unit]]


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise ReportError("an estimate must be an estimate result or its to_dict() mapping")
    return dict(value)


def _strata(value: Any) -> tuple[dict[str, Any], ...]:
    value = _as_dict(value) if value is not None and not isinstance(value, Sequence) else value
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = value.get("strata", [])
    return tuple(_as_dict(s) or {} for s in value)


def _figures_table(result: CountResult, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"value": r.value, "count": r.count} for r in result.by[name]], columns=["value", "count"]
    )


PLACE_ROWS_AR = {"unknown": "غير معروف", "unresolved": "مكان لا يعرفه المعجم الجغرافي"}
SPELLINGS_SHOWN = 20


def _place_table(result: CountResult, level: str) -> pd.DataFrame:
    """Persons by gazetteer place: its English and Arabic names, its id, the count (without a
    gazetteer, the text as written, with no Arabic name or id)."""
    rows = [
        {
            level: r.label or r.value,
            "name_ar": r.label_ar or PLACE_ROWS_AR.get(r.value, ""),
            "place_id": r.value if r.label is not None or r.value in PLACE_ROWS_AR else "",
            "count": r.count,
        }
        for r in result.by["place"]
    ]
    return pd.DataFrame(rows, columns=[level, "name_ar", "place_id", "count"])


def _places_note(result: CountResult, level: str) -> str:
    """How places were counted, and the spellings behind ``unresolved`` (for the user to add
    to the gazetteer, or to give the records a governorate that settles which place)."""
    note = (
        "Places: places are counted as places of the gazetteer, not as the spellings the "
        "sources used: each person is counted under the place at that level holding the most "
        "specific place its records name (a record naming only its neighbourhood is in that "
        "neighbourhood's governorate), and a place filter includes every place below it. "
        f"Places are shown by {level}; unknown means no place was given at that level."
    )
    spellings = result.unresolved.get("place", ())
    unresolved = result.figure("place", "unresolved")
    if not unresolved:
        return note + " Every place the counted persons' records name is in the gazetteer."
    shown = "; ".join(
        f"“{s.text}” ({s.field}, {_persons(s.persons)}"
        + (f", names several places: {', '.join(s.candidates)}" if s.candidates else "")
        + ")"
        for s in spellings[:SPELLINGS_SHOWN]
    )
    more = len(spellings) - SPELLINGS_SHOWN
    return (
        f"{note} {_persons(unresolved)} counted as unresolved: their place is not in the "
        "gazetteer, or names several places and nothing else in their records says which. The "
        f"spellings behind them: {shown}"
        + (f"; and {more} more" if more > 0 else "")
        + ". They are never merged into a place by guess; `everyname places import` adds them."
    )


def _persons(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} persons"


def _window_text(filters: CountFilters) -> str:
    if filters.since and filters.until:
        return f"{day_en(filters.since)} to {day_en(filters.until)} inclusive"
    if filters.since:
        return f"from {day_en(filters.since)} (inclusive)"
    if filters.until:
        return f"up to {day_en(filters.until)} (inclusive)"
    return "all dates"


def build_report(
    data: CountInput,
    filters: CountFilters | None = None,
    *,
    gazetteer: PlaceHierarchy | None = None,
    place_label: str | None = None,
    place_label_ar: str | None = None,
    place_level: str | None = None,
    estimate: Any = None,
    estimate_strata: Any = None,
    estimate_pending_merged: Any = None,
    date_unit: str | None = None,
    title: str | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """Compute every figure, table and chart of the report for ``filters``.

    ``estimate`` is an estimate result (or its ``to_dict()``) for the same window and place;
    ``estimate_strata`` a list of such results with a ``value`` each (or ``{"strata": [...]}``).
    ``estimate_pending_merged`` is the same fit for the persons as they would be if every pair
    awaiting review were a match: shown beside ``estimate``, with a warning when they differ.
    ``place_label``/``place_label_ar`` name the place in the headlines (default: the filter).
    ``date_unit`` (day, week, month) of the deaths-over-time chart: by default days for up to
    two months, weeks for up to a year, months beyond.
    """
    from everyname.core.report import figures

    filters = filters or CountFilters()
    result = count_persons(
        data, filters, REPORT_FIELDS, gazetteer=gazetteer, place_level=place_level
    )
    level = result.settings["place_level"]
    ids = list(result.person_ids)
    corroboration = corroborate(data.memberships, data.conflicts, data.copy_groups, ids)
    corroborated = corroboration.at_least(2)
    names = _gazetteer_names(gazetteer, filters.place)
    place = place_label or names.get("en") or filters.place
    place_ar = place_label_ar or names.get("ar") or place
    en = headline(result, "en", place=place, corroborated=corroborated)
    ar = headline(result, "ar", place=place_ar, corroborated=corroborated)
    unit = date_unit or _auto_date_unit(data, filters, result)
    kwargs = {"gazetteer": gazetteer, "place_level": level}
    daily = crosstab(data, "date", "status", filters, date_unit=unit, **kwargs)
    sex_age = crosstab(data, "sex", "age_group", filters, **kwargs)
    sources = source_figures(data.memberships, ids)
    claims = claims_beside(data.claims, filters, result.total, gazetteer)
    estimate_d = _as_dict(estimate)
    failed = None
    if estimate_d is not None and estimate_d.get("estimate") is None:
        failed, estimate_d = estimate_d, None  # shown as failed, with its reason
    pending_d = _as_dict(estimate_pending_merged) if estimate_d is not None else None
    if estimate_d is not None and pending_d is not None:
        estimate_d = with_pending_merged(estimate_d, pending_d, result.pairs_awaiting_review)
    elif estimate_d is not None and (estimate_d.get("pending_merged") or {}).get("estimate"):
        # fitted with the doubt beside it already: the second row of the estimate table
        pending_d = {
            **{k: estimate_d.get(k) for k in ("method", "level", "lists")},
            **estimate_d["pending_merged"],
        }
    strata = _strata(estimate_strata)

    summary = [
        ("named persons counted", result.total),
        ("possibly in window (partial date, not counted)", len(result.possibly_in_window)),
        ("no known date (not counted)", len(result.date_unknown)),
        ("children", result.figure("age_group", "child")),
        ("age unknown", result.unknown("age_group")),
        ("civilians", result.figure("status", "civilian")),
        ("combatants", result.figure("status", "combatant")),
        ("status unknown", result.unknown("status")),
        ("named by at least two independent sources", corroborated),
        ("contested (sources disagree on status or outcome)", corroboration.counts()["contested"]),
    ]
    summary += doubt_rows(result)
    tables: dict[str, pd.DataFrame] = {
        "summary": pd.DataFrame(summary, columns=["figure", "count"]),
        TIME_TABLES[unit]: daily.rename_axis(index="date", columns=None).reset_index(),
        "by_place": _place_table(result, level),
        "sex_by_age_group": sex_age.rename_axis(index="sex", columns=None).reset_index(),
        "by_cause": _figures_table(result, "cause").rename(columns={"value": "cause"}),
        "by_status": _figures_table(result, "status").rename(columns={"value": "status"}),
        "by_outcome": _figures_table(result, "outcome").rename(columns={"value": "outcome"}),
        "sources": sources.table,
        "source_overlap": sources.overlap.rename_axis(index="source").reset_index(),
        "source_intersections": sources.intersections,
        "corroboration": pd.DataFrame(
            list(corroboration.counts().items()), columns=["grade", "count"]
        ),
        "claims": claims.rows,
    }
    if estimate_d is not None:
        rows = [_estimate_row(estimate_d)]
        if pending_d is not None:
            rows = [
                {"persons": "as linked", **rows[0]},
                {"persons": "every pair awaiting review merged", **_estimate_row(pending_d)},
            ]
        tables["estimate"] = pd.DataFrame(rows)
    if strata:
        tables["estimate_strata"] = pd.DataFrame([_estimate_row(s) for s in strata])

    place_counts = [(r.label or r.value, r.count) for r in result.by["place"]]
    cause_counts = [
        (r.value, r.count) for r in result.by["cause"] if r.count or r.value == "unknown"
    ]
    charts = {
        "daily": figures.stacked_by_day(daily, f"Persons per {unit}, by status"),
        "place": figures.horizontal_bars(place_counts, f"Persons by {level}"),
        "sex_age": figures.grouped_bars(sex_age, "Persons by sex and age group"),
        "cause": figures.horizontal_bars(cause_counts, "Persons by cause of death"),
        "sources": figures.upset(sources.intersections, sources.table, "Sources and their overlap"),
    }
    if estimate_d is not None:
        charts["estimate"] = figures.estimate_chart(
            estimate_d, result.total, "Named persons and the estimated total"
        )
    if strata:
        charts["estimate_strata"] = figures.strata_chart(strata, "Estimates by stratum")

    methodology = _methodology(data, filters, result, level, estimate_d, place)
    if failed is not None:
        methodology += (
            f"Estimate: no estimate could be made for these persons: {failed.get('error')}.",
        )
    methodology += doubt_notes(result, estimate_d)
    stamp = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return Report(
        title=title or _title(filters, place),
        link_run=data.link_run,
        generated_at=stamp,
        filters=filters.to_dict(),
        place_label=place,
        count=result,
        headline_en=en,
        headline_ar=ar,
        tables=tables,
        figures=charts,
        claims=claims,
        methodology=methodology,
        estimate=estimate_d,
        estimate_strata=strata,
        date_unit=unit,
    )


def _auto_date_unit(data: CountInput, filters: CountFilters, result: CountResult) -> str:
    if filters.since and filters.until:
        first, last = filters.since, filters.until
    else:
        inside = isin(data.persons["person_id"], result.person_ids)
        spans = data.spans[inside].dropna()
        if spans.empty:
            return "day"
        first = filters.since or spans["start"].min().date()
        last = filters.until or spans["end"].max().date()
    days = (last - first).days + 1
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def _gazetteer_names(gazetteer: PlaceHierarchy | None, place: str | None) -> dict[str, str]:
    """The English and Arabic names of the filtered place, when the gazetteer knows it."""
    if gazetteer is None or place is None:
        return {}
    place_id = resolve_place(gazetteer, place)
    get = getattr(gazetteer, "get", None)
    if place_id is None or not callable(get):
        return {}
    try:
        entry = get(place_id)
    except (KeyError, LookupError):
        return {}
    names = {"en": getattr(entry, "name_en", None), "ar": getattr(entry, "name_ar", None)}
    return {k: v for k, v in names.items() if isinstance(v, str) and v}


def _title(filters: CountFilters, place: str | None) -> str:
    where = f" in {place}" if place else ""
    return f"Persons reported killed{where}: {_window_text(filters)}"


def _estimate_row(estimate: Mapping[str, Any]) -> dict[str, Any]:
    row = {
        k: estimate.get(k) for k in ("method", "observed", "estimate", "lower", "upper", "level")
    }
    if "value" in estimate:
        row = {"value": estimate["value"], **row}
    row["lists"] = "; ".join(map(str, estimate.get("lists") or []))
    if estimate.get("error"):
        row["error"] = str(estimate["error"])
    warnings = estimate.get("warnings") or []
    row["warnings"] = " | ".join(
        str(w.get("message", w)) if isinstance(w, Mapping) else str(w) for w in warnings
    )
    return row


def _methodology(
    data: CountInput,
    filters: CountFilters,
    result: CountResult,
    level: str,
    estimate: Mapping[str, Any] | None,
    place: str | None,
) -> tuple[str, ...]:
    groups: dict[str, list[str]] = {}
    for source, group in sorted(data.copy_groups.items()):
        groups.setdefault(group, []).append(source)
    copying = "; ".join(" and ".join(v) for v in groups.values() if len(v) > 1)
    notes = [
        f"What was counted: persons, not records. Records from every source were linked into "
        f"persons by link run {data.link_run}; a person named by several lists, or twice by one "
        f"list, is counted once. {result.total} persons match the filters "
        f"({_window_text(filters)}"
        + (f"; place {place} and everything below it in the gazetteer" if place else "")
        + (f"; outcome {filters.outcome}" if filters.outcome else "")
        + (f"; sources {', '.join(filters.sources)}" if filters.sources else "")
        + ").",
        "Unknowns: a value a source did not give, or gave in a form that could not be read, is "
        "counted as unknown and shown beside each category; it is never assigned to a category. "
        'That is why categories read "at least": 17 children with 41 of unknown age means '
        "between 17 and 58 children.",
        "Dates: the window is inclusive. A date known only to the month or year counts inside "
        "the window only when its whole span lies inside; when the span only overlaps the "
        f"window the person is reported as possibly in the window ({len(result.possibly_in_window)}"
        f" here) and not counted. Persons with no date are reported apart "
        f"({len(result.date_unknown)} here). By day, a date known only to the month is unknown.",
        _places_note(result, level),
        "Corroboration: a person is confirmed when named by at least two independent sources; "
        "sources marked as copying one another count once"
        + (f" (here: {copying})" if copying else "")
        + ". A person is contested when the records disagree on status or on whether the person "
        "was killed or injured; contested persons are still counted, and flagged.",
        "Claims: aggregate statements without names (such as a number of burials announced by "
        "an agency) are shown beside the named counts for the same dates and place. They are "
        "never added to the named count, because nobody can tell whom they share with the lists.",
        "Arabic text uses Western digits (0-9), as Syrian documentation groups print them, so the "
        "Arabic and English figures can be compared at a glance.",
        "This report contains aggregate figures only; it names no victim and no witness, and "
        "never shows who reported a death.",
    ]
    if estimate is not None:
        notes.append(
            f"Estimate: {estimate.get('method')} multiple systems estimation over the lists "
            f"{', '.join(map(str, estimate.get('lists') or []))}: an estimated "
            f"{_num(estimate.get('estimate'))} persons in total ({_interval(estimate)}), of whom "
            f"{estimate.get('observed')} are named. The estimate is a statistical inference about "
            "deaths no list has documented, not a count; its assumptions and warnings are listed "
            "with it." + _seed_note(estimate)
        )
    return tuple(notes)


def _seed_note(estimate: Mapping[str, Any]) -> str:
    """The seed the fit used, so that anyone can fit it again and get the same figures."""
    seed = (estimate.get("provenance") or {}).get("seed")
    return "" if seed is None else f" Fitted with random seed {seed}."


def _num(value: Any) -> str:
    return "unbounded" if value is None else f"{float(value):,.0f}"


def _interval(estimate: Mapping[str, Any]) -> str:
    level = float(estimate.get("level") or 0.95)
    return f"{level:.0%} interval {_num(estimate.get('lower'))} to {_num(estimate.get('upper'))}"
