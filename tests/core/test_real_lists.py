"""The shipped example mappings import the real lists in ../shared/data/real whole.

Each list goes through ``open_source(...).records()`` and the aggregates are checked against a
direct tabulation of the same file with the csv module. Every row is a record; every value that
cannot be read is explained, flagged and asserted by count. These files name real dead people:
the tests assert on aggregates only.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from everyname.core.ingest import open_source

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"
ID_SHAPE = re.compile(r"^[0-9][0-9 \-./]*$")
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?$")

GAZA = [
    ("moh_list_update1_asof_2024-01-05.csv", "gaza_moh_release1.toml", "id", "dob", None),
    ("moh_list_update2_asof_2024-03-29.csv", "gaza_moh_releases2-4.toml", "id", "dob", "age"),
    ("moh_list_update3_asof_2024-04-30.csv", "gaza_moh_releases2-4.toml", "id", "dob", "age"),
    ("moh_list_update4_asof_2024-06-30.csv", "gaza_moh_releases2-4.toml", "id", "dob", "age"),
    ("moh_list_update5_asof_2024-08-31.csv", "gaza_moh_release5.toml", "id", "dob", "age"),
    (
        "ibc_moh_list_update6_asof_2025-03-23.csv",
        "gaza_ibc_release6.toml",
        "ID number",
        "Born",
        "Age",
    ),
    ("ibc_moh_list_update7_asof_2025-06-15.csv", "gaza_ibc_release7.toml", "ID", "Born", "Age"),
    ("tfp_killed_in_gaza_translit_2024-09-21.csv", "gaza_tfp_2024-09-21.toml", "id", "dob", "age"),
]


def tabulate(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if any(v.strip() for v in row.values())]


def imported(path: Path, mapping: str) -> list:
    with open_source(path, EXAMPLES / mapping) as source:
        assert source.encoding == "utf-8"
        records = list(source.records())
        assert source.blank_rows == 0
    json.dumps([r.normalised for r in records[:200]])
    return records


def sex_of(cell: str) -> str:
    """A direct reading of the lists' sex codes, independent of the vocabulary table."""
    cell = cell.strip().lower()
    if cell in ("m", "adult - male", "child - male"):
        return "male"
    if cell in ("f", "adult - female", "child - female"):
        return "female"
    return "unknown"


@pytest.mark.parametrize(
    ("file_name", "mapping", "id_column", "dob_column", "age_column"),
    GAZA,
    ids=[g[0].split("_asof")[0] for g in GAZA],
)
def test_gaza_lists(
    shared_data: Path,
    file_name: str,
    mapping: str,
    id_column: str,
    dob_column: str,
    age_column: str | None,
) -> None:
    path = shared_data / "real" / "gaza_moh" / file_name
    rows = tabulate(path)
    records = imported(path, mapping)
    assert len(records) == len(rows)
    assert all(r.is_valid for r in records)  # every named person is a record

    # The only unreadable values are impossible ones, flagged rather than fixed: an age above
    # 120 (a year of birth typed into the age, e.g. 1994) and a date of birth in the year 1000.
    def age_over_120(row: dict[str, str]) -> bool:
        cell = row.get(age_column or "", "").strip()
        return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)?", cell)) and float(cell) > 120

    def year_out_of_range(row: dict[str, str]) -> bool:
        found = re.search(r"[0-9]{4}", row[dob_column])
        return bool(found) and not 1800 <= int(found.group()) <= 2100

    expected_problems = Counter()
    for row in rows:
        if age_column and age_over_120(row):
            expected_problems[age_column] += 1
        if year_out_of_range(row):
            expected_problems[dob_column] += 1
    found = Counter(u.column for r in records for u in r.unreadable)
    assert found == expected_problems
    assert sum(expected_problems.values()) <= 5
    for record in records:
        for flag in record.unreadable:  # kept as written, counted as unknown
            assert flag.value == record.as_written[flag.field] == record.raw[flag.column]
            if flag.field == "age":
                assert "not a year of birth" in flag.expected
                assert record.normalised["age_min"] is None
                assert record.normalised["age_group"] == "unknown"
            else:
                assert record.normalised[flag.field] is None

    normalised = [r.normalised for r in records]
    assert Counter(n["sex"] for n in normalised) == Counter(
        sex_of(r["sex" if "sex" in r else "Sex"]) for r in rows
    )
    assert all(n["outcome"] == "killed" for n in normalised)
    assert all(n["date_of_death"] is None for n in normalised)  # the lists have none
    assert [n["source_record_id"] for n in normalised] == [
        " ".join(r[id_column].split()) or None for r in rows
    ]
    assert sum(n["national_id"] is not None for n in normalised) == sum(
        bool(ID_SHAPE.match(r[id_column].strip())) for r in rows
    )
    assert sum(n["date_of_birth_precision"] == "day" for n in normalised) == sum(
        bool(ISO_DAY.match(r[dob_column])) and not year_out_of_range(r) for r in rows
    )
    assert all(n["full_name"] for n in normalised)
    if age_column:
        numeric = [r for r in rows if re.fullmatch(r"[0-9]+(\.[0-9]+)?", r[age_column].strip())]
        known = [n for n in normalised if n["age_min"] is not None]
        textual = [r for r in rows if re.search("[a-zA-Z]", r[age_column])]
        assert len(known) == len(numeric) - expected_problems[age_column] + len(textual)
        children = sum(n["age_group"] == "child" for n in normalised)
        assert children == sum(float(r[age_column]) < 18 for r in numeric) + len(textual)


def test_ibc_romanised_names_are_kept_in_the_notes(shared_data: Path) -> None:
    path = shared_data / "real" / "gaza_moh" / "ibc_moh_list_update7_asof_2025-06-15.csv"
    rows = tabulate(path)
    records = imported(path, "gaza_ibc_release7.toml")
    assert [r.normalised["notes"] for r in records] == [
        f"Name: {' '.join(row['Name'].split())}" if row["Name"].strip() else None for row in rows
    ]
    months = [r for r in records if "month" in r.as_written.get("age", "")]
    assert months and all(0 < r.normalised["age_years"] < 1 for r in months)


def test_vdc_sample(shared_data: Path) -> None:
    path = shared_data / "real" / "syria_vdc" / "vdc_martyrs_sample_scraped_2019.csv"
    rows = tabulate(path)
    records = imported(path, "vdc_martyrs.toml")
    assert len(records) == len(rows)
    assert [p for r in records for p in r.problems] == []
    assert [u for r in records for u in r.unreadable] == []
    n = [r.normalised for r in records]

    def count(key: str, value: object) -> int:
        return sum(x[key] == value for x in n)

    def cells(column: str, *values: str) -> int:
        return sum(r[column] in values for r in rows)

    assert Counter(x["sex"] for x in n) == Counter(sex_of(r["Sex"]) for r in rows)
    assert count("age_group", "child") == sum(r["Sex"].startswith("Child") for r in rows)
    assert count("age_group", "adult") == sum(r["Sex"].startswith("Adult") for r in rows)
    assert count("status", "civilian") == cells("Status", "Civilian")
    assert count("status", "combatant") == cells("Status", "Non-Civilian")
    assert count("cause", "airstrike") == cells("Cause of Death", "Warplane shelling")
    assert count("cause", "shelling") == cells("Cause of Death", "Shelling")
    assert count("cause", "shooting") == cells("Cause of Death", "Shooting")
    assert count("cause", "execution") == sum("Execution" in r["Cause of Death"] for r in rows)
    assert count("cause", "torture") == sum(
        "Torture" in r["Cause of Death"] and "Execution" not in r["Cause of Death"] for r in rows
    )
    assert count("cause", "unknown") == cells("Cause of Death", "Unknown", "")
    assert count("outcome", "killed") == len(rows)
    # Age 0 is VDC's unknown; every other number is an age.
    assert sum(x["age_years"] is not None for x in n) == sum(
        r["Age"].strip() not in ("", "0") for r in rows
    )
    assert count("date_of_death_precision", "day") == sum(
        bool(ISO_DAY.match(r["Date of death"])) and r["Date of death"] != "0000-00-00" for r in rows
    )
    assert count("governorate", None) == cells("Province", "", "Unknown", "Other Nationalities")
    assert count("place", None) == sum(not r["Martyrdom location"].strip() for r in rows)
    assert count("perpetrator", None) == sum(not r["Actors"].strip() for r in rows)
    # The home area is kept in the notes, labelled, never as the place of death.
    with_area = [
        rec for rec, row in zip(records, rows, strict=True) if row["Area \\ Place of birth"].strip()
    ]
    assert with_area and all(
        "Area \\ Place of birth: " in rec.normalised["notes"] for rec in with_area
    )
