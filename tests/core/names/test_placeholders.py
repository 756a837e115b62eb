"""Placeholders are not names and never match each other."""

from __future__ import annotations

import pytest

from everyname.core.names import FORM_COLUMNS, is_placeholder, name_forms, name_similarity

PLACEHOLDERS = [
    "مجهول",
    "مجهول مجهول مجهول مجهول",
    "مجهول الهوية 5",
    "مجهولة الهوية",
    "مجهول الهوية ٣",
    "Unidentified 3",
    "unidentified",
    "3 Unidentified",
    "Anonymous 2 from Saleh Muhammad al-Jasem family",
    "Unknown",
    "طفل رضيع66",
    "--",
    "7",
    # the unnamed dead of one family, numbered by the list (VDC)
    "Al-Azhari 1",
    "Son of Myasar Abed 12",
    "Lady from Al-Najjar family 2",
    "Al Akkari2",
    "1Unidentified",
    "محمد احمد 2",
]


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_recognised(text: str) -> None:
    assert is_placeholder(text)
    forms = name_forms({"full_name": text})
    assert forms["is_placeholder"] is True
    assert all(
        forms[c] is None for c in FORM_COLUMNS if c not in ("is_placeholder", "name_forms_version")
    )


def test_placeholders_never_match_each_other_or_themselves() -> None:
    for a in PLACEHOLDERS:
        for b in PLACEHOLDERS:
            assert name_similarity(a, b) == 0.0


NOT_NUMBERED = [
    "Ahmed Fouad Shdeed 0",  # a 0 stands for a missing part in the Gaza lists
    "جمال 0 0 عفانه",
    "ميرا احمد محمد البطش٢٦",  # digits stuck to an Arabic word: an extraction artefact
    "Mohammed UNB8",  # a code in capitals appended by an extraction
]


@pytest.mark.parametrize(
    "text", ["محمد احمد", "Mohammed Ahmed", "Majhoul", "Baby", None, "", *NOT_NUMBERED]
)
def test_real_names_and_missing_are_not_placeholders(text: str | None) -> None:
    expected = text == "Baby"  # "baby" stands for an unnamed newborn in hospital lists
    assert is_placeholder(text) is expected


def test_a_placeholder_part_makes_the_whole_name_a_placeholder() -> None:
    forms = name_forms({"given_name": "مجهول", "family_name": "الخالدي"})
    assert forms["is_placeholder"] is True and forms["family_key"] is None


def test_numbers_are_not_name_parts() -> None:
    forms = name_forms({"full_name": "جمال 0 0 عفانه"})
    assert forms["given_ar"] == "جمال" and forms["family_ar"] == "عفانه"
    assert forms["father_ar"] is None and forms["grandfather_ar"] is None
