"""What to count: the date window, the place (with everything below it), outcome and sources.

Two rules from the design live here. A date window is inclusive and a partial date counts in it
only when its whole span is inside: "February 2012" is not silently counted in 3–9 February
but reported as *possibly* in the window. A place includes everything below it in the
gazetteer: counting "Homs" governorate counts Baba Amr and al-Khalidiya.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from everyname.core.count.data import CountInputError, clean
from everyname.core.schema import PLACE_FIELDS, Outcome


class InWindow(StrEnum):
    """Where a person's date of death falls relative to a window."""

    INSIDE = "inside"
    POSSIBLY = "possibly"  # a partial date whose span straddles an edge of the window
    OUTSIDE = "outside"
    DATE_UNKNOWN = "date_unknown"  # no date at all: cannot be placed in any window


@runtime_checkable
class PlaceHierarchy(Protocol):
    """What counting needs from a gazetteer (:class:`everyname.core.places.Gazetteer` fits).

    ``descendants`` returns the places (or ids) strictly below ``place_id``. Optional:
    ``__contains__`` (is this an id?), ``resolve(text)`` (a user's text such as "Homs" or
    "حمص" to a place or match) and ``get(id).names()`` (the place's spellings, to match
    persons known only by free text).
    """

    def descendants(self, place_id: str) -> Iterable[Any]: ...


def _key(text: Any) -> str:
    return " ".join(str(text).casefold().split())


def _place_id(found: Any) -> str | None:
    """An id from whatever a gazetteer returns: an id, a place (``.id``) or a match
    (``.entry.id``, as :class:`everyname.core.places.PlaceMatch`)."""
    found = getattr(found, "entry", found)
    found = getattr(found, "id", found)
    return None if found is None else str(found)


def resolve_place(gazetteer: PlaceHierarchy, text: str) -> str | None:
    """The gazetteer id a user's text names (an id is accepted as is), or ``None``."""
    try:
        if text in gazetteer:  # type: ignore[operator]
            return text
    except TypeError:
        pass
    resolve = getattr(gazetteer, "resolve", None)
    return _place_id(resolve(text)) if callable(resolve) else None


def _names_of(gazetteer: PlaceHierarchy, place_id: str) -> set[str]:
    get = getattr(gazetteer, "get", None)
    try:
        place = get(place_id) if callable(get) else None
    except (KeyError, LookupError):
        return set()
    names = getattr(place, "names", None)
    return set(names()) if callable(names) else set()


@dataclass(frozen=True)
class PlaceScope:
    """A resolved place filter: gazetteer ids it covers, and names to match free text by.

    A person with a ``place_id`` matches when that id is in ``ids``; a person known only by free
    text matches when any of its place fields equals one of ``names`` (case and spacing
    ignored). Free text is never matched loosely: a near-miss is a linkage or gazetteer
    question, not a counting one.
    """

    label: str
    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    @classmethod
    def build(cls, place: str, gazetteer: PlaceHierarchy | None = None) -> PlaceScope:
        """Resolve ``place`` through the gazetteer (an id as is, else ``resolve(text)``);
        a place the gazetteer does not know is matched by text only."""
        names = {_key(place)}
        ids: set[str] = set()
        place_id = resolve_place(gazetteer, place) if gazetteer is not None else None
        if gazetteer is not None and place_id is not None:
            ids = {place_id, *(_place_id(p) for p in gazetteer.descendants(place_id))}
            ids.discard(None)  # type: ignore[arg-type]
            names |= {_key(n) for n in _names_of(gazetteer, place_id)}
        return cls(label=place, ids=frozenset(ids), names=frozenset(names))

    def mask(self, frame: pd.DataFrame, gazetteer: PlaceHierarchy | None = None) -> pd.Series:
        """:meth:`matches` for every row of a persons (or claims) frame at once. Persons with
        no ``place_id`` are placed through ``gazetteer`` first when it can (a record naming
        only "Baba Amr" is in Homs), as counts by place place them."""
        from everyname.core.count.breakdown import resolve_places, resolves_places

        if self.ids and resolves_places(gazetteer):
            given = frame["place_id"].map(clean) if "place_id" in frame else None
            if given is None or given.isna().any():
                frame = frame.assign(place_id=resolve_places(frame, gazetteer)["place_id"])
        place_id = frame["place_id"].map(clean) if "place_id" in frame else None
        by_text = pd.Series(False, index=frame.index)
        for name in PLACE_FIELDS:
            if name in frame:
                keys = frame[name].map(lambda v: None if clean(v) is None else _key(v))
                by_text |= keys.isin(self.names)
        if place_id is None or not self.ids:
            return by_text
        has_id = place_id.notna()
        return (has_id & place_id.isin(self.ids)) | (~has_id & by_text)

    def matches(self, place_id: Any, texts: Iterable[Any]) -> bool:
        place_id = clean(place_id)
        if place_id is not None and self.ids:
            return str(place_id) in self.ids
        return any(_key(t) in self.names for t in texts if clean(t) is not None)


@dataclass(frozen=True)
class CountFilters:
    """The filters of one count; all optional, all combined with AND.

    ``since``/``until`` bound an inclusive window. ``place`` is text or a gazetteer id.
    ``sources`` keeps persons named by at least one of the given sources. ``grade`` keeps
    persons of one corroboration grade (see :mod:`everyname.core.corroboration`).
    """

    since: date | None = None
    until: date | None = None
    place: str | None = None
    outcome: str | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    grade: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if isinstance(value, str):
                try:
                    object.__setattr__(self, name, date.fromisoformat(value))
                except ValueError as error:
                    raise CountInputError(
                        f"expected a day such as 2012-02-03, got {value!r}", field=name
                    ) from error
        if self.since and self.until and self.since > self.until:
            raise CountInputError(
                f"the window starts ({self.since}) after it ends ({self.until}); it would be empty",
                field="until",
            )
        if self.outcome is not None and self.outcome not in set(Outcome):
            raise CountInputError(
                f"expected one of {', '.join(Outcome)}, got {self.outcome!r}",
                field="outcome",
            )
        object.__setattr__(self, "sources", tuple(self.sources))

    @property
    def has_window(self) -> bool:
        return self.since is not None or self.until is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "place": self.place,
            "outcome": self.outcome,
            "sources": list(self.sources),
            "grade": self.grade,
        }


def in_window(span: tuple[date, date] | None, filters: CountFilters) -> InWindow:
    """Classify a date span against the filters' inclusive window (see :class:`InWindow`)."""
    if not filters.has_window:
        return InWindow.INSIDE
    if span is None:
        return InWindow.DATE_UNKNOWN
    lower = filters.since or date.min
    upper = filters.until or date.max
    start, end = span
    if start >= lower and end <= upper:
        return InWindow.INSIDE
    if end < lower or start > upper:
        return InWindow.OUTSIDE
    return InWindow.POSSIBLY


def window_masks(spans: pd.DataFrame, filters: CountFilters) -> dict[InWindow, pd.Series]:
    """:func:`in_window` for every span at once (``spans``: ``start``/``end`` datetime64)."""
    start, end = spans["start"], spans["end"]
    if not filters.has_window:
        everyone = pd.Series(True, index=spans.index)
        nobody = ~everyone
        return {InWindow.INSIDE: everyone, InWindow.POSSIBLY: nobody,
                InWindow.OUTSIDE: nobody, InWindow.DATE_UNKNOWN: nobody}  # fmt: skip
    known = start.notna() & end.notna()
    after_lower = pd.Series(True, index=spans.index)
    before_upper = pd.Series(True, index=spans.index)
    ends_before = pd.Series(False, index=spans.index)
    starts_after = pd.Series(False, index=spans.index)
    if filters.since is not None:
        lower = pd.Timestamp(filters.since)
        after_lower, ends_before = start >= lower, end < lower
    if filters.until is not None:
        upper = pd.Timestamp(filters.until)
        before_upper, starts_after = end <= upper, start > upper
    inside = known & after_lower & before_upper
    outside = known & (ends_before | starts_after)
    return {
        InWindow.INSIDE: inside,
        InWindow.POSSIBLY: known & ~inside & ~outside,
        InWindow.OUTSIDE: outside,
        InWindow.DATE_UNKNOWN: ~known,
    }
