"""Recognising column headers without a mapping.

Most lists a recorder receives have a header row such as ``الاسم, الجنس, العمر, تاريخ الوفاة`` or
``Name, Sex, Age, Date of death``. Those are read onto the canonical fields directly, and so is a
header that is a canonical field's own name (``source_record_id``); anything unusual needs a TOML
mapping (see :mod:`everyname.core.mapping`).

The recognised headers are data in ``data/headers.tsv`` (field, header, note), one per line, so a
speaker can review and extend them without reading Python. Matching uses
:func:`everyname.core.values.match_key`: case, spacing, underscores, punctuation, tashkeel and
Arabic letter variants do not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from everyname.core.schema import CANONICAL_FIELDS
from everyname.core.values import match_key

__all__ = ["HeaderResolution", "examples_for", "recognise_header", "resolve_columns"]


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    text = resources.files("everyname.core").joinpath("data/headers.tsv").read_text("utf-8")
    table: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1 or not line.strip() or line.startswith("#"):
            continue
        field_name, header = line.split("\t")[:2]
        if field_name not in CANONICAL_FIELDS:
            raise ValueError(f"headers.tsv line {number}: {field_name!r} is not a canonical field")
        key = match_key(header)
        if table.get(key, field_name) != field_name:
            raise ValueError(f"headers.tsv line {number}: {header!r} is listed for two fields")
        table[key] = field_name
    # A field's own name is always its header: the README documents them as the way to write a
    # list that needs no mapping, so none may be missing from the table or taken by another field.
    for field_name in CANONICAL_FIELDS:
        key = match_key(field_name)
        if table.setdefault(key, field_name) != field_name:
            raise ValueError(f"headers.tsv: {field_name!r} is listed for {table[key]!r}")
    return table


def recognise_header(header: str) -> str | None:
    """The canonical field a header names, or None when it is not a known header."""
    return _table().get(match_key(header))


def examples_for(field_names: Iterable[str], limit: int = 2) -> list[str]:
    """Recognised headers for these fields, up to ``limit`` per field in each script (Latin,
    Arabic), for error messages."""
    wanted = set(field_names)
    text = resources.files("everyname.core").joinpath("data/headers.tsv").read_text("utf-8")
    found: list[str] = []
    taken: dict[tuple[str, bool], int] = {}
    for line in text.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 2 or parts[0] not in wanted or line.startswith("#"):
            continue
        script = (parts[0], any("\u0600" <= c <= "\u06ff" for c in parts[1]))
        if taken.get(script, 0) < limit:
            taken[script] = taken.get(script, 0) + 1
            found.append(parts[1])
    latin = [h for h in found if not any("\u0600" <= c <= "\u06ff" for c in h)]
    return latin + [h for h in found if h not in latin]


@dataclass
class HeaderResolution:
    """Which source column feeds which canonical fields, and which columns are not used."""

    used: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fields(self) -> set[str]:
        return {f for fields in self.used.values() for f in fields}


def resolve_columns(
    columns: Iterable[str],
    explicit: Mapping[str, tuple[str, ...]] | None = None,
    ignore: Iterable[str] = (),
    recognise: bool = True,
) -> HeaderResolution:
    """Decide the column → fields plan for one file.

    ``explicit`` (from a mapping) wins; remaining columns are recognised by header when
    ``recognise`` is true, each canonical field taken by the first column that names it. A later
    column naming a field already taken is left unused, with a note saying so, rather than
    silently overwriting the first.
    """
    explicit = dict(explicit or {})
    ignored = set(ignore)
    result = HeaderResolution()
    taken: dict[str, str] = {}
    for column, fields in explicit.items():
        result.used[column] = tuple(fields)
        for name in fields:
            taken.setdefault(name, column)
    for column in columns:
        if column in explicit:
            continue
        if column in ignored or not recognise:
            result.unused.append(column)
            continue
        name = recognise_header(column)
        if name is None:
            result.unused.append(column)
        elif name in taken:
            result.unused.append(column)
            result.notes.append(
                f"column {column!r} also looks like {name}, which is read from {taken[name]!r}"
            )
        else:
            taken[name] = column
            result.used[column] = (name,)
    return result
