"""How recorders write names: the spelling variants and slips that make linkage hard.

Arabic lists differ in hamza on alef, final ta marbuta and alef maqsura, whether compounds
(عبد الرحمن, أبو زيد, نور الدين) are written joined, and in typing slips between letters
that share a shape. Latin lists differ in romanisation (the table's variants), in how the
article is written (al-, el-, Al , or dropped), and in dropped, doubled or swapped letters.
"""

from __future__ import annotations

from random import Random

from everyname.core.demo.tables import Entry

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Letters a typist confuses because they share a skeleton (differ only by dots).
_ARABIC_CONFUSABLE = {
    "ح": "خج",
    "خ": "حج",
    "ج": "حخ",
    "د": "ذ",
    "ذ": "د",
    "ر": "ز",
    "ز": "ر",
    "س": "ش",
    "ش": "س",
    "ص": "ض",
    "ض": "ص",
    "ع": "غ",
    "غ": "ع",
    "ف": "ق",
    "ق": "ف",
    "ت": "ثن",
    "ن": "تب",
    "ب": "تن",
}
_HAMZA_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
_LATIN_VOWEL_SWAPS = {"a": "e", "e": "a", "o": "u", "u": "o", "i": "e", "y": "i"}


def arabic_spelling(text: str, rng: Random, noise: float) -> str:
    """The same Arabic name as another recorder may write it (never changes the person)."""
    if not text:
        return text
    if rng.random() < noise:
        text = text.replace("عبد ال", "عبدال").replace("أبو ", "ابو").replace(" الدين", "الدين")
    if rng.random() < noise:
        text = text.translate(_HAMZA_ALEF)
    if rng.random() < noise * 0.7:
        text = " ".join(w[:-1] + "ه" if w.endswith("ة") else w for w in text.split(" "))
    if rng.random() < noise * 0.5:
        text = " ".join(w[:-1] + "ي" if w.endswith("ى") else w for w in text.split(" "))
    return text


def arabic_typo(text: str, rng: Random) -> str:
    """One typing slip: a dotted letter confused, a letter dropped or doubled."""
    positions = [i for i, ch in enumerate(text) if ch != " "]
    if len(positions) < 4:
        return text
    i = rng.choice(positions[1:])
    ch = text[i]
    kind = rng.random()
    if kind < 0.5 and ch in _ARABIC_CONFUSABLE:
        return text[:i] + rng.choice(_ARABIC_CONFUSABLE[ch]) + text[i + 1 :]
    if kind < 0.8:
        return text[:i] + text[i + 1 :]
    return text[:i] + ch + text[i:]


def latin_typo(text: str, rng: Random) -> str:
    """One typing slip: a vowel changed, a letter dropped, doubled or swapped with the next."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 4:
        return text
    i = rng.choice(positions[1:-1])
    ch = text[i]
    kind = rng.random()
    if kind < 0.35 and ch.lower() in _LATIN_VOWEL_SWAPS:
        return text[:i] + _LATIN_VOWEL_SWAPS[ch.lower()] + text[i + 1 :]
    if kind < 0.6:
        return text[:i] + text[i + 1 :]
    if kind < 0.8:
        return text[:i] + ch + text[i:]
    if text[i + 1].isalpha():
        return text[:i] + text[i + 1] + ch + text[i + 2 :]
    return text[:i] + ch + text[i:]


def latin_form(entry: Entry, rng: Random, preferred: float) -> str:
    """A romanisation of ``entry``: the usual one with probability ``preferred``."""
    if rng.random() < preferred:
        return entry.latin[0]
    return rng.choice(entry.latin)


def latin_family(entry: Entry, rng: Random, preferred: float, articles: tuple[str, ...]) -> str:
    """A family name with the article as this source writes it (``articles`` are prefixes)."""
    stem = latin_form(entry, rng, preferred)
    if not entry.has_article:
        return stem
    return rng.choice(articles) + stem
