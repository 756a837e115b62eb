"""Pairwise precision / recall / F1 on hand-made clusterings."""

from __future__ import annotations

import pytest

from everyname.core.link import pairwise_scores


def test_perfect_clustering():
    s = pairwise_scores(["x", "x", "y", "z"], [1, 1, 2, 3])
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


def test_over_merge_costs_precision_only():
    # truth {a,b} {c}; predicted {a,b,c}: 3 predicted pairs, 1 correct
    s = pairwise_scores([1, 1, 1], ["p", "p", "q"])
    assert s.predicted_pairs == 3 and s.correct_pairs == 1 and s.true_pairs == 1
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == 1.0
    assert s.f1 == pytest.approx(0.5)


def test_split_costs_recall_only():
    # truth one person of 4 records (6 pairs); predicted {a,b} {c,d}: 2 pairs, both right
    s = pairwise_scores([1, 1, 2, 2], ["t"] * 4)
    assert (s.precision, s.recall) == (1.0, pytest.approx(2 / 6))


def test_labels_are_compared_as_partitions_not_names():
    assert pairwise_scores([7, 7, 8], ["b", "b", "a"]).f1 == 1.0


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        pairwise_scores([1, 2], [1])
