"""Moments on the pages: one way of writing them, whatever form the store gave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from django.utils.dateparse import parse_datetime
from hypothesis import given
from hypothesis import strategies as st

from everyname.web.templatetags.moments import moment, when

MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(MOMENTS, st.booleans())
def test_a_moment_reads_the_same_from_a_datetime_or_its_iso_text(at, as_text):
    value = at.isoformat(timespec="seconds") if as_text else at
    shown = str(moment(value))
    minute = at.strftime("%Y-%m-%d %H:%M")  # the server's zone is UTC
    assert shown.endswith(f">{minute}</time>") and shown.startswith('<time dir="ltr" datetime="')
    machine = parse_datetime(shown.split('datetime="', 1)[1].split('"', 1)[0])
    assert machine == (at.replace(microsecond=0) if as_text else at)
    assert when(value) == minute


def test_another_zone_is_shown_in_the_servers():
    at = datetime(2012, 2, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert when(at.isoformat()) == "2012-02-02 23:30"


@given(st.one_of(st.none(), st.text(max_size=30), st.integers()))
def test_what_is_not_a_moment_is_shown_as_it_is(value):
    if isinstance(value, str) and parse_datetime_or_none(value) is not None:
        return
    assert when(value) == value
    shown = str(moment(value))
    assert shown.startswith('<time dir="ltr">') and "datetime=" not in shown


def parse_datetime_or_none(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:
        return None
