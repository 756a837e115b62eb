"""Chapman's two-list estimator: the formula, the interval, known-truth recovery, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from everyname.core.estimate import (
    CaptureHistories,
    Chapman,
    ChapmanSettings,
    EstimationError,
    SettingsError,
    WarningCode,
)
from everyname.core.estimate.chapman import chapman_interval


def two_lists(n1_only: int, n2_only: int, both: int) -> CaptureHistories:
    return CaptureHistories(["A", "B"], [[1, 0], [0, 1], [1, 1]], [n1_only, n2_only, both])


def test_point_estimate_and_variance_by_hand():
    # n1 = 60, n2 = 50, m = 20: N = 61 * 51 / 21 - 1
    est, lo, hi, var = chapman_interval(60, 50, 20)
    assert est == pytest.approx(61 * 51 / 21 - 1)
    assert var == pytest.approx(61 * 51 * 40 * 30 / (21**2 * 22))
    n = 90
    f0 = est - n
    c = math.exp(1.959963984540054 * math.sqrt(math.log(1 + var / f0**2)))
    assert (lo, hi) == (pytest.approx(n + f0 / c), pytest.approx(n + f0 * c))
    assert n < lo < est < hi


def test_result_follows_the_contract():
    r = Chapman().fit(two_lists(40, 30, 20))
    assert r.method == "chapman" and r.observed == 90 and r.lists == ("A", "B")
    assert r.lower <= r.estimate <= r.upper and r.level == 0.95
    codes = {w.code for w in r.warnings}
    assert WarningCode.FEWER_THAN_THREE_LISTS in codes


def test_interval_never_goes_below_the_documented_count():
    # almost complete overlap: the undocumented count is tiny
    r = Chapman().fit(two_lists(1, 1, 500))
    assert r.lower >= r.observed


def test_no_overlap_is_warned():
    r = Chapman().fit(two_lists(50, 40, 0))
    assert WarningCode.NO_OVERLAP in {w.code for w in r.warnings}
    # 51 * 41 - 1 = 2,090 against 90 documented: also far above
    assert WarningCode.ESTIMATE_FAR_ABOVE_OBSERVED in {w.code for w in r.warnings}


def test_refuses_three_lists_and_bad_settings():
    h = CaptureHistories.from_source_sets([{"A"}, {"B"}, {"C"}, {"A", "C"}])
    with pytest.raises(EstimationError, match="exactly two"):
        Chapman().fit(h)
    with pytest.raises(SettingsError):
        Chapman(ChapmanSettings(level=1.5)).fit(two_lists(1, 1, 1))


def test_known_truth_independent_lists():
    """N = 10,000, lists capture independently with 0.3 and 0.25 (sd of the estimate about 2.6%):
    over 20 seeded replicates every estimate is within 10%, their mean within 2%, and the 95%
    interval covers the truth at least 16 times."""
    rng = np.random.default_rng(20240601)
    size, covered, estimates = 10_000, 0, []
    for _ in range(20):
        seen = rng.random((size, 2)) < [0.3, 0.25]
        seen = seen[seen.any(axis=1)]  # persons on no list are never documented
        h = CaptureHistories(["A", "B"], seen.astype(int), np.ones(len(seen), dtype=int))
        r = Chapman().fit(h)
        assert abs(r.estimate - size) / size < 0.10
        estimates.append(r.estimate)
        covered += r.lower <= size <= r.upper
    assert abs(np.mean(estimates) - size) / size < 0.02
    assert covered >= 16
