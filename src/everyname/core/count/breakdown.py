"""Which category each person falls in for a breakdown, and every category to show.

Every breakdown lists its ``unknown`` value even when it is 0, and vocabulary breakdowns list
every value of the vocabulary, so tables from different windows line up and an empty
category is visibly empty rather than missing.

Places are counted as gazetteer places, never as spellings: with a gazetteer, a person's place
fields are resolved together (:meth:`everyname.core.places.Gazetteer.resolve_record`) and the
person is counted under the entry at the breakdown's level that holds the most specific place
resolved, so "بابا عمرو", "Baba Amr" and "حي بابا عمرو" are one row, and a record that says only
"Baba Amr" is in Homs governorate. A person whose place text at that level (or finer, or in the
free ``place`` field) names nothing the gazetteer knows is ``unresolved``, never merged into a
neighbour or dropped; ``unknown`` stays for "no place given at that level".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from everyname.core import schema
from everyname.core.count.data import CountInputError, clean
from everyname.core.count.filters import CountFilters, PlaceHierarchy
from everyname.core.places import level_depth
from everyname.core.schema import PLACE_FIELDS, UNKNOWN, VOCABULARIES

PLACE_LEVELS = (*schema.PLACE_LEVELS, "place")
"""The place fields a count breaks down by, broadest first."""
UNRESOLVED = "unresolved"
"""The row of a place breakdown for persons whose place the gazetteer does not know."""
GAZETTEER_LEVELS: dict[str, tuple[str, ...]] = {
    "governorate": ("governorate",),
    "district": ("district",),
    "locality": ("city", "town", "village"),
    "neighbourhood": ("neighbourhood",),
}
"""The gazetteer levels each place breakdown counts by (``place``: the most specific place)."""
FIELD_DEPTH = {"governorate": 0, "district": 1, "locality": 3, "neighbourhood": 4, "place": 5}
"""How specific the place named in each record field is (the free ``place`` text the most)."""
PLACE_COLUMNS = ("place_id", "place_unresolved")
"""What :func:`resolve_places` gives per person: the most specific entry resolved, and the place
texts it cannot place for certain as ``(field, text, candidates)``: no candidate when the
gazetteer knows no such place, several when the text names more than one ("جوبر" is a
neighbourhood of Damascus and one of Homs) and nothing else in the record settles which."""

Unplaced = tuple[str, str, tuple[str, ...]]
"""A place text counting cannot place: (record field, text as written, candidate ids)."""
DATE_UNITS = ("day", "week", "month")
GRADE_VALUES = ("confirmed", "single_source", "contested", UNKNOWN)
BREAKDOWN_FIELDS = (*VOCABULARIES, "place", *PLACE_LEVELS, "date", *DATE_UNITS, "grade")


def check_fields(fields: Iterable[str]) -> tuple[str, ...]:
    fields = tuple(dict.fromkeys(f.strip() for f in fields if f.strip()))
    bad = [f for f in fields if f not in BREAKDOWN_FIELDS]
    if bad:
        raise CountInputError(
            f"unknown breakdown field(s) {', '.join(bad)}; "
            f"expected any of {', '.join(BREAKDOWN_FIELDS)}",
            field="by",
        )
    return fields


def resolves_places(gazetteer: PlaceHierarchy | None) -> bool:
    """Whether ``gazetteer`` can place persons at each level (the project's ``Gazetteer``
    can; a bare hierarchy that only filters cannot, and breakdowns then count text)."""
    needed = ("resolve_record", "at_level", "labels")
    return gazetteer is not None and all(callable(getattr(gazetteer, n, None)) for n in needed)


def _place_text(value: Any) -> str | None:
    value = clean(value)
    if value is None:
        return None
    text = str(value).strip()
    return None if text.casefold() == UNKNOWN else text


def unplaced_texts(record: Any) -> tuple[Unplaced, ...]:
    """The texts of a resolved record (``Gazetteer.resolve_record``) that place it nowhere for
    certain: those naming no known place, and those naming several."""
    out: list[Unplaced] = [(f, t, ()) for f, t in record.unresolved.items()]
    out += [
        (field, match.text, (match.entry.id, *match.alternatives))
        for field, match in record.by_field.items()
        if match.alternatives
    ]
    return tuple(out)


def certain_place(record: Any) -> str | None:
    """The most specific place a resolved record names for certain: its place, or when that
    could be several places, the most specific field naming one place ("Idlib" beside a
    "Qusour" that is a neighbourhood of Homs)."""
    if record.place is None:
        return None
    if not record.place.alternatives:
        return str(record.place.entry.id)
    certain = [m for m in record.by_field.values() if not m.alternatives]
    if not certain:
        return None
    return str(max(certain, key=lambda m: level_depth(m.entry.level)).entry.id)


def resolve_places(persons: pd.DataFrame, gazetteer: Any) -> pd.DataFrame:
    """Each person's most specific certain gazetteer place and the place texts it cannot place
    for certain (``PLACE_COLUMNS``, aligned with ``persons``). A ``place_id`` already given is
    kept; when ``persons`` already carries both columns (the store computes them once), they
    are used."""
    if all(c in persons.columns for c in PLACE_COLUMNS):
        return persons[list(PLACE_COLUMNS)]
    fields = [f for f in PLACE_FIELDS if f in persons.columns]
    given = persons["place_id"] if "place_id" in persons.columns else None
    ids: list[str | None] = []
    unplaced: list[tuple[Unplaced, ...]] = []
    columns = [persons[f].tolist() for f in fields]
    rows = zip(*columns, strict=True) if fields else [()] * len(persons)
    for index, texts in enumerate(rows):
        record = gazetteer.resolve_record(
            {f: _place_text(t) for f, t in zip(fields, texts, strict=True)}
        )
        place_id = clean(given.iat[index]) if given is not None else None
        ids.append(str(place_id) if place_id is not None else certain_place(record))
        unplaced.append(unplaced_texts(record))
    return pd.DataFrame(
        {"place_id": ids, "place_unresolved": unplaced}, index=persons.index, dtype=object
    )


def _at(gazetteer: Any, place_id: str, level: str) -> str | None:
    if level == "place":
        return place_id
    entry = gazetteer.at_level(place_id, GAZETTEER_LEVELS[level])
    return None if entry is None else entry.id


def _place_value(
    gazetteer: Any, place_id: str | None, unplaced: tuple[Unplaced, ...], level: str
) -> tuple[str, tuple[Unplaced, ...]]:
    """(the row a person counts in at ``level``, the texts that put it in ``unresolved``)."""
    known = place_id is not None and place_id in gazetteer
    if level == "place":  # the most specific place, unless a finer text cannot be placed
        depth = level_depth(gazetteer.get(place_id).level) if known else -1
        finer = tuple(u for u in unplaced if FIELD_DEPTH.get(u[0], 5) > depth)
        if finer:
            return UNRESOLVED, finer
        return (str(place_id), ()) if known else (UNKNOWN, ())
    if known:
        entry = _at(gazetteer, str(place_id), level)
        if entry is not None:
            return entry, ()
    # A name of several places counts as one of them only where they all agree (two Jobars
    # of one city would be in that city); where they differ, which one the record means is
    # not known, and the person is unresolved rather than put in either by guess.
    torn: list[Unplaced] = []
    for u in (u for u in unplaced if u[2]):
        places = {_at(gazetteer, c, level) for c in u[2]}
        if len(places) == 1 and None not in places:
            return str(places.pop()), ()
        if len(places) > 1:
            torn.append(u)
    unknown = (u for u in unplaced if not u[2])
    behind = (*torn, *(u for u in unknown if FIELD_DEPTH.get(u[0], 5) >= FIELD_DEPTH[level]))
    return (UNRESOLVED, behind) if behind else (UNKNOWN, ())


def place_values(
    persons: pd.DataFrame, level: str, gazetteer: Any
) -> tuple[pd.Series, Counter[Unplaced]]:
    """Each person's row at ``level`` (a gazetteer id, ``unresolved`` or ``unknown``) and the
    texts behind the ``unresolved`` row: ``(field, text, candidates)`` → persons.

    Persons share places: each distinct place (and set of texts it could not place) is placed
    at ``level`` once, and the persons are counted per distinct place, so a million persons
    cost a few thousand gazetteer look-ups."""
    places = resolve_places(persons, gazetteer)
    ids = places["place_id"].astype(object)
    ids = ids.where(ids.notna() & (ids != ""), None)
    unplaced = places["place_unresolved"].tolist()
    plain = np.fromiter((not u for u in unplaced), dtype=bool, count=len(unplaced))
    values = np.empty(len(persons), dtype=object)
    codes, uniques = pd.factorize(ids[plain], use_na_sentinel=True)
    placed = [
        _place_value(gazetteer, None if clean(pid) is None else str(pid), (), level)[0]
        for pid in uniques
    ]
    placed.append(_place_value(gazetteer, None, (), level)[0])  # code -1: no place
    values[plain] = np.array(placed, dtype=object)[codes]
    cache: dict[tuple[Any, Any], tuple[str, tuple[Unplaced, ...]]] = {}
    persons_per_key: dict[tuple[Any, Any], int] = {}
    rest = np.flatnonzero(~plain)
    rest_ids = ids.to_numpy()[rest]
    for position, given in zip(rest.tolist(), rest_ids.tolist(), strict=True):
        place_id = None if clean(given) is None else str(given)
        key = (place_id, tuple((f, t, tuple(c)) for f, t, c in unplaced[position]))
        if key not in cache:
            cache[key] = _place_value(gazetteer, place_id, key[1], level)
        values[position] = cache[key][0]
        persons_per_key[key] = persons_per_key.get(key, 0) + 1
    spellings: Counter[Unplaced] = Counter()
    for key, n in persons_per_key.items():
        for behind in set(cache[key][1]):
            spellings[behind] += n
    return pd.Series(values, index=persons.index, dtype=object), spellings


def place_labels(gazetteer: Any, values: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Gazetteer id → (English name, Arabic name) for the ids among ``values``. Two places of
    one name in one breakdown (جوبر in Damascus and in Homs) are told apart by the name of the
    nearest place above them that differs."""
    if not resolves_places(gazetteer):
        return {}
    ids = [v for v in dict.fromkeys(values) if v not in (UNKNOWN, UNRESOLVED) and v in gazetteer]
    out = {v: tuple(gazetteer.labels(v)) for v in ids}
    for script in (0, 1):
        names = Counter(label[script] for label in out.values())
        for place_id in [i for i in ids if names[out[i][script]] > 1]:
            twins = [i for i in ids if out[i][script] == out[place_id][script]]
            qualifier = _qualifier(gazetteer, place_id, twins, script)
            if qualifier:
                label = list(out[place_id])
                label[script] = f"{label[script]} ({qualifier})"
                out[place_id] = tuple(label)
    return out  # type: ignore[return-value]


def _qualifier(gazetteer: Any, place_id: str, twins: list[str], script: int) -> str:
    """The name of ``place_id``'s nearest ancestor that is not also an ancestor of a twin."""
    others = {a.id for t in twins if t != place_id for a in gazetteer.ancestors(t)}
    for ancestor in gazetteer.ancestors(place_id):
        if ancestor.id not in others:
            return gazetteer.labels(ancestor.id)[script]
    return ""


def auto_place_level(persons: pd.DataFrame, gazetteer: PlaceHierarchy | None = None) -> str:
    """The highest level at which the persons differ (more than one known value).

    A report on one governorate is most useful by district or neighbourhood; a national
    report by governorate. With a gazetteer the levels are its places (a person known only by
    neighbourhood is in a governorate too); without one, the text of each field, falling back
    on the free-text ``place``.
    """
    if resolves_places(gazetteer):
        levels = [level for level in PLACE_LEVELS if level != "place"]
        known_at = {}
        for level in levels:
            values, _ = place_values(persons, level, gazetteer)
            known_at[level] = set(values) - {UNKNOWN, UNRESOLVED}
            if len(known_at[level]) > 1:
                return level
        return next((level for level in levels if known_at[level]), "place")
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
    gazetteer: PlaceHierarchy | None = None,
) -> pd.Series:
    """The category of each person for a breakdown (``unknown`` where not known; for places
    with a gazetteer, the gazetteer id or ``unresolved``: see the module note)."""
    _, kind, detail = resolve_field(field, place_level, date_unit)
    if kind == "place" and resolves_places(gazetteer):
        return place_values(persons, detail, gazetteer)[0]
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
    field: str,
    values: list[str],
    filters: CountFilters,
    place_level: str,
    date_unit: str,
    gazetteer: PlaceHierarchy | None = None,
) -> list[str]:
    """Every category of a breakdown in display order, ``unknown`` always last (and, for
    places with a gazetteer, ``unresolved`` just before it, even at 0)."""
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
    if kind == "place" and resolves_places(gazetteer):
        seen = [v for v in seen if v != UNRESOLVED]
        ordered = sorted(seen, key=lambda v: (-int(counts.get(v, 0)), v))
        return [*ordered, UNRESOLVED, UNKNOWN]
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
    "PLACE_COLUMNS",
    "PLACE_FIELDS",
    "PLACE_LEVELS",
    "UNRESOLVED",
    "auto_place_level",
    "categories",
    "certain_place",
    "check_fields",
    "date_values",
    "field_values",
    "place_labels",
    "place_values",
    "resolve_places",
    "resolves_places",
    "unplaced_texts",
]
