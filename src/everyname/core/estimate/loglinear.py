"""Log-linear models for three or more lists (Poisson GLM via statsmodels).

Each observable capture pattern's count is Poisson with ``log mu = b0 + sum_j b_j x_j +
sum_{(i,j) in M} b_ij x_i x_j``: main effects for every list plus the two-list interactions in the
model ``M`` (every such model is hierarchical). The unobserved cell (on no list) has mean
``exp(b0)``, so the estimated total is ``n + exp(b0)``.

**Which model.** ``search="exhaustive"`` fits every subset of the ``k(k-1)/2`` interactions
(``2**(k(k-1)/2)`` models: 8 for 3 lists, 64 for 4, 1024 for 5) and reports the model chosen by
AIC, the one chosen by BIC (``-2 log L + log(n) p`` with ``n`` the documented persons, as in
Rcapture) and the average over all models with AIC or BIC weights. ``search="stepwise"`` adds
interactions one at a time, which stays feasible for any number of lists:

* ``stepwise="scv"``: Chan, Silverman & Vincent (2021), as in ``SparseMSE::stepwisefit``: add the
  interaction whose overlap count has the smallest one-sided Poisson p-value under the current
  model, while it is below ``p_threshold`` (default 0.02).
* ``stepwise="bhs"``: Bales, Hesketh & Silverman (2015), as in ``modslavmse::MSEfit``: from main
  effects, add the interaction that lowers AIC most; stop when none lowers AIC or the new term's
  Wald p-value exceeds ``p_threshold`` (default 0.05). This is the method behind the UK Home
  Office figure (10,000–13,000; reproduced 11,409).

In stepwise mode the AIC/BIC choices and the average are taken over the models the search fitted.

**Defaults** (``search="auto"``) are the reference packages' defaults, so that a figure printed
without options is one a statistician can check against the literature:

* three lists: the lowest BIC over all 8 models, the default of
  ``MultipleSystemsEstimation::estimate_population`` for three lists (its ``maxorder`` 2 is
  exactly the pairwise models fitted here) and the analysis Silverman, Chan & Vincent (2024)
  publish for the three Korean lists (95% [128, 349], reproduced). The stepwise rule would add
  interactions one at a time towards the saturated model, whose estimate is unstable with three
  lists (Korea: 269 [123, 472] against BIC's 157 [130, 367]).
* four lists or more: the SCV stepwise search, p < 0.02, the default of
  ``SparseMSE::estimatepopulation`` and of ``MultipleSystemsEstimation`` for six lists or more,
  behind the published New Orleans figures (1,184 and 1,034). For four and five lists
  ``MultipleSystemsEstimation`` now defaults to BIC over models with three-list terms, which are
  not fitted here; an exhaustive search over the pairwise models alone is not that method, and
  its bootstrap takes minutes with 1,024 models, so the stepwise search is kept there too. With
  many lists no exhaustive search is feasible (2^28 models for eight) and the stepwise search
  needs a few dozen fits.
* the interval: a BCa bootstrap repeating that choice in 1,000 replicates, seed 1234 — the
  defaults of ``estimatepopulation`` (and ``iseed``, ``ntopmodels`` of MultipleSystemsEstimation
  for the BIC bootstrap: all models for three lists, the best 20 for four, 100 for five).

Asking for a ``criterion`` means the lowest AIC or BIC over every model (refused, not ignored,
when there are more than ``max_models``). The result's ``settings`` are the settings used, with
the defaults resolved and what played no part set to None, and ``details["reference"]`` names
the published default followed and any setting changed from it.

**Existence.** Sparse tables can drive a parameter to infinity, and then the estimate may be
infinite or not identifiable. Following Chan, Silverman & Vincent (2021) and ``SparseMSE``: an
interaction between two lists that share nobody is handled by leaving out every pattern that
contains both (its parameter is minus infinity), the others are checked with the linear program
of Fienberg & Rinaldo (2012) (the extended MLE exists if the sufficient statistics can be met by
strictly positive cell means) and the rank of the design matrix (identifiability). Models that
fail are never chosen, and the result says how many were refused.

**Interval.** ``interval="bootstrap"`` (the default; see
:mod:`everyname.core.estimate.bootstrap`) repeats the model choice in every replicate, as Chan,
Silverman & Vincent (2021) and Silverman, Chan & Vincent (2024) do, and gives a BCa (default) or
percentile interval that includes the uncertainty of that choice. ``interval="profile"``: a
profile-likelihood interval for N from the multinomial likelihood of the complete table (Cormack
1992; what Rcapture's ``closedpCI.t`` reports, behind the UK Home Office range): for each
candidate N the unobserved cell is set to ``N - n``, the model refitted, and the interval is
where twice the drop in log-likelihood stays under the chi-square quantile. It is deterministic
and fast but conditional on the chosen model, so it ignores the uncertainty of choosing it
(compare the AIC, BIC and averaged figures; a warning says when they disagree).
``interval="wald-log"`` gives SparseMSE's normal interval on ``b0`` (``estimatepopulation.0``).
For the averaged estimate: Buckland, Burnham & Augustin (1997) unconditional standard error, on
the log scale of the undocumented count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm

from everyname.core.estimate import cautions as w
from everyname.core.estimate.fitting import (
    DOES_NOT_EXIST,
    NOT_IDENTIFIABLE,
    ModelFit,
    Pair,
    Table,
    bhs_stepwise,
    exhaustive_search,
    fit_model,
    poisson_glm,
    scv_stepwise,
)
from everyname.core.estimate.histories import CaptureHistories
from everyname.core.estimate.result import (
    EstimateResult,
    EstimationError,
    SettingsError,
    library_versions,
)

REFERENCE_SEED = 1234
"""The bootstrap seed when none is given: ``iseed`` of ``SparseMSE::estimatepopulation`` and of
``MultipleSystemsEstimation``, so that the same command prints the same interval."""


def default_top_models(n_lists: int) -> int | None:
    """How many of the best models on the data a BIC bootstrap re-chooses among, as
    ``MultipleSystemsEstimation::estimate_population_bic`` (``ntopmodels``): all of them for
    three lists (None), 20 for four, 100 for five or more."""
    if n_lists <= 3:
        return None
    return 20 if n_lists == 4 else 100


@dataclass(frozen=True)
class LoglinearSettings:
    """How to choose the model and the interval (validated in :meth:`validated`).

    The defaults are the published reference methods' defaults (see the module docstring):
    three lists, lowest BIC over every model; four or more, the Chan-Silverman-Vincent stepwise
    search (p < 0.02); a BCa bootstrap interval that repeats the model choice in 1,000 replicates.
    ``criterion`` asks instead for the model with the lowest AIC or BIC over every model (an
    exhaustive search, feasible up to ``max_models`` models); it also sets the weights when
    ``average``. ``model`` fixes the interactions, e.g. ``(("PF", "NCA"), ("LA", "NG"))``;
    ``p_threshold`` defaults to the stepwise rule's published value (0.05 for BHS, 0.02 for SCV);
    ``interval`` defaults to the bootstrap (Buckland et al. for an average);
    ``bootstrap_top_models`` to :func:`default_top_models`. A result's ``settings`` are these
    with every default resolved and the settings that played no part set to None.
    """

    criterion: Literal["aic", "bic"] | None = None
    average: bool = False
    search: Literal["auto", "exhaustive", "stepwise"] | None = "auto"
    stepwise: Literal["bhs", "scv"] | None = "scv"
    p_threshold: float | None = None
    max_models: int = 1024
    interval: Literal["profile", "wald-log", "bootstrap"] | None = None
    level: float = 0.95
    model: tuple[tuple[str, str], ...] | None = None
    main_effects_only: bool = False
    bootstrap_replicates: int | None = 1000
    bootstrap_method: Literal["bca", "percentile"] | None = "bca"
    bootstrap_kind: Literal["nonparametric", "parametric"] | None = "nonparametric"
    reselect_model: bool | None = True
    bootstrap_top_models: int | None = None

    def validated(self) -> LoglinearSettings:
        if self.criterion not in (None, "aic", "bic"):
            raise SettingsError(f"criterion must be 'aic' or 'bic', got {self.criterion!r}")
        if self.search not in ("auto", "exhaustive", "stepwise"):
            raise SettingsError(f"search must be auto, exhaustive or stepwise: {self.search!r}")
        if self.stepwise not in ("bhs", "scv"):
            raise SettingsError(f"stepwise must be 'bhs' or 'scv', got {self.stepwise!r}")
        if self.p_threshold is not None and not 0 <= self.p_threshold <= 1:
            raise SettingsError(f"p_threshold must be in [0, 1], got {self.p_threshold}")
        if self.max_models < 1:
            raise SettingsError("max_models must be at least 1")
        if self.interval not in (None, "profile", "wald-log", "bootstrap"):
            raise SettingsError(
                f"interval must be 'profile', 'wald-log' or 'bootstrap': {self.interval!r}"
            )
        if self.interval == "bootstrap" and self.average:
            raise SettingsError(
                "a bootstrap interval is for one chosen model (re-chosen in every replicate);"
                " it is not available with average=True"
            )
        if self.bootstrap_replicates is None or self.bootstrap_replicates < 20:
            raise SettingsError("bootstrap_replicates must be at least 20 (1000 is usual)")
        if self.bootstrap_method not in ("bca", "percentile"):
            raise SettingsError(
                f"bootstrap_method must be 'bca' or 'percentile': {self.bootstrap_method!r}"
            )
        if self.bootstrap_kind not in ("nonparametric", "parametric"):
            raise SettingsError(
                f"bootstrap_kind must be 'nonparametric' or 'parametric': {self.bootstrap_kind!r}"
            )
        if self.bootstrap_top_models is not None and self.bootstrap_top_models < 1:
            raise SettingsError("bootstrap_top_models must be at least 1 (or None for the default)")
        if not 0.5 <= self.level < 1:
            raise SettingsError(f"level must be in [0.5, 1), got {self.level}")
        if self.model is not None and self.main_effects_only:
            raise SettingsError("give either a fixed model or main_effects_only, not both")
        return self

    @property
    def threshold(self) -> float:
        if self.p_threshold is not None:
            return self.p_threshold
        return 0.05 if self.stepwise == "bhs" else 0.02

    @property
    def ic(self) -> str:
        """The criterion that ranks models where one is used (BIC unless AIC is asked for)."""
        return self.criterion or "bic"


# --------------------------------------------------------------------------- intervals
def _profile_loglik(table: Table, pairs: Sequence[Pair], total: float) -> float:
    """Multinomial log-likelihood of the complete table at population size ``total``."""
    keep, design, _, _ = table.design(pairs)
    y = table.counts[keep].astype(float)
    n0 = total - table.n
    x_full = np.vstack([np.eye(1, design.shape[1]), design])  # the unobserved cell: intercept
    y_full = np.concatenate([[n0], y])
    res = poisson_glm(y_full, x_full)
    mu = res.fittedvalues
    pos = y_full > 0
    return float(
        gammaln(total + 1) - gammaln(n0 + 1) + np.sum(y_full[pos] * np.log(mu[pos] / mu.sum()))
    )


OPEN_ABOVE_RATIO = 1000.0
"""An upper limit past this many times the documented count is no limit: the data set none.
The profile interval stops looking there, and the model average's interval opens there too
(a spread of a few hundred gave an "upper limit" of 1e82 on a stratum of nine persons)."""


def profile_interval(
    table: Table, fit: ModelFit, level: float = 0.95, max_ratio: float = OPEN_ABOVE_RATIO
) -> tuple[float, float]:
    """Profile-likelihood interval for N; the upper end is ``inf`` if it does not close."""
    n = table.n
    crit = chi2.ppf(level, 1) / 2
    n0_hat = math.exp(fit.log_n0)

    def ll_log(t: float) -> float:
        return _profile_loglik(table, fit.pairs, n + math.exp(t))

    t_hat = math.log(max(n0_hat, 1e-6))
    opt = minimize_scalar(lambda t: -ll_log(t), bracket=(t_hat - 0.2, t_hat + 0.2), tol=1e-10)
    t_max = float(opt.x)
    l_max = -float(opt.fun)

    def gap(t: float) -> float:
        return l_max - ll_log(t) - crit

    # lower end
    lo_t = t_max
    lower = float(n)
    step = 0.25
    while True:
        cand = lo_t - step
        if n + math.exp(cand) <= n + 1e-6 or cand < -20:
            lower = float(n)
            break
        if gap(cand) > 0:
            lower = n + math.exp(brentq(gap, cand, lo_t, xtol=1e-8))
            break
        lo_t = cand
        step *= 2
    # upper end
    hi_t = t_max
    upper = math.inf
    step = 0.25
    limit = math.log(max_ratio * n)
    while hi_t < limit:
        cand = min(hi_t + step, limit)
        if gap(cand) > 0:
            upper = n + math.exp(brentq(gap, hi_t, cand, xtol=1e-8))
            break
        hi_t = cand
        step *= 2
    return lower, upper


def wald_log_interval(n: int, fit: ModelFit, level: float = 0.95) -> tuple[float, float]:
    """SparseMSE's interval: normal on ``b0``, i.e. log-normal on the undocumented count."""
    z = norm.ppf(0.5 + level / 2)
    return (
        n + math.exp(fit.log_n0 - z * fit.se_log_n0),
        n + math.exp(fit.log_n0 + z * fit.se_log_n0),
    )


def ic_weights(fits: Sequence[ModelFit], criterion: str) -> np.ndarray:
    ic = np.array([f.aic if criterion == "aic" else f.bic for f in fits])
    rel = np.exp(-(ic - ic.min()) / 2)
    return rel / rel.sum()


def averaged(
    n: int, fits: Sequence[ModelFit], criterion: str, level: float = 0.95
) -> tuple[float, float, float, np.ndarray]:
    """Model-averaged estimate and Buckland et al. (1997) interval; returns weights too."""
    wts = ic_weights(fits, criterion)
    est = np.array([f.estimate for f in fits])
    # A model whose undocumented count is all but undetermined (a standard error of its log
    # in the thousands, seen on a stratum of nine persons) has a spread past any float: it
    # opens the interval above (an infinite upper limit, which the fit then warns of), it
    # must not end the estimate with an overflow.
    with np.errstate(over="ignore", invalid="ignore"):
        log_n0 = np.array([f.log_n0 for f in fits], dtype=float)
        se_log = np.array([f.se_log_n0 for f in fits], dtype=float)
        var = (np.exp(log_n0) * se_log) ** 2
        mean = float((wts * est).sum())
        se = float((wts * np.sqrt(var + (est - mean) ** 2)).sum())
    n0 = mean - n
    z = norm.ppf(0.5 + level / 2)
    if n0 <= 0:
        return mean, mean, mean, wts
    spread = z * se / n0
    if not spread < _LARGEST_EXPONENT:
        return mean, float(n), math.inf, wts
    c = math.exp(spread)
    upper = n + n0 * c
    return mean, n + n0 / c, upper if upper <= OPEN_ABOVE_RATIO * n else math.inf, wts


_LARGEST_EXPONENT = math.log(np.finfo(float).max)
"""The largest x whose exp(x) is a float (about 709.8)."""


# --------------------------------------------------------------------------- estimator
class Loglinear:
    """``Loglinear(LoglinearSettings()).fit(histories)`` for three or more lists."""

    method = "loglinear"

    def __init__(self, settings: LoglinearSettings | None = None) -> None:
        self.settings = settings if settings is not None else LoglinearSettings()

    def _pairs_of(self, table: Table, names: Sequence[tuple[str, str]]) -> tuple[Pair, ...]:
        out = []
        for a, b in names:
            if a not in table.lists or b not in table.lists or a == b:
                raise SettingsError(f"model term {a}:{b} does not name two of {table.lists}")
            i, j = sorted((table.lists.index(a), table.lists.index(b)))
            out.append((i, j))
        return tuple(sorted(set(out)))

    def _bootstrap(
        self,
        table: Table,
        chosen: ModelFit,
        candidates: Sequence[ModelFit],
        search: str,
        s: LoglinearSettings,
        seed: int,
    ) -> tuple[float, float, dict, int | None]:
        """The bootstrap interval, repeating this fit's own model choice in every replicate;
        also returns how many models an IC choice was repeated among (None: not an IC choice)."""
        from everyname.core.estimate.bootstrap import Selection, bootstrap_interval

        top_n: int | None = None
        if search == "fixed" or not s.reselect_model:
            selection = Selection("fixed", pairs=chosen.pairs)
            rule = "the chosen model refitted (model choice not repeated)"
            rule_said: dict[str, Any] = {"code": "fixed"}
        elif search == "exhaustive":
            ranked = sorted(candidates, key=lambda f: f.aic if s.ic == "aic" else f.bic)
            limit = s.bootstrap_top_models or default_top_models(table.k)
            top = ranked[:limit] if limit else ranked
            top_n = len(top)
            selection = Selection("ic", models=tuple(f.pairs for f in top), criterion=s.ic)
            rule = (
                f"lowest {s.ic.upper()} re-chosen in every replicate among the "
                f"{len(top)} best model(s) on the data"
            )
            rule_said = {"code": "ic", "criterion": s.ic, "models": len(top)}
        else:
            assert s.stepwise is not None
            selection = Selection(s.stepwise, p_threshold=s.threshold)
            rule = f"stepwise ({s.stepwise.upper()}, p<{s.threshold:g}) repeated in every replicate"
            rule_said = {
                "code": "stepwise",
                "stepwise": s.stepwise,
                "threshold": f"{s.threshold:g}",
            }
        assert s.bootstrap_replicates and s.bootstrap_method and s.bootstrap_kind
        lower, upper, details = bootstrap_interval(
            table,
            chosen,
            selection,
            replicates=s.bootstrap_replicates,
            method=s.bootstrap_method,
            kind=s.bootstrap_kind,
            level=s.level,
            seed=seed,
        )
        name = "BCa" if s.bootstrap_method == "bca" else "percentile"
        details["selection_in_replicates"] = rule
        details["label"] = (
            f"{name} bootstrap ({s.bootstrap_kind}, {s.bootstrap_replicates} replicates, seed "
            f"{seed}); {rule}"
        )
        details["said"] = {
            "code": "bootstrap",
            "method": s.bootstrap_method,
            "kind": s.bootstrap_kind,
            "replicates": s.bootstrap_replicates,
            "seed": seed,
            "rule": rule_said,
        }
        return lower, upper, details, top_n

    def _search(self, table: Table, s: LoglinearSettings) -> str:
        """Which search the settings mean for this many lists (see the module docstring)."""
        if s.model is not None or s.main_effects_only:
            return "fixed"
        feasible = 2 ** len(table.all_pairs) <= s.max_models
        if s.search == "exhaustive" and not feasible:
            raise EstimationError(_too_many_models(table, s))
        if s.search != "auto":
            return str(s.search)
        if s.criterion is not None:  # a criterion asked for: the best model by it over all
            if not feasible:
                raise EstimationError(_too_many_models(table, s))
            return "exhaustive"
        if s.average:
            return "exhaustive" if feasible else "stepwise"
        return "exhaustive" if table.k == 3 else "stepwise"

    def fit(self, histories: CaptureHistories, seed: int | None = None) -> EstimateResult:
        """``seed`` seeds the bootstrap (``REFERENCE_SEED`` when None, as SparseMSE); other fits
        use no randomness."""
        s = self.settings.validated()
        if histories.n_lists < 3:
            raise EstimationError(
                f"log-linear models need at least three lists, got {histories.n_lists}; use "
                "Chapman's estimator for two"
            )
        if histories.n_lists > 15:
            raise EstimationError(f"{histories.n_lists} lists are too many; merge some")
        empty = [name for name, total in histories.list_totals().items() if total == 0]
        if empty:
            raise EstimationError(
                f"list(s) {', '.join(empty)} name nobody here; leave them out (--lists) or merge "
                "them, a log-linear model cannot estimate a list's capture rate from nothing"
            )
        table = Table(histories)
        search = self._search(table, s)
        interval = None if s.average and search != "fixed" else (s.interval or "bootstrap")

        refused = 0
        if search == "fixed":
            pairs = () if s.main_effects_only else self._pairs_of(table, s.model or ())
            chosen = fit_model(table, pairs)
            if not chosen.exists:
                raise _refused(table, chosen)
            candidates = [chosen]
            selection = "fixed model"
        elif search == "exhaustive":
            all_fits = exhaustive_search(table)
            candidates = [f for f in all_fits if f.exists]
            refused = len(all_fits) - len(candidates)
            if not candidates:
                raise EstimationError(
                    "no log-linear model has an estimate that exists",
                    params={"code": "no_model_exists", "models": len(all_fits)},
                )
            chosen = min(candidates, key=lambda f: f.aic if s.ic == "aic" else f.bic)
            selection = f"exhaustive search, lowest {s.ic.upper()}"
        else:
            if s.stepwise == "bhs":
                chosen, tried = bhs_stepwise(table, s.threshold)
                selection = f"stepwise (Bales-Hesketh-Silverman, AIC, p<{s.threshold:g})"
            else:
                chosen, tried = scv_stepwise(table, s.threshold)
                selection = f"stepwise (Chan-Silverman-Vincent, p<{s.threshold:g})"
            if not chosen.exists:
                raise _refused(table, chosen)
            candidates = _unique(f for f in tried if f.exists)
            refused = len(_unique(tried)) - len(candidates)

        boot: dict | None = None
        by_aic = min(candidates, key=lambda f: f.aic)
        by_bic = min(candidates, key=lambda f: f.bic)
        avg_crit = s.ic
        avg_est, avg_lo, avg_hi, wts = averaged(table.n, candidates, avg_crit, s.level)

        seed_used: int | None = None
        top_n: int | None = None
        fallback: list[w.EstimateWarning] = []
        if interval is None:
            estimate, lower, upper = avg_est, avg_lo, avg_hi
            model_label = f"average of {len(candidates)} models ({avg_crit.upper()} weights)"
            interval_label = "Buckland et al. (1997) unconditional, log scale"
            model_said = {"code": "average", "models": len(candidates), "criterion": avg_crit}
            interval_said: dict[str, Any] = {"code": "buckland"}
        else:
            estimate = chosen.estimate
            if interval == "bootstrap":
                seed_used = seed if seed is not None else REFERENCE_SEED
                try:
                    lower, upper, boot, top_n = self._bootstrap(
                        table, chosen, candidates, search, s, seed_used
                    )
                    interval_label = boot["label"]
                    interval_said = boot["said"]
                    sparse = _too_few_replicates(boot, s.level)
                    counts = {
                        "without_estimate": int(boot["replicates_without_estimate"]),
                        "replicates": int(boot["replicates"]),
                    }
                    if sparse and s.interval is None:
                        raise EstimationError(sparse, params=counts)
                    if sparse:
                        fallback.append(
                            w.EstimateWarning(
                                w.WarningCode.BOOTSTRAP_NOT_POSSIBLE, sparse + ".", counts
                            )
                        )
                except EstimationError as exc:
                    if s.interval is not None:  # asked for by name: say it cannot be had
                        raise
                    # the default on data too sparse to resample: an interval still, and said
                    interval, seed_used, boot, top_n = "profile", None, None, None
                    fallback.append(
                        w.EstimateWarning(
                            w.WarningCode.BOOTSTRAP_NOT_POSSIBLE,
                            f"{str(exc).removesuffix('; use the profile interval')}. The "
                            "profile-likelihood interval is given instead; it does "
                            "not allow for the uncertainty of choosing the model.",
                            {**exc.params, "fallback": "profile"} if exc.params else {},
                        )
                    )
            if interval == "profile":
                lower, upper = profile_interval(table, chosen, s.level)
                interval_label = "profile likelihood (multinomial), conditional on the model"
                interval_said = {"code": "profile"}
            elif interval == "wald-log":
                lower, upper = wald_log_interval(table.n, chosen, s.level)
                interval_label = "normal on the intercept (log scale), conditional on the model"
                interval_said = {"code": "wald_log"}
            model_label = chosen.name
            model_said = {"code": "loglinear", "terms": _terms(table, chosen)}

        warns = w.data_warnings(histories) + fallback
        if search != "fixed":
            warns += w.disagreement(
                [
                    (f"AIC ({by_aic.name})", by_aic.estimate),
                    (f"BIC ({by_bic.name})", by_bic.estimate),
                ],
                parts=[
                    {"criterion": "AIC", "terms": _terms(table, by_aic)},
                    {"criterion": "BIC", "terms": _terms(table, by_bic)},
                ],
            )
        if refused:
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.ESTIMATE_DOES_NOT_EXIST,
                    f"{refused} model(s) were left out because their estimate does not exist or "
                    "is not identifiable on these sparse overlaps (Chan, Silverman & Vincent "
                    "2021).",
                    {"models": int(refused)},
                )
            )
        if not math.isfinite(upper):
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.INTERVAL_OPEN,
                    "the data set no upper limit on the estimate: the interval is open above.",
                    {"reason": "data"},
                )
            )
        warns += w.far_above(table.n, estimate)

        order = np.argsort([f.aic if avg_crit == "aic" else f.bic for f in candidates])
        top = [
            {
                "model": candidates[i].name,
                "estimate": candidates[i].estimate,
                "aic": candidates[i].aic,
                "bic": candidates[i].bic,
                "weight": float(wts[i]),
            }
            for i in order[:10]
        ]
        return EstimateResult(
            method=self.method,
            observed=table.n,
            estimate=float(estimate),
            lower=float(lower),
            upper=float(upper),
            level=s.level,
            lists=histories.lists,
            settings=_used_settings(s, search, interval, top_n),
            warnings=w.dedupe(warns),
            details={
                "reference": _reference(s, table.k),
                "model": model_label,
                "selection": selection,
                "interval": interval_label,
                "said": {
                    "model": model_said,
                    "interval": interval_said,
                    "reference": _reference_said(s, table.k),
                },
                "chosen": {
                    "model": chosen.name,
                    "estimate": chosen.estimate,
                    "aic": chosen.aic,
                    "bic": chosen.bic,
                    "deviance": chosen.deviance,
                    "parameters": chosen.params,
                    "empty_overlaps": [
                        f"{table.lists[i]}:{table.lists[j]}" for i, j in chosen.empty_pairs
                    ],
                },
                "aic_choice": {"model": by_aic.name, "estimate": by_aic.estimate},
                "bic_choice": {"model": by_bic.name, "estimate": by_bic.estimate},
                "average": {
                    "criterion": avg_crit,
                    "estimate": avg_est,
                    "lower": avg_lo,
                    "upper": avg_hi,
                },
                "models_fitted": len(candidates),
                "models_refused": refused,
                "top_models": top,
                **({"bootstrap": boot} if boot is not None else {}),
            },
            provenance={
                "histories_fingerprint": histories.fingerprint,
                "seed": seed_used if seed_used is not None else seed,
                "versions": library_versions(),
            },
        )


def _too_few_replicates(boot: dict, level: float) -> str | None:
    """Why a bootstrap interval cannot be trusted, or None. Replicates without an estimate are
    those where the lists' overlaps vanish (the estimate runs off to infinity): when more of
    them are left out than the interval's tail, the interval from the others is far too narrow
    (three sparse lists give 654 [654, 654] where the profile interval is [226, 3,705])."""
    missing, total = boot["replicates_without_estimate"], boot["replicates"]
    if missing <= (1 - level) / 2 * total:
        return None
    return (
        f"{missing} of {total} bootstrap replicates have no estimate (the lists' overlaps are "
        "too sparse), so an interval from the others would be far too narrow"
    )


def _terms(table: Table, fit: ModelFit) -> list[str]:
    """A model's two-list interactions as ``a:b`` list codes (its name without the words)."""
    return [f"{table.lists[i]}:{table.lists[j]}" for i, j in fit.pairs]


def _reference_said(s: LoglinearSettings, n_lists: int) -> dict[str, Any]:
    """What :func:`_reference` says, as a code and the settings changed (for a translation)."""
    default = LoglinearSettings()
    changed = [
        f"{f.name}={getattr(s, f.name)!r}"
        for f in fields(s)
        if getattr(s, f.name) != getattr(default, f.name)
    ]
    return {"code": "mse_three_lists" if n_lists == 3 else "sparsemse", "changed": changed}


_REFERENCES = {
    "mse_three_lists": (
        "MultipleSystemsEstimation::estimate_population default for three lists (Silverman, "
        "Chan & Vincent 2024): lowest BIC over every pairwise log-linear model, with a BCa "
        "bootstrap re-choosing among all of them (1,000 replicates, seed 1234)"
    ),
    "sparsemse": (
        "SparseMSE::estimatepopulation defaults (Chan, Silverman & Vincent 2021): stepwise "
        "search p<0.02, BCa bootstrap repeating it (1,000 replicates, seed 1234)"
    ),
}


def _reference(s: LoglinearSettings, n_lists: int) -> str:
    """The published default these settings follow, and what was changed from it."""
    said = _reference_said(s, n_lists)
    changed = said["changed"]
    return _REFERENCES[said["code"]] + ("; changed here: " + ", ".join(changed) if changed else "")


def _used_settings(
    s: LoglinearSettings, search: str, interval: str | None, top_n: int | None
) -> LoglinearSettings:
    """The settings as used: defaults resolved, and None for every setting that played no part
    (a stepwise search has no criterion, a profile interval no replicates)."""
    stepwise = search == "stepwise"
    boot = interval == "bootstrap"
    ic_used = search == "exhaustive" or interval is None
    return replace(
        s,
        search=None if search == "fixed" else search,  # type: ignore[arg-type]
        average=s.average and interval is None,
        criterion=s.ic if ic_used else None,  # type: ignore[arg-type]
        stepwise=s.stepwise if stepwise else None,
        p_threshold=s.threshold if stepwise else None,
        max_models=s.max_models if search == "exhaustive" or s.average else None,  # type: ignore[arg-type]
        interval=interval,  # type: ignore[arg-type]
        bootstrap_replicates=s.bootstrap_replicates if boot else None,
        bootstrap_method=s.bootstrap_method if boot else None,
        bootstrap_kind=s.bootstrap_kind if boot else None,
        reselect_model=s.reselect_model if boot else None,
        bootstrap_top_models=top_n,
    )


def _too_many_models(table: Table, s: LoglinearSettings) -> str:
    n_models = 2 ** len(table.all_pairs)
    return (
        f"an exhaustive search over {table.k} lists means {n_models:,} models, more than the "
        f"{s.max_models:,} allowed; leave out --criterion to use the stepwise search (Chan, "
        "Silverman & Vincent 2021), or merge lists"
    )


def _unique(fits: Sequence[ModelFit] | object) -> list[ModelFit]:
    seen: dict[tuple[Pair, ...], ModelFit] = {}
    for f in fits:  # type: ignore[attr-defined]
        seen.setdefault(f.pairs, f)
    return list(seen.values())


def _refused(table: Table, fit: ModelFit) -> EstimationError:
    """Why the chosen model cannot give an estimate, with its figures (``params``: a code, the
    model's two-list terms and why) for a page to say in its language."""
    why = {
        DOES_NOT_EXIST: "its estimate does not exist (a parameter goes to infinity)",
        NOT_IDENTIFIABLE: "it is not identifiable on these data",
        DOES_NOT_EXIST + NOT_IDENTIFIABLE: "its estimate neither exists nor is identifiable",
    }[fit.code]
    if not fit.pairs:  # nothing smaller to choose: the lists themselves share too few
        return EstimationError(
            f"the model {fit.name} cannot be used: {why}; the lists share too few persons "
            "for any log-linear model (none names a person another list names, or almost "
            "none): merge lists, or estimate a wider stratum",
            params={"code": "lists_share_too_few", "terms": [], "why": int(fit.code)},
        )
    return EstimationError(
        f"the model {fit.name} cannot be used: {why}; choose a smaller model",
        params={"code": "model_refused", "terms": _terms(table, fit), "why": int(fit.code)},
    )
