"""Partial dates: a day, a month or only a year, as casualty lists give them.

"Killed in February 2012" is a fact worth keeping; turning it into 2012-02-01 would invent a day.
A :class:`PartialDate` keeps exactly what is known, and its span (``start``..``end``) tells a
count whether the date lies inside a window (see :meth:`PartialDate.within`).

:func:`parse_date` reads the forms found in real lists: ISO (always year-month-day), slashed
dates in the order a mapping gives (day first by default, as in Syria and most of the Arab
world), month names in English and Arabic (Levantine شباط and Egyptian فبراير), Arabic-Indic
digits, spreadsheet date-times. Placeholders (``0000-00-00``, ``unknown``, ``غير معروف``, an
empty cell) mean unknown and give ``None``; a date that cannot exist (2012-02-30, month 13)
or text that is not a date raises :class:`InvalidDate`, which says what was expected.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from everyname.core.schema import DatePrecision
from everyname.core.values import InvalidValue, is_placeholder, match_key, to_ascii_digits

__all__ = [
    "DATE_ORDERS",
    "MAX_YEAR",
    "MIN_YEAR",
    "InvalidDate",
    "PartialDate",
    "parse_date",
]

MIN_YEAR = 1800
MAX_YEAR = 2100
DATE_ORDERS = ("DMY", "MDY", "YMD")
DATE_EXAMPLES = "a date such as 2012-02-07, 07/02/2012, 2012-02, Feb 2012, شباط 2012 or 2012"


class InvalidDate(InvalidValue):
    """A date that cannot exist, or text that is not a date."""


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the day, the month or the year. ``month``/``day`` are None when unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidDate(f"a year between {MIN_YEAR} and {MAX_YEAR}")
        if self.month is None:
            if self.day is not None:
                raise InvalidDate(f"{DATE_EXAMPLES}; a day needs its month")
            return
        if not 1 <= self.month <= 12:
            raise InvalidDate(f"{DATE_EXAMPLES}; a month from 1 to 12")
        if self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                month_name = calendar.month_name[self.month]
                raise InvalidDate(f"a real calendar date: {month_name} {self.year} has {last} days")

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        if self.month is not None:
            return DatePrecision.MONTH
        return DatePrecision.YEAR

    def iso(self) -> str:
        """ "2012-02-07", "2012-02" or "2012"."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    __str__ = iso

    @property
    def start(self) -> date:
        """The first day the date can be."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> date:
        """The last day the date can be."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def within(
        self, window_start: date | None, window_end: date | None
    ) -> bool | Literal["possibly"]:
        """Whether the date lies in an inclusive window (either end may be open, ``None``).

        True when the whole span is inside, False when none of it is, ``"possibly"`` when the
        span straddles an edge: "February 2012" is possibly within 3–9 February 2012, and the
        counting rules report it as uncertain rather than count it.
        """
        lower = window_start or date.min
        upper = window_end or date.max
        if self.start >= lower and self.end <= upper:
            return True
        if self.end < lower or self.start > upper:
            return False
        return "possibly"

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """Inverse of :meth:`iso`."""
        parts = [int(p) for p in text.split("-")]
        return cls(*parts)  # type: ignore[arg-type]


# --- parsing ---------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan يناير كانون الثاني كانون ثاني",
        "february feb فبراير شباط",
        "march mar مارس اذار",
        "april apr ابريل نيسان",
        "may مايو ايار",
        "june jun يونيو يونيه حزيران",
        "july jul يوليو يوليه تموز",
        "august aug اغسطس اب",
        "september sep sept سبتمبر ايلول",
        "october oct اكتوبر تشرين الاول تشرين اول",
        "november nov نوفمبر تشرين الثاني تشرين ثاني",
        "december dec ديسمبر كانون الاول كانون اول",
    ),
    start=1,
):
    _words = _names.split()
    for _i, _w in enumerate(_words):
        # Two-word Levantine names (كانون الثاني) are written joined before tokens are read.
        if _w in ("كانون", "تشرين"):
            continue
        if _i > 0 and _words[_i - 1] in ("كانون", "تشرين"):
            _MONTHS[_words[_i - 1] + _w] = _number
        else:
            _MONTHS[_w] = _number
_TWO_WORD_MONTH = re.compile(r"(كانون|تشرين) (الثاني|ثاني|الاول|اول)")
_DATE_FILLERS = frozenset(
    ["of", "the", "in", "on", "st", "nd", "rd", "th", "عام", "سنه", "م", "شهر"]
)

_ISO = re.compile(r"^([0-9]{4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?)?$")
_ISO_TIME = re.compile(r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[ t][0-9]{1,2}:[0-9]{2}\S*$")
_TRAILING_TIME = re.compile(r"\s+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(\s*[ap]\.?m\.?)?$")
_YEAR_LAST = re.compile(r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{2}|[0-9]{4})$")
_MONTH_YEAR = re.compile(r"^([0-9]{1,2})[-/.]([0-9]{4})$")
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+")


def _build(year: int, month: int, day: int) -> PartialDate | None:
    """Zeros mean "not known", as in VDC's 1990-00-00."""
    if year == 0:
        if month == 0 and day == 0:
            return None
        raise InvalidDate(f"{DATE_EXAMPLES}; a year")
    return PartialDate(year, month or None, day or None)


def _from_words(folded: str, text: str) -> PartialDate:
    joined = _TWO_WORD_MONTH.sub(lambda m: m.group(1) + m.group(2), folded)
    month = None
    numbers: list[str] = []
    for token in _TOKEN.findall(joined):
        if token.isdigit():
            numbers.append(token)
        elif token in _MONTHS and month is None:
            month = _MONTHS[token]
        elif token not in _DATE_FILLERS:
            raise InvalidDate(DATE_EXAMPLES)
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if month is None or len(years) != 1 or len(days) > 1 or len(years) + len(days) != len(numbers):
        raise InvalidDate(DATE_EXAMPLES)
    return PartialDate(int(years[0]), month, int(days[0]) if days else None)


@lru_cache(maxsize=65536)
def parse_date(text: str, order: str = "DMY") -> PartialDate | None:
    """Read a date cell. ``order`` ("DMY", "MDY" or "YMD") decides slashed dates such as 7/2/2012;
    a date starting with a four-digit year is always year-month-day.

    Returns None for an empty cell or a placeholder; raises :class:`InvalidDate` otherwise when
    the text is not a real date. Never raises anything else.
    """
    plain = to_ascii_digits(text).strip().casefold()
    if not plain:
        return None
    timed = _ISO_TIME.match(plain)
    if timed:
        plain = timed.group(1)
    elif ":" in plain:  # "07/02/2012 00:00", "7/2/2012 10:30 pm": a spreadsheet's date-time
        plain = _TRAILING_TIME.sub("", plain)
    match = _ISO.match(plain)
    if match:
        year, month, day = (int(g) if g else 0 for g in match.groups())
        return _build(year, month, day)
    match = _YEAR_LAST.match(plain)
    if match:
        first, second, year_text = match.groups()
        if len(year_text) == 2:
            raise InvalidDate(
                f"{DATE_EXAMPLES}; a four-digit year (is {year_text} 19{year_text} "
                f"or 20{year_text}?)"
            )
        if order == "YMD":
            raise InvalidDate(
                "a date in year-month-day order as the mapping says, such as 2012-02-07"
            )
        day, month = (first, second) if order == "DMY" else (second, first)
        return _build(int(year_text), int(month), int(day))
    match = _MONTH_YEAR.match(plain)
    if match:
        return _build(int(match.group(2)), int(match.group(1)), 0)
    if is_placeholder(plain):
        return None
    folded = match_key(plain)
    return _from_words(folded, text)
