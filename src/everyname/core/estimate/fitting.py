"""Fitting log-linear models to capture histories: the pieces the estimator and its bootstrap share.

A model is the main effects of every list plus a set of two-list interactions (``Pair``: indices
into the histories' lists). :class:`Table` is the complete table of observable patterns with the
design of any such model; :func:`check_model` says whether the model's estimate exists and is
identifiable (Fienberg & Rinaldo 2012; the codes of ``SparseMSE::checkident``); :func:`fit_model`
fits it as a Poisson GLM; the searches choose a model as the published references do (every
model, or stepwise: Bales-Hesketh-Silverman, Chan-Silverman-Vincent). The estimator
(``loglinear``) adds intervals and averaging; the bootstrap (``bootstrap``) repeats the choice in
every replicate.
"""

from __future__ import annotations

import itertools
import math
import warnings as _pywarnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm
from scipy.optimize import linprog
from scipy.stats import poisson

from everyname.core.estimate.histories import CaptureHistories

Pair = tuple[int, int]

EXISTS = 0
DOES_NOT_EXIST = 1
NOT_IDENTIFIABLE = 2


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


class Table:
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


def check_model(table: Table, pairs: Sequence[Pair]) -> int:
    """0 if the estimate exists and is identifiable, 1 if it does not exist (the linear program
    of Fienberg & Rinaldo finds no strictly positive cell means meeting the margins), 2 if it is
    not identifiable (rank-deficient design), 3 both — the codes of ``SparseMSE::checkident``."""
    keep, design, _, _ = table.design(pairs)
    counts = table.counts[keep]
    rank_def = design.shape[1] - np.linalg.matrix_rank(design)
    code = NOT_IDENTIFIABLE if rank_def > 0 else EXISTS
    if (counts > 0).all():
        return code  # the observed counts themselves are strictly positive cell means
    # Maximise s over cell means y = z + s (z >= 0, s >= 0) with X^T y = X^T counts: writing
    # y_i >= s as a shift leaves only the p margin equalities, so the solver sees p rows instead
    # of p + cells (the same program, several times faster in the bootstrap).
    n_rows = design.shape[0]
    c = np.zeros(n_rows + 1)
    c[-1] = -1.0
    a_eq = np.hstack([design.T, design.T.sum(axis=1, keepdims=True)])
    b_eq = design.T @ counts
    bounds = [(0, None)] * n_rows + [(0, float(counts.sum()))]
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, float(counts.sum())):
        code += DOES_NOT_EXIST
    return code


def poisson_glm(y: np.ndarray, design: np.ndarray, start: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """statsmodels' Poisson GLM, its convergence chatter silenced: a model that does not
    converge is caught by the existence check, not by a warning on the console."""
    with _pywarnings.catch_warnings():
        _pywarnings.simplefilter("ignore")
        model = sm.GLM(y, design, family=sm.families.Poisson())
        return model.fit(start_params=start, maxiter=200, tol=1e-10)


def fit_model(table: Table, pairs: Sequence[Pair], check: bool = True) -> ModelFit:
    """Fit one model (after the existence check unless ``check`` is False)."""
    pairs = tuple(sorted(pairs))
    name = table.name(pairs)
    code = check_model(table, pairs) if check else EXISTS
    if code != EXISTS:
        return ModelFit(pairs=pairs, name=name, code=code)
    keep, design, names, empty = table.design(pairs)
    y = table.counts[keep].astype(float)
    res = poisson_glm(y, design)
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


# --------------------------------------------------------------------------- searches
def exhaustive_search(table: Table) -> list[ModelFit]:
    out = []
    for r in range(len(table.all_pairs) + 1):
        for pairs in itertools.combinations(table.all_pairs, r):
            out.append(fit_model(table, pairs))
    return out


def bhs_stepwise(table: Table, p_threshold: float = 0.05) -> tuple[ModelFit, list[ModelFit]]:
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
        res = poisson_glm(table.counts[keep].astype(float), design)
        pval = float(res.pvalues[names.index(term)])
        if pval > p_threshold:
            return current, tried
        current = best


def scv_stepwise(table: Table, p_threshold: float = 0.02) -> tuple[ModelFit, list[ModelFit]]:
    """Chan–Silverman–Vincent: add the pair whose overlap is least likely under the model.

    Main effects are checked as every model is: on lists that share nobody at all their
    estimate does not exist (the fit drifts to any size: 996,573,267 for nine persons on four
    lists), and the search stops there, refused, as Bales-Hesketh-Silverman's does."""
    current = fit_model(table, ())
    tried = [current]
    if p_threshold <= 0 or current.code != EXISTS:
        return current, tried
    while True:
        keep, design, _, _ = table.design(current.pairs)
        res = poisson_glm(table.counts[keep].astype(float), design)
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
