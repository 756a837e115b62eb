"""The name rules on real lists (../shared/data/real, see SOURCES.md). Aggregates only: the
files name real people, so no assertion or message shows an individual row."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from everyname.core.names import (
    MATCH_LEVEL,
    PARTS,
    is_placeholder,
    latin_similarity,
    name_forms,
    normalise_arabic,
)

SAMPLE = 1500


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ibc_sample(shared_data: Path) -> list[dict[str, str]]:
    rows = _rows(shared_data / "real" / "gaza_moh" / "ibc_moh_list_update7_asof_2025-06-15.csv")
    return random.Random(7).sample(rows, SAMPLE)


@pytest.fixture(scope="module")
def release1(shared_data: Path) -> list[dict[str, str]]:
    return _rows(shared_data / "real" / "gaza_moh" / "moh_list_update1_asof_2024-01-05.csv")


def test_arabic_and_latin_of_one_row_meet(ibc_sample: list[dict[str, str]]) -> None:
    """IBC romanised the MoH's Arabic names: both spellings should reach the match level and
    share a blocking key on every part, the cross-script case linkage depends on."""
    reach = same_key = parts = 0
    for row in ibc_sample:
        arabic, latin = (
            name_forms({"full_name": row["الاسم"]}),
            name_forms({"full_name": row["Name"]}),
        )
        reach += latin_similarity(arabic["full_lat"] or "", latin["full_lat"] or "") >= MATCH_LEVEL
        for part in PARTS:
            if arabic[f"{part}_key"] and latin[f"{part}_key"]:
                parts += 1
                same_key += arabic[f"{part}_key"] == latin[f"{part}_key"]
    assert reach / len(ibc_sample) >= 0.97
    assert same_key / parts >= 0.95


def test_gaza_names_mostly_have_four_parts(ibc_sample: list[dict[str, str]]) -> None:
    """MoH names are given, father, grandfather, family; compounds (عبد X, X الدين) and
    "ابو X" family names must not add parts."""
    four = sum(
        all(name_forms({"full_name": row["الاسم"]})[f"{p}_ar"] for p in PARTS) for row in ibc_sample
    )
    assert four / len(ibc_sample) >= 0.95


def test_release1_placeholders_and_codes(release1: list[dict[str, str]]) -> None:
    names = [row["name_ar_raw"] for row in release1]
    unknown = [n for n in names if "مجهول" in n]
    recognised = sum(is_placeholder(n) for n in unknown)
    assert len(unknown) >= 8 and recognised == len(unknown)
    flagged = sum(is_placeholder(n) for n in names)
    assert flagged / len(names) < 0.01  # real names are not taken for placeholders
    # Latin codes appended by the extraction ("UNB8", "UN B") never reach the normalised form.
    arabic = [n for n in names if any("\u0621" <= c <= "\u064a" for c in n)]
    with_latin = sum(any("A" <= c <= "Z" for c in normalise_arabic(n)) for n in arabic)
    assert with_latin == 0


def test_vdc_unidentified_victims_are_placeholders(shared_data: Path) -> None:
    rows = _rows(shared_data / "real" / "syria_vdc" / "vdc_martyrs_sample_scraped_2019.csv")
    names = [r["Name"] for r in rows if r["Name"].strip()]
    unidentified = [n for n in names if "unidentified" in n.lower() or "مجهول" in n]
    recognised = sum(is_placeholder(n) for n in unidentified)
    assert len(unidentified) > 2000 and recognised == len(unidentified)
    assert sum(is_placeholder(n) for n in names) / len(names) < 0.12
