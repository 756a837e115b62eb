"""Placeholders: the strings that stand where a name is not known.

"مجهول", "Unidentified 3", "مجهول الهوية 5", "Anonymous 2 from the X family" are records of
unidentified people. They must never match each other as names, so the name forms of such a
record are empty and ``is_placeholder`` says why. The words are a reviewed table
(``data/names/placeholders.tsv``), not code.

A name numbered 1 or more is a placeholder too, whatever its words: Syrian lists number the
unnamed dead of one family ("Al-Azhari 1", "Al-Azhari 2", "Son of Myasar Abed 12", "Lady
from Al-Najjar family 3"; some 2,500 of the VDC's records). Without its number such a name is
the same for every member of the family, and the number means something only inside the list
that gave it, so the name must not link these records to each other or to anyone. A "0" is
not a number of this kind: the Gaza lists write it for a missing part ("جمال 0 0 عفانه").
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from everyname.core.names.arabic import normalise_arabic

_TOKEN = re.compile(r"[^\W\d_]+(?:/[^\W\d_]+)?")
# A number of 1 or more written as a word of its own, or stuck to either end of a Latin word
# written in lower case ("Al Akkari2", "1Unidentified"). Not numbering: codes an extraction
# appended in capitals ("UNB8", "63032E"), and digits stuck to an Arabic word, artefacts of
# the Gaza lists' PDF extraction ("البطش٢٦"). normalise_arabic has made digits ASCII.
_NUMBERED = re.compile(
    r"(?:^|[\s(])0*[1-9]\d*(?=$|[\s).])"  # "Al-Azhari 2", "(3)"
    r"|[a-z]0*[1-9]\d*(?=$|\s)"  # "Akkari2"
    r"|(?:^|\s)0*[1-9]\d*[A-Za-z][a-z]"  # "1Unidentified"
)


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
    cleaned = normalise_arabic(text)
    folded = cleaned.casefold()
    tokens = _TOKEN.findall(folded)
    if not tokens or _NUMBERED.search(cleaned):
        return True
    words = placeholder_words()
    return any(token in words for token in tokens)
