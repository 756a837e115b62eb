"""Cross-script keys: Arabic spellings and their romanisations share a consonant skeleton."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names import NO_CONSONANT, name_key, romanise
from tests.core.names.conftest import name_table


@pytest.mark.parametrize(
    "row", name_table("cross_script_keys"), ids=lambda r: f"{r['latin']}={r['key']}"
)
def test_arabic_and_latin_share_the_key(row: dict[str, str]) -> None:
    assert name_key(row["arabic"]) == row["key"]
    assert name_key(row["latin"]) == row["key"]


def test_missing_and_vowel_only_names() -> None:
    assert name_key(None) == ""
    assert name_key("   ") == NO_CONSONANT or name_key("   ") == ""
    assert name_key("Aya") == NO_CONSONANT


def test_key_of_romanised_arabic_equals_key_of_arabic() -> None:
    for name in ("محمد", "عبد الرحمن", "ابو شماله", "الخالدي", "نورالدين", "يوسف"):
        assert name_key(romanise(name)) == name_key(name)


@given(st.text())
def test_never_raises_and_is_upper_ascii(text: str) -> None:
    assert re.fullmatch(r"[A-Z]*", name_key(text))


# no article: inside a part of several words name_key keeps it ("نور الدين": NRLDN), and a
# search's keys already give such a compound as one key
WORDS = ("محمد", "نور", "داود", "آية", "Mohammed", "Nour", "Dawood", "Aya", "Hasan")


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
def test_joined_key_is_the_key_of_the_words_written_as_one_part(words: list[str]) -> None:
    """What a search joins from typed keys is what ingest stores for a given name of
    several words ("محمد نور": MHMDNR, "محمد داود": the D written once)."""
    from everyname.core.names.keys import joined_key

    assert joined_key([name_key(w) for w in words]) == name_key(" ".join(words))
