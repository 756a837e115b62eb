"""Pairwise precision, recall and F1 of clusters against ground truth.

Pairwise, because that is what a merge costs a casualty recorder: every wrongly merged pair
is a victim erased, every missed pair a victim counted twice. Counted from the contingency
table of (predicted person, true person), so it is exact and fast on a million records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PairwiseScores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(
    predicted: Sequence[object] | np.ndarray | pd.Series,
    truth: Sequence[object] | np.ndarray | pd.Series,
) -> PairwiseScores:
    """Scores of a predicted clustering against true clusters, both given per record.

    ``predicted[i]`` and ``truth[i]`` are the cluster labels of record ``i`` (any hashable).
    """
    pred = pd.Series(np.asarray(predicted, dtype=object))
    true = pd.Series(np.asarray(truth, dtype=object))
    if len(pred) != len(true):
        raise ValueError(f"predicted has {len(pred)} labels, truth {len(true)}")
    if pred.isna().any() or true.isna().any():
        raise ValueError("every record needs a predicted and a true cluster label")
    both = pd.DataFrame({"p": pred.astype(str), "t": true.astype(str)})
    return PairwiseScores(
        true_pairs=_pairs(both.groupby("t").size().to_numpy()),
        predicted_pairs=_pairs(both.groupby("p").size().to_numpy()),
        correct_pairs=_pairs(both.groupby(["p", "t"]).size().to_numpy()),
    )
