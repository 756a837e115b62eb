"""Splitting full names into given, father, grandfather and family parts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names import PARTS, name_forms, split_name
from tests.core.names.conftest import name_table


@pytest.mark.parametrize("row", name_table("name_structure"), ids=lambda r: r["full_name"])
def test_table(row: dict[str, str]) -> None:
    parts = split_name(row["full_name"])
    assert parts.parts() == {p: (row[p] or None) for p in PARTS}


def test_explicit_parts_win_and_family_column_ends_the_chain() -> None:
    parts = split_name("Ahmad Saleh", family="Abu Rikab")
    assert (parts.given, parts.father, parts.family) == ("Ahmad", "Saleh", "Abu Rikab")
    parts = split_name("Ahmad Saleh Abu Rikab", family="Abu Rikab")
    assert (parts.given, parts.father, parts.family) == ("Ahmad", "Saleh", "Abu Rikab")
    parts = split_name(None, given="محمد", father="أحمد")
    assert (parts.given, parts.father, parts.family) == ("محمد", "احمد", None)


def test_longer_chains_keep_extra_ancestors() -> None:
    parts = split_name("علي حسن محمد خليل ابو سيدو")
    assert parts.others == ("خليل",)
    assert parts.family == "ابو سيدو"


def test_latin_and_keys_per_part() -> None:
    parts = split_name("محمد عبد الرحمن الخالدي")
    assert parts.keys == {
        "given": "MHMD",
        "father": "BDLRHMN",
        "grandfather": None,
        "family": "KLD",
    }
    assert parts.latin["given"] == parts.latin["given"] and parts.latin["grandfather"] is None


def test_name_forms_columns() -> None:
    forms = name_forms({"full_name": "محمد عبد الرحمن الخالدي", "mother_name": "فاطمة"})
    assert forms["given_ar"] == "محمد" and forms["family_ar"] == "الخالدي"
    assert forms["full_key"] == "MHMD BDLRHMN KLD"
    assert forms["mother_key"] == "FDM"
    latin = name_forms({"given_name": "Mohammed", "family_name": "al-Khalidi"})
    assert latin["given_ar"] is None and latin["given_lat"] == forms["given_lat"]
    assert latin["family_key"] == "KLD" and latin["is_placeholder"] is False


@given(st.text(), st.one_of(st.none(), st.text()))
def test_never_raises(full: str, family: str | None) -> None:
    parts = split_name(full, family=family)
    assert all(v is None or v.strip() == v for v in parts.parts().values())
    forms = name_forms({"full_name": full, "family_name": family})
    assert isinstance(forms["is_placeholder"], bool)
