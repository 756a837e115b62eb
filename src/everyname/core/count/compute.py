"""Counting persons (never records) with filters and breakdowns: :func:`count_persons`.

The result follows the ``count --format json`` contract of the design and extends it:
``possibly_in_window`` (partial dates straddling the window), ``date_unknown`` (no date at all,
so not placeable in a window), ``unknowns`` per breakdown, and with ``explain=True`` the person
ids behind every figure.

Every figure is also a range while linkage is in doubt: ``count`` is the number of persons as
linked (the high end), ``low`` the number there would be if every pair awaiting review were
the same person (see :func:`everyname.core.link.cluster.merge_pending`). A merged group is
counted in every category one of its persons is in, so a row's ``low`` assumes each person
keeps its values. ``records_not_linked`` says how many records the run does not cover.
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
    place_labels,
    place_values,
    resolves_places,
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
    low: int | None = None
    """Persons in this category if every pair awaiting review were a match (None: = count)."""

    label: str | None = None
    """A gazetteer place's English name (its id is ``value``); None for other rows."""
    label_ar: str | None = None

    @property
    def at_least(self) -> int:
        return self.count if self.low is None else self.low

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "count": self.count}
        if self.label is not None:
            out["label"], out["label_ar"] = self.label, self.label_ar
        out["range"] = {"low": self.at_least, "high": self.count}
        if explain:
            out["person_ids"] = list(self.person_ids)
        return out


@dataclass(frozen=True)
class Spelling:
    """A place text behind an ``unresolved`` row: the record field it is in, the text as
    written, how many persons it leaves unplaced, and the gazetteer places it could be when
    it names several (none when the gazetteer knows no such place)."""

    field: str
    text: str
    persons: int
    candidates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "spelling": self.text, "count": self.persons}
        if self.candidates:
            out["candidates"] = list(self.candidates)
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
    low: int | None = None
    """``total`` if every pair awaiting review were a match (None: the same as ``total``)."""
    pairs_awaiting_review: int = 0
    records_not_linked: int = 0
    unresolved: Mapping[str, tuple[Spelling, ...]] = field(default_factory=dict)
    """Per place breakdown, the texts behind its ``unresolved`` row, most frequent first."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", MappingProxyType(dict(self.filters)))
        object.__setattr__(self, "by", MappingProxyType({k: tuple(v) for k, v in self.by.items()}))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "unresolved", MappingProxyType(dict(self.unresolved)))

    def figure(self, field: str, value: str) -> int:
        """The count of one category (0 when the category is absent)."""
        for row in self.by[field]:
            if row.value == value:
                return row.count
        return 0

    def unknown(self, field: str) -> int:
        return self.figure(field, UNKNOWN)

    @property
    def total_low(self) -> int:
        """The low end of the total's range (the total itself when nothing is in doubt)."""
        return self.total if self.low is None else self.low

    @property
    def in_doubt(self) -> bool:
        """True when pending review could make the total smaller."""
        return self.total_low < self.total

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "link_run": self.link_run,
            "filters": dict(self.filters),
            "total": self.total,
            "total_range": {
                "low": self.total_low,
                "high": self.total,
                "pairs_awaiting_review": self.pairs_awaiting_review,
            },
            "records_not_linked": self.records_not_linked,
            "by": {f: [r.to_dict(self.explain) for r in rows] for f, rows in self.by.items()},
            "unknowns": {f: self.unknown(f) for f in self.by},
            "unresolved_places": {
                f: [s.to_dict() for s in spellings] for f, spellings in self.unresolved.items()
            },
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
        """Flat rows (field, value, count, low) for CSV and terminal tables: ``low`` is the
        count if every pair awaiting review were a match. ``pairs_awaiting_review`` and
        ``records_not_linked`` rows appear when they are not 0."""
        out = [{"field": "total", "value": "", "count": self.total, "low": self.total_low}]
        for name, rows in self.by.items():
            out += [
                {"field": name, "value": r.value, "count": r.count, "low": r.at_least}
                | ({"label": r.label, "label_ar": r.label_ar} if r.label is not None else {})
                for r in rows
            ]
        if self.filters.get("since") or self.filters.get("until"):
            for name, ids in (
                ("possibly_in_window", self.possibly_in_window),
                ("date_unknown", self.date_unknown),
            ):
                out.append({"field": name, "value": "", "count": len(ids), "low": len(ids)})
        for name in ("pairs_awaiting_review", "records_not_linked"):
            n = getattr(self, name)
            if n:
                out.append({"field": name, "value": "", "count": n, "low": n})
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
        keep &= PlaceScope.build(filters.place, gazetteer).mask(persons, gazetteer)
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


def _settings(
    persons: pd.DataFrame,
    place_level: str | None,
    date_unit: str,
    gazetteer: PlaceHierarchy | None = None,
) -> dict[str, str]:
    if place_level is not None and place_level not in PLACE_LEVELS:
        raise CountInputError(
            f"place level {place_level!r}: expected one of {', '.join(PLACE_LEVELS)}"
        )
    if date_unit not in DATE_UNITS:
        raise CountInputError(f"date unit {date_unit!r}: expected one of {', '.join(DATE_UNITS)}")
    return {
        "place_level": place_level or auto_place_level(persons, gazetteer),
        "date_unit": date_unit,
    }


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
    settings = _remember(
        data,
        ("settings", filters, place_level, date_unit),
        gazetteer,
        lambda: _settings(
            inside if len(inside) else data.persons, place_level, date_unit, gazetteer
        ),
    )
    grades = selection.grades
    if "grade" in fields and grades is None:
        grades = _remember(data, ("grades",), None, lambda: _grades(data))
    ids = inside["person_id"]
    groups, shared = data.group_codes, data.shares_group
    positions = inside.index.to_numpy()
    inside_groups = None if groups is None else (groups[positions], shared[positions])

    breakdowns: dict[str, tuple[Figure, ...]] = {}
    unresolved: dict[str, tuple[Spelling, ...]] = {}
    for name in fields:
        values = _remember(
            data,
            ("values", filters, name, settings["place_level"], settings["date_unit"]),
            gazetteer,
            lambda name=name: field_values(
                name, inside, data.spans, **_kw(settings), grades=grades, gazetteer=gazetteer
            ),
        )
        members = _members(ids.to_numpy(), values.to_numpy())
        lows = None if inside_groups is None else _lows(values.to_numpy(), *inside_groups)
        order = categories(name, values.tolist(), filters, **_kw(settings), gazetteer=gazetteer)
        labels = place_labels(gazetteer, order) if _is_place(name) else {}
        breakdowns[name] = tuple(
            Figure(
                v,
                len(members.get(v, ())),
                members.get(v, ()),
                None if lows is None else lows.get(v, 0),
                *labels.get(v, (None, None)),
            )
            for v in order
        )
        if _is_place(name) and resolves_places(gazetteer):
            unresolved[name] = _remember(
                data,
                ("spellings", filters, name, settings["place_level"]),
                gazetteer,
                lambda name=name: _spellings(inside, name, settings, gazetteer),
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
        low=None if inside_groups is None else _low(*inside_groups),
        pairs_awaiting_review=data.pairs_awaiting_review,
        records_not_linked=data.records_not_linked,
        unresolved=unresolved,
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
    settings = _settings(inside if len(inside) else data.persons, place_level, date_unit, gazetteer)
    grades = _grades(data) if "grade" in (rows, columns) else None
    axes = []
    for name in (rows, columns):
        values = field_values(
            name, inside, data.spans, **_kw(settings), grades=grades, gazetteer=gazetteer
        ).tolist()
        axes.append(
            (values, categories(name, values, filters, **_kw(settings), gazetteer=gazetteer))
        )
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


def _remember(data: CountInput, key: tuple, gazetteer: Any, compute: Any) -> Any:
    """``compute()``, kept with ``data`` under ``key`` for ``gazetteer``: an input kept between
    counts (a dashboard's) places its persons and chooses its place level once per filters,
    not once per count. Callers never change what it returns."""
    memo = data.memo
    kept = memo.get(key)
    if kept is not None and kept[0] is gazetteer:
        return kept[1]
    value = compute()
    memo[key] = (gazetteer, value)
    while len(memo) > MEMO_ENTRIES:
        memo.pop(next(iter(memo)))
    return value


MEMO_ENTRIES = 64
"""Results kept per count input: a few per filters a page asks for, never unbounded."""


def _low(groups: np.ndarray, shared: np.ndarray) -> int:
    """The number of merged groups among these persons (``groups``: each one's group as an
    integer code; ``shared``: whether that group holds another person at all)."""
    return int(len(groups) - shared.sum() + len(np.unique(groups[shared])))


def _lows(values: np.ndarray, groups: np.ndarray, shared: np.ndarray) -> dict[str, int]:
    """Category → the number of merged groups among its persons: the low end of each figure.
    Only persons whose group holds another person can share one, so only they are sorted."""
    if not len(values):
        return {}
    codes, labels = pd.factorize(values)
    lows = np.bincount(codes, minlength=len(labels))
    codes, groups = codes[shared], groups[shared]
    if len(codes):
        width = int(groups.max()) + 1
        distinct = np.unique(codes.astype(np.int64) * width + groups) // width
        lows -= np.bincount(codes, minlength=len(labels))
        lows += np.bincount(distinct, minlength=len(labels))
    return {str(label): int(n) for label, n in zip(labels, lows, strict=True)}


def _is_place(field: str) -> bool:
    return field in PLACE_LEVELS


def _spellings(
    persons: pd.DataFrame, field: str, settings: Mapping[str, str], gazetteer: Any
) -> tuple[Spelling, ...]:
    """The place texts behind a breakdown's ``unresolved`` row, most frequent first."""
    level = settings["place_level"] if field == "place" else field
    _, spellings = place_values(persons, level, gazetteer)
    ranked = sorted(spellings.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Spelling(column, text, n, ids) for (column, text, ids), n in ranked)


def _kw(settings: Mapping[str, str]) -> dict[str, str]:
    return {"place_level": settings["place_level"], "date_unit": settings["date_unit"]}
