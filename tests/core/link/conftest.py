"""Small linkage inputs with known truth, built from the FEBRL files in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from everyname.core.link.names import with_name_forms

REPO = Path(__file__).resolve().parents[3]
FEBRL = REPO.parent / "shared" / "data" / "linkage" / "splink_datasets" / "febrl"


def febrl(name: str, source: str) -> pd.DataFrame:
    """A FEBRL file as link records: names as written, birth date, ID, address as places."""
    df = pd.read_csv(FEBRL / name, skipinitialspace=True, dtype=str)
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda s: s.str.strip())
    out = pd.DataFrame({"record_id": source + ":" + df["rec_id"], "source": source})
    out["given_name"] = df["given_name"]
    out["family_name"] = df["surname"]
    dob = df["date_of_birth"]
    out["date_of_birth"] = dob.str[:4] + "-" + dob.str[4:6] + "-" + dob.str[6:8]
    out["national_id"] = df["soc_sec_id"]
    out["locality"] = df["suburb"]
    out["district"] = df["postcode"]
    out["truth"] = df["rec_id"].str.extract(r"rec-(\d+)")[0].to_numpy()
    return out


@pytest.fixture(scope="session")
def febrl4_small() -> pd.DataFrame:
    """1,000 + 1,000 records of FEBRL4 (4a, 4b): 800 true pairs, 200 records alone each side."""
    a, b = febrl("dataset4a.csv", "a"), febrl("dataset4b.csv", "b")
    common = sorted(set(a["truth"]) & set(b["truth"]), key=int)[:800]
    only_a = sorted(set(a["truth"]) - set(common), key=int)[:200]
    only_b = sorted(set(b["truth"]) - set(common) - set(only_a), key=int)[:200]
    a = a[a["truth"].isin(common + only_a)]
    b = b[b["truth"].isin(common + only_b)]
    return with_name_forms(pd.concat([a, b], ignore_index=True))
