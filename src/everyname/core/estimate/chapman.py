"""Two lists: Chapman's bias-corrected Lincoln–Petersen estimator.

Point estimate (Chapman 1951)::

    N = (n1 + 1)(n2 + 1) / (m + 1) - 1

with ``n1``, ``n2`` the persons on each list and ``m`` those on both. It is finite even when the
lists do not overlap, unlike Lincoln–Petersen, but then it means little (a warning says so).

Interval: the variance is Seber's (1970) estimator for Chapman's estimator::

    var = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))

and the interval is Chao's (1987) log-normal interval on the *undocumented* part
``f0 = N - n``: ``[n + f0 / C, n + f0 * C]`` with ``C = exp(z sqrt(log(1 + var / f0^2)))``.
Why log-normal and not ``N ± z sd``: the sampling distribution of N is skewed to the right, and
the normal interval can fall below the documented count, which is impossible; the log-normal
interval never goes below ``n`` and is what Rcapture and most MSE software report.

With two lists the independence of the lists cannot be tested; the estimate assumes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from everyname.core.estimate import cautions as w
from everyname.core.estimate.histories import CaptureHistories
from everyname.core.estimate.result import (
    EstimateResult,
    EstimationError,
    SettingsError,
    library_versions,
)


@dataclass(frozen=True)
class ChapmanSettings:
    level: float = 0.95

    def validated(self) -> ChapmanSettings:
        if not 0.5 <= self.level < 1:
            raise SettingsError(f"level must be in [0.5, 1), got {self.level}")
        return self


class Chapman:
    """``Chapman(ChapmanSettings()).fit(histories)`` for exactly two lists."""

    method = "chapman"

    def __init__(self, settings: ChapmanSettings | None = None) -> None:
        self.settings = settings if settings is not None else ChapmanSettings()

    def fit(self, histories: CaptureHistories, seed: int | None = None) -> EstimateResult:
        """``seed`` is accepted for a uniform interface; Chapman uses no randomness."""
        settings = self.settings.validated()
        if histories.n_lists != 2:
            raise EstimationError(
                f"Chapman's estimator needs exactly two lists, got {histories.n_lists} "
                f"({', '.join(histories.lists)}); merge lists or use the log-linear or LCMCR "
                "method"
            )
        a, b = histories.lists
        totals = histories.list_totals()
        n1, n2 = totals[a], totals[b]
        m = histories.overlap(a, b)
        n = histories.observed
        est, lower, upper, var = chapman_interval(n1, n2, m, settings.level)
        warns = w.data_warnings(histories)
        if m == 0:
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.NO_OVERLAP,
                    f"lists {a!r} and {b!r} have nobody in common: two-list estimation has "
                    "nothing to go on, and Chapman's figure is little more than n1 * n2.",
                    {"lists": [a, b]},
                )
            )
        warns += w.far_above(n, est)
        return EstimateResult(
            method=self.method,
            observed=n,
            estimate=est,
            lower=lower,
            upper=upper,
            level=settings.level,
            lists=histories.lists,
            settings=settings,
            warnings=w.dedupe(warns),
            details={
                "reference": "Chapman (1951), Seber (1970) variance, Chao (1987) log-normal "
                "interval; the two lists are assumed independent (two lists cannot test it)",
                "n1": n1,
                "n2": n2,
                "m": m,
                "variance": var,
                "interval": "Chao (1987) log-normal on the undocumented count; Seber variance",
                "said": {"interval": {"code": "chao"}, "reference": {"code": "chapman"}},
            },
            provenance={
                "histories_fingerprint": histories.fingerprint,
                "seed": seed,
                "versions": library_versions(),
            },
        )


def chapman_interval(
    n1: int, n2: int, m: int, level: float = 0.95
) -> tuple[float, float, float, float]:
    """``(estimate, lower, upper, variance)`` for list sizes ``n1``, ``n2`` and overlap ``m``."""
    if m < 0 or m > min(n1, n2):
        raise ValueError("overlap must be between 0 and the smaller list")
    n = n1 + n2 - m
    est = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    f0 = est - n
    if f0 <= 0 or var <= 0:
        return est, est, est, var
    z = NormalDist().inv_cdf(0.5 + level / 2)
    c = math.exp(z * math.sqrt(math.log(1 + var / f0**2)))
    return est, n + f0 / c, n + f0 * c, var
