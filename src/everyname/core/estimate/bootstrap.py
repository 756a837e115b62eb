"""Bootstrap intervals for the log-linear estimator, with the model chosen again in every replicate.

A profile-likelihood interval is conditional on the chosen model: it ignores that another sample
would have chosen another model. Chan, Silverman & Vincent (2021, ``SparseMSE::estimatepopulation``)
and Silverman, Chan & Vincent (2024, ``MultipleSystemsEstimation::estimate_population_bic``)
account for that by resampling the data and **repeating the whole selection** on each replicate:

* **Replicates.** ``kind="nonparametric"`` (the papers' choice): the ``n`` documented persons are
  resampled with replacement, i.e. the observed table is drawn ``Multinomial(n, counts / n)``, so a
  pattern nobody shows stays empty. ``kind="parametric"``: each observable cell is drawn
  ``Poisson(mu)`` from the chosen model's fitted cell means (the total documented varies).
* **Selection in each replicate**: the same rule as on the data — a fixed model, the lowest AIC or
  BIC over the models whose estimate exists on the data (optionally only the ``top`` best of them,
  the papers' ``ntopmodels``), or the stepwise rule (SCV or BHS).
* **Interval.** ``method="percentile"``: quantiles of the replicate estimates. ``method="bca"``:
  Efron's (1987) bias-corrected and accelerated interval exactly as the papers compute it: bias
  ``z0 = Phi^-1(share of replicates below the estimate)``; acceleration from the delete-one-person
  jackknife (one jackknife value per non-empty pattern, weighted by its count); quantiles of type
  8 (median-unbiased, R's ``quantile(type=8)``).
* **Replicates without an estimate** (no candidate model has an estimate that exists or is
  identifiable on that replicate) are left out of the quantiles and of ``z0``, as in
  ``estimate_population_bic``; how many is recorded. (The stepwise rules always return a model:
  if no term can be added they keep main effects.)

**Speed.** Replicates are fitted together: one Newton/IRLS iteration solves the Poisson GLM for
every replicate at once (batched normal equations in NumPy), so searching 1,024 five-list models
in 1,000 replicates takes about a minute rather than hours. Existence: the extended
maximum-likelihood estimate fails to exist exactly when the likelihood is maximised only with some
kept cell mean driven to zero (Fienberg & Rinaldo 2012). A replicate whose fitted means are all
above ``1e-6`` therefore has an estimate; one with a smaller fitted mean (a rare pattern, or a
collapsing one) goes to the same linear program as the data (:func:`check_model`), whose answer
depends only on which cells are empty and is cached per model and pattern of empty cells. A
rank-deficient design of the kept cells (not identifiable) is refused too. Pairs of lists that
share nobody *in the replicate* are handled as on the data: their cells are left out and their
parameter is minus infinity.
The Bales-Hesketh-Silverman stepwise rule uses Wald tests from a full GLM and is run replicate by
replicate with the ordinary fitter (slower).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln
from scipy.stats import norm, poisson

from everyname.core.estimate.fitting import (
    EXISTS,
    ModelFit,
    Pair,
    Table,
    bhs_stepwise,
    check_model,
)
from everyname.core.estimate.result import EstimationError

MU_FLOOR = 1e-6  # a fitted cell mean below this sends the row to the existence check
MAX_ITER = 60


# --------------------------------------------------------------------------- batched fitting
@dataclass
class BatchFit:
    """One model fitted to R tables: per-row estimate, log-likelihood, existence, cell means."""

    estimate: np.ndarray  # (R,) total population; nan where the estimate does not exist
    log_n0: np.ndarray  # (R,) intercept
    loglik: np.ndarray  # (R,)
    exists: np.ndarray  # (R,) bool
    mu: np.ndarray  # (R, cells) fitted means (0 on removed cells)
    n_params: int


def _model_design(table: Table, pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray]:
    """Design over every observable cell (intercept, main effects, every pair of the model) and
    the (pairs x cells) indicator of cells holding both lists of each pair."""
    cols = [np.ones(len(table.counts))] + [table.x[:, j] for j in range(table.k)]
    both = [table.both[p] for p in pairs]
    x = np.column_stack(cols + both)
    return x, (np.array(both) if both else np.zeros((0, len(table.counts))))


def _existence_cache(table: Table) -> dict:
    cache = getattr(table, "_existence_cache", None)
    if cache is None:
        cache = {}
        table._existence_cache = cache  # type: ignore[attr-defined]
    return cache


def fit_batch(table: Table, pairs: Sequence[Pair], y: np.ndarray) -> BatchFit:
    """Fit main effects + ``pairs`` to every row of ``y`` (R x cells) by batched IRLS.

    Per row, a pair whose two lists share nobody is given minus infinity: its cells are removed
    and its column dropped (as :meth:`Table.design` does for the data)."""
    y = np.asarray(y, dtype=float)
    r, c = y.shape
    x, both = _model_design(table, pairs)
    p = x.shape[1]
    k1 = 1 + table.k
    if len(pairs):
        overlap = y @ both.T  # (R, pairs)
        empty = overlap <= 0
        removed = (empty.astype(float) @ both) > 0  # (R, cells)
    else:
        empty = np.zeros((r, 0), dtype=bool)
        removed = np.zeros((r, c), dtype=bool)
    keep = ~removed
    inactive = np.zeros((r, p), dtype=bool)
    inactive[:, k1:] = empty
    w_keep = keep.astype(float)

    # identifiability: rank of the design of the kept cells and active columns; it depends only
    # on which of the model's pairs are empty in the row, so it is computed once per such set
    ident = np.ones(r, dtype=bool)
    if len(pairs):
        keys = np.packbits(empty, axis=1)
        groups: dict[bytes, list[int]] = {}
        for i, kb in enumerate(keys):
            groups.setdefault(kb.tobytes(), []).append(i)
        patterns = [(rows[0], rows) for rows in groups.values()]
    else:
        patterns = [(0, list(range(r)))]
    for first, rows in patterns:
        sub = x[keep[first]][:, ~inactive[first]]
        if sub.shape[0] < sub.shape[1] or np.linalg.matrix_rank(sub) < sub.shape[1]:
            ident[rows] = False

    xx = np.einsum("ci,cj->cij", x, x).reshape(c, p * p)
    ridge = 1e-10 + inactive.astype(float)  # diagonal: pins inactive parameters at 0
    diag = np.arange(p)
    mu = np.where(keep, y + 0.1, 0.0)
    eta = np.log(np.where(keep, mu, 1.0))
    beta = np.zeros((r, p))
    dev_old = np.full(r, np.inf)
    live = np.arange(r)  # rows still iterating
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(MAX_ITER):
            yl, ml, kl, el = y[live], mu[live], w_keep[live], eta[live]
            z = el + np.where(ml > 0, (yl - ml) / np.where(ml > 0, ml, 1.0), 0.0)
            wt = ml * kl
            h = (wt @ xx).reshape(len(live), p, p)
            h[:, diag, diag] += ridge[live]
            g = (wt * z) @ x
            try:
                b = np.linalg.solve(h, g[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                b = np.einsum("rij,rj->ri", np.linalg.pinv(h), g)
            b = np.where(inactive[live], 0.0, b)
            el = np.clip(b @ x.T, -700, 700)
            ml = np.exp(el) * kl
            pos = yl > 0
            ylogy = np.where(
                pos, yl * np.log(np.where(pos, yl, 1.0) / np.where(ml > 0, ml, 1.0)), 0
            )
            dev = 2 * ((ylogy - (yl - ml)) * kl).sum(axis=1)
            beta[live], eta[live], mu[live] = b, el, ml
            done = np.abs(dev - dev_old[live]) <= 1e-12 * (np.abs(dev) + 1.0)
            dev_old[live] = dev
            live = live[~done]
            if live.size == 0:
                break
    mu = np.where(keep, mu, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logmu = np.log(np.where(mu > 0, mu, 1.0))
        loglik = (w_keep * (y * logmu - mu - gammaln(y + 1))).sum(axis=1)
        n = y.sum(axis=1)
        est = n + np.exp(beta[:, 0])
    exists = ident & np.isfinite(est) & np.isfinite(loglik)
    # A fitted mean near zero on a kept cell is either a legitimately rare pattern or a sign
    # that the MLE does not exist; the linear program decides (it depends only on which cells
    # are empty, so its answer is cached per model and pattern of empty cells).
    suspicious = exists & (keep & (mu < MU_FLOOR)).any(axis=1)
    if suspicious.any():
        cache = _existence_cache(table)
        key_pairs = tuple(sorted(pairs))
        for i in np.flatnonzero(suspicious):
            key = (key_pairs, (y[i] > 0).tobytes())
            if key not in cache:
                cache[key] = check_model(table_with_counts(table, y[i]), key_pairs) == EXISTS
            exists[i] = cache[key]
    return BatchFit(
        estimate=np.where(exists, est, np.nan),
        log_n0=beta[:, 0],
        loglik=loglik,
        exists=exists,
        mu=mu,
        n_params=p,
    )


def information_criterion(fit: BatchFit, n: np.ndarray, criterion: str) -> np.ndarray:
    """AIC or BIC per row, counting every parameter of the model (those at minus infinity too,
    as SparseMSE and MultipleSystemsEstimation do); BIC uses the documented count as sample size."""
    pen = 2.0 if criterion == "aic" else np.log(np.maximum(n, 2))
    ic = -2 * fit.loglik + pen * fit.n_params
    return np.where(fit.exists, ic, np.inf)


# --------------------------------------------------------------------------- selection rules
def select_fixed(table: Table, pairs: Sequence[Pair], y: np.ndarray) -> np.ndarray:
    return fit_batch(table, pairs, y).estimate


def select_by_ic(
    table: Table, models: Sequence[Sequence[Pair]], y: np.ndarray, criterion: str
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate of the lowest-IC model per row (ties: the first in ``models``); nan if none
    exists. Also returns the index of the chosen model (-1 when none)."""
    r = y.shape[0]
    n = y.sum(axis=1)
    best_ic = np.full(r, np.inf)
    best_est = np.full(r, np.nan)
    best_idx = np.full(r, -1)
    for i, pairs in enumerate(models):
        fit = fit_batch(table, pairs, y)
        ic = information_criterion(fit, n, criterion)
        better = ic < best_ic
        best_ic = np.where(better, ic, best_ic)
        best_est = np.where(better, fit.estimate, best_est)
        best_idx = np.where(better, i, best_idx)
    return best_est, best_idx


def select_scv(table: Table, y: np.ndarray, p_threshold: float) -> np.ndarray:
    """Chan-Silverman-Vincent stepwise rule run on every row in lock-step (rows are grouped by
    their current model so that each group is one batched fit)."""
    r = y.shape[0]
    both = np.array([table.both[p] for p in table.all_pairs])  # (pairs, cells)
    seen = y @ both.T  # (R, pairs)
    current: list[tuple[Pair, ...]] = [()] * r
    base = fit_batch(table, (), y)
    # a replicate on which main effects have no estimate has none (as on the data: the search
    # stops, refused), and is left out like any replicate without an estimate
    est = np.where(base.exists, base.estimate, np.nan)
    mu = base.mu
    active = base.exists.copy() if p_threshold > 0 else np.zeros(r, dtype=bool)
    pair_index = {p: i for i, p in enumerate(table.all_pairs)}
    while active.any():
        rows = np.flatnonzero(active)
        expected = mu[rows] @ both.T
        s = seen[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            pval = np.minimum(poisson.cdf(s, expected), poisson.sf(s - 1, expected))
        pval = np.where(np.isfinite(pval), pval, 1.0)
        for j, row in enumerate(rows):
            for pr in current[row]:
                pval[j, pair_index[pr]] = np.inf
        # try candidates in order of p-value until one whose estimate exists is found
        pending = np.ones(len(rows), dtype=bool)
        while pending.any():
            cand = np.argmin(np.where(pending[:, None], pval, np.inf), axis=1)
            pmin = pval[np.arange(len(rows)), cand]
            stop = pending & ~(pmin < p_threshold)
            active[rows[stop]] = False
            pending &= ~stop
            groups: dict[tuple[Pair, ...], list[int]] = {}
            for j in np.flatnonzero(pending):
                new = tuple(sorted((*current[rows[j]], table.all_pairs[cand[j]])))
                groups.setdefault(new, []).append(j)
            for new, js in groups.items():
                idx = np.array(js)
                fit = fit_batch(table, new, y[rows[idx]])
                ok = fit.exists
                for jj, good, e, m in zip(idx, ok, fit.estimate, fit.mu, strict=True):
                    if good:
                        row = rows[jj]
                        current[row] = new
                        est[row] = e
                        mu[row] = m
                        pending[jj] = False
                    else:
                        pval[jj, cand[jj]] = np.inf
        active &= np.array([len(c) < len(table.all_pairs) for c in current])
    return est


def table_with_counts(table: Table, counts: np.ndarray) -> Table:
    """A copy of ``table`` holding other counts for the same patterns (for the per-replicate
    path that reuses the ordinary fitter)."""
    t = copy.copy(table)
    t.counts = np.rint(np.asarray(counts, dtype=float)).astype(np.int64)
    t.n = int(t.counts.sum())
    t.overlap = {p: int((t.both[p] * t.counts).sum()) for p in t.all_pairs}
    return t


def select_bhs(table: Table, y: np.ndarray, p_threshold: float) -> np.ndarray:
    out = np.full(y.shape[0], np.nan)
    for i, row in enumerate(y):
        t = table_with_counts(table, row)
        try:
            chosen, _ = bhs_stepwise(t, p_threshold)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if chosen.code == EXISTS and math.isfinite(chosen.estimate):
            out[i] = chosen.estimate
    return out


# --------------------------------------------------------------------------- intervals
def bca_interval(
    replicates: np.ndarray,
    estimate: float,
    acceleration: float,
    level: float,
) -> tuple[float, float, float]:
    """Efron's BCa limits (with R's type-8 quantiles, as ``bcaconfvalues``); returns z0 too."""
    reps = replicates[np.isfinite(replicates)]
    share = float(np.mean(reps < estimate))
    share = min(max(share, 0.5 / len(reps)), 1 - 0.5 / len(reps))
    z0 = float(norm.ppf(share))
    za = norm.ppf([(1 - level) / 2, (1 + level) / 2])
    za0 = za + z0
    probs = norm.cdf(z0 + za0 / (1 - acceleration * za0))
    lo, hi = np.quantile(reps, probs, method="median_unbiased")
    return float(lo), float(hi), z0


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    reps = replicates[np.isfinite(replicates)]
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2], method="median_unbiased")
    return float(lo), float(hi)


def jackknife_acceleration(counts: np.ndarray, jack: np.ndarray) -> float:
    """Acceleration from delete-one-person estimates: ``jack[i]`` is the estimate with one person
    of pattern ``i`` removed, weighted by the pattern's count (as in both papers)."""
    pos = counts > 0
    if not np.all(np.isfinite(jack[pos])):
        return math.nan
    c = counts[pos].astype(float)
    j = jack[pos]
    d = (c * j).sum() / c.sum() - j
    denom = (c * d**2).sum()
    if not denom > 0:
        return 0.0
    return float((c * d**3).sum() / (6 * denom**1.5))


@dataclass(frozen=True)
class Selection:
    """The selection rule to repeat in every replicate."""

    kind: str  # "fixed", "ic", "scv", "bhs"
    pairs: tuple[Pair, ...] = ()
    models: tuple[tuple[Pair, ...], ...] = ()
    criterion: str = "bic"
    p_threshold: float = 0.02

    def apply(self, table: Table, y: np.ndarray) -> np.ndarray:
        if self.kind == "fixed":
            return select_fixed(table, self.pairs, y)
        if self.kind == "ic":
            return select_by_ic(table, self.models, y, self.criterion)[0]
        if self.kind == "scv":
            return select_scv(table, y, self.p_threshold)
        if self.kind == "bhs":
            return select_bhs(table, y, self.p_threshold)
        raise ValueError(self.kind)


def bootstrap_interval(
    table: Table,
    chosen: ModelFit,
    selection: Selection,
    *,
    replicates: int,
    method: str,
    kind: str,
    level: float,
    seed: int | None,
) -> tuple[float, float, dict[str, Any]]:
    """Bootstrap ``selection`` on ``table`` and return (lower, upper, details)."""
    seed_used = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed_used)
    counts = table.counts.astype(np.int64)
    if kind == "nonparametric":
        y = rng.multinomial(table.n, counts / table.n, size=replicates)
    else:
        mu = fit_batch(table, chosen.pairs, counts[None, :].astype(float)).mu[0]
        y = rng.poisson(mu, size=(replicates, len(counts)))
    reps = selection.apply(table, y.astype(float))
    usable = np.isfinite(reps)
    if usable.sum() < max(10, replicates // 10):
        raise EstimationError(
            f"only {int(usable.sum())} of {replicates} bootstrap replicates have an estimate: "
            "the data are too sparse for a bootstrap interval; use the profile interval",
            params={"with_estimate": int(usable.sum()), "replicates": int(replicates)},
        )
    details: dict[str, Any] = {
        "replicates": replicates,
        "replicates_without_estimate": int((~usable).sum()),
        "kind": kind,
        "method": method,
        "seed": seed_used,
        "reselect": selection.kind != "fixed",
        "replicate_median": float(np.median(reps[usable])),
    }
    if method == "percentile":
        lo, hi = percentile_interval(reps, level)
        return lo, hi, details
    # jackknife: one person fewer in each non-empty pattern
    pos = np.flatnonzero(counts > 0)
    yj = np.repeat(counts[None, :], len(pos), axis=0).astype(float)
    yj[np.arange(len(pos)), pos] -= 1
    jack = np.full(len(counts), np.nan)
    jack[pos] = selection.apply(table, yj)
    accel = jackknife_acceleration(counts, jack)
    if not math.isfinite(accel):
        accel = 0.0
        details["acceleration_note"] = (
            "a delete-one jackknife replicate had no estimate; acceleration set to 0 "
            "(bias-corrected percentile interval)"
        )
    lo, hi, z0 = bca_interval(reps, chosen.estimate, accel, level)
    details["acceleration"] = accel
    details["bias_z0"] = z0
    return lo, hi, details
