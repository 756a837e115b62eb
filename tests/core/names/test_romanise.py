"""Romanisation: any script into the comparable Latin form."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names import normalise_latin, romanise

ARABIC_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x0621, max_codepoint=0x064A) | st.just(" "), max_size=30
)


def test_issue_example_one_person_three_spellings() -> None:
    forms = {
        romanise("محمد عبد الرحمن الخالدي"),
        romanise("Mohammed Abdulrahman al-Khalidi"),
        romanise("Muhammad Abd al-Rahman Khalidi"),
    }
    assert len(forms) == 1


def test_words_outside_the_table_are_spelt_by_rules() -> None:
    # Invented words: the table cannot know them, the letter rules still give Latin.
    assert romanise("زفلقون") and romanise("زفلقون").isascii()
    assert romanise("ابوزفلقون").startswith("abu ")


def test_latin_input_goes_through_the_latin_normaliser() -> None:
    assert romanise("Mohammed Al-Zahhar") == normalise_latin("Mohammed Al-Zahhar")


@given(st.text())
def test_never_raises_ascii_idempotent(text: str) -> None:
    once = romanise(text)
    assert re.fullmatch(r"[a-z]*( [a-z]+)*", once)
    assert romanise(once) == once


@given(ARABIC_TEXT)
def test_arabic_letters_always_give_latin(text: str) -> None:
    out = romanise(text)
    assert out.isascii()


def test_letter_rules_follow_common_name_shapes() -> None:
    """Words the table may lack are spelt by the shapes names usually have; these are
    compared with the usual romanisations through the same normaliser."""
    import importlib

    spell = importlib.import_module("everyname.core.names.romanise")._spell
    for arabic, usual in (
        ("اكرم", "Akram"),  # أفعل
        ("ادهم", "Adham"),
        ("رمزي", "Ramzi"),  # فعلي
        ("مجدي", "Majdi"),
        ("منصور", "Mansour"),  # مفعول
        ("حسن", "Hasan"),
        ("نبيل", "Nabil"),  # فعيل
    ):
        assert normalise_latin(spell(arabic)) == normalise_latin(usual)
