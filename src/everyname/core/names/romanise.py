"""Arabic script into the comparable Latin form, so that both scripts compare in one space.

``romanise("محمد عبد الرحمن الخالدي") == romanise("Mohammed Abdulrahman al-Khalidi")``: the
Arabic words are looked up in a table of curated romanisations of real names, or spelt out by
letter rules when the table lacks them, and the result goes through ``normalise_latin`` like any
Latin input.

Why a table and rules of our own: Arabic writes no short vowels, so a letter-by-letter
transliteration (ICU's ``Arabic-Latin``, unidecode, anyascii) gives "mhmd" for محمد, which
compares poorly with "Mohammed". The useful knowledge is how people actually romanise each name,
which is what the bundled table holds (derived from Tech For Palestine's public-domain dictionary
of Gazan names; see ``data/names/romanisation.tsv`` for provenance and ``derive_romanisation.py``
for how it was filtered). ICU would also need the system library and a compiler at install time,
and camel-tools downloads its data at run time; neither works on a fresh offline machine.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from everyname.core.names.arabic import (
    ARABIC_LETTER,
    arabic_not_article_words,
    has_arabic,
    normalise_arabic,
)
from everyname.core.names.latin import normalise_latin

_CONSONANTS = {
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh",
    "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "ع": "'", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ء": "'",
}  # fmt: skip
_LONG_VOWELS = "اوي"
_LATIN_ARTICLE = re.compile(r"^(?:al|el)[-\s]+", re.IGNORECASE)
_SUFFIXES = (("الدين", "al-din"), ("الله", "allah"))


@cache
def romanisation_table() -> dict[str, str]:
    """Normalised Arabic word -> its usual romanisation, from the bundled reviewed table."""
    table = resources.files("everyname.core").joinpath("data", "names", "romanisation.tsv")
    out: dict[str, str] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            arabic, latin = line.split("\t")[:2]
            out[arabic] = latin
    return out


def _spell(word: str) -> str:
    """Letter rules for a word the table lacks: long vowels as written, a short "a" guessed
    between two consonants (Arabic does not write it) except inside the first cluster of
    أفعل-shaped names (اكرم "Akram", ادهم "Adham", اسماعيل "Ismail"), final ه as the feminine
    ending "a"."""
    out: list[str] = []
    n = len(word)
    for i, letter in enumerate(word):
        prev_is_consonant = i > 0 and word[i - 1] not in _LONG_VOWELS
        following = word[i + 1] if i + 1 < n else ""
        if letter == "ا":
            out.append("a")
        elif letter in "وي":
            consonantal = i == 0 or following in _LONG_VOWELS or not prev_is_consonant
            if letter == "و":
                out.append("w" if consonantal else "u")
            else:
                out.append("y" if consonantal and following else "i")
        elif letter == "ه" and i == n - 1 and i > 0:
            out.append("a")  # tā' marbūṭa, folded into ه by normalise_arabic
        elif letter in _CONSONANTS:
            out.append(_CONSONANTS[letter])
            first_cluster = i == 1 and word[0] == "ا" and n >= 4
            closed = _closed_syllable(word, i)
            if following and following not in _LONG_VOWELS and not (first_cluster or closed):
                out.append("a")
        elif not ARABIC_LETTER.match(letter):
            out.append(letter)
    return "".join(out)


def _closed_syllable(word: str, i: int) -> bool:
    """No vowel after the consonant at ``i`` in two common shapes: فعلي "Ramzi", "Majdi"
    (three consonants, final ي) and مفعول / مفعال "Mahmoud", "Mansour" (م, two consonants,
    long vowel)."""
    consonants = [c not in _LONG_VOWELS for c in word[:4]]  # not the whole word: per letter
    if len(word) == 4 and word[3] == "ي" and all(consonants[:3]):
        return i == 1
    if len(word) >= 5 and word[0] == "م" and all(consonants[:3]) and not consonants[3]:
        return i == 1
    return False


def _without_article(latin: str) -> str:
    return _LATIN_ARTICLE.sub("", latin)


_LONGEST_COMPOUND = 40
"""Letters beyond which a word is not read as a compound (عبد X, ابو X, X الدين): no name word
is that long, and peeling one prefix at a time off a word of garbage ("عبدعبدعبد...", 100,000
letters) would recurse once per prefix and copy the rest each time."""


@lru_cache(maxsize=1 << 16)
def _romanise_word(word: str) -> str:
    table = romanisation_table()
    if word in table:
        return table[word]
    if len(word) > _LONGEST_COMPOUND:
        return _spell(word)
    if word == "عبد":
        return "abd"  # a name on its own in Gaza lists, written "Abd" (the rules would say "abad")
    if word.startswith("ابو") and len(word) > 3:
        return "abu " + _romanise_word(word[3:])
    if word.startswith("عبد") and len(word) > 4:
        rest = word[3:]
        if rest.startswith("ال") and rest not in arabic_not_article_words():
            return "abd al-" + _without_article(_romanise_word(rest))
        return "abd " + _romanise_word(rest)
    for suffix, latin in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return _romanise_word(word[: -len(suffix)]) + " " + latin
    if word.startswith("ال") and len(word) > 3 and word not in arabic_not_article_words():
        return "al-" + _romanise_word(word[2:])
    return _spell(word)


@lru_cache(maxsize=1 << 18)
def _romanise_cached(text: str) -> str:
    if not has_arabic(text):
        return normalise_latin(text)
    words = normalise_arabic(text).split()
    latin = " ".join(_romanise_word(w) if has_arabic(w) else w for w in words)
    return normalise_latin(latin)


def romanise(text: str | None) -> str:
    """The comparable Latin form of a name in any script ("" for None). Never raises.

    Latin input gives ``normalise_latin(text)``; Arabic words are romanised first. Idempotent,
    and its output is lower-case ASCII letters and single spaces.
    """
    if not text:
        return ""
    return _romanise_cached(text)
