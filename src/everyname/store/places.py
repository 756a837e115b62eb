"""Places the user teaches the gazetteer, and the place spellings it does not know yet.

Counts count gazetteer places (see :mod:`everyname.core.count.breakdown`): a spelling the
gazetteer cannot place is counted as ``unresolved`` until someone adds it. ``unresolved_places``
lists those spellings with how many records use them; ``import_places`` adds a CSV of the
bundled gazetteer's columns (new places, or spellings of known ones), audited, kept in the
database and used by every count from then on (``current_gazetteer``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from everyname.core.count import breakdown
from everyname.core.count.breakdown import PLACE_FIELDS, unplaced_texts
from everyname.core.places import COLUMNS, Gazetteer, read_places_file
from everyname.store.audit import Action, record_event
from everyname.store.models import Record, UserPlace

EXAMPLES = 3
"""Record ids shown per unresolved spelling: enough to open one, few enough to read."""


def _row(place: UserPlace) -> tuple[str, ...]:
    coordinates = ("" if v is None else repr(v) for v in (place.latitude, place.longitude))
    return (
        place.place_id,
        place.name_ar,
        place.name_en,
        place.alternates,
        place.level,
        place.parent_id,
        *coordinates,
    )


def current_gazetteer() -> Gazetteer:
    """The bundled gazetteer with every file of places users imported, in import order.

    Built once per distinct set of imported rows (so an import is used by the next count,
    in this process or any other)."""
    batches: dict[str, list[tuple[str, ...]]] = {}
    for place in UserPlace.objects.order_by("batch", "row_number"):
        name = f"{place.file_name} (places import {place.batch}, kept in the database)"
        batches.setdefault(name, []).append(_row(place))
    return _gazetteer(tuple((name, tuple(rows)) for name, rows in batches.items()))


def place_key() -> Callable[[str, str], str | None]:
    """Which gazetteer place a record's place field names (``core.link.resolve``'s
    ``place_key``): "Homs" and "حمص" are one place when a person's records are resolved, not
    a conflict, nor a tie that leaves the place unknown. ``place`` is free text of any level;
    the other fields prefer their own level."""
    gazetteer = current_gazetteer()

    def key(text: str, field: str) -> str | None:
        match = gazetteer.resolve(text, level=None if field == "place" else field)
        return None if match is None else match.entry.id

    return key


@lru_cache(maxsize=4)
def _gazetteer(batches: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]) -> Gazetteer:
    extra = [
        (name, [dict(zip(COLUMNS, row, strict=True)) for row in rows]) for name, rows in batches
    ]
    return Gazetteer.load(extra_batches=extra)


@dataclass(frozen=True)
class PlacesImported:
    """What an import added: new entries and the known entries that gained spellings."""

    file_name: str
    rows: int
    new_places: tuple[str, ...]
    spellings_added: tuple[str, ...]


def import_places(path: Path, *, actor: str) -> PlacesImported:
    """Add a gazetteer CSV (all rows or none) to the places counts use, with an audit entry.

    The file is checked against the gazetteer as it stands (bundled and earlier imports):
    ``InputRejected`` names the file, row, column and what was expected for every problem.
    """
    additions = read_places_file(path, known=current_gazetteer())
    rows = additions.rows
    with transaction.atomic():
        batch = (UserPlace.objects.aggregate(last=Max("batch"))["last"] or 0) + 1
        UserPlace.objects.bulk_create(
            UserPlace(
                place_id=row["id"],
                name_ar=row.get("name_ar", ""),
                name_en=row.get("name_en", ""),
                alternates=row.get("alternates", ""),
                level=row.get("level", ""),
                parent_id=row.get("parent_id", ""),
                latitude=float(row["latitude"]) if row.get("latitude") else None,
                longitude=float(row["longitude"]) if row.get("longitude") else None,
                file_name=path.name,
                row_number=number,
                batch=batch,
                imported_by=actor,
            )
            for number, row in rows
        )
        result = PlacesImported(
            file_name=path.name,
            rows=len(rows),
            new_places=tuple(p.id for p in additions.entries),
            spellings_added=tuple(additions.spellings),
        )
        record_event(
            Action.PLACES_IMPORTED,
            actor,
            None,
            batch=batch,
            file_name=path.name,
            rows=result.rows,
            new_places=list(result.new_places),
            spellings_added_to=list(result.spellings_added),
        )
    return result


@dataclass(frozen=True)
class UnresolvedSpelling:
    """A place text counts cannot place: the gazetteer knows no such place (``candidates``
    empty: import it), or it names several and nothing else in the records says which (the
    candidates: give those records their governorate or town, e.g. as a mapping default)."""

    field: str
    text: str
    records: int
    example_record_ids: tuple[str, ...]
    candidates: tuple[str, ...] = ()


def unresolved_places(gazetteer: Gazetteer | None = None) -> list[UnresolvedSpelling]:
    """Every place text of the records that counts cannot place, most used first, with
    example record ids. Records are read as normalised, field by field as counts resolve them
    (governorate down to neighbourhood, each within the ones above it)."""
    gazetteer = gazetteer or current_gazetteer()
    found: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    counts: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    query = Record.objects.order_by("pk").values_list("pk", "normalised")
    for pk, normalised in query.iterator(5000):
        fields = {f: _text((normalised or {}).get(f)) for f in PLACE_FIELDS}
        for key in unplaced_texts(gazetteer.resolve_record(fields)):
            counts[key] += 1
            examples = found.setdefault(key, [])
            if len(examples) < EXAMPLES:
                examples.append(str(pk))
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [UnresolvedSpelling(f, t, counts[(f, t, c)], tuple(found[(f, t, c)]), c)
            for f, t, c in ranked]  # fmt: skip


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text.casefold() != "unknown" else None


def place_labels(values: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Gazetteer id → (English, Arabic) name, for the ids among ``values`` (two places of one
    name told apart by their parent, as in counts)."""
    return breakdown.place_labels(current_gazetteer(), values)
