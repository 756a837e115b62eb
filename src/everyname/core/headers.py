"""Recognising column headers without a mapping.

Most lists a recorder receives have a header row such as ``الاسم, الجنس, العمر, تاريخ الوفاة`` or
``Name, Sex, Age, Date of death``. Those are read onto the canonical fields directly, and so is a
header that is a canonical field's own name (``source_record_id``); anything unusual needs a TOML
mapping (see :mod:`everyname.core.mapping`).

The recognised headers are data in ``data/headers.tsv`` (field, header, note), one per line, so a
speaker can review and extend them without reading Python. Matching uses
:func:`everyname.core.values.match_key`: case, spacing, underscores, punctuation, tashkeel and
Arabic letter variants do not matter.

A column that looks like a reporter's, witness's or informant's identity or contact (its header
holds a word of ``data/identity_words.tsv``: "witness", "phone", "الشاهد", "رقم الجوال") is never
kept in the clear: it feeds ``reporter_name`` or ``reporter_contact`` (stored encrypted), or its
cells are *withheld*, kept only encrypted with the record, when it is a second such column or
its header is not one of the recognised ones. A mapping can say that such a column is not an
identity (``not_identity``, a hospital's phone).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS
from everyname.core.values import match_key

__all__ = [
    "HeaderResolution",
    "examples_for",
    "identity_field",
    "recognise_header",
    "resolve_columns",
]


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


@lru_cache(maxsize=1)
def _identity_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    text = resources.files("everyname.core").joinpath("data/identity_words.tsv").read_text("utf-8")
    words = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1 or not line.strip() or line.startswith("#"):
            continue
        field_name, word = line.split("\t")[:2]
        if field_name not in SENSITIVE_FIELDS:
            raise ValueError(f"identity_words.tsv line {number}: {field_name!r} is not sensitive")
        words.append((field_name, tuple(match_key(word).split())))
    # Contact words first: "witness phone" is a contact, not a name.
    return tuple(sorted(words, key=lambda w: w[0] != "reporter_contact"))


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def _word_matches(token: str, word: str) -> bool:
    if _is_arabic(word):
        return token.endswith(word)  # ال، و، ب، لل in front
    return token == word or (len(word) >= 5 and word in token)


@lru_cache(maxsize=4096)
def identity_field(header: str) -> str | None:
    """``reporter_name`` or ``reporter_contact`` when a header looks like a witness's identity
    or contact (a recognised header, or one holding a word of ``identity_words.tsv``)."""
    recognised = recognise_header(header)
    if recognised in SENSITIVE_FIELDS:
        return recognised
    tokens = match_key(header).split()
    for field_name, word in _identity_words():
        for start in range(len(tokens) - len(word) + 1):
            if all(_word_matches(tokens[start + i], w) for i, w in enumerate(word)):
                return field_name
    return None


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
    """Which source column feeds which canonical fields, and which columns are not used.

    ``withheld`` are unused columns that look like a witness's identity or contact: their cells
    are kept only encrypted, never in the clear (they are also in ``unused``)."""

    used: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    def fields(self) -> set[str]:
        return {f for fields in self.used.values() for f in fields}


def _toml_key(text: str) -> str:
    """A header as a quoted TOML key for a message (a JSON string is a valid TOML one)."""
    return json.dumps(text, ensure_ascii=False)


def resolve_columns(
    columns: Iterable[str],
    explicit: Mapping[str, tuple[str, ...]] | None = None,
    ignore: Iterable[str] = (),
    recognise: bool = True,
    not_identity: Iterable[str] = (),
) -> HeaderResolution:
    """Decide the column → fields plan for one file.

    ``explicit`` (from a mapping) wins; remaining columns are recognised by header when
    ``recognise`` is true, each canonical field taken by the first column that names it. A later
    column naming a field already taken is left unused, with a note saying so, rather than
    silently overwriting the first. A column that looks like a witness's identity or contact
    (:func:`identity_field`) and does not feed a sensitive field is withheld, whatever
    ``recognise`` and ``ignore`` say, unless ``not_identity`` names it.
    """
    explicit = dict(explicit or {})
    ignored = set(ignore)
    plain = set(not_identity)
    result = HeaderResolution()
    taken: dict[str, str] = {}
    for column, fields in explicit.items():
        result.used[column] = tuple(fields)
        for name in fields:
            taken.setdefault(name, column)
    for column in columns:
        if column in explicit:
            continue
        identity = None if column in plain else identity_field(column)
        name = recognise_header(column) if recognise and column not in ignored else None
        if column in plain and name in SENSITIVE_FIELDS:
            name = None
        if identity is not None and (name != identity or name in taken):
            result.unused.append(column)
            result.withheld.append(column)
            result.notes.append(
                f"column {column!r} looks like a witness's identity or contact ({identity}): "
                "its cells are kept only encrypted with each record"
                + (
                    f" ({identity} is read from {taken[identity]!r})"
                    if identity in taken
                    else f"; a mapping reads it as {identity} ([columns] {_toml_key(column)} = "
                    f'"{identity}")'
                )
                + ", or names it in not_identity if it is not one"
            )
        elif name is None:
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
