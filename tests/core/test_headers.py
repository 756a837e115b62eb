"""Column headers recognised without a mapping, from the reviewed table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from everyname.core.headers import recognise_header, resolve_columns
from everyname.core.schema import CANONICAL_FIELDS


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
