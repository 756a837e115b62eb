"""How alike two names are, and the level at which linkage treats two name parts as matching.

The comparison is Jaro-Winkler on the comparable Latin forms (``romanise``), so an Arabic and a
Latin spelling compare in the same space. Linkage stores the ``*_lat`` columns and compares them
with the same Jaro-Winkler (DuckDB's ``jaro_winkler_similarity`` or rapidfuzz give the same
values), so ``MATCH_LEVEL`` applies there unchanged.
"""

from __future__ import annotations

from rapidfuzz.distance import JaroWinkler

from everyname.core.names.placeholders import is_placeholder
from everyname.core.names.romanise import romanise

MATCH_LEVEL: float = 0.85
"""Jaro-Winkler similarity of comparable Latin forms at or above which two names (or two name
parts) count as the same name spelt differently.

Chosen on the labelled pairs of ``benchmarks/names_variants.py`` (``benchmarks/results/names.md``):
at 0.85 about 97% of true variant pairs reach it (Arabic/Arabic, Latin/Latin and Arabic/Latin,
Gaza and Syrian lists), while 0.88 loses the roughest machine romanisations. It is a *fuzzy*
level: Jaro-Winkler rates short distinct names high (حسن "Hassan" / حسين "Hussein" 0.97), and
what keeps those apart is that their comparable forms differ. Linkage should therefore compare
parts at several levels: equal comparable forms, then >= ``MATCH_LEVEL``, then the rest."""


def latin_similarity(a: str, b: str) -> float:
    """Jaro-Winkler of two strings already in comparable Latin form (the ``*_lat`` columns)."""
    if not a or not b:
        return 0.0
    return JaroWinkler.similarity(a, b)


def name_similarity(a: str | None, b: str | None) -> float:
    """Similarity in [0, 1] of two names or name parts in any script.

    0.0 when either is missing or a placeholder: "Unidentified 3" is no evidence about a name,
    so two placeholders never look alike. Symmetric; 1.0 for names with one comparable form.
    """
    if not a or not b or is_placeholder(a) or is_placeholder(b):
        return 0.0
    return latin_similarity(romanise(a), romanise(b))
