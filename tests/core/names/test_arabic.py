"""Arabic-script normalisation: the reviewed table and the properties every input must keep."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names import normalise_arabic
from tests.core.names.conftest import name_table

ARABIC_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
    | st.sampled_from(" ()abcU8١"),
    max_size=40,
)


@pytest.mark.parametrize("row", name_table("arabic_normalisation"), ids=lambda r: r["note"])
def test_table(row: dict[str, str]) -> None:
    assert normalise_arabic(row["input"]) == row["expected"]


def test_invisible_controls_removed() -> None:
    assert normalise_arabic("سا\u200bمر\u200f \u202bعلي\u202c\ufeff") == "سامر علي"


@given(st.text())
def test_never_raises_and_idempotent_on_any_unicode(text: str) -> None:
    once = normalise_arabic(text)
    assert normalise_arabic(once) == once


@given(ARABIC_TEXT)
def test_idempotent_on_arabic_heavy_text(text: str) -> None:
    once = normalise_arabic(text)
    assert normalise_arabic(once) == once


@given(ARABIC_TEXT)
def test_output_has_no_marks_variants_or_double_spaces(text: str) -> None:
    out = normalise_arabic(text)
    assert not re.search(r"[\u064B-\u065F\u0670\u0640أإآىةؤئ]", out)
    assert "  " not in out
    assert out == out.strip()
