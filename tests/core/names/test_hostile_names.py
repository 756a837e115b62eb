"""Names nobody would write but a hostile or broken list holds: invisible format characters, and
words of many thousand letters, which must neither make a second spelling nor stall an import."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names import name_forms, normalise_arabic, normalise_latin, romanise
from everyname.core.places import place_forms

_FORMAT = st.sampled_from(["\u202e", "\u200b", "\u200c", "\u200d", "\u200f", "\u2066", "\ufeff"])


def _has_format(text: str) -> bool:
    return any(unicodedata.category(c) == "Cf" for c in text)


@given(st.text())
def test_normalised_names_never_hold_format_characters(text: str) -> None:
    for out in (normalise_arabic(text), normalise_latin(text), romanise(text)):
        assert not _has_format(out)
    for value in name_forms({"full_name": text}).values():
        assert not isinstance(value, str) or not _has_format(value)


@given(st.sampled_from(["محمد عبد الرحمن", "Mohammed al-Khalidi", "بابا عمرو", "Baba Amr"]),
       st.lists(st.tuples(st.integers(0, 20), _FORMAT), max_size=4))  # fmt: skip
def test_format_characters_change_no_comparable_form(
    name: str, inserts: list[tuple[int, str]]
) -> None:
    hostile = name
    for position, char in inserts:
        position = min(position, len(hostile))
        hostile = hostile[:position] + char + hostile[position:]
    assert normalise_arabic(hostile) == normalise_arabic(name)
    assert romanise(hostile) == romanise(name)
    assert place_forms(hostile) == place_forms(name)


# Each of these was quadratic or recursed once per piece (a 100,000-letter name took a minute,
# "abuabu..." and "عبدعبد..." ended in RecursionError). No timing threshold: the test only has
# to finish, which at quadratic cost would take minutes.
_LONG = 100_000
_HOSTILE_LONG_NAMES = {
    "one Latin word": "a" * _LONG,
    "one Arabic word": "م" * _LONG,
    "repeated abu": "abu" * (_LONG // 3),
    "repeated ابو": "ابو" * (_LONG // 3),
    "repeated عبد": "عبد" * (_LONG // 3),
    "repeated ال": "ال" * (_LONG // 2),
    "repeated الدين": "محمدالدين" * (_LONG // 9),
    "many Arabic words": "محمد " * (_LONG // 5),
    "many Latin words": "abd al " * (_LONG // 7),
    "codes": "UNB8" * (_LONG // 4),
}


@pytest.mark.parametrize("text", _HOSTILE_LONG_NAMES.values(), ids=_HOSTILE_LONG_NAMES.keys())
def test_a_name_of_a_hundred_thousand_letters_is_normalised(text: str) -> None:
    forms = name_forms({"full_name": text})
    assert normalise_latin(romanise(text)) == romanise(text)
    assert forms["full_lat"] is None or set(forms["full_lat"]) <= set("abcdefghijklmnopqrstuvwxyz ")
    place_forms(text)
