"""Counting on the real VDC sample agrees with a direct tabulation of its records.

Until linkage lands every record is taken as its own person (the lead will switch this to the
persons of a link run and explain each difference by the duplicates linkage finds). The direct
tabulation here is written independently of the counting code: plain pandas over the ingest's
normalised values. Only aggregates are asserted; no row is printed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from everyname.core.count import CountFilters, CountInput, count_persons
from everyname.core.ingest import open_source

VDC = ("real", "syria_vdc", "vdc_martyrs_sample_scraped_2019.csv")


@pytest.fixture(scope="module")
def vdc(shared_data) -> pd.DataFrame:
    source = open_source(shared_data.joinpath(*VDC))
    frame = pd.DataFrame([r.normalised for r in source.records()])
    frame["person_id"] = [f"V{i}" for i in range(len(frame))]
    return frame


def _direct(values: pd.Series) -> dict[str, int]:
    known = values.where(values.notna() & (values.astype(str).str.casefold() != "unknown"))
    counts = known.fillna("unknown").value_counts()
    return {str(k): int(v) for k, v in counts.items()}


@pytest.mark.slow
def test_counts_agree_with_direct_tabulation(vdc):
    memberships = pd.DataFrame(
        {"person_id": vdc["person_id"], "record_id": vdc["person_id"], "source": "vdc"}
    )
    data = CountInput(vdc, memberships, link_run="records-as-persons")
    year = CountFilters(since="2012-01-01", until="2012-12-31")
    result = count_persons(data, year, by=["governorate", "month", "status", "sex", "age_group"])

    start = pd.to_datetime(vdc["date_of_death_start"])
    end = pd.to_datetime(vdc["date_of_death_end"])
    inside = vdc[(start >= "2012-01-01") & (end <= "2012-12-31")]
    straddle = vdc[(start <= "2012-12-31") & (end >= "2012-01-01")].index.difference(inside.index)
    assert result.total == len(inside) > 1000
    assert len(result.possibly_in_window) == len(straddle)
    assert len(result.date_unknown) == int(start.isna().sum())

    month = inside["date_of_death"].where(inside["date_of_death_precision"].isin(["day", "month"]))
    expected = {
        "governorate": _direct(inside["governorate"]),
        "month": _direct(month.str[:7]),
        "status": _direct(inside["status"]),
        "sex": _direct(inside["sex"]),
        "age_group": _direct(inside["age_group"]),
    }
    for field, counts in expected.items():
        got = {r.value: r.count for r in result.by[field] if r.count}
        assert got == counts, field
        assert result.by[field][-1].value == "unknown"
    assert len(result.by["month"]) == 13  # twelve months and unknown
