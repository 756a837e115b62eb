"""The Spark backend scores the same model to the same persons as DuckDB (local mode)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from everyname.core.link import LinkSettings, MatchDecision, link_records

pytestmark = pytest.mark.slow  # starts a local Spark (about 30-40 s)


def test_spark_gives_the_same_persons_as_duckdb(febrl4_small: pd.DataFrame):
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    people = febrl4_small["truth"].drop_duplicates().sort_values().iloc[:300]
    sample = febrl4_small[febrl4_small["truth"].isin(people)].drop(columns=["truth"])
    duck = link_records(sample, LinkSettings())
    assert duck.counts["pairs_linked"] >= 80  # a sample with real work to do
    decisions = [MatchDecision(*duck.pairs.iloc[0][["record_id_l", "record_id_r"]], "different")]
    duck = link_records(sample, LinkSettings(), decisions, model=duck.model)
    spark = link_records(sample, LinkSettings(), decisions, model=duck.model, backend="spark")
    assert spark.person_of() == duck.person_of()
    assert spark.counts == duck.counts
    both = duck.pairs.merge(spark.pairs, on=["record_id_l", "record_id_r"], suffixes=("_d", "_s"))
    assert len(both) == len(duck.pairs)
    # Spark's Jaro-Winkler (Splink's jar) and DuckDB's can differ in the last digits, which
    # moves a rare pair across a similarity level; the persons must not change.
    same = np.isclose(both["match_weight_d"], both["match_weight_s"], atol=1e-6)
    assert same.mean() >= 0.95, both.loc[~same, ["match_weight_d", "match_weight_s"]]
    assert spark.versions["pyspark"] != "not installed"


def test_spark_links_a_handful_of_records_as_duckdb_does(febrl4_small: pd.DataFrame):
    """Too few records to train: both backends fall back to the same defaults and persons."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    pair = febrl4_small[febrl4_small["truth"] == febrl4_small["truth"].iloc[0]]
    others = febrl4_small[febrl4_small["truth"] != pair["truth"].iloc[0]].head(4)
    sample = pd.concat([pair, others]).drop(columns=["truth"])
    duck = link_records(sample)
    spark = link_records(sample, backend="spark")
    assert duck.fallbacks and spark.fallbacks == duck.fallbacks
    assert spark.person_of() == duck.person_of()
    assert spark.counts == duck.counts
    assert len(spark.review) == len(duck.review) >= 1  # every compared pair awaits review
    one = link_records(sample.head(1), backend="spark")
    assert one.counts["persons"] == 1 and [f.stage for f in one.fallbacks] == ["scoring"]
