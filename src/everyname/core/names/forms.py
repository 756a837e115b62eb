"""The flat name columns that ingest stores next to the values as written, and linkage compares.

``name_forms({"full_name": "محمد عبد الرحمن الخالدي"})`` gives, per part (given, father,
grandfather, family, mother): ``<part>_ar`` (normalised Arabic, None when the source wrote the
part in Latin script), ``<part>_lat`` (comparable Latin form, both scripts) and ``<part>_key``
(cross-script consonant skeleton), then ``full_ar``, ``full_lat``, ``full_key`` and
``is_placeholder``. A placeholder name ("مجهول", "Unidentified 3") gets None everywhere and
``is_placeholder=True``, so two unidentified people never match on name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from everyname.core.names.arabic import has_arabic, normalise_arabic
from everyname.core.names.keys import name_key
from everyname.core.names.placeholders import is_placeholder
from everyname.core.names.romanise import romanise
from everyname.core.names.structure import PARTS, NameParts, split_name

NAME_FORMS_VERSION = 4
"""Raised whenever a change to the name rules changes the forms of some name. Records store the
version their forms were computed with; linkage recomputes older ones from the names as
written (``refreshed_name_forms``), so a rule fixed today applies to a list imported last year.
2: a bare "Abd" is its own name unless a name of God follows; "Hlla" is Allah; articles glued
to short names; "h" after s/k/d dropped from the key. 3: a name numbered 1 or more ("Al-Azhari
2") is a placeholder. 4: every invisible format character is dropped (a zero-width space was a
word break in Latin names); a word of more than 40 letters is not split into particles."""

FORM_PARTS = (*PARTS, "mother")
FORM_COLUMNS: tuple[str, ...] = (
    *(f"{p}_ar" for p in FORM_PARTS),
    *(f"{p}_lat" for p in FORM_PARTS),
    *(f"{p}_key" for p in FORM_PARTS),
    "full_ar",
    "full_lat",
    "full_key",
    "is_placeholder",
    "name_forms_version",
)
"""Every column ``name_forms`` returns, in a stable order (extend, never rename)."""


def _get(as_written: Mapping[str, str | None], part: str) -> str | None:
    value = as_written.get(f"{part}_name", as_written.get(part))
    return value if value and value.strip() else None


@lru_cache(maxsize=65536)
def _forms_of(value: str | None) -> tuple[str | None, str | None, str | None]:
    """Arabic, Latin and key forms of one name unit. Cached: a list of a million names holds a
    few thousand distinct given and family names, and ingest computes forms for every row."""
    if not value:
        return None, None, None
    arabic = normalise_arabic(value) if has_arabic(value) else None
    return arabic or None, romanise(value) or None, name_key(value) or None


@lru_cache(maxsize=16384)
def _split(
    full: str | None,
    given: str | None,
    father: str | None,
    grandfather: str | None,
    family: str | None,
) -> NameParts:
    return split_name(full, given=given, father=father, grandfather=grandfather, family=family)


def name_forms(as_written: Mapping[str, str | None]) -> dict[str, str | bool | int | None]:
    """Comparable name columns from a record's name fields as written.

    Keys read: ``full_name``, ``given_name``, ``father_name``, ``grandfather_name``,
    ``family_name``, ``mother_name`` (the canonical fields; the bare part names are accepted
    too). Parts given explicitly are kept; missing ones are split from the full name.
    Never raises; returns every column of ``FORM_COLUMNS``.
    """
    full = as_written.get("full_name")
    parts = _split(full, *(_get(as_written, p) for p in PARTS))
    out: dict[str, str | bool | int | None] = dict.fromkeys(FORM_COLUMNS)
    out["is_placeholder"] = parts.placeholder
    out["name_forms_version"] = NAME_FORMS_VERSION
    if not parts.placeholder:
        for part in PARTS:
            arabic, latin, key = _forms_of(getattr(parts, part))
            out[f"{part}_ar"], out[f"{part}_lat"], out[f"{part}_key"] = arabic, latin, key
        chain = parts.chain()
        if chain:
            forms = [_forms_of(c) for c in chain]
            arabic_chain = [arabic for arabic, _, _ in forms if arabic and has_arabic(arabic)]
            out["full_ar"] = " ".join(arabic_chain) if len(arabic_chain) == len(chain) else None
            out["full_lat"] = " ".join(latin or "" for _, latin, _ in forms).strip() or None
            out["full_key"] = " ".join(key or "" for _, _, key in forms).strip() or None
    mother = _get(as_written, "mother")
    if mother and not is_placeholder(mother):
        out["mother_ar"], out["mother_lat"], out["mother_key"] = _forms_of(mother)
    return out


NAMES_AS_WRITTEN = ("full_name", *(f"{p}_name" for p in FORM_PARTS))


def refreshed_name_forms(
    normalised: Mapping[str, object],
) -> dict[str, str | bool | int | None] | None:
    """The name forms of a stored record recomputed with today's rules, or None when they are
    current (or the record has no name). Reads the names as written, which are never changed."""
    if normalised.get("name_forms_version") == NAME_FORMS_VERSION:
        return None
    names = {
        k: v for k in NAMES_AS_WRITTEN if isinstance(v := normalised.get(k), str) and v.strip()
    }
    return name_forms(names) if names else None
