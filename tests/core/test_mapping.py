"""TOML mappings: every problem reported at once with file and key; the shipped examples load."""

from __future__ import annotations

from pathlib import Path

import pytest

from everyname.core.errors import InputRejected
from everyname.core.mapping import load_mapping, parse_mapping, with_defaults

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"

GOOD = """
description = "a committee list"
ignore = ["Photo"]
[columns]
"Name" = "full_name"
"Sex" = ["sex", "age_group"]
"Area" = "notes"
"Remarks" = "notes"
[values.sex]
"Adult - Male" = "male"
[values.age]
"0" = ""
[dates]
order = "MDY"
[defaults]
governorate = "Homs"
outcome = "killed"
date_of_death = "2012-02"
"""


def test_a_good_mapping() -> None:
    mapping = parse_mapping(GOOD, "m.toml")
    assert mapping.columns == {
        "Name": ("full_name",),
        "Sex": ("sex", "age_group"),
        "Area": ("notes",),
        "Remarks": ("notes",),
    }
    assert mapping.values["sex"] == {"adult male": "male"}  # keys compared as match keys
    assert mapping.values["age"] == {"0": ""}
    assert mapping.date_order == "MDY"
    assert mapping.defaults == {
        "governorate": "Homs",
        "outcome": "killed",
        "date_of_death": "2012-02",
    }
    assert mapping.ignore == ("Photo",)
    assert mapping.recognise_headers is True


def problems_of(text: str) -> list[tuple[str | None, str | None, str]]:
    with pytest.raises(InputRejected) as caught:
        parse_mapping(text, "wrong.toml")
    assert all(p.file == "wrong.toml" for p in caught.value.problems)
    return [(p.column, p.value, p.expected) for p in caught.value.problems]


def test_bad_toml_names_the_line() -> None:
    with pytest.raises(InputRejected) as caught:
        parse_mapping('[columns]\n"Name" = "full_name"\n"Sex" = \n', "wrong.toml")
    (problem,) = caught.value.problems
    assert problem.file == "wrong.toml"
    assert problem.row == 3
    assert "valid TOML" in problem.expected


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of(
        """
colums = 1
[columns]
"Name" = "fullname"
"Sex" = "sex"
"Gender" = "sex"
[values.sex]
"Adult - Male" = "man"
[values.colour]
"x" = "y"
[dates]
order = "DYM"
[defaults]
outcome = "kiled"
date_of_death = "2012-02-30"
age = "430"
[values.age]
"0" = ""
"-" = "unknown"
"""
    )
    keys = {column for column, _, _ in found}
    assert keys == {
        "colums",
        "columns.Name",
        "columns.Gender",
        "values.sex.Adult - Male",
        "values.colour",
        "dates.order",
        "defaults.outcome",
        "defaults.date_of_death",
        "defaults.age",
        "values.age.-",
    }
    by_key = {column: (value, expected) for column, value, expected in found}
    assert by_key["columns.Name"][0] == "fullname"
    assert "full_name" in by_key["columns.Name"][1]  # lists the canonical fields
    assert by_key["values.sex.Adult - Male"] == ("man", "a sex value: male, female, unknown")
    assert "DMY" in by_key["dates.order"][1]
    assert "February 2012 has 29 days" in by_key["defaults.date_of_death"][1]
    assert "between 0 and 120" in by_key["defaults.age"][1]
    assert "already comes from 'Sex'" in by_key["columns.Gender"][1]


def test_a_witness_column_feeds_only_witness_fields() -> None:
    """Its text is stored only encrypted: another field would keep it in the clear (as written,
    normalised, or in the flag of a value that cannot be read)."""
    ((key, value, expected),) = problems_of(
        '[columns]\n"name" = "full_name"\n"contact" = ["reporter_contact", "date_of_birth"]\n'
    )
    assert (key, value) == ("columns.contact", "reporter_contact, date_of_birth")
    assert "witness identity" in expected
    both = parse_mapping('[columns]\n"who" = ["reporter_name", "reporter_contact"]\n', "m.toml")
    assert both.columns["who"] == ("reporter_name", "reporter_contact")


SECRET = "ZZSECRET-Witness-Qx7"
SECRET_AR = "شاهدسري٧"


@pytest.mark.parametrize("field_name", ["reporter_name", "reporter_contact"])
def test_no_default_and_no_value_map_for_a_witness_identity(field_name: str) -> None:
    """The mapping's text is kept with the batch unencrypted: a witness's name there would be
    in the clear. The refusal does not repeat it."""
    with pytest.raises(InputRejected) as caught:
        parse_mapping(
            f'[columns]\n"name" = "full_name"\n[defaults]\n{field_name} = "{SECRET}"\n'
            f'[values.{field_name}]\n"{SECRET_AR}" = "{SECRET}"\n',
            "m.toml",
        )
    problems = caught.value.problems
    assert {p.column for p in problems} == {f"defaults.{field_name}", f"values.{field_name}"}
    assert all("witness" in p.expected for p in problems)
    shown = str(caught.value) + repr(problems)
    assert SECRET not in shown and SECRET_AR not in shown


@pytest.mark.parametrize("field_name", ["reporter_name", "reporter_contact", "witness", "phone"])
def test_a_default_given_on_the_command_line_for_a_witness_is_refused_without_its_value(
    field_name: str,
) -> None:
    with pytest.raises(InputRejected) as caught:
        with_defaults(None, {field_name: SECRET, "outcome": "killed"})
    (problem,) = caught.value.problems
    assert problem.value is None and SECRET not in str(caught.value)
    assert field_name in str(problem)


@pytest.mark.parametrize("header", ["Informant", "Witness phone", "رقم الهاتف", "reporter"])
def test_a_column_that_looks_like_a_witness_identity_cannot_feed_a_plain_field(
    header: str,
) -> None:
    ((key, value, expected),) = problems_of(f'[columns]\n"{header}" = "notes"\n')
    assert (key, value) == (f"columns.{header}", "notes")
    assert "not_identity" in expected and "reporter_" in expected
    declared = parse_mapping(
        f'not_identity = ["{header}"]\n[columns]\n"{header}" = "notes"\n', "m.toml"
    )
    assert declared.columns[header] == ("notes",) and declared.not_identity == (header,)
    assert parse_mapping(f'[columns]\n"{header}" = "reporter_contact"\n', "m.toml").columns


def test_not_identity_is_a_list_of_columns() -> None:
    assert problems_of('not_identity = "phone"\n')[0][0] == "not_identity"


def test_no_default_for_a_name() -> None:
    assert problems_of('[defaults]\nfull_name = "x"\n')[0][0] == "defaults.full_name"


def test_bad_encoding_and_delimiter() -> None:
    found = problems_of('encoding = "klingon"\ndelimiter = ";;"\n')
    assert {c for c, _, _ in found} == {"encoding", "delimiter"}


def test_missing_columns_are_listed_with_the_columns_the_file_has() -> None:
    mapping = parse_mapping(GOOD, "m.toml")
    problems = mapping.missing_columns("list.csv", ["Name", "Sex", "Area"])
    assert [p.column for p in problems] == ["columns.Remarks"]
    assert "a column of list.csv" in problems[0].expected and "'Area'" in problems[0].expected


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        load_mapping(tmp_path / "nope.toml")
    assert "existing mapping file" in caught.value.problems[0].expected


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_examples_load(path: Path) -> None:
    mapping = load_mapping(path)
    assert mapping.name == path.name
    assert mapping.description
    assert mapping.defaults.get("outcome") == "killed"


def test_examples_exist() -> None:
    assert len(list(EXAMPLES.glob("*.toml"))) >= 7
