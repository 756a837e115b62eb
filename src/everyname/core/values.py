"""Normalisers for single cell values: digits, text, controlled vocabularies, ages, ID numbers.

Casualty lists arrive in Arabic and English, typed by hand, with Arabic-Indic digits. Every
normaliser here takes the text of one cell and returns a comparable value; none of them guesses:
a value that is not recognised becomes ``unknown`` (or ``None``) and the text as written is kept
by the caller. The ``read_*`` variants, used by an import, also say when a cell cannot be read
(an age of 430, "1962" in the age column, a cause outside the vocabulary) by raising
:class:`InvalidValue`, which says what was expected: the import keeps such a value as written,
counts it as unknown and flags it on the record.

The vocabulary terms are data, not code: ``data/vocabulary.tsv`` beside this module, one term per
line with a note, so a speaker can review every decision without reading Python.

All normalisers are pure and cached: lists repeat the same few values ("M", "Adult - Male",
"Shelling") hundreds of thousands of times, and a cache hit is much cheaper than re-reading text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from everyname.core.errors import EverynameError
from everyname.core.schema import CHILD_AGE_LIMIT, UNKNOWN, VOCABULARIES, AgeGroup

__all__ = [
    "MAX_AGE",
    "Age",
    "InvalidValue",
    "age_group_from_age",
    "collapse_spaces",
    "is_placeholder",
    "match_key",
    "normalise_national_id",
    "normalise_place",
    "normalise_text",
    "normalise_vocabulary",
    "parse_age",
    "read_age",
    "read_vocabulary",
    "strip_format",
    "to_ascii_digits",
    "vocabulary_terms",
]

_CHILD, _ADULT = AgeGroup.CHILD.value, AgeGroup.ADULT.value
MAX_AGE = 120
"""Older than this is taken for a typing mistake (often a year of birth typed into the age)."""


class InvalidValue(EverynameError, ValueError):
    """A cell value that cannot be true. ``expected`` says, for a person, what would be right.

    Also a ``ValueError``, so callers converting plain values can catch the usual type.
    """

    def __init__(self, expected: str) -> None:
        self.expected = expected
        super().__init__(f"expected {expected}")


# --- digits and text -------------------------------------------------------------------------

_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬",  # Arabic-Indic, Persian (Eastern Arabic-Indic), separators
    "01234567890123456789.,",
)


_EASTERN = re.compile("[\u0660-\u066c\u06f0-\u06f9]")


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Persian (۰-۹) digits to ASCII; ٫ to "." and ٬ to ","."""
    # str.translate with a table walks every character in Python-level lookups; a C regex
    # search first makes the common case (no Eastern digits at all) cheap.
    return text.translate(_DIGITS) if _EASTERN.search(text) else text


# Unicode's invisible format characters (general category Cf, Unicode 14): the soft hyphen,
# Arabic number signs, zero-width space and joiners, left-to-right and right-to-left marks,
# embeddings, overrides and isolates, the byte-order mark, tags. Listed rather than computed
# from unicodedata at import (a tenth of a second on every command); a test checks the list
# against the running Python's tables.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
FORMAT_CHARACTERS = re.compile(
    "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _FORMAT_RANGES) + "]"
)
"""One invisible format character (category Cf)."""


def strip_format(text: str) -> str:
    """``text`` without invisible format characters, for comparing and counting only.

    A right-to-left override or a zero-width space inside "Baba Amr" makes a string that looks
    the same on screen but compares different, so a count would show two identical-looking
    places. The value as written keeps them; every comparable form is made without them. The
    zero-width non-joiner that Persian spelling needs is removed too: it changes how letters
    join, not which letters a name has, and Arabic names never need it.
    """
    return FORMAT_CHARACTERS.sub("", text) if FORMAT_CHARACTERS.search(text) else text


def collapse_spaces(text: str) -> str:
    """Trim and turn every run of whitespace (tabs, newlines, no-break spaces) into one space;
    invisible format characters go (a right-to-left mark typed beside an age is not part of it).
    """
    return " ".join(strip_format(text).split())


def normalise_text(text: str) -> str | None:
    """A free-text cell (names, places, notes): ASCII digits, collapsed spaces; empty → None.

    Letters are left as written: comparing names across spellings is the name module's job and
    must not destroy what the source wrote.
    """
    out = " ".join(to_ascii_digits(strip_format(text)).split())
    return out or None


_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTER_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي", "ک": "ك"}
)
_NOT_WORD = re.compile(r"[\W_]+")


def match_key(text: str) -> str:
    """The form in which headers and vocabulary values are compared.

    Ignores case, spacing, underscores and punctuation, tashkeel and tatweel, and the Arabic
    letter variants أ/إ/آ/ٱ→ا, ة→ه, ى→ي, ؤ→و, ئ→ي that hand-typed lists mix freely. Digits become
    ASCII. Only for matching: never stored as the value.
    """
    folded = _TASHKEEL.sub("", to_ascii_digits(strip_format(text)).casefold())
    folded = folded.translate(_LETTER_FOLD)
    return " ".join(_NOT_WORD.sub(" ", folded).split())


_PLACEHOLDERS = frozenset(
    match_key(p)
    for p in (
        "unknown",
        "not known",
        "n/a",
        "na",
        "none",
        "null",
        "nan",
        "-",
        "?",
        "غير معروف",
        "غير معروفة",
        "مجهول",
        "لا يوجد",
        "غير محدد",
    )
)


def is_placeholder(text: str) -> bool:
    """Whether a cell says only "not known" ("unknown", "غير معروف", "-", "n/a", ...)."""
    key = match_key(text)
    return not key or key in _PLACEHOLDERS or key.strip("0 ") == ""


@lru_cache(maxsize=65536)
def normalise_place(text: str) -> str | None:
    """A place cell: like :func:`normalise_text`, and ``None`` for a placeholder ("Unknown"), so
    a count never shows a place called "Unknown" beside the unknowns. Cached: a list names a
    few hundred places over and over."""
    out = normalise_text(text)
    if out is None or (len(out) <= 20 and is_placeholder(out)):
        return None
    return out


# --- controlled vocabularies -----------------------------------------------------------------

_FILLER = "*"
_MAX_PHRASE = 5
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب")


def _load_vocabulary() -> tuple[dict[str, dict[str, str]], frozenset[str]]:
    text = resources.files("everyname.core").joinpath("data/vocabulary.tsv").read_text("utf-8")
    terms: dict[str, dict[str, str]] = {name: {} for name in VOCABULARIES}
    every_term: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#") or number == 1:
            continue
        field_name, term, value, *_ = [*line.split("\t"), "", ""]
        key = match_key(term)
        every_term.add(key)
        if field_name == _FILLER:
            continue
        allowed = {member.value for member in VOCABULARIES[field_name]}
        if value not in allowed:  # a broken table is a programming error: fail loudly at import
            raise ValueError(f"vocabulary.tsv line {number}: {value!r} is not a {field_name}")
        terms[field_name][key] = value
    return terms, frozenset(every_term)


_TERMS, _EVERY_TERM = _load_vocabulary()


def vocabulary_terms(field_name: str) -> dict[str, str]:
    """The recognised terms of one vocabulary field (match key → canonical value)."""
    return dict(_TERMS[field_name])


def _term_of(token: str) -> str | None:
    if token in _EVERY_TERM:
        return token
    for prefix in _ARABIC_PREFIXES:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= 2 and rest in _EVERY_TERM:
            return rest
    return None


def _phrases(tokens: list[str]) -> list[str] | None:
    """Split tokens into known terms, longest first; None when any token is not a term."""
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            candidate = " ".join(tokens[i : i + size])
            term = _term_of(candidate) if size == 1 else candidate
            if term is not None and term in _EVERY_TERM:
                found.append(term)
                i += size
                break
        else:
            return None
    return found


def normalise_vocabulary(field_name: str, text: str) -> str:
    """The canonical value of a vocabulary field (sex, age_group, status, cause, outcome).

    Returns ``"unknown"`` for anything not recognised; never raises for any text. A cell made of
    several terms ("Adult - Male", "استشهد بالقصف") is read term by term: terms of other fields
    and fillers are neutral, and the result is known only when the terms of this field agree.
    """
    return _vocabulary(field_name, text)[0]


def read_vocabulary(field_name: str, text: str) -> str:
    """:func:`normalise_vocabulary` for an import, where a cell nobody can read must be flagged.

    Raises :class:`InvalidValue` when the text is not made of known terms ("heart attack" as a
    cause, "X" as a sex) or when its terms for this field disagree ("male, female"). A
    placeholder ("unknown", "-") and a cell whose terms say nothing about this field ("Adult"
    read as a sex) are readable: they state that the value is not known.
    """
    value, expected = _vocabulary(field_name, text)
    if expected is not None:
        raise InvalidValue(expected)
    return value


@lru_cache(maxsize=16384)
def _vocabulary(field_name: str, text: str) -> tuple[str, str | None]:
    """(value, None) when the cell is readable, (unknown, what was expected) when it is not."""
    terms = _TERMS[field_name]
    key = match_key(text)
    if key in terms:
        return terms[key], None
    if is_placeholder(key):
        return UNKNOWN, None
    allowed = ", ".join(m.value for m in VOCABULARIES[field_name] if m.value != UNKNOWN)
    phrases = _phrases(key.split())
    if phrases is None:
        return UNKNOWN, (
            f"a {field_name} the vocabulary knows ({allowed}, in English or Arabic), or a "
            f"mapping's [values.{field_name}] naming one"
        )
    values = {terms[p] for p in phrases if p in terms} - {UNKNOWN}
    if len(values) > 1:
        return UNKNOWN, f"one {field_name} ({allowed}), not several at once"
    return (values.pop() if values else UNKNOWN), None


# --- ages ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Age:
    """An age in years. ``years`` is the age when it is known exactly; ``minimum``/``maximum``
    bound it (equal to ``years`` for an exact age; "40s" is 40..49 with ``years`` None)."""

    years: float | None
    minimum: float | None
    maximum: float | None


_DAYS_PER_YEAR = 365.25
_UNIT_YEARS = {
    "year": 1.0,
    "day": 1 / _DAYS_PER_YEAR,
    "week": 7 / _DAYS_PER_YEAR,
    "month": 1 / 12,
}
# Words for units after match_key folding (ة→ه, أ→ا), singular, plural and Arabic dual forms.
_UNIT_WORDS: dict[str, str] = {}
for _unit, _words in {
    "year": "y|yr|yrs|year|years|years old|year old|yo|y o|سنه|سنوات|سنين|عام|اعوام|عاما",
    "month": "m|mo|mos|month|months|months old|month old|شهر|شهرا|شهور|اشهر",
    "week": "w|wk|wks|week|weeks|weeks old|اسبوع|اسابيع",
    "day": "d|day|days|days old|day old|يوم|ايام|يوما",
}.items():
    for _w in _words.split("|"):
        _UNIT_WORDS[match_key(_w)] = _unit
# Standalone unit words meaning one or two of that unit: "شهر" (a month), "شهرين" (two months).
_ALONE_WORDS: dict[str, tuple[str, float]] = {
    "سنه": ("year", 1),
    "عام": ("year", 1),
    "سنتين": ("year", 2),
    "عامين": ("year", 2),
    "شهر": ("month", 1),
    "شهرين": ("month", 2),
    "اسبوع": ("week", 1),
    "اسبوعين": ("week", 2),
    "يوم": ("day", 1),
    "يومين": ("day", 2),
}
_DECADE_WORDS = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
for _stem, _decade in {
    "عشرين": 20,
    "ثلاثين": 30,
    "اربعين": 40,
    "خمسين": 50,
    "ستين": 60,
    "سبعين": 70,
    "ثمانين": 80,
    "تسعين": 90,
}.items():
    for _form in (_stem + "ات", _stem + "يات"):
        _DECADE_WORDS[_form] = _decade
        _DECADE_WORDS["ال" + _form] = _decade
        _DECADE_WORDS["في ال" + _form] = _decade
# Words that give a range without a number.
_RANGE_WORDS: dict[str, tuple[float, float]] = {
    "less than a day": (0.0, 1 / _DAYS_PER_YEAR),
    "less than one day": (0.0, 1 / _DAYS_PER_YEAR),
    "اقل من يوم": (0.0, 1 / _DAYS_PER_YEAR),
    "less than a month": (0.0, 1 / 12),
    "اقل من شهر": (0.0, 1 / 12),
    "less than a year": (0.0, 1.0),
    "under one year": (0.0, 1.0),
    "اقل من سنه": (0.0, 1.0),
    "newborn": (0.0, 1 / 12),
    "new born": (0.0, 1 / 12),
    "مولود": (0.0, 1 / 12),
    "حديث الولاده": (0.0, 1 / 12),
    "infant": (0.0, 2.0),
    "baby": (0.0, 2.0),
    "رضيع": (0.0, 2.0),
    "رضيعه": (0.0, 2.0),
}

_NUMBER = r"(-?[0-9]+(?:[.,][0-9]+)?)"
_AGE_WITH_UNIT = re.compile(rf"^{_NUMBER}\s*([^0-9\s].*)?$")
_AGE_RANGE = re.compile(
    r"^([0-9]+(?:[.,][0-9]+)?)\s*(?:-|–|to|الى|إلى|حتى)\s*([0-9]+(?:[.,][0-9]+)?)\s*(.*)$"
)
_DECADE_NUMBER = re.compile(r"^(?:in (?:his|her|their) |about |around |في )?([1-9])0\s*'?\s*s$")
AGE_EXPECTED = f"an age between 0 and {MAX_AGE} years"


def _number(text: str) -> float:
    return float(text.replace(",", "."))


AGE_EXAMPLES = "an age such as 34, 3 months, 40s or 20-25"
_YEARS_OF_BIRTH = range(1880, 2101)


def _checked(value: float) -> float:
    if value < 0 or value > MAX_AGE:
        if value.is_integer() and int(value) in _YEARS_OF_BIRTH:
            # The usual slip in real lists: a year of birth typed into the age column. Said,
            # never turned into an age: the year the list was written is not known here.
            raise InvalidValue(f"{AGE_EXPECTED}, not a year of birth ({int(value)})")
        raise InvalidValue(AGE_EXPECTED)
    return round(value, 4)


def _unit_of(words: str) -> float | None:
    """Years per unit for the words after a number ('' = years); None when not a unit."""
    key = match_key(words)
    if not key:
        return 1.0
    if key in _UNIT_WORDS:
        return _UNIT_YEARS[_UNIT_WORDS[key]]
    return None


@lru_cache(maxsize=16384)
def parse_age(text: str) -> Age | None:
    """Read an age cell: "34", "٣٤", "0.58", "3 months", "3 أشهر", "شهرين", "40s", "in his 40s",
    "الأربعينات", "20-25", "Less than a day", "رضيع".

    Returns None for an empty cell or text that is not an age (kept as written by the caller,
    normalised to unknown, not a problem). Raises :class:`InvalidValue` for an age that cannot be
    true: negative or above ``MAX_AGE``.
    """
    plain = collapse_spaces(to_ascii_digits(text)).casefold()
    if not plain:
        return None
    match = _AGE_WITH_UNIT.match(plain)
    if match and (match.group(2) or "").strip() == "+":  # "80+": at least 80
        low = _checked(_number(match.group(1)))
        return Age(None, low, float(MAX_AGE))
    if match:
        per_unit = _unit_of(match.group(2) or "")
        if per_unit is not None:
            years = _checked(_number(match.group(1)) * per_unit)
            return Age(years, years, years)
    match = _AGE_RANGE.match(plain)
    if match:
        per_unit = _unit_of(match.group(3))
        if per_unit is not None:
            low = _checked(_number(match.group(1)) * per_unit)
            high = _checked(_number(match.group(2)) * per_unit)
            if low > high:
                raise InvalidValue(f"{AGE_EXPECTED}, a range written low to high such as 20-25")
            return Age(None, low, high)
    match = _DECADE_NUMBER.match(plain)
    if match:
        low = float(match.group(1)) * 10
        return Age(None, low, low + 9)
    key = match_key(plain)
    for prefix in ("", "in his ", "in her ", "in their ", "about ", "around "):
        if key.startswith(prefix) and key[len(prefix) :] in _DECADE_WORDS:
            low = float(_DECADE_WORDS[key[len(prefix) :]])
            return Age(None, low, low + 9)
    if key in _ALONE_WORDS:
        unit, count = _ALONE_WORDS[key]
        years = round(count * _UNIT_YEARS[unit], 4)
        return Age(years, years, years)
    if key in _RANGE_WORDS:
        low, high = _RANGE_WORDS[key]
        return Age(None, round(low, 4), round(high, 4))
    return None


def read_age(text: str) -> Age | None:
    """:func:`parse_age` for an import: text that is neither an age nor a placeholder ("adult",
    "see notes") cannot be read, and raises :class:`InvalidValue` so that it is flagged."""
    age = parse_age(text)
    if age is None and not is_placeholder(text):
        raise InvalidValue(AGE_EXAMPLES)
    return age


def age_group_from_age(age: Age | None) -> str:
    """child when the whole possible age is under 18, adult when it is all 18 or over."""
    if age is None:
        return UNKNOWN
    if age.maximum is not None and age.maximum < CHILD_AGE_LIMIT:
        return _CHILD
    if age.minimum is not None and age.minimum >= CHILD_AGE_LIMIT:
        return _ADULT
    return UNKNOWN


# --- identity numbers ------------------------------------------------------------------------

_ID_SHAPE = re.compile(r"^[0-9][0-9 \-./]*$")
_NOT_DIGIT = re.compile(r"\D+")


def normalise_national_id(text: str) -> str | None:
    """The digits of an ID number written with spaces, dashes, dots or slashes; else None.

    A cell with letters in it ("missing-…", "9.9E+08", a name) is not an ID number: it is kept as
    written and gives no normalised value, so it can never make two people look alike.
    """
    plain = to_ascii_digits(strip_format(text)).strip()
    if not _ID_SHAPE.match(plain):
        return None
    return _NOT_DIGIT.sub("", plain) or None
