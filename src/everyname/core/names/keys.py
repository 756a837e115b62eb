"""Cross-script keys: a coarse consonant skeleton shared by an Arabic name and its romanisations.

محمد, "Mohammed", "Muhammad" and "Mohamad" all give ``MHMD``. Linkage blocks on pairs of these
keys (given + family, father + family, ...), so the key must agree across scripts and spellings
far more often than it must tell names apart: it is built for recall, and the scoring after
blocking tells the names apart.

What the key keeps and drops, and why:

- Vowels, alef, waw and yeh are dropped: Arabic writes long vowels only, and romanisations
  disagree about which vowels to write ("Mahmoud"/"Mahmud", "Yousef"/"Yusuf").
- ʿayn and hamza are dropped: romanisations write them as an apostrophe, a vowel or nothing.
- A final ``h`` (ه/ة, or ح at the end) is dropped: "Fatma"/"Fatmah"/"فاطمه", "Saleh"/"صالح".
- Emphatic and plain consonants share a class (ص/س, ط/ت, ض/د), as do the sounds that Latin
  spellings swap: ق/ك/خ/غ (q, k, kh, g, gh), ش/س (sh, s), ت/ث/د/ذ (t, th, d, dh: ذ is written
  "th", "dh", "d"), ظ/ز (z).
- The article at the start of a word is dropped (الخالدي / "al-Khalidi" / "Khaldi": ``KLD``);
  inside a compound it is kept (عبدالرحمن / "Abdulrahman": ``BDLRHMN``), as every spelling
  of such a compound writes the ``l`` or doubles the next letter.
- An ``h`` after ``s``, ``k`` or ``d`` is dropped ("Shahada"/"Shhadah": ``SD``), see below.
- Repeated classes collapse (``MHMMD`` -> ``MHMD``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from everyname.core.names.arabic import arabic_not_article_words, has_arabic, normalise_arabic
from everyname.core.names.latin import normalise_latin

_ARABIC_CLASSES = str.maketrans(
    {
        "ب": "B", "ت": "D", "ث": "D", "ج": "J", "ح": "H", "خ": "K", "د": "D", "ذ": "D",
        "ر": "R", "ز": "Z", "س": "S", "ش": "S", "ص": "S", "ض": "D", "ط": "D", "ظ": "Z",
        "غ": "K", "ف": "F", "ق": "K", "ك": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H",
    }
)  # fmt: skip
_LATIN_DIGRAPHS = re.compile(r"kh|gh|sh|th|dh")
_LATIN_DIGRAPH_CLASSES = {"kh": "K", "gh": "K", "sh": "S", "th": "D", "dh": "D"}
_LATIN_CLASSES = str.maketrans(
    {
        "b": "B", "p": "B", "t": "D", "d": "D", "z": "Z", "s": "S", "k": "K", "g": "K",
        "j": "J", "h": "H", "f": "F", "l": "L", "m": "M", "n": "N", "r": "R",
    }
)  # fmt: skip
_NOT_CLASS = re.compile(r"[^A-Z]")
_REPEATS = re.compile(r"(.)\1+")
# An h after s, k/g, t/d is part of a Latin digraph (sh, kh, gh, th, dh) in one spelling and a
# letter of its own (ه, ح) in another: شحادة is "Shahada" and "Shhadah", الكحلوت "Kahlout"
# and "Khilot". The key keeps neither reading, in both scripts.
_H_AFTER_DIGRAPH_HEAD = re.compile(r"(?<=[SKD])H")


NO_CONSONANT = "V"
"""The key of a name with no consonant the key keeps ("Aya", آية): present, but vowels only."""


def _skeleton(classes: str) -> str:
    classes = _REPEATS.sub(r"\1", _NOT_CLASS.sub("", classes))
    classes = _REPEATS.sub(r"\1", _H_AFTER_DIGRAPH_HEAD.sub("", classes))
    return classes.removesuffix("H")


def _arabic_word_key(word: str) -> str:
    if word.startswith("ال") and len(word) > 3 and word not in arabic_not_article_words():
        word = word[2:]
    return _skeleton(word.translate(_ARABIC_CLASSES))


def _latin_word_key(word: str) -> str:
    word = _LATIN_DIGRAPHS.sub(lambda m: _LATIN_DIGRAPH_CLASSES[m.group(0)], word)
    return _skeleton(word.translate(_LATIN_CLASSES))


@lru_cache(maxsize=1 << 18)
def _key(part: str) -> str:
    if has_arabic(part):
        words = normalise_arabic(part).split()
        key = "".join(
            _arabic_word_key(w)
            if has_arabic(w)
            else "".join(_latin_word_key(x) for x in normalise_latin(w).split())
            for w in words
        )
    else:
        words = normalise_latin(part).split()
        key = "".join(_latin_word_key(w) for w in words)
    if not key and words:
        return NO_CONSONANT
    return _REPEATS.sub(r"\1", key)


def name_key(part: str | None) -> str:
    """The consonant skeleton of one name part, in either script ("" when there is none).

    A part of several words ("ابو شماله", "Abu Shamala") gives one key without spaces, so that
    "Abushamala" and "Abu Shamala" agree. Never raises.
    """
    if not part:
        return ""
    return _key(part)


def joined_key(keys: Sequence[str]) -> str:
    """The key of several name parts written as one, from their keys: what :func:`name_key`
    gives for the parts together ("محمد نور" as one given name: ``MHMD`` + ``NR`` ->
    ``MHMDNR``; a letter ending one and starting the next is written once, and a part with
    no consonant adds nothing), so that a search can compare a name typed in separate words
    with one stored as a single part. An article inside such a part is kept by name_key
    ("نور الدين": ``NRLDN``) and dropped by the word's own key; a search's keys already give
    those compounds as one key, as ingest does."""
    joined = "".join(key for key in keys if key != NO_CONSONANT)
    if not joined:
        return NO_CONSONANT if keys else ""
    return _REPEATS.sub(r"\1", joined)
