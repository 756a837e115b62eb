"""The canonical record: its fields, their vocabularies, and the shape every reader produces.

A source's columns are mapped onto these fields (by header recognition or a TOML mapping, or
because a header is the field's own name). Controlled vocabularies always include ``unknown``:
a value that cannot be read is kept as written, normalised to ``unknown``, never guessed into a
category, and flagged (:class:`UnreadableValue`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from everyname.core.errors import Problem

UNKNOWN = "unknown"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = UNKNOWN


class AgeGroup(StrEnum):
    CHILD = "child"  # under 18
    ADULT = "adult"
    UNKNOWN = UNKNOWN


class Cause(StrEnum):
    SHELLING = "shelling"
    SHOOTING = "shooting"
    SNIPER = "sniper"
    AIRSTRIKE = "airstrike"
    EXPLOSION = "explosion"
    TORTURE = "torture"
    EXECUTION = "execution"
    OTHER = "other"
    UNKNOWN = UNKNOWN


class Status(StrEnum):
    CIVILIAN = "civilian"
    COMBATANT = "combatant"
    UNKNOWN = UNKNOWN


class Outcome(StrEnum):
    KILLED = "killed"
    INJURED = "injured"
    UNKNOWN = UNKNOWN


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = UNKNOWN


CHILD_AGE_LIMIT = 18

NAME_PARTS = ("given", "father", "grandfather", "family")
"""The four parts of an Arabic name, in the order a list writes them: the person's own name,
the father's, the grandfather's, the family's (name forms are named after them: ``given_key``)."""
NAME_PART_FIELDS = tuple(f"{part}_name" for part in NAME_PARTS)
NAME_FIELDS = ("full_name", *NAME_PART_FIELDS, "mother_name", "nickname")
PLACE_LEVELS = ("governorate", "district", "locality", "neighbourhood")
"""The administrative places a record can name, broadest first (levels of the gazetteer)."""
PLACE_FIELDS = ("place", *PLACE_LEVELS)
"""Every place field: ``place`` (free text, any level) and the levels."""
SENSITIVE_FIELDS = ("reporter_name", "reporter_contact")
"""Witness and reporter identity: encrypted at rest, never logged, exported or published."""

CANONICAL_FIELDS: tuple[str, ...] = (
    "source_record_id",
    *NAME_FIELDS,
    "sex",
    "age",
    "age_group",
    "date_of_birth",
    "national_id",
    "date_of_death",
    *PLACE_FIELDS,
    "cause",
    "status",
    "outcome",
    "perpetrator",
    "notes",
    *SENSITIVE_FIELDS,
)

VOCABULARIES: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "age_group": AgeGroup,
    "cause": Cause,
    "status": Status,
    "outcome": Outcome,
}

# A record must name somebody: at least one of these columns must be present in a file.
NAME_COLUMN_FIELDS = ("full_name", "given_name", "family_name")


@dataclass(frozen=True, slots=True)
class UnreadableValue:
    """A value a record gives that cannot be read: kept as written, counted as unknown, flagged.

    ``field`` is the canonical field, ``column`` the source column it came from (or
    ``defaults.<field>``), ``expected`` what would have been readable. ``value`` is the text as
    written, or ``None`` when the column holds witness identity: a flag is shown and stored in
    the clear, and must never reveal a reporter.
    """

    field: str
    column: str
    value: str | None
    expected: str

    def to_dict(self) -> dict[str, str | None]:
        return {
            "field": self.field,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }

    def problem(self, file: str, row: int | None) -> Problem:
        """As an input problem naming file, row and column, for a listing or a refusal."""
        return Problem(
            file=file, row=row, column=self.column, value=self.value, expected=self.expected
        )


@dataclass
class ParsedRecord:
    """One row of a source file after mapping and normalisation.

    ``raw`` is the row exactly as read (source column name → cell text, after decoding);
    ``as_written`` maps canonical fields to the text the source gave (after applying the
    mapping's renames and defaults, before normalisation); ``normalised`` maps canonical fields
    to comparable values (plain JSON types). ``problems`` is empty unless nothing in the row can
    be read as a record (broken structure, no value in any column used): such a row is rejected.
    ``unreadable`` flags the values that cannot be read (an impossible date, an age of 430): the
    record is still a record, with those fields unknown. ``sensitive_columns`` names the source
    columns in ``raw`` that hold reporter identity, so the store can encrypt them and logs can
    leave them out.
    """

    row_number: int
    raw: dict[str, str]
    as_written: dict[str, str]
    normalised: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    sensitive_columns: tuple[str, ...] = ()
    unreadable: list[UnreadableValue] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems
