"""Cell normalisers: vocabularies from the reviewed tables, ages, digits, ID numbers; and what an
import flags as unreadable (``read_age``, ``read_vocabulary``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.schema import UNKNOWN, VOCABULARIES, AgeGroup
from everyname.core.values import (
    MAX_AGE,
    Age,
    InvalidValue,
    age_group_from_age,
    collapse_spaces,
    match_key,
    normalise_national_id,
    normalise_place,
    normalise_text,
    normalise_vocabulary,
    parse_age,
    read_age,
    read_vocabulary,
    to_ascii_digits,
    vocabulary_terms,
)


def test_sex_table(row_sex: dict[str, str]) -> None:
    assert normalise_vocabulary("sex", row_sex["input"]) == row_sex["expected"], row_sex["why"]


def test_age_group_table(row_age_group: dict[str, str]) -> None:
    row = row_age_group
    assert normalise_vocabulary("age_group", row["input"]) == row["expected"], row["why"]


def test_status_table(row_status: dict[str, str]) -> None:
    row = row_status
    assert normalise_vocabulary("status", row["input"]) == row["expected"], row["why"]


def test_cause_table(row_cause: dict[str, str]) -> None:
    row = row_cause
    assert normalise_vocabulary("cause", row["input"]) == row["expected"], row["why"]


def test_outcome_table(row_outcome: dict[str, str]) -> None:
    row = row_outcome
    assert normalise_vocabulary("outcome", row["input"]) == row["expected"], row["why"]


def test_every_vocabulary_value_is_reachable_from_the_lexicon() -> None:
    for field_name, enum in VOCABULARIES.items():
        assert {m.value for m in enum} <= set(vocabulary_terms(field_name).values()), field_name


@given(st.sampled_from(sorted(VOCABULARIES)), st.text())
def test_vocabulary_never_raises_and_stays_in_vocabulary(field_name: str, text: str) -> None:
    assert normalise_vocabulary(field_name, text) in {m.value for m in VOCABULARIES[field_name]}


@given(st.sampled_from(sorted(VOCABULARIES)), st.text())
def test_vocabulary_is_idempotent_on_its_own_values(field_name: str, text: str) -> None:
    value = normalise_vocabulary(field_name, text)
    assert normalise_vocabulary(field_name, value) == value


@given(st.sampled_from(sorted(VOCABULARIES)), st.text(alphabet="xyzqجخ ", min_size=1))
def test_unrecognised_words_are_unknown(field_name: str, text: str) -> None:
    # None of these letters spell a term: the value must stay unknown, never guessed.
    assert normalise_vocabulary(field_name, text + " qqq") == UNKNOWN


def test_age_table(row_ages: dict[str, str]) -> None:
    row = row_ages
    if row["years"] == "PROBLEM":
        with pytest.raises(InvalidValue) as caught:
            parse_age(row["input"])
        assert f"between 0 and {MAX_AGE}" in caught.value.expected
        return
    age = parse_age(row["input"])
    if row["years"] == "NONE":
        assert age is None
        return
    assert age is not None
    expected_years = None if row["years"] == "-" else float(row["years"])
    assert age == Age(expected_years, float(row["minimum"]), float(row["maximum"])), row["why"]


@given(st.text())
def test_parse_age_raises_only_invalid_value(text: str) -> None:
    try:
        age = parse_age(text)
    except InvalidValue:
        return
    if age is not None:
        assert 0 <= age.minimum <= age.maximum <= MAX_AGE  # type: ignore[operator]


@given(st.integers(min_value=0, max_value=MAX_AGE))
def test_whole_ages_in_any_digits(n: int) -> None:
    for text in (str(n), to_arabic_indic(str(n)), f"{n} years"):
        assert parse_age(text) == Age(float(n), float(n), float(n))


@given(st.integers(min_value=MAX_AGE + 1, max_value=10**6))
def test_impossible_ages_are_problems(n: int) -> None:
    with pytest.raises(InvalidValue):
        parse_age(str(n))


def to_arabic_indic(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@given(st.text(alphabet="0123456789", min_size=1))
def test_digit_conversion_round_trip(digits: str) -> None:
    assert to_ascii_digits(to_arabic_indic(digits)) == digits
    persian = digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert to_ascii_digits(persian) == digits


@given(st.sampled_from(sorted(VOCABULARIES)), st.text())
def test_read_vocabulary_agrees_with_normalise_or_says_what_was_expected(
    field_name: str, text: str
) -> None:
    try:
        value = read_vocabulary(field_name, text)
    except InvalidValue as error:
        assert normalise_vocabulary(field_name, text) == UNKNOWN
        assert field_name in error.expected
        return
    assert value == normalise_vocabulary(field_name, text)


@given(st.sampled_from(sorted(VOCABULARIES)), st.data())
def test_every_listed_term_is_readable(field_name: str, data: st.DataObject) -> None:
    term = data.draw(st.sampled_from(sorted(vocabulary_terms(field_name))))
    assert read_vocabulary(field_name, term) == vocabulary_terms(field_name)[term]


@given(st.sampled_from(sorted(VOCABULARIES)), st.text(alphabet="xyzqجخ ", min_size=1))
def test_unrecognised_words_cannot_be_read(field_name: str, text: str) -> None:
    with pytest.raises(InvalidValue):
        read_vocabulary(field_name, text + " qqq")


@pytest.mark.parametrize(
    ("field_name", "text", "readable"),
    [
        ("sex", "unknown", True),
        ("sex", "غير معروف", True),
        ("sex", "-", True),
        ("sex", "Adult", True),  # says nothing about sex: unknown, not unreadable
        ("sex", "Adult - Male", True),
        ("sex", "X", False),
        ("sex", "male female", False),  # two values at once
        ("cause", "heart attack", False),
        ("status", "policeman", False),
    ],
)
def test_what_an_import_flags_in_a_vocabulary_field(
    field_name: str, text: str, readable: bool
) -> None:
    if readable:
        assert read_vocabulary(field_name, text) == normalise_vocabulary(field_name, text)
    else:
        with pytest.raises(InvalidValue):
            read_vocabulary(field_name, text)


@given(st.text())
def test_read_age_is_parse_age_or_flags_text_that_is_not_an_age(text: str) -> None:
    try:
        lenient = parse_age(text)
    except InvalidValue:
        with pytest.raises(InvalidValue):
            read_age(text)
        return
    try:
        assert read_age(text) == lenient
    except InvalidValue:
        assert lenient is None and text.strip()


@given(st.integers(min_value=1880, max_value=2100))
def test_a_year_typed_as_an_age_is_named_as_such(year: int) -> None:
    for text in (str(year), to_arabic_indic(str(year))):
        with pytest.raises(InvalidValue) as caught:
            read_age(text)
        assert f"not a year of birth ({year})" in caught.value.expected


@pytest.mark.parametrize("text", ["", "  ", "unknown", "غير معروف", "-", "n/a"])
def test_age_placeholders_are_readable_unknowns(text: str) -> None:
    assert read_age(text) is None


@given(st.text())
def test_digit_conversion_leaves_no_eastern_digits(text: str) -> None:
    converted = to_ascii_digits(text)
    assert not any("٠" <= c <= "٩" or "۰" <= c <= "۹" for c in converted)
    assert len(converted) == len(text)


@given(st.text())
def test_text_normalisation_is_idempotent_and_never_has_runs_of_space(text: str) -> None:
    once = normalise_text(text)
    if once is None:
        assert not collapse_spaces(text)
        return
    assert normalise_text(once) == once
    assert "  " not in once and once == once.strip()


@given(st.text())
def test_match_key_is_idempotent(text: str) -> None:
    assert match_key(match_key(text)) == match_key(text)


def test_match_key_folds_letter_variants_case_and_punctuation() -> None:
    assert match_key("أُنثى") == match_key("انثي")
    assert match_key("الكنية") == match_key("الكنيه")
    assert match_key("Full_Name ") == match_key("full  name") == "full name"
    assert match_key("مُحَمَّـــد") == "محمد"


@pytest.mark.parametrize(
    ("age", "group"),
    [
        (Age(17.0, 17.0, 17.0), AgeGroup.CHILD),
        (Age(18.0, 18.0, 18.0), AgeGroup.ADULT),
        (Age(None, 40.0, 49.0), AgeGroup.ADULT),
        (Age(None, 10.0, 19.0), UNKNOWN),  # "teens": could be either
        (Age(None, 0.0, 2.0), AgeGroup.CHILD),
        (None, UNKNOWN),
    ],
)
def test_age_group_from_age(age: Age | None, group: str) -> None:
    assert age_group_from_age(age) == group


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("804359495", "804359495"),
        ("٨٠٤٣٥٩٤٩٥", "804359495"),
        (" 804 359 495 ", "804359495"),
        ("999999999-9", "9999999999"),
        ("missing-12345678-12345", None),  # Gaza MoH release 3 placeholders
        ("9.99999E+99", None),  # a number mangled by a spreadsheet
        ("طفل رضيع66", None),  # "infant 66": not an ID number
        ("", None),
    ],
)
def test_national_id(text: str, expected: str | None) -> None:
    assert normalise_national_id(text) == expected


@given(st.text())
def test_national_id_is_digits_or_none(text: str) -> None:
    value = normalise_national_id(text)
    assert value is None or (value.isascii() and value.isdigit())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Homs", "Homs"),
        ("  بابا   عمرو ", "بابا عمرو"),
        ("حي ٣", "حي 3"),
        ("Unknown", None),
        ("غير معروف", None),
        ("-", None),
        ("n/a", None),
        ("", None),
        ("Unknown street", "Unknown street"),  # only a cell that says nothing else is a placeholder
    ],
)
def test_places(text: str, expected: str | None) -> None:
    assert normalise_place(text) == expected


@given(st.text())
def test_place_is_text_or_none(text: str) -> None:
    place = normalise_place(text)
    assert place is None or place == normalise_text(text)


# --- invisible format characters -------------------------------------------------------------

_RLO, _ZWSP, _RLM, _SHY, _BOM = "\u202e", "\u200b", "\u200f", "\u00ad", "\ufeff"
_BABA_AMR_VARIANTS = (
    "Baba Amr",
    f"{_RLO}Baba Amr",
    f"Baba{_ZWSP} Amr",
    f"Ba{_ZWSP}ba Amr",
    f"Baba Amr{_RLM}",
    f"Ba{_SHY}ba {_BOM}Amr",
    "\u2066Baba Amr\u2069",
)


def test_format_characters_listed_are_exactly_unicodes_cf() -> None:
    """The hard-coded list must cover every Cf character of the running Python's tables."""
    import sys
    import unicodedata

    from everyname.core.values import FORMAT_CHARACTERS

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        is_format = unicodedata.category(char) == "Cf"
        assert bool(FORMAT_CHARACTERS.fullmatch(char)) == is_format, hex(code)


def test_an_invisible_character_does_not_make_a_second_place() -> None:
    from collections import Counter

    from everyname.core.ingest import normalise
    from everyname.core.places import Gazetteer

    normalised = [normalise({"place": text})[0]["place"] for text in _BABA_AMR_VARIANTS]
    assert Counter(normalised) == Counter({"Baba Amr": len(_BABA_AMR_VARIANTS)})
    gazetteer = Gazetteer.load()
    found = {gazetteer.resolve(text).entry.id for text in _BABA_AMR_VARIANTS}  # type: ignore[union-attr]
    assert found == {"sy-hi-n-babaamr"}


def test_invisible_characters_do_not_hide_a_category_or_an_age() -> None:
    assert normalise_vocabulary("sex", f"{_RLO}male") == normalise_vocabulary("sex", "male")
    assert normalise_vocabulary("sex", f"ذ{_ZWSP}كر") == normalise_vocabulary("sex", "ذكر")
    assert parse_age(f"{_RLM}34") == parse_age("34")
    assert normalise_national_id(f"12{_ZWSP}34") == "1234"
    assert match_key(f"{_RLO}Full{_SHY} name") == match_key("Full name")


@given(st.text())
def test_comparable_forms_never_hold_format_characters(text: str) -> None:
    import unicodedata

    for out in (normalise_text(text), normalise_place(text), match_key(text)):
        assert not any(unicodedata.category(c) == "Cf" for c in out or "")
