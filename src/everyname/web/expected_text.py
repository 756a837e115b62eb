"""What a value or a row that could not be read should have been, in the page's language.

The core says it in English and the store keeps that text with each unreadable value and
rejected row (``expected``), in batches imported long ago too. A page in another language
recognises the core's sentences, built from the same constants the core builds them from, and
says them again from their figures; a sentence it does not know stays in the core's English
(and the page marks it as English). The command line and the CSV downloads keep the English.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from django.utils.dates import MONTHS
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from everyname.core.dates import DATE_EXAMPLES
from everyname.core.ingest import ONLY_REPORTER
from everyname.core.schema import UNKNOWN, VOCABULARIES
from everyname.core.values import AGE_EXAMPLES, AGE_EXPECTED, MAX_AGE
from everyname.web.estimate_text import code, in_page_language, joined, say
from everyname.web.views.figures import VALUE_NAMES
from everyname.web.views.records import FIELD_LABELS

Found = dict[str, str]


def _field(name: str) -> Any:
    return FIELD_LABELS.get(name, name)


def _allowed(name: str) -> SafeString:
    """The vocabulary of a field in the page's language (the core lists its English codes)."""
    return joined(
        [VALUE_NAMES.get(m.value, m.value) for m in VOCABULARIES[name] if m.value != UNKNOWN]
    )


def _not_known(p: Found) -> SafeString:
    return say(
        _(
            "a value of %(field)s the vocabulary knows (%(allowed)s, in Arabic or English), or "
            "a mapping's %(section)s naming one"
        ),
        field=_field(p["field"]),
        allowed=_allowed(p["field"]),
        section=code(f"[values.{p['field']}]"),
    )


def _several(p: Found) -> SafeString:
    return say(
        _("one value of %(field)s (%(allowed)s), not several at once"),
        field=_field(p["field"]),
        allowed=_allowed(p["field"]),
    )


def _age(p: Found) -> SafeString:
    return say(_("an age between 0 and %(most)s years"), most=p["most"])


def _age_not_year(p: Found) -> SafeString:
    return say(
        _("an age between 0 and %(most)s years, not a year of birth (%(year)s)"),
        most=p["most"],
        year=p["year"],
    )


def _age_range(p: Found) -> SafeString:
    return say(
        _("an age between 0 and %(most)s years; a range written low to high such as 20-25"),
        most=p["most"],
    )


def _age_examples(p: Found) -> SafeString:
    return say(_("an age such as 34, 3 months, 40s or 20-25"))


def _date(p: Found) -> SafeString:
    examples = _("a date such as 2012-02-07, 07/02/2012, 2012-02, Feb 2012, شباط 2012 or 2012")
    more = {
        "": None,
        "; a day needs its month": _("a day needs its month"),
        "; a month from 1 to 12": _("a month from 1 to 12"),
        "; a year": _("a year"),
    }[p.get("more") or ""]
    if p.get("order"):
        more = say(_("day and month in %(order)s order"), order=code(p["order"]))
    if p.get("short"):
        more = say(
            _("a four-digit year (is %(short)s 19%(short)s or 20%(short)s?)"), short=p["short"]
        )
    if more is None:
        return say(examples)
    return say(pgettext("what was expected, then more of it", "%(a)s; %(b)s"), a=examples, b=more)


def _real_date(p: Found) -> SafeString:
    month = list(calendar.month_name).index(p["month"])
    return say(
        _("a real calendar date: %(month)s %(year)s has %(days)s days"),
        month=MONTHS[month],
        year=p["year"],
        days=p["days"],
    )


def _year_month_day(p: Found) -> SafeString:
    return say(_("a date in year-month-day order as the mapping says, such as 2012-02-07"))


def _year_between(p: Found) -> SafeString:
    return say(_("a year between %(first)s and %(last)s"), first=p["first"], last=p["last"])


def _only_reporter(p: Found) -> SafeString:
    return say(
        _(
            "something about the victim: this row has only the reporter's details, so it names "
            "nobody"
        )
    )


def _nothing_read(p: Found) -> SafeString:
    return say(
        _(
            "a value in at least one of the columns used (%(columns)s): this row has text only "
            "in columns that are not used, so it names nobody"
        ),
        columns=format_html('<bdi dir="auto">{}</bdi>', p["columns"]),
    )


def _cell_cut(p: Found) -> SafeString:
    return say(
        _(
            "at most %(limit)s characters in a cell; column %(column)s has %(length)s (kept cut "
            "to the limit)"
        ),
        limit=p["limit"],
        column=format_html('<bdi dir="auto">{}</bdi>', p["column"]),
        length=p["length"],
    )


_WORD = r"(?P<field>[a-z_]+)"
_AGE = re.escape(AGE_EXPECTED).replace(str(MAX_AGE), r"(?P<most>[0-9]+)")
SENTENCES: tuple[tuple[re.Pattern[str], Callable[[Found], SafeString]], ...] = tuple(
    (re.compile(f"^{pattern}$"), say_it)
    for pattern, say_it in (
        (
            rf"a {_WORD} the vocabulary knows \((?P<allowed>.*), in English or Arabic\), or a "
            r"mapping's \[values\.(?P=field)\] naming one",
            _not_known,
        ),
        (rf"one {_WORD} \((?P<allowed>.*)\), not several at once", _several),
        (_AGE, _age),
        (_AGE + r", not a year of birth \((?P<year>[0-9]+)\)", _age_not_year),
        (_AGE + r", a range written low to high such as 20-25", _age_range),
        (re.escape(AGE_EXAMPLES), _age_examples),
        (
            re.escape(DATE_EXAMPLES)
            + r"(?P<more>; a day needs its month|; a month from 1 to 12|; a year)?",
            _date,
        ),
        (
            re.escape(DATE_EXAMPLES) + r" \(day and month in (?P<order>[DMY]{3}) order\)",
            _date,
        ),
        (
            re.escape(DATE_EXAMPLES)
            + r"; a four-digit year \(is (?P<short>[0-9]{2}) 19[0-9]{2} or 20[0-9]{2}\?\)",
            _date,
        ),
        (
            r"a real calendar date: (?P<month>[A-Z][a-z]+) (?P<year>[0-9]+) has "
            r"(?P<days>[0-9]+) days",
            _real_date,
        ),
        (
            re.escape("a date in year-month-day order as the mapping says, such as 2012-02-07"),
            _year_month_day,
        ),
        (r"a year between (?P<first>[0-9]+) and (?P<last>[0-9]+)", _year_between),
        (re.escape(ONLY_REPORTER), _only_reporter),
        (
            r"a value in at least one of the columns used \((?P<columns>.*)\): this row has "
            r"text only in columns that are not used, so it names nobody",
            _nothing_read,
        ),
        (
            r"at most (?P<limit>[0-9,]+) characters in a cell; column (?P<column>.*) has "
            r"(?P<length>[0-9,]+) \(kept cut to the limit\)",
            _cell_cut,
        ),
    )
)
"""The core's sentences of what was expected, each with the way a page says it again."""


def expected(english: str | None) -> Any:
    """``english`` (what the core said was expected) in the page's language when it is one of
    the core's sentences, else as it is."""
    if not english:
        return english
    for pattern, say_it in SENTENCES:
        found = pattern.match(english)
        if found:
            figures = {k: v for k, v in found.groupdict().items() if v is not None}
            return in_page_language(english, say_it, {"english": english, **figures})
    return english
