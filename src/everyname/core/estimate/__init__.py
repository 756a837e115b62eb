"""Multiple Systems Estimation: how many were killed that no list has named.

Build :class:`CaptureHistories` (from a histories CSV, from per-person source sets, or from a
person/source frame), then call an estimator's ``fit``::

    from everyname.core.estimate import CaptureHistories, Loglinear, estimate

    hist = CaptureHistories.from_source_sets([{"VDC", "SNHR"}, {"VDC"}, {"SNHR", "HRW"}])
    result = estimate(hist, method="lcmcr", seed=1)
    print(result.summary()); result.to_dict()

Estimators: :class:`Chapman` (two lists), :class:`Loglinear` (three or more; model selection,
averaging, existence checks), :class:`Lcmcr` (Bayesian latent classes). Each takes a frozen
settings dataclass and returns an immutable :class:`EstimateResult`.
"""

from __future__ import annotations

from typing import Any

from everyname.core.estimate.cautions import EstimateWarning, WarningCode, compare_results
from everyname.core.estimate.chapman import Chapman, ChapmanSettings
from everyname.core.estimate.histories import (
    CaptureHistories,
    HistoriesError,
    pool,
    read_histories_csv,
    strata_from_csv,
    stratify,
    stratify_person_sources,
)
from everyname.core.estimate.lcmcr import Lcmcr, LcmcrSettings
from everyname.core.estimate.loglinear import Loglinear, LoglinearSettings
from everyname.core.estimate.result import EstimateResult, EstimationError, SettingsError

METHODS = ("chapman", "loglinear", "lcmcr")

_ESTIMATORS: dict[str, tuple[type, type]] = {
    "chapman": (Chapman, ChapmanSettings),
    "loglinear": (Loglinear, LoglinearSettings),
    "lcmcr": (Lcmcr, LcmcrSettings),
}


def default_method(histories: CaptureHistories) -> str:
    """Chapman for two lists, log-linear models for more."""
    return "chapman" if histories.n_lists == 2 else "loglinear"


def make_estimator(method: str, **settings: Any) -> Chapman | Loglinear | Lcmcr:
    """An estimator by name, with settings given as keyword arguments."""
    if method not in _ESTIMATORS:
        raise SettingsError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    cls, settings_cls = _ESTIMATORS[method]
    try:
        return cls(settings_cls(**settings))
    except TypeError as exc:
        raise SettingsError(f"bad setting for {method}: {exc}") from None


def estimate(
    histories: CaptureHistories,
    method: str | None = None,
    seed: int | None = None,
    **settings: Any,
) -> EstimateResult:
    """Fit one method (the default for the number of lists when ``method`` is None)."""
    chosen = method or default_method(histories)
    return make_estimator(chosen, **settings).fit(histories, seed=seed)


__all__ = [
    "METHODS",
    "CaptureHistories",
    "Chapman",
    "ChapmanSettings",
    "EstimateResult",
    "EstimateWarning",
    "EstimationError",
    "HistoriesError",
    "Lcmcr",
    "LcmcrSettings",
    "Loglinear",
    "LoglinearSettings",
    "SettingsError",
    "WarningCode",
    "compare_results",
    "default_method",
    "estimate",
    "make_estimator",
    "pool",
    "read_histories_csv",
    "strata_from_csv",
    "stratify",
    "stratify_person_sources",
]
