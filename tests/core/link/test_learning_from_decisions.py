"""Reviewers' decisions are labels: the next run learns m from them and says so."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from everyname.core.link import LinkSettings, MatchDecision, link_records
from everyname.core.link.train import LABELS_KEY, label_share


def true_pairs(records: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    groups = records.groupby("truth")["record_id"].agg(sorted)
    pairs = [(g[0], g[1]) for g in groups if len(g) >= 2]
    return pairs[:n]


def m_values(model: dict) -> list[float]:
    return [
        level["m_probability"]
        for comp in model["comparisons"]
        for level in comp["comparison_levels"]
        if not level.get("is_null_level")
    ]


@pytest.fixture(scope="module")
def settings() -> LinkSettings:
    base = LinkSettings()
    return replace(base, training=replace(base.training, min_decisions_for_m=20))


@pytest.fixture(scope="module")
def unlabelled(febrl4_small, settings):
    return link_records(febrl4_small.drop(columns=["truth"]), settings)


def test_same_decisions_train_m_and_the_model_lists_them(febrl4_small, settings, unlabelled):
    same = true_pairs(febrl4_small, 40)
    different = [(same[0][0], same[1][1]), (same[2][0], same[3][1])]
    decisions = [MatchDecision(a, b, "same") for a, b in same]
    decisions += [MatchDecision(a, b, "different") for a, b in different]
    result = link_records(febrl4_small.drop(columns=["truth"]), settings, decisions)
    labels = result.model[LABELS_KEY]
    assert labels["m_from_labels"] is True
    assert labels["label_weight"] == pytest.approx(label_share(40)) == pytest.approx(40 / 1040)
    assert sorted(map(tuple, labels["same_decisions"])) == sorted(tuple(sorted(p)) for p in same)
    assert labels["different_decisions"] == 2
    assert "w = n / (n + 1000)" in labels["how"]
    # m moved: the labels were used, not just listed
    before, after = m_values(unlabelled.model), m_values(result.model)
    assert max(abs(a - b) for a, b in zip(before, after, strict=True)) > 1e-4
    # and every decision still overrides its own pair
    person = result.person_of()
    assert all(person[a] == person[b] for a, b in same)
    assert all(person[a] != person[b] for a, b in different)
    assert unlabelled.model[LABELS_KEY]["m_from_labels"] is False


def test_too_few_decisions_leave_m_to_em_and_say_so(febrl4_small, settings, unlabelled):
    same = true_pairs(febrl4_small, 5)
    result = link_records(
        febrl4_small.drop(columns=["truth"]),
        settings,
        [MatchDecision(a, b, "same") for a, b in same],
    )
    labels = result.model[LABELS_KEY]
    assert labels["m_from_labels"] is False and labels["label_weight"] == 0
    assert len(labels["same_decisions"]) == 5
    assert "fewer than 20" in labels["how"]
    assert m_values(result.model) == pytest.approx(m_values(unlabelled.model))


def test_a_same_decision_later_reversed_does_not_train(febrl4_small, settings):
    same = true_pairs(febrl4_small, 20)
    reversed_pair = same[0]
    decisions = [MatchDecision(a, b, "same") for a, b in same]
    decisions.append(MatchDecision(*reversed_pair, "different"))
    result = link_records(febrl4_small.drop(columns=["truth"]), settings, decisions)
    labels = result.model[LABELS_KEY]
    assert len(labels["same_decisions"]) == 19  # below the 20 needed: EM only
    assert list(reversed_pair) not in labels["same_decisions"]
    assert labels["different_decisions"] == 1
    person = result.person_of()
    assert person[reversed_pair[0]] != person[reversed_pair[1]]
