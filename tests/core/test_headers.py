"""Column headers recognised without a mapping, from the reviewed table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from everyname.core.headers import identity_field, recognise_header, resolve_columns
from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS


def test_header_table(row_headers: dict[str, str]) -> None:
    row = row_headers
    expected = None if row["field"] == "-" else row["field"]
    assert recognise_header(row["header"]) == expected, row["why"]


def test_every_canonical_field_has_a_recognised_header() -> None:
    recognised = {recognise_header(h) for h in _all_headers()}
    assert set(CANONICAL_FIELDS) <= recognised


def _all_headers() -> list[str]:
    from importlib import resources

    text = resources.files("everyname.core").joinpath("data/headers.tsv").read_text("utf-8")
    return [line.split("\t")[1] for line in text.splitlines()[1:] if "\t" in line]


@given(st.sampled_from(_all_headers()), st.sampled_from(["", " ", "_", "  "]))
def test_case_spacing_and_underscores_do_not_matter(header: str, pad: str) -> None:
    variant = pad + header.upper().replace(" ", "_") + pad
    assert recognise_header(variant) == recognise_header(header)


def test_first_column_wins_and_the_second_is_noted() -> None:
    plan = resolve_columns(["Name", "الاسم", "Sex", "Photo"])
    assert plan.used == {"Name": ("full_name",), "Sex": ("sex",)}
    assert plan.unused == ["الاسم", "Photo"]
    assert any("الاسم" in note and "full_name" in note for note in plan.notes)


def test_explicit_columns_win_and_ignored_columns_stay_unused() -> None:
    plan = resolve_columns(
        ["Name", "Sex", "الاسم", "Notes"],
        explicit={"الاسم": ("full_name",), "Sex": ("sex", "age_group")},
        ignore=["Notes"],
    )
    assert plan.used == {"الاسم": ("full_name",), "Sex": ("sex", "age_group")}
    assert plan.unused == ["Name", "Notes"]


def test_recognition_can_be_switched_off() -> None:
    plan = resolve_columns(["Name", "Age"], explicit={"Name": ("full_name",)}, recognise=False)
    assert plan.used == {"Name": ("full_name",)}
    assert plan.unused == ["Age"]


@given(st.sampled_from(CANONICAL_FIELDS), st.data())
def test_a_canonical_name_is_its_own_header_however_it_is_typed(
    field_name: str, data: st.DataObject
) -> None:
    """``source_record_id``, "Source Record ID", " SOURCE-RECORD-ID ": the README documents the
    field names as headers that need no mapping."""
    separator = data.draw(st.sampled_from(["_", " ", "-", "  "]))
    parts = [
        data.draw(st.sampled_from([p, p.upper(), p.capitalize()])) for p in field_name.split("_")
    ]
    padding = data.draw(st.sampled_from(["", " "]))
    assert recognise_header(padding + separator.join(parts) + padding) == field_name


# --- witness identities ----------------------------------------------------------------------


@given(st.sampled_from(_all_headers()))
def test_a_recognised_header_looks_like_an_identity_exactly_when_it_names_one(header: str) -> None:
    """The identity words and the header table agree: no plain field's header is withheld,
    and no recognised witness header escapes the words."""
    field_name = recognise_header(header)
    expected = field_name if field_name in SENSITIVE_FIELDS else None
    assert identity_field(header) == expected


def test_headers_that_look_like_a_witness_identity_in_english_and_arabic() -> None:
    contacts = [
        "Witness phone", "Informant's WhatsApp", "E-Mail Address", "tel.", "Mobile No",
        "Telephone", "family contact", "رقم الهاتف", "الجوال", "للتواصل", "واتساب المبلغ",
        "البريد الإلكتروني", "رقم موبايل الشاهد", "تلفون",
    ]  # fmt: skip
    names = [
        "Witness", "eyewitnesses", "Reported by", "Source person", "اسم الشاهد", "المُبلِّغ",
        "الشهود", "اسم المخبر",
    ]  # fmt: skip
    plain = [
        "Name", "The Source", "source", "Tell Kalakh", "Cause of Death", "Photo",
        "Martyrdom location", "Brigade Name", "الاسم", "تاريخ الوفاة", "Occupation",
    ]  # fmt: skip
    assert {h: identity_field(h) for h in contacts} == dict.fromkeys(contacts, "reporter_contact")
    assert {h: identity_field(h) for h in names} == dict.fromkeys(names, "reporter_name")
    assert {h: identity_field(h) for h in plain} == dict.fromkeys(plain)


def test_a_second_witness_column_and_an_unknown_one_are_withheld() -> None:
    """The second reporter-like column cannot feed reporter_name (taken), and "Witness's
    mobile (2)" is no recognised header: both are kept only encrypted, never left in the clear
    among the unused columns."""
    plan = resolve_columns(["name", "reporter", "informant", "Witness's mobile (2)", "Photo"])
    assert plan.used == {"name": ("full_name",), "reporter": ("reporter_name",)}
    assert plan.withheld == ["informant", "Witness's mobile (2)"]
    assert plan.unused == ["informant", "Witness's mobile (2)", "Photo"]
    informant, mobile = plan.notes
    assert "'informant'" in informant and "read from 'reporter'" in informant
    assert '"Witness\'s mobile (2)" = "reporter_contact"' in mobile


def test_recognition_off_or_ignored_never_leaves_an_identity_in_the_clear() -> None:
    off = resolve_columns(["Name", "phone"], explicit={"Name": ("full_name",)}, recognise=False)
    assert off.withheld == ["phone"]
    ignored = resolve_columns(["Name", "الشاهد"], ignore=["الشاهد"])
    assert ignored.withheld == ["الشاهد"] and "الشاهد" not in ignored.used


def test_a_column_declared_not_an_identity_is_read_in_the_clear() -> None:
    plan = resolve_columns(
        ["Name", "Hospital phone", "phone"], not_identity=["Hospital phone", "phone"]
    )
    assert plan.withheld == [] and plan.used == {"Name": ("full_name",)}
    assert plan.unused == ["Hospital phone", "phone"]


def _identity_words() -> list[str]:
    from importlib import resources

    text = resources.files("everyname.core").joinpath("data/identity_words.tsv").read_text("utf-8")
    return [line.split("\t")[1] for line in text.splitlines()[1:] if line and line[0] != "#"]


@given(st.text(max_size=40), st.sampled_from(_identity_words()), st.text(max_size=40))
def test_a_header_holding_an_identity_word_always_looks_like_an_identity(
    before: str, word: str, after: str
) -> None:
    """Whatever surrounds it ("Informant's WhatsApp (2)", "هاتف المبلغ الثاني"), and never an
    error on any text."""
    assert identity_field(f"{before} {word} {after}") in SENSITIVE_FIELDS
    assert identity_field(before) in (None, *SENSITIVE_FIELDS)
