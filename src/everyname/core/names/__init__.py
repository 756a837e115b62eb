"""Names made comparable across scripts and spellings.

The public API (everything else in this package is an implementation detail):

- ``normalise_arabic(text)``: Arabic letter variants folded, marks and artefacts removed.
- ``normalise_latin(text)``: Latin romanisation variants folded onto one comparable form.
- ``romanise(text)``: any script -> the comparable Latin form (Arabic romanised first).
- ``is_placeholder(text)``: "مجهول", "Unidentified 3" ... are not names.
- ``split_name(full_name, given=, father=, grandfather=, family=) -> NameParts``.
- ``name_key(part)``: cross-script consonant skeleton for blocking (محمد / Mohammed -> MHMD).
- ``name_forms(as_written) -> dict``: the flat columns ingest stores and linkage compares;
  ``refreshed_name_forms(stored)`` recomputes them when they predate ``NAME_FORMS_VERSION``.
- ``name_similarity(a, b)``, ``latin_similarity(a, b)`` and ``MATCH_LEVEL``.
"""

from everyname.core.names.arabic import has_arabic, normalise_arabic
from everyname.core.names.forms import (
    FORM_COLUMNS,
    FORM_PARTS,
    NAME_FORMS_VERSION,
    name_forms,
    refreshed_name_forms,
)
from everyname.core.names.keys import NO_CONSONANT, name_key
from everyname.core.names.latin import normalise_latin
from everyname.core.names.placeholders import is_placeholder
from everyname.core.names.romanise import romanise
from everyname.core.names.similarity import MATCH_LEVEL, latin_similarity, name_similarity
from everyname.core.names.structure import PARTS, NameParts, name_units, split_name

__all__ = [
    "FORM_COLUMNS",
    "FORM_PARTS",
    "MATCH_LEVEL",
    "NAME_FORMS_VERSION",
    "NO_CONSONANT",
    "PARTS",
    "NameParts",
    "has_arabic",
    "is_placeholder",
    "latin_similarity",
    "name_forms",
    "name_key",
    "name_similarity",
    "name_units",
    "normalise_arabic",
    "normalise_latin",
    "refreshed_name_forms",
    "romanise",
    "split_name",
]
