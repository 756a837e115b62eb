"""Partial dates: the reviewed table, spans and windows, and properties of the parser."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.dates import MAX_YEAR, MIN_YEAR, InvalidDate, PartialDate, parse_date
from everyname.core.errors import EverynameError
from everyname.core.schema import DatePrecision


def test_date_table(row_dates: dict[str, str]) -> None:
    row = row_dates
    if row["iso"] == "PROBLEM":
        with pytest.raises(InvalidDate) as caught:
            parse_date(row["input"], row["order"])
        assert caught.value.expected, "a problem must say what was expected"
        return
    parsed = parse_date(row["input"], row["order"])
    if row["iso"] == "NONE":
        assert parsed is None, row["why"]
        return
    assert parsed is not None
    assert parsed.iso() == row["iso"], row["why"]
    assert parsed.precision == DatePrecision(row["precision"])


def test_impossible_date_says_what_was_expected() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date("2012-02-30")
    assert "February 2012 has 29 days" in caught.value.expected


@pytest.mark.parametrize(
    ("iso", "start", "end"),
    [
        ("2012-02-07", date(2012, 2, 7), date(2012, 2, 7)),
        ("2012-02", date(2012, 2, 1), date(2012, 2, 29)),
        ("2011-02", date(2011, 2, 1), date(2011, 2, 28)),
        ("2012", date(2012, 1, 1), date(2012, 12, 31)),
    ],
)
def test_span(iso: str, start: date, end: date) -> None:
    partial = PartialDate.from_iso(iso)
    assert (partial.start, partial.end) == (start, end)


def test_within_window() -> None:
    week = (date(2012, 2, 3), date(2012, 2, 9))
    assert PartialDate(2012, 2, 5).within(*week) is True
    assert PartialDate(2012, 2, 3).within(*week) is True  # inclusive
    assert PartialDate(2012, 2, 9).within(*week) is True
    assert PartialDate(2012, 2, 10).within(*week) is False
    assert PartialDate(2012, 2).within(*week) == "possibly"
    assert PartialDate(2012).within(*week) == "possibly"
    assert PartialDate(2011).within(*week) is False
    assert PartialDate(2012, 2).within(date(2012, 1, 1), date(2012, 12, 31)) is True
    assert PartialDate(2012, 2).within(None, None) is True
    assert PartialDate(2012, 2).within(date(2012, 3, 1), None) is False
    assert PartialDate(2012, 2).within(None, date(2012, 2, 15)) == "possibly"


def test_placeholders_are_unknown_not_problems() -> None:
    for text in ("", "   ", "0000-00-00", "00/00/0000", "unknown", "Unknown", "غير معروف", "-"):
        assert parse_date(text) is None


def test_invalid_date_is_a_project_error_and_a_value_error() -> None:
    with pytest.raises(EverynameError):
        parse_date("2012-13-01")
    with pytest.raises(ValueError):
        PartialDate.from_iso("2012-13")


days = st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31))


@given(days)
def test_round_trip_day(day: date) -> None:
    partial = parse_date(day.isoformat())
    assert partial == PartialDate(day.year, day.month, day.day)
    assert PartialDate.from_iso(partial.iso()) == partial
    assert partial.start == partial.end == day
    slashed = f"{day.day}/{day.month}/{day.year}"
    assert parse_date(slashed, "DMY") == partial
    assert parse_date(f"{day.month}/{day.day}/{day.year}", "MDY") == partial
    arabic = day.isoformat().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert parse_date(arabic) == partial


@given(days)
def test_round_trip_month_and_year(day: date) -> None:
    month = PartialDate(day.year, day.month)
    assert parse_date(month.iso()) == month
    assert month.start <= day <= month.end
    assert (month.end + timedelta(days=1)).month != month.month
    year = PartialDate(day.year)
    assert parse_date(year.iso()) == year
    assert year.within(day, day) in (False, "possibly")


@given(st.text())
def test_parser_raises_only_invalid_date(text: str) -> None:
    try:
        parsed = parse_date(text)
    except InvalidDate as error:
        assert error.expected
        return
    if parsed is not None:
        assert parsed.start <= parsed.end
        assert PartialDate.from_iso(parsed.iso()) == parsed


@given(st.text(), st.sampled_from(["DMY", "MDY", "YMD"]))
def test_parser_never_raises_anything_else_in_any_order(text: str, order: str) -> None:
    with contextlib.suppress(InvalidDate):
        parse_date(text, order)


@given(days, days)
def test_within_is_consistent_with_the_span(a: date, b: date) -> None:
    low, high = min(a, b), max(a, b)
    for partial in (
        PartialDate(a.year),
        PartialDate(a.year, a.month),
        PartialDate(a.year, a.month, a.day),
    ):
        verdict = partial.within(low, high)
        if verdict is True:
            assert low <= partial.start and partial.end <= high
        elif verdict is False:
            assert partial.end < low or partial.start > high
        else:
            assert verdict == "possibly"
