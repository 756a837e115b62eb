"""Which category each person falls in for a breakdown, and every category to show.

Every breakdown lists its ``unknown`` value even when it is 0, and vocabulary breakdowns list
every value of the vocabulary, so tables from different windows line up and an empty
category is visibly empty rather than missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd

from everyname.core.count.data import CountInputError, clean
from everyname.core.count.filters import CountFilters
from everyname.core.schema import PLACE_FIELDS, UNKNOWN, VOCABULARIES

PLACE_LEVELS = ("governorate", "district", "locality", "neighbourhood", "place")
DATE_UNITS = ("day", "week", "month")
GRADE_VALUES = ("confirmed", "single_source", "contested", UNKNOWN)
BREAKDOWN_FIELDS = (*VOCABULARIES, "place", *PLACE_LEVELS, "date", *DATE_UNITS, "grade")


def check_fields(fields: Iterable[str]) -> tuple[str, ...]:
    fields = tuple(dict.fromkeys(f.strip() for f in fields if f.strip()))
    bad = [f for f in fields if f not in BREAKDOWN_FIELDS]
    if bad:
        raise CountInputError(
            f"--by: unknown field(s) {', '.join(bad)}; "
            f"expected any of {', '.join(BREAKDOWN_FIELDS)}"
        )
    return fields


def auto_place_level(persons: pd.DataFrame) -> str:
    """The highest level at which the persons differ (more than one known value).

    A report on one governorate is most useful by district or neighbourhood; a national
    report by governorate. Falls back to the free-text ``place``.
    """
    for level in PLACE_LEVELS:
        known = {v for v in persons[level].map(clean) if v is not None}
        if len(known) > 1:
            return level
    for level in PLACE_LEVELS:
        if persons[level].map(clean).notna().any():
            return level
    return "place"


def _bucket(day: date, unit: str) -> str:
    if unit == "day":
        return day.isoformat()
    if unit == "month":
        return f"{day.year:04d}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _bucket_range(first: date, last: date, unit: str) -> list[str]:
    out: list[str] = []
    day = first
    while day <= last:
        label = _bucket(day, unit)
        if not out or out[-1] != label:
            out.append(label)
        day += timedelta(days=1)
    return out


def date_values(spans: pd.DataFrame, unit: str) -> pd.Series:
    """The day, ISO week or month of each death; ``unknown`` when the date is not known that
    precisely (a date known only to the month has no day: it is ``unknown`` by day)."""
    start, end = spans["start"], spans["end"]
    if unit == "day":
        same = start == end
        labels = start.dt.strftime("%Y-%m-%d")
    elif unit == "month":
        same = (start.dt.year == end.dt.year) & (start.dt.month == end.dt.month)
        labels = start.dt.strftime("%Y-%m")
    else:
        first, last = start.dt.isocalendar(), end.dt.isocalendar()
        same = (first["year"] == last["year"]) & (first["week"] == last["week"])
        labels = (
            first["year"].astype("string").str.zfill(4)
            + "-W"
            + first["week"].astype("string").str.zfill(2)
        )
    same = same.fillna(False).astype(bool)
    return labels.astype(object).where(same, UNKNOWN)


def field_values(
    field: str,
    persons: pd.DataFrame,
    spans: pd.DataFrame,
    place_level: str,
    date_unit: str,
    grades: dict[str, str] | None,
) -> pd.Series:
    """The category of each person for a breakdown (``unknown`` where not known)."""
    _, kind, detail = resolve_field(field, place_level, date_unit)
    if kind == "place":
        text = persons[detail].astype("string").str.strip()
        missing = text.isna() | (text == "") | (text.str.casefold() == UNKNOWN)
        return text.astype(object).where(~missing, UNKNOWN)
    if kind == "date":
        return date_values(spans.loc[persons.index], detail)
    if kind == "grade":
        return persons["person_id"].astype(object).map(grades or {}).fillna(UNKNOWN)
    return persons[field].astype(object)  # vocabularies are normalised by CountInput


def resolve_field(field: str, place_level: str, date_unit: str) -> tuple[str, str, str]:
    """(field as shown, kind, detail): ``place`` → its level, ``day`` → a date unit."""
    if field == "place":
        return field, "place", place_level
    if field in PLACE_LEVELS:
        return field, "place", field
    if field == "date":
        return field, "date", date_unit
    if field in DATE_UNITS:
        return field, "date", field
    return field, field, field


def categories(
    field: str, values: list[str], filters: CountFilters, place_level: str, date_unit: str
) -> list[str]:
    """Every category of a breakdown in display order, ``unknown`` always last."""
    _, kind, detail = resolve_field(field, place_level, date_unit)
    if kind in VOCABULARIES:
        return list(VOCABULARIES[kind])  # enum order ends with unknown
    if kind == "grade":
        return list(GRADE_VALUES)
    seen = [v for v in pd.unique(pd.Series(values, dtype=object)) if v != UNKNOWN]
    if kind == "date":
        if filters.since and filters.until:
            span = _bucket_range(filters.since, filters.until, detail)
        elif seen:
            ordered = sorted(seen)
            first = _first_day(ordered[0], detail)
            last = _first_day(ordered[-1], detail)
            span = _bucket_range(first, last, detail)
        else:
            span = []
        return [*dict.fromkeys([*span, *sorted(seen)]), UNKNOWN]
    counts = pd.Series(values).value_counts() if values else pd.Series(dtype=int)
    ordered = sorted(seen, key=lambda v: (-int(counts.get(v, 0)), v))
    return [*ordered, UNKNOWN]


def _first_day(label: str, unit: str) -> date:
    if unit == "day":
        return date.fromisoformat(label)
    if unit == "month":
        return date.fromisoformat(label + "-01")
    return date.fromisocalendar(int(label[:4]), int(label[6:]), 1)


__all__ = [
    "BREAKDOWN_FIELDS",
    "DATE_UNITS",
    "GRADE_VALUES",
    "PLACE_FIELDS",
    "PLACE_LEVELS",
    "auto_place_level",
    "categories",
    "check_fields",
    "date_values",
    "field_values",
]
