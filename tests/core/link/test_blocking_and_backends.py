"""Blocking stays linear on large inputs; backends are chosen with clear errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from everyname.core.link import BackendUnavailable, LinkSettings, make_db_api
from everyname.core.link.blocking import effective_rules
from everyname.core.link.records import available_columns, prepare_records
from everyname.core.link.settings import BlockingSettings


def crowded(n: int) -> pd.DataFrame:
    """n records sharing one given and one family key (a very common name), varied dates."""
    return pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "source": "s",
            "given_key": "MHMD",
            "family_key": "NJR",
            "father_key": [f"F{i % 50}" for i in range(n)],
            "date_of_death": [f"2012-02-{1 + i % 28:02d}" for i in range(n)],
        }
    )


def test_a_loose_rule_is_refined_and_a_tight_one_kept():
    records = prepare_records(crowded(400))
    settings = LinkSettings(
        blocking=BlockingSettings(
            rules=(("given_key", "family_key"), ("father_key", "date_of_death")),
            refine_with=("father_key", "date_of_death"),
            max_pairs_per_record=5.0,
        )
    )
    rules = effective_rules(records, available_columns(records), settings)
    # 400 records in one block = 79,800 pairs, far over 5 per record (2,000): refined.
    # + father: 1,400 pairs, kept; + date: 2,548, refined again into a rule that the kept
    # (father, date) rule already covers, so dropped.
    assert rules == [("given_key", "family_key", "father_key"), ("father_key", "date_of_death")]


def test_small_inputs_keep_the_declared_rules():
    records = prepare_records(crowded(4))  # 6 pairs, under 2 per record
    settings = LinkSettings(blocking=BlockingSettings(rules=(("given_key", "family_key"),)))
    assert effective_rules(records, available_columns(records), settings) == [
        ("given_key", "family_key")
    ]


def test_unknown_backend_is_refused_by_name():
    with pytest.raises(BackendUnavailable, match="duckdb, spark"):
        make_db_api("postgres")


def test_missing_pyspark_names_the_spark_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    with pytest.raises(BackendUnavailable, match="spark"):
        make_db_api("spark")


def test_importing_linkage_does_not_load_spark():
    code = "import sys, everyname.core.link; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
