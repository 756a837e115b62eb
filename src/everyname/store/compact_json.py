"""Records' JSON kept compact: the long field names of ``as_written`` and ``normalised`` stored as
short codes, restored on reading.

A record's normalised values are forty short values under forty long names ("14", "day", "HSN"
under "date_of_death_precision", "given_key"...): the names were about half of every record's
bytes. They are stored as upper-case letters ("S" for "date_of_death_precision"), which no field
name is (nor a number, which a JSON path would take for an array index), and a
:class:`CompactJSONField` gives the long names back wherever Django reads the column, so no code
reading records sees the codes.

What SQL addresses by name keeps its name (:data:`KEPT`): the fields the record filters and the
name search use in the database (``normalised__sex``, ``KT("normalised__full_key")``...). A key
used that way later must be added to :data:`KEPT` with a data migration, or be filtered through
the field (``get_transform`` translates a long name into its code). Records stored before the
codes keep their long names and read the same; the codes are append-only: a code once given is
never reused or changed.
"""

from __future__ import annotations

from typing import Any

from django.db import models

KEPT = frozenset(
    {
        "full_name",
        "full_key",
        "sex",
        "status",
        "age_group",
        "place",
        "governorate",
        "district",
        "locality",
        "neighbourhood",
        "date_of_death_start",
        "date_of_death_end",
    }
)
"""Keys stored under their own names, because SQL addresses them by name."""

CODES: dict[str, str] = {
    "source_record_id": "A",
    "given_name": "B",
    "father_name": "C",
    "grandfather_name": "D",
    "family_name": "E",
    "mother_name": "F",
    "nickname": "G",
    "age": "H",
    "date_of_birth": "I",
    "national_id": "J",
    "date_of_death": "K",
    "cause": "L",
    "outcome": "M",
    "perpetrator": "N",
    "notes": "O",
    "age_years": "P",
    "age_min": "Q",
    "age_max": "R",
    "date_of_death_precision": "S",
    "date_of_birth_precision": "T",
    "date_of_birth_start": "U",
    "date_of_birth_end": "V",
    "given_ar": "W",
    "father_ar": "X",
    "grandfather_ar": "Y",
    "family_ar": "Z",
    "mother_ar": "AA",
    "given_lat": "AB",
    "father_lat": "AC",
    "grandfather_lat": "AD",
    "family_lat": "AE",
    "mother_lat": "AF",
    "given_key": "AG",
    "father_key": "AH",
    "grandfather_key": "AI",
    "family_key": "AJ",
    "mother_key": "AK",
    "full_ar": "AL",
    "full_lat": "AM",
    "is_placeholder": "AN",
    "name_forms_version": "AO",
}
"""Long name → code, append-only."""
NAMES = {code: name for name, code in CODES.items()}


def pack(value: Any) -> Any:
    """A record's dict with its long names as codes (anything else unchanged)."""
    if not isinstance(value, dict):
        return value
    return {CODES.get(key, key): item for key, item in value.items()}


def unpack(value: Any) -> Any:
    """A stored dict with its codes as long names (long names, as stored before, unchanged)."""
    if not isinstance(value, dict):
        return value
    return {NAMES.get(key, key): item for key, item in value.items()}


class CompactJSONField(models.JSONField):
    """A JSONField storing :func:`pack`'s form and reading :func:`unpack`'s.

    Deconstructs as a plain JSONField: the column is the same JSON column, so changing a field
    to this class needs no schema migration (and SQLite rebuilds no table).
    """

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(pack(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unpack(super().from_db_value(value, expression, connection))

    def get_transform(self, name: str) -> Any:
        return super().get_transform(CODES.get(name, name))
