"""Counting persons (never records) with filters and breakdowns: :func:`count_persons`.

The result follows the ``count --format json`` contract of the design and extends it:
``possibly_in_window`` (partial dates straddling the window), ``date_unknown`` (no date at all,
so not placeable in a window), ``unknowns`` per breakdown, and with ``explain=True`` the person
ids behind every figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from everyname.core.count.breakdown import (
    DATE_UNITS,
    PLACE_LEVELS,
    auto_place_level,
    categories,
    check_fields,
    field_values,
)
from everyname.core.count.data import CountInput, CountInputError, isin
from everyname.core.count.filters import (
    CountFilters,
    InWindow,
    PlaceHierarchy,
    PlaceScope,
    window_masks,
)
from everyname.core.schema import UNKNOWN


@dataclass(frozen=True)
class Figure:
    """One row of a breakdown: a category, its number of persons and (for --explain) who."""

    value: str
    count: int
    person_ids: tuple[str, ...] = ()

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "count": self.count}
        if explain:
            out["person_ids"] = list(self.person_ids)
        return out


@dataclass(frozen=True)
class Selection:
    """The persons a set of filters keeps, and those it can neither keep nor drop."""

    inside: pd.DataFrame
    possibly: pd.DataFrame
    date_unknown: pd.DataFrame
    grades: dict[str, str] | None = None


@dataclass(frozen=True)
class CountResult:
    """An immutable count: total, breakdowns and the persons behind each figure."""

    link_run: str
    filters: Mapping[str, Any]
    total: int
    by: Mapping[str, tuple[Figure, ...]]
    person_ids: tuple[str, ...]
    possibly_in_window: tuple[str, ...] = ()
    date_unknown: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    explain: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", MappingProxyType(dict(self.filters)))
        object.__setattr__(self, "by", MappingProxyType({k: tuple(v) for k, v in self.by.items()}))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    def figure(self, field: str, value: str) -> int:
        """The count of one category (0 when the category is absent)."""
        for row in self.by[field]:
            if row.value == value:
                return row.count
        return 0

    def unknown(self, field: str) -> int:
        return self.figure(field, UNKNOWN)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "link_run": self.link_run,
            "filters": dict(self.filters),
            "total": self.total,
            "by": {f: [r.to_dict(self.explain) for r in rows] for f, rows in self.by.items()},
            "unknowns": {f: self.unknown(f) for f in self.by},
            "possibly_in_window": len(self.possibly_in_window),
            "date_unknown": len(self.date_unknown),
            "settings": dict(self.settings),
        }
        if self.explain:
            out["explain"] = {
                "total": list(self.person_ids),
                "possibly_in_window": list(self.possibly_in_window),
                "date_unknown": list(self.date_unknown),
            }
        return out

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows (field, value, count) for CSV and terminal tables."""
        out = [{"field": "total", "value": "", "count": self.total}]
        for name, rows in self.by.items():
            out += [{"field": name, "value": r.value, "count": r.count} for r in rows]
        if self.filters.get("since") or self.filters.get("until"):
            out.append(
                {"field": "possibly_in_window", "value": "", "count": len(self.possibly_in_window)}
            )
            out.append({"field": "date_unknown", "value": "", "count": len(self.date_unknown)})
        return out


def select_persons(
    data: CountInput, filters: CountFilters, gazetteer: PlaceHierarchy | None = None
) -> Selection:
    """Apply the filters: persons inside, possibly inside (partial dates), and undated."""
    persons = data.persons
    keep = pd.Series(True, index=persons.index)
    if filters.outcome is not None:
        keep &= persons["outcome"] == filters.outcome
    if filters.place is not None:
        keep &= PlaceScope.build(filters.place, gazetteer).mask(persons)
    if filters.sources:
        wanted = set(filters.sources)
        named = data.memberships.loc[data.memberships["source"].isin(wanted), "person_id"]
        keep &= isin(persons["person_id"], set(named))
    grades = None
    if filters.grade is not None:
        grades = _grades(data)
        keep &= persons["person_id"].map(grades) == filters.grade
    where = window_masks(data.spans, filters)
    return Selection(
        inside=persons[keep & where[InWindow.INSIDE]],
        possibly=persons[keep & where[InWindow.POSSIBLY]],
        date_unknown=persons[keep & where[InWindow.DATE_UNKNOWN]],
        grades=grades,
    )


def _grades(data: CountInput) -> dict[str, str]:
    from everyname.core.corroboration import corroborate

    return corroborate(
        data.memberships, data.conflicts, data.copy_groups, data.persons["person_id"]
    ).grades()


def _settings(persons: pd.DataFrame, place_level: str | None, date_unit: str) -> dict[str, str]:
    if place_level is not None and place_level not in PLACE_LEVELS:
        raise CountInputError(
            f"place level {place_level!r}: expected one of {', '.join(PLACE_LEVELS)}"
        )
    if date_unit not in DATE_UNITS:
        raise CountInputError(f"date unit {date_unit!r}: expected one of {', '.join(DATE_UNITS)}")
    return {"place_level": place_level or auto_place_level(persons), "date_unit": date_unit}


def count_persons(
    data: CountInput,
    filters: CountFilters | None = None,
    by: Iterable[str] = (),
    *,
    place_level: str | None = None,
    date_unit: str = "day",
    gazetteer: PlaceHierarchy | None = None,
    explain: bool = False,
) -> CountResult:
    """Count persons matching ``filters``, broken down by each field in ``by``.

    ``by`` fields: sex, age_group, status, cause, outcome, grade, place (at ``place_level``,
    chosen automatically when ``None``), governorate/district/locality/neighbourhood, date (by
    ``date_unit``: day, week or month) or day/week/month directly. Each breakdown sums to
    ``total``: a person whose value is not known (or whose date is not known to the unit) is
    in ``unknown``.
    """
    filters = filters or CountFilters()
    fields = check_fields(by)
    selection = select_persons(data, filters, gazetteer)
    inside = selection.inside
    settings = _settings(inside if len(inside) else data.persons, place_level, date_unit)
    grades = selection.grades
    if "grade" in fields and grades is None:
        grades = _grades(data)
    ids = inside["person_id"]
    breakdowns: dict[str, tuple[Figure, ...]] = {}
    for name in fields:
        values = field_values(name, inside, data.spans, **_kw(settings), grades=grades)
        members = _members(ids.to_numpy(), values.to_numpy())
        order = categories(name, values.tolist(), filters, **_kw(settings))
        breakdowns[name] = tuple(
            Figure(v, len(members.get(v, ())), members.get(v, ())) for v in order
        )
    return CountResult(
        link_run=data.link_run,
        filters=filters.to_dict(),
        total=len(ids),
        by=breakdowns,
        person_ids=tuple(ids),
        possibly_in_window=tuple(selection.possibly["person_id"]),
        date_unknown=tuple(selection.date_unknown["person_id"]),
        settings=settings,
        explain=explain,
    )


def crosstab(
    data: CountInput,
    rows: str,
    columns: str,
    filters: CountFilters | None = None,
    *,
    place_level: str | None = None,
    date_unit: str = "day",
    gazetteer: PlaceHierarchy | None = None,
) -> pd.DataFrame:
    """Persons by two fields at once (e.g. day × status, sex × age group), unknowns included.

    Rows and columns list every category of the field (as :func:`count_persons` would), so the
    table's grand total is the count's total.
    """
    filters = filters or CountFilters()
    check_fields((rows, columns))
    inside = select_persons(data, filters, gazetteer).inside
    settings = _settings(inside if len(inside) else data.persons, place_level, date_unit)
    grades = _grades(data) if "grade" in (rows, columns) else None
    axes = []
    for name in (rows, columns):
        values = field_values(name, inside, data.spans, **_kw(settings), grades=grades).tolist()
        axes.append((values, categories(name, values, filters, **_kw(settings))))
    (row_values, row_order), (col_values, col_order) = axes
    table = pd.crosstab(
        pd.Categorical(row_values, categories=row_order),
        pd.Categorical(col_values, categories=col_order),
        dropna=False,
    )
    table = table.reindex(index=row_order, columns=col_order, fill_value=0).astype(int)
    table.index.name, table.columns.name = rows, columns
    return table


def _members(ids: np.ndarray, values: np.ndarray) -> dict[str, tuple[str, ...]]:
    """Category → the person ids in it (in input order), in O(n log n)."""
    if not len(ids):
        return {}
    codes, labels = pd.factorize(values)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(labels)))
    starts = np.concatenate(([0], bounds[:-1]))
    ordered = ids[order]
    return {
        str(label): tuple(ordered[a:b].tolist())
        for label, a, b in zip(labels, starts, bounds, strict=True)
    }


def _kw(settings: Mapping[str, str]) -> dict[str, str]:
    return {"place_level": settings["place_level"], "date_unit": settings["date_unit"]}
