"""Log-linear models for three or more lists (Poisson GLM via statsmodels).

Each observable capture pattern's count is Poisson with ``log mu = b0 + sum_j b_j x_j +
sum_{(i,j) in M} b_ij x_i x_j``: main effects for every list plus the two-list interactions in the
model ``M`` (every such model is hierarchical). The unobserved cell (on no list) has mean
``exp(b0)``, so the estimated total is ``n + exp(b0)``.

**Which model.** ``search="exhaustive"`` fits every subset of the ``k(k-1)/2`` interactions
(``2**(k(k-1)/2)`` models: 8 for 3 lists, 64 for 4, 1024 for 5) and reports the model chosen by
AIC, the one chosen by BIC (``-2 log L + log(n) p`` with ``n`` the documented persons, as in
Rcapture) and the average over all models with AIC or BIC weights. With 6 or more lists that is
32,768 models and up, so ``search="auto"`` switches to a stepwise search:

* ``stepwise="bhs"`` (default): Bales, Hesketh & Silverman (2015), as in ``modslavmse::MSEfit``:
  from main effects, add the interaction that lowers AIC most; stop when none lowers AIC or the
  new term's Wald p-value exceeds ``p_threshold`` (default 0.05). This is the method behind the
  UK Home Office figure (10,000–13,000; reproduced 11,409).
* ``stepwise="scv"``: Chan, Silverman & Vincent (2021), as in ``SparseMSE::stepwisefit``: add the
  interaction whose overlap count has the smallest one-sided Poisson p-value under the current
  model, while it is below ``p_threshold`` (default 0.02).

In stepwise mode the AIC/BIC choices and the average are taken over the models the search fitted.

**Existence.** Sparse tables can drive a parameter to infinity, and then the estimate may be
infinite or not identifiable. Following Chan, Silverman & Vincent (2021) and ``SparseMSE``: an
interaction between two lists that share nobody is handled by leaving out every pattern that
contains both (its parameter is minus infinity), the others are checked with the linear program
of Fienberg & Rinaldo (2012) (the extended MLE exists if the sufficient statistics can be met by
strictly positive cell means) and the rank of the design matrix (identifiability). Models that
fail are never chosen, and the result says how many were refused.

**Interval.** For one model: a profile-likelihood interval for N from the multinomial likelihood
of the complete table (Cormack 1992; what Rcapture's ``closedpCI.t`` reports): for each candidate
N the unobserved cell is set to ``N - n``, the model refitted, and the interval is where twice
the drop in log-likelihood stays under the chi-square quantile. Profile rather than a parametric
bootstrap because it is deterministic, takes seconds instead of minutes, and is what the
published figures we reproduce used; it is conditional on the chosen model, so it ignores the
uncertainty of choosing it (compare the AIC, BIC and averaged figures; a warning says when they
disagree). ``interval="wald-log"`` gives SparseMSE's normal interval on ``b0``.
``interval="bootstrap"`` (see :mod:`everyname.core.estimate.bootstrap`) repeats the model choice
in every replicate, as Chan, Silverman & Vincent (2021) and Silverman, Chan & Vincent (2024) do,
and gives a BCa (default) or percentile interval that includes the uncertainty of that choice.
For the averaged estimate: Buckland, Burnham & Augustin (1997) unconditional standard error, on
the log scale of the undocumented count.
"""

from __future__ import annotations

import itertools
import math
import warnings as _pywarnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import statsmodels.api as sm
from scipy.optimize import brentq, linprog, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm, poisson

from everyname.core.estimate import warnings as w
from everyname.core.estimate.histories import CaptureHistories
from everyname.core.estimate.result import (
    EstimateResult,
    EstimationError,
    SettingsError,
    library_versions,
)

Pair = tuple[int, int]

EXISTS = 0
DOES_NOT_EXIST = 1
NOT_IDENTIFIABLE = 2


@dataclass(frozen=True)
class LoglinearSettings:
    """How to choose the model and the interval (validated in :meth:`validated`).

    ``criterion`` picks the reported model in an exhaustive search (and the weights when
    ``average``); a stepwise search reports the model its own rule stops at, and AIC/BIC choices
    over the models it fitted are in the details. ``model`` fixes the interactions, e.g.
    ``(("PF", "NCA"), ("LA", "NG"))``; ``p_threshold`` defaults to the stepwise rule's published
    value (0.05 for BHS, 0.02 for SCV).
    """

    criterion: Literal["aic", "bic"] = "bic"
    average: bool = False
    search: Literal["auto", "exhaustive", "stepwise"] = "auto"
    stepwise: Literal["bhs", "scv"] = "bhs"
    p_threshold: float | None = None
    max_models: int = 1024
    interval: Literal["profile", "wald-log", "bootstrap"] = "profile"
    level: float = 0.95
    model: tuple[tuple[str, str], ...] | None = None
    main_effects_only: bool = False
    bootstrap_replicates: int = 1000
    bootstrap_method: Literal["bca", "percentile"] = "bca"
    bootstrap_kind: Literal["nonparametric", "parametric"] = "nonparametric"
    reselect_model: bool = True
    bootstrap_top_models: int | None = None

    def validated(self) -> LoglinearSettings:
        if self.criterion not in ("aic", "bic"):
            raise SettingsError(f"criterion must be 'aic' or 'bic', got {self.criterion!r}")
        if self.search not in ("auto", "exhaustive", "stepwise"):
            raise SettingsError(f"search must be auto, exhaustive or stepwise: {self.search!r}")
        if self.stepwise not in ("bhs", "scv"):
            raise SettingsError(f"stepwise must be 'bhs' or 'scv', got {self.stepwise!r}")
        if self.p_threshold is not None and not 0 <= self.p_threshold <= 1:
            raise SettingsError(f"p_threshold must be in [0, 1], got {self.p_threshold}")
        if self.max_models < 1:
            raise SettingsError("max_models must be at least 1")
        if self.interval not in ("profile", "wald-log", "bootstrap"):
            raise SettingsError(
                f"interval must be 'profile', 'wald-log' or 'bootstrap': {self.interval!r}"
            )
        if self.interval == "bootstrap":
            if self.average:
                raise SettingsError(
                    "a bootstrap interval is for one chosen model (re-chosen in every replicate);"
                    " it is not available with average=True"
                )
            if self.bootstrap_replicates < 20:
                raise SettingsError("bootstrap_replicates must be at least 20 (1000 is usual)")
            if self.bootstrap_method not in ("bca", "percentile"):
                raise SettingsError(
                    f"bootstrap_method must be 'bca' or 'percentile': {self.bootstrap_method!r}"
                )
            if self.bootstrap_kind not in ("nonparametric", "parametric"):
                raise SettingsError(
                    "bootstrap_kind must be 'nonparametric' or 'parametric': "
                    f"{self.bootstrap_kind!r}"
                )
            if self.bootstrap_top_models is not None and self.bootstrap_top_models < 1:
                raise SettingsError("bootstrap_top_models must be at least 1 (or None for all)")
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


@dataclass(frozen=True)
class ModelFit:
    """One fitted log-linear model. ``pairs`` index into the histories' lists."""

    pairs: tuple[Pair, ...]
    name: str
    code: int
    estimate: float = math.nan
    log_n0: float = math.nan
    se_log_n0: float = math.nan
    loglik: float = math.nan
    deviance: float = math.nan
    n_params: int = 0
    aic: float = math.inf
    bic: float = math.inf
    empty_pairs: tuple[Pair, ...] = ()
    params: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def exists(self) -> bool:
        return self.code == EXISTS


class _Table:
    """The complete table of observable patterns, and the design of any two-list model on it."""

    def __init__(self, histories: CaptureHistories) -> None:
        self.lists = histories.lists
        self.k = histories.n_lists
        self.patterns, self.counts = histories.full_table()
        self.x = self.patterns.astype(float)
        self.n = int(self.counts.sum())
        self.all_pairs: list[Pair] = list(itertools.combinations(range(self.k), 2))
        both = {p: self.x[:, p[0]] * self.x[:, p[1]] for p in self.all_pairs}
        self.both = both
        self.overlap = {p: int((both[p] * self.counts).sum()) for p in self.all_pairs}

    def name(self, pairs: Sequence[Pair]) -> str:
        if not pairs:
            return "main effects"
        terms = [f"{self.lists[i]}:{self.lists[j]}" for i, j in pairs]
        return "main effects + " + " + ".join(terms)

    def design(self, pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray, list[str], list[Pair]]:
        """Rows kept, design matrix, column names, and the model's non-overlapping pairs."""
        keep = np.ones(len(self.counts), dtype=bool)
        cols = [np.ones(len(self.counts))] + [self.x[:, j] for j in range(self.k)]
        names = ["(intercept)", *self.lists]
        empty: list[Pair] = []
        for p in pairs:
            if self.overlap[p] == 0:
                empty.append(p)
                keep &= self.both[p] == 0
            else:
                cols.append(self.both[p])
                names.append(f"{self.lists[p[0]]}:{self.lists[p[1]]}")
        design = np.column_stack(cols)[keep]
        return keep, design, names, empty


def check_model(table: _Table, pairs: Sequence[Pair]) -> int:
    """0 if the estimate exists and is identifiable, 1 if it does not exist (the linear program
    of Fienberg & Rinaldo finds no strictly positive cell means meeting the margins), 2 if it is
    not identifiable (rank-deficient design), 3 both — the codes of ``SparseMSE::checkident``."""
    keep, design, _, _ = table.design(pairs)
    counts = table.counts[keep]
    rank_def = design.shape[1] - np.linalg.matrix_rank(design)
    code = NOT_IDENTIFIABLE if rank_def > 0 else EXISTS
    if (counts > 0).all():
        return code  # the observed counts themselves are strictly positive cell means
    n_rows = design.shape[0]
    # variables: y (n_rows) >= 0 and s >= 0; maximise s with X^T y = X^T counts, y_i >= s
    c = np.zeros(n_rows + 1)
    c[-1] = -1.0
    a_eq = np.hstack([design.T, np.zeros((design.shape[1], 1))])
    b_eq = design.T @ counts
    a_ub = np.hstack([-np.eye(n_rows), np.ones((n_rows, 1))])
    b_ub = np.zeros(n_rows)
    bounds = [(0, None)] * n_rows + [(0, float(counts.sum()))]
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, float(counts.sum())):
        code += DOES_NOT_EXIST
    return code


def _glm(y: np.ndarray, design: np.ndarray, start: np.ndarray | None = None):
    with _pywarnings.catch_warnings():
        _pywarnings.simplefilter("ignore")
        model = sm.GLM(y, design, family=sm.families.Poisson())
        return model.fit(start_params=start, maxiter=200, tol=1e-10)


def fit_model(table: _Table, pairs: Sequence[Pair], check: bool = True) -> ModelFit:
    """Fit one model (after the existence check unless ``check`` is False)."""
    pairs = tuple(sorted(pairs))
    name = table.name(pairs)
    code = check_model(table, pairs) if check else EXISTS
    if code != EXISTS:
        return ModelFit(pairs=pairs, name=name, code=code)
    keep, design, names, empty = table.design(pairs)
    y = table.counts[keep].astype(float)
    res = _glm(y, design)
    b0 = float(res.params[0])
    se = float(res.bse[0])
    # count the parameters of non-overlapping pairs too (SparseMSE adds 2 per pair to the AIC)
    n_params = design.shape[1] + len(empty)
    loglik = float(res.llf)
    return ModelFit(
        pairs=pairs,
        name=name,
        code=code,
        estimate=table.n + math.exp(b0),
        log_n0=b0,
        se_log_n0=se,
        loglik=loglik,
        deviance=float(res.deviance),
        n_params=n_params,
        aic=-2 * loglik + 2 * n_params,
        bic=-2 * loglik + math.log(table.n) * n_params,
        empty_pairs=tuple(empty),
        params={nm: float(v) for nm, v in zip(names, res.params, strict=True)},
    )


# --------------------------------------------------------------------------- intervals
def _profile_loglik(table: _Table, pairs: Sequence[Pair], total: float) -> float:
    """Multinomial log-likelihood of the complete table at population size ``total``."""
    keep, design, _, _ = table.design(pairs)
    y = table.counts[keep].astype(float)
    n0 = total - table.n
    x_full = np.vstack([np.eye(1, design.shape[1]), design])  # the unobserved cell: intercept
    y_full = np.concatenate([[n0], y])
    res = _glm(y_full, x_full)
    mu = res.fittedvalues
    pos = y_full > 0
    return float(
        gammaln(total + 1) - gammaln(n0 + 1) + np.sum(y_full[pos] * np.log(mu[pos] / mu.sum()))
    )


def profile_interval(
    table: _Table, fit: ModelFit, level: float = 0.95, max_ratio: float = 1000.0
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
    var = np.array([(math.exp(f.log_n0) * f.se_log_n0) ** 2 for f in fits])
    mean = float((wts * est).sum())
    se = float((wts * np.sqrt(var + (est - mean) ** 2)).sum())
    n0 = mean - n
    z = norm.ppf(0.5 + level / 2)
    if n0 <= 0:
        return mean, mean, mean, wts
    c = math.exp(z * se / n0)
    return mean, n + n0 / c, n + n0 * c, wts


# --------------------------------------------------------------------------- searches
def exhaustive_search(table: _Table) -> list[ModelFit]:
    out = []
    for r in range(len(table.all_pairs) + 1):
        for pairs in itertools.combinations(table.all_pairs, r):
            out.append(fit_model(table, pairs))
    return out


def bhs_stepwise(table: _Table, p_threshold: float = 0.05) -> tuple[ModelFit, list[ModelFit]]:
    """Bales–Hesketh–Silverman: add by AIC while the new term's Wald p-value is small."""
    current = fit_model(table, ())
    tried = [current]
    if current.code != EXISTS:
        return current, tried
    while True:
        best: ModelFit | None = None
        for p in table.all_pairs:
            if p in current.pairs:
                continue
            cand = fit_model(table, (*current.pairs, p))
            tried.append(cand)
            if cand.exists and (best is None or cand.aic < best.aic - 1e-12):
                best = cand
        if best is None or best.aic >= current.aic:
            return current, tried
        new = next(p for p in best.pairs if p not in current.pairs)
        term = f"{table.lists[new[0]]}:{table.lists[new[1]]}"
        if new in best.empty_pairs or term not in best.params:
            return current, tried
        keep, design, names, _ = table.design(best.pairs)
        res = _glm(table.counts[keep].astype(float), design)
        pval = float(res.pvalues[names.index(term)])
        if pval > p_threshold:
            return current, tried
        current = best


def scv_stepwise(table: _Table, p_threshold: float = 0.02) -> tuple[ModelFit, list[ModelFit]]:
    """Chan–Silverman–Vincent: add the pair whose overlap is least likely under the model."""
    current = fit_model(table, (), check=False)
    tried = [current]
    if p_threshold <= 0:
        return current, tried
    while True:
        keep, design, _, _ = table.design(current.pairs)
        res = _glm(table.counts[keep].astype(float), design)
        mu = np.zeros(len(table.counts))
        mu[keep] = res.fittedvalues
        best_p, best_pair = 1.0, None
        for p in table.all_pairs:
            if p in current.pairs:
                continue
            expected = float((mu * table.both[p]).sum())
            seen = table.overlap[p]
            pval = min(poisson.cdf(seen, expected), poisson.sf(seen - 1, expected))
            if check_model(table, (*current.pairs, p)) != EXISTS:
                pval = 1.0
            if pval < best_p:
                best_p, best_pair = pval, p
        if best_pair is None or best_p >= p_threshold:
            return current, tried
        current = fit_model(table, (*current.pairs, best_pair), check=False)
        tried.append(current)


# --------------------------------------------------------------------------- estimator
class Loglinear:
    """``Loglinear(LoglinearSettings()).fit(histories)`` for three or more lists."""

    method = "loglinear"

    def __init__(self, settings: LoglinearSettings | None = None) -> None:
        self.settings = settings if settings is not None else LoglinearSettings()

    def _pairs_of(self, table: _Table, names: Sequence[tuple[str, str]]) -> tuple[Pair, ...]:
        out = []
        for a, b in names:
            if a not in table.lists or b not in table.lists or a == b:
                raise SettingsError(f"model term {a}:{b} does not name two of {table.lists}")
            i, j = sorted((table.lists.index(a), table.lists.index(b)))
            out.append((i, j))
        return tuple(sorted(set(out)))

    def _bootstrap(
        self,
        table: _Table,
        chosen: ModelFit,
        candidates: Sequence[ModelFit],
        search: str,
        s: LoglinearSettings,
        seed: int | None,
    ) -> tuple[float, float, dict]:
        """The bootstrap interval, repeating this fit's own model choice in every replicate."""
        from everyname.core.estimate.bootstrap import Selection, bootstrap_interval

        if search == "fixed" or not s.reselect_model:
            selection = Selection("fixed", pairs=chosen.pairs)
            rule = "the chosen model refitted (model choice not repeated)"
        elif search == "exhaustive":
            ranked = sorted(candidates, key=lambda f: f.aic if s.criterion == "aic" else f.bic)
            top = ranked[: s.bootstrap_top_models] if s.bootstrap_top_models else ranked
            selection = Selection("ic", models=tuple(f.pairs for f in top), criterion=s.criterion)
            rule = (
                f"lowest {s.criterion.upper()} re-chosen in every replicate among the "
                f"{len(top)} best model(s) on the data"
            )
        else:
            selection = Selection(s.stepwise, p_threshold=s.threshold)
            rule = f"stepwise ({s.stepwise.upper()}, p<{s.threshold:g}) repeated in every replicate"
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
            f"{name} bootstrap ({s.bootstrap_kind}, {s.bootstrap_replicates} replicates); {rule}"
        )
        return lower, upper, details

    def fit(self, histories: CaptureHistories, seed: int | None = None) -> EstimateResult:
        """``seed`` seeds the bootstrap (``interval="bootstrap"``); other fits use no randomness."""
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
        table = _Table(histories)
        n_models = 2 ** len(table.all_pairs)
        search = s.search
        if s.model is not None or s.main_effects_only:
            search = "fixed"
        elif search == "auto":
            search = "exhaustive" if n_models <= s.max_models else "stepwise"

        refused = 0
        if search == "fixed":
            pairs = () if s.main_effects_only else self._pairs_of(table, s.model or ())
            chosen = fit_model(table, pairs)
            if not chosen.exists:
                raise EstimationError(_refusal(chosen))
            candidates = [chosen]
            selection = "fixed model"
        elif search == "exhaustive":
            all_fits = exhaustive_search(table)
            candidates = [f for f in all_fits if f.exists]
            refused = len(all_fits) - len(candidates)
            if not candidates:
                raise EstimationError("no log-linear model has an estimate that exists")
            chosen = min(candidates, key=lambda f: f.aic if s.criterion == "aic" else f.bic)
            selection = f"exhaustive search, lowest {s.criterion.upper()}"
        else:
            if s.stepwise == "bhs":
                chosen, tried = bhs_stepwise(table, s.threshold)
                selection = f"stepwise (Bales-Hesketh-Silverman, AIC, p<{s.threshold:g})"
            else:
                chosen, tried = scv_stepwise(table, s.threshold)
                selection = f"stepwise (Chan-Silverman-Vincent, p<{s.threshold:g})"
            if not chosen.exists:
                raise EstimationError(_refusal(chosen))
            candidates = _unique(f for f in tried if f.exists)
            refused = len(_unique(tried)) - len(candidates)

        boot: dict | None = None
        by_aic = min(candidates, key=lambda f: f.aic)
        by_bic = min(candidates, key=lambda f: f.bic)
        avg_crit = s.criterion
        avg_est, avg_lo, avg_hi, wts = averaged(table.n, candidates, avg_crit, s.level)

        if s.average and search != "fixed":
            estimate, lower, upper = avg_est, avg_lo, avg_hi
            model_label = f"average of {len(candidates)} models ({avg_crit.upper()} weights)"
            interval_label = "Buckland et al. (1997) unconditional, log scale"
        else:
            estimate = chosen.estimate
            if s.interval == "bootstrap":
                lower, upper, boot = self._bootstrap(table, chosen, candidates, search, s, seed)
                interval_label = boot["label"]
            elif s.interval == "profile":
                lower, upper = profile_interval(table, chosen, s.level)
                interval_label = "profile likelihood (multinomial), conditional on the model"
            else:
                lower, upper = wald_log_interval(table.n, chosen, s.level)
                interval_label = "normal on the intercept (log scale), conditional on the model"
            model_label = chosen.name

        warns = w.data_warnings(histories)
        if search != "fixed":
            warns += w.disagreement(
                [
                    (f"AIC ({by_aic.name})", by_aic.estimate),
                    (f"BIC ({by_bic.name})", by_bic.estimate),
                ]
            )
        if refused:
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.ESTIMATE_DOES_NOT_EXIST,
                    f"{refused} model(s) were left out because their estimate does not exist or "
                    "is not identifiable on these sparse overlaps (Chan, Silverman & Vincent "
                    "2021).",
                )
            )
        if not math.isfinite(upper):
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.INTERVAL_OPEN,
                    "the data set no upper limit on the estimate: the interval is open above.",
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
            settings=s,
            warnings=w.dedupe(warns),
            details={
                "model": model_label,
                "selection": selection,
                "interval": interval_label,
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
                "seed": seed,
                "versions": library_versions(),
            },
        )


def _unique(fits: Sequence[ModelFit] | object) -> list[ModelFit]:
    seen: dict[tuple[Pair, ...], ModelFit] = {}
    for f in fits:  # type: ignore[attr-defined]
        seen.setdefault(f.pairs, f)
    return list(seen.values())


def _refusal(fit: ModelFit) -> str:
    why = {
        DOES_NOT_EXIST: "its estimate does not exist (a parameter goes to infinity)",
        NOT_IDENTIFIABLE: "it is not identifiable on these data",
        DOES_NOT_EXIST + NOT_IDENTIFIABLE: "its estimate neither exists nor is identifiable",
    }[fit.code]
    return f"the model {fit.name} cannot be used: {why}; choose a smaller model"
