"""Placeholders: the strings that stand where a name is not known.

"مجهول", "Unidentified 3", "مجهول الهوية 5", "Anonymous 2 from the X family" are records of
unidentified people. They must never match each other as names, so the name forms of such a
record are empty and ``is_placeholder`` says why. The words are a reviewed table
(``data/names/placeholders.tsv``), not code.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from everyname.core.names.arabic import normalise_arabic

_TOKEN = re.compile(r"[^\W\d_]+(?:/[^\W\d_]+)?")


@cache
def placeholder_words() -> frozenset[str]:
    """The placeholder words of the bundled table (Arabic normalised, Latin lower case)."""
    table = resources.files("everyname.core").joinpath("data", "names", "placeholders.tsv")
    words = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.split("\t", 1)[0].strip())
    return frozenset(words)


@lru_cache(maxsize=1 << 16)
def is_placeholder(text: str | None) -> bool:
    """True when ``text`` is not a name: empty of letters, or containing a placeholder word.

    ``None`` and blank strings are *missing*, not placeholders, and return False; a string of
    only digits or punctuation (``"3"``, ``"--"``) is a placeholder.
    """
    if text is None or not text.strip():
        return False
    folded = normalise_arabic(text).casefold()
    tokens = _TOKEN.findall(folded)
    if not tokens:
        return True
    words = placeholder_words()
    return any(token in words for token in tokens)
