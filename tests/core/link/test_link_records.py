"""End to end on FEBRL4 (known truth): recovery, decisions surviving re-runs, stable ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from everyname.core.demo.link_input import demo_link_records
from everyname.core.link import (
    LinkSettings,
    MatchDecision,
    RecordsRejected,
    link_records,
    pairwise_scores,
)

pytestmark = pytest.mark.slow  # a few link runs of 2,000 records: about 15 s


@pytest.fixture(scope="module")
def first_run(febrl4_small: pd.DataFrame):
    return link_records(febrl4_small.drop(columns=["truth"]), LinkSettings())


def person_of(result) -> dict[str, str]:
    return result.person_of()


def test_recovers_the_true_persons(first_run, febrl4_small):
    person = first_run.persons.set_index("record_id")["person_id"]
    scores = pairwise_scores(person.reindex(febrl4_small["record_id"]), febrl4_small["truth"])
    assert scores.precision >= 0.99
    assert scores.recall >= 0.95
    assert first_run.counts["records"] == len(febrl4_small)
    assert first_run.counts["persons"] == first_run.persons["person_id"].nunique()


def test_run_carries_what_reproduces_it(first_run):
    saved = json.loads(json.dumps(first_run.to_dict()))
    assert LinkSettings.from_dict(saved["settings"]) == first_run.settings
    assert saved["versions"]["splink"] and saved["seed"] == 42
    assert len(saved["input_fingerprint"]) == 64
    assert {c["output_column_name"] for c in saved["model"]["comparisons"]} >= {
        "given_name",
        "family_name",
        "birth",
    }


def test_saved_model_is_complete_and_scores_the_run_again(first_run, febrl4_small):
    """Every level carries its own m and u (no placeholder left for a loader to fill in), so
    the stored model alone reproduces the run's scores."""
    saved = json.loads(json.dumps(first_run.to_dict()))
    for comp in saved["model"]["comparisons"]:
        for level in comp["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] < 1 and 0 < level["u_probability"] < 1
    rescored = link_records(febrl4_small.drop(columns=["truth"]), model=saved["model"])
    columns = ["record_id_l", "record_id_r", "match_weight"]

    def scores(result):
        return result.pairs[columns].sort_values(columns[:2]).reset_index(drop=True)

    pd.testing.assert_frame_equal(scores(rescored), scores(first_run))
    assert person_of(rescored) == person_of(first_run)
    assert {a["rule"] for a in saved["parameter_adjustments"]} <= {
        "pseudo-count",
        "not observed in training, no starting m: no weight",
        "not observed in training: its starting m (a declared default)",
        "not observed in training: no stronger than the strongest observed",
        "strongest agreement never counts against a match",
        "nothing agreeing never counts for a match",
        "never counts for less than nothing agreeing",
    }


def test_same_input_same_settings_same_persons(first_run, febrl4_small):
    again = link_records(febrl4_small.drop(columns=["truth"]), LinkSettings())
    assert again.input_fingerprint == first_run.input_fingerprint
    assert person_of(again) == person_of(first_run)


def test_persons_depend_on_what_records_say_not_on_their_ids_or_order():
    """A re-import or a restore gives records new ids and another order: the same persons.
    On the demo lists (a few hundred records, where training is most sensitive) the persons
    used to change with the ids. Records that say exactly the same thing are interchangeable,
    so persons are compared by the content of their records."""
    records = demo_link_records().drop(columns=["truth"])
    content = dict(
        zip(
            records["record_id"],
            pd.util.hash_pandas_object(records.drop(columns="record_id").astype(str), index=False),
            strict=True,
        )
    )

    def persons(result, original: dict[str, str]) -> list[list[int]]:
        groups = result.persons.groupby("person_id")["record_id"]
        return sorted(sorted(content[original[r]] for r in members) for _, members in groups)

    first = link_records(records)
    for seed in (1, 2):
        shuffled = records.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        new_ids = {old: f"r{seed}-{i}" for i, old in enumerate(shuffled["record_id"][::-1])}
        shuffled["record_id"] = shuffled["record_id"].map(new_ids)
        again = link_records(shuffled)
        original = {new: old for old, new in new_ids.items()}
        assert persons(again, original) == persons(first, {r: r for r in content})


def test_decisions_survive_a_rerun_and_ids_stay(first_run, febrl4_small):
    before = person_of(first_run)
    by_person = first_run.persons.groupby("person_id")["record_id"].apply(sorted)
    pair = by_person[by_person.str.len() == 2].iloc[0]  # a linked pair: declare it different
    singles = by_person[by_person.str.len() == 1].iloc[:2]  # two loners: declare them same
    decisions = [
        MatchDecision(pair[0], pair[1], "different"),
        MatchDecision(singles.iloc[0][0], singles.iloc[1][0], "same"),
    ]
    rerun = link_records(
        febrl4_small.drop(columns=["truth"]),
        LinkSettings(),
        decisions,
        first_run.previous(),
        model=first_run.model,
    )
    after = person_of(rerun)
    assert after[pair[0]] != after[pair[1]]
    assert after[singles.iloc[0][0]] == after[singles.iloc[1][0]]
    untouched = set(before) - {*pair, singles.iloc[0][0], singles.iloc[1][0]}
    assert all(after[r] == before[r] for r in untouched)
    decided = rerun.pairs.dropna(subset=["decision"])
    assert set(decided["decision"]) <= {"same", "different"}
    assert rerun.counts["decisions_applied"] == 2
    assert not rerun.review["decision"].notna().any()


def test_review_queue_is_the_uncertain_band(first_run):
    low, high = first_run.settings.review_floor, first_run.settings.threshold
    p = first_run.review["match_probability"]
    assert ((p >= low) & (p < high)).all()
    assert first_run.counts["pairs_awaiting_review"] == len(first_run.review)


def test_records_without_ids_or_with_repeated_ids_are_refused(febrl4_small):
    broken = febrl4_small.drop(columns=["truth"]).copy()
    broken.loc[1, "record_id"] = broken.loc[0, "record_id"]
    with pytest.raises(RecordsRejected, match="unique"):
        link_records(broken)
    with pytest.raises(RecordsRejected, match="source"):
        link_records(broken.drop(columns=["source"]))
