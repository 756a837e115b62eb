"""The reviewed name/place tables are well formed, and spelling slips stay slips."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from everyname.core.demo.spelling import arabic_spelling, arabic_typo, latin_typo
from everyname.core.demo.tables import labels, names_table, neighbourhoods, syrian_places
from everyname.core.schema import Cause, Sex, Status

ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"


def _is_arabic_text(text: str) -> bool:
    return all(ch == " " or "\u0621" <= ch <= "\u064a" for ch in text)


@pytest.mark.parametrize("kind", ["male", "female", "family"])
def test_name_tables(kind: str) -> None:
    table = names_table(kind)
    assert len(table) >= 25
    arabic = [e.arabic for e in table.entries]
    assert len(set(arabic)) == len(arabic)
    for entry in table.entries:
        assert _is_arabic_text(entry.arabic), entry.arabic
        assert entry.weight > 0
        assert entry.latin and all(v.isascii() and v.strip() == v for v in entry.latin)
        entry.arabic.encode("cp1256")  # the Windows-1256 list must be able to hold every name
    assert list(table.cumulative) == sorted(table.cumulative)


def test_common_names_are_common() -> None:
    male = names_table("male")
    top = max(male.entries, key=lambda e: e.weight)
    assert top.arabic == "محمد" and {"Mohammed", "Muhammad"} <= set(top.latin)
    rng = Random(1)
    draws = [male.draw(rng).arabic for _ in range(5_000)]
    assert 0.1 < draws.count("محمد") / len(draws) < 0.3


def test_place_tables() -> None:
    hoods = neighbourhoods()
    assert {e.extra[0] for e in hoods.entries} == {"south", "north", "old", "west"}
    assert {
        "بابا عمرو",
        "الخالدية",
        "باب السباع",
        "الإنشاءات",
        "كرم الزيتون",
        "باب هود",
        "الوعر",
    } <= {e.arabic for e in hoods.entries}
    governorates = {e.extra[1] for e in syrian_places().entries}
    assert len(governorates) == 14


def test_labels_cover_every_vocabulary_value() -> None:
    table = labels()
    for field, enum in (("sex", Sex), ("status", Status), ("cause", Cause)):
        for member in enum:
            assert (field, member.value) in table, f"no label for {field}={member.value}"


@given(st.text(alphabet=ARABIC_LETTERS + " ", min_size=0, max_size=30), st.integers(0, 10**6))
def test_arabic_spelling_and_typo_stay_close(text: str, seed: int) -> None:
    rng = Random(seed)
    spelled = arabic_spelling(text, rng, 1.0)
    assert _is_arabic_text(spelled)
    assert len(spelled) <= len(text)
    slipped = arabic_typo(text, rng)
    assert Levenshtein.distance(text, slipped) <= 1


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzAM -'", max_size=30), st.integers(0, 10**6))
def test_latin_typo_is_one_slip(text: str, seed: int) -> None:
    slipped = latin_typo(text, Random(seed))
    assert Levenshtein.distance(text, slipped) <= 2  # a swap is two substitutions
    assert len(text) - 1 <= len(slipped) <= len(text) + 1
