"""Bayesian non-parametric latent class model for capture-recapture (LCMCR).

Manrique-Vallier, D. (2016) "Bayesian population size estimation using Dirichlet process mixtures",
*Biometrics* 72:1246-1254; the R package LCMCR (0.4.14) by the same author.

Model. Each person belongs to a latent class ``z``; within class ``k`` the lists capture
independently with probabilities ``lambda[j, k]``. Class weights ``pi`` follow a truncated
stick-breaking (Dirichlet process) prior with ``K*`` components and concentration ``alpha``::

    lambda[j, k] ~ Beta(1, 1)
    V[k] ~ Beta(1, alpha), k < K*;  V[K*] = 1;  pi[k] = V[k] prod_{h<k} (1 - V[h])
    alpha ~ Gamma(a, b)           (a = b = 0.25, the package defaults)
    p(N) ∝ 1/N

Heterogeneity between persons (some are easy to document everywhere, some nowhere) is what the
classes absorb; it is the main reason independence models underestimate.

Gibbs sampler, on the table of distinct capture patterns rather than on persons (so its cost does
not grow with the number of persons), one sweep in the package's order:

1. class counts per observed pattern: for a pattern seen ``c`` times, draw multinomial counts
   over classes with probabilities ``pi[k] prod_j lambda^x (1-lambda)^(1-x)``;
2. ``lambda[j, k] ~ Beta(1 + captured, 1 + not captured)`` over the observed and the imputed
   unobserved persons of class ``k``;
3. stick-breaking weights ``V[k] ~ Beta(1 + n_k, alpha + sum_{h>k} n_h)`` (computed in logs);
4. ``p0 = sum_k pi[k] prod_j (1 - lambda[j, k])``, the chance to be on no list; the unobserved
   count ``n0 ~ NegativeBinomial(n, 1 - p0)`` (failures before ``n`` successes), which is the
   full conditional under ``p(N) ∝ 1/N``;
5. the ``n0`` unobserved persons' classes: multinomial, probabilities ``pi[k] prod(1 - lambda)``;
6. ``alpha ~ Gamma(a + K* - 1, b - log pi[K*])``.

Start as the package does: ``lambda`` at each list's share of the documented persons, fixed
weights, ``alpha = 0.3 / K*``, and 500 warm-up sweeps without updating ``alpha``, after which the
classes are relabelled by decreasing weight. Then ``burn_in`` sweeps, then ``samples`` draws kept
every ``thinning`` sweeps. The estimate is the posterior median of ``N = n + n0``; the interval is
the equal-tailed credible interval.

Burn-in: the package's example uses 10,000 sweeps; we default to 50,000. Started the package's
way (few classes, small ``alpha``), chains on the UK six-list data stay 20,000-40,000 sweeps near
a low-N mode close to the independence model before they find the bulk of the posterior (we
measured it on several seeds), which pulls the lower credible bound down by a third. At ~80,000
sweeps a second the longer burn-in costs half a second. Some tables (UK five lists) have a
genuinely bimodal posterior between which the sampler moves rarely; split R-hat over the chains
catches that and the result then carries a ``not_converged`` warning.

Speed: the sweep is compiled with numba; chains are independent and run in parallel threads (the
compiled code releases the GIL and numba's generator is per thread). Each chain seeds its own
generator from ``numpy.random.SeedSequence(seed)``, so a seed reproduces the draws exactly,
whatever the number of threads.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from everyname.core.estimate import cautions as w
from everyname.core.estimate.diagnostics import effective_sample_size, geweke_z, split_rhat
from everyname.core.estimate.histories import CaptureHistories
from everyname.core.estimate.result import (
    EstimateResult,
    EstimationError,
    SettingsError,
    library_versions,
)

RHAT_LIMIT = 1.05
ESS_LIMIT = 100


@dataclass(frozen=True)
class LcmcrSettings:
    """Sampler settings: the package's prior (K* = 10, a = b = 0.25) and the published
    reproduction's run (1,000 draws kept every 100 sweeps), but a longer burn-in (see below)."""

    k_star: int = 10
    a_alpha: float = 0.25
    b_alpha: float = 0.25
    burn_in: int = 50_000
    samples: int = 1_000
    thinning: int = 100
    chains: int = 2
    warmup: int = 500
    level: float = 0.95
    parallel: bool = True

    def validated(self) -> LcmcrSettings:
        if self.k_star < 2:
            raise SettingsError(f"k_star must be at least 2, got {self.k_star}")
        if self.a_alpha <= 0 or self.b_alpha <= 0:
            raise SettingsError("a_alpha and b_alpha must be positive")
        if self.burn_in < 0 or self.warmup < 0:
            raise SettingsError("burn_in and warmup must be 0 or more")
        if self.samples < 10:
            raise SettingsError(f"samples must be at least 10, got {self.samples}")
        if self.thinning < 1:
            raise SettingsError(f"thinning must be at least 1, got {self.thinning}")
        if self.chains < 1:
            raise SettingsError(f"chains must be at least 1, got {self.chains}")
        if not 0.5 <= self.level < 1:
            raise SettingsError(f"level must be in [0.5, 1), got {self.level}")
        return self

    @property
    def iterations_per_chain(self) -> int:
        return self.warmup + self.burn_in + self.samples * self.thinning


# --------------------------------------------------------------------------- compiled kernel
@njit(cache=True, nogil=True)
def _log_gamma_variate(shape: float) -> float:
    """log of a Gamma(shape, 1) draw, accurate for tiny shapes (where the draw underflows)."""
    if shape >= 1.0:
        return math.log(np.random.gamma(shape, 1.0))
    u = 1.0 - np.random.random()
    return math.log(np.random.gamma(shape + 1.0, 1.0)) + math.log(u) / shape


@njit(cache=True, nogil=True)
def _log_add(a: float, b: float) -> float:
    hi = a if a > b else b
    if hi == -math.inf:
        return hi
    return hi + math.log(math.exp(a - hi) + math.exp(b - hi))


@njit(cache=True, nogil=True)
def _multinomial(total: int, probs: np.ndarray, out: np.ndarray) -> None:
    """Multinomial counts by conditional binomials; ``probs`` need not sum to one."""
    k = probs.shape[0]
    rest = 0.0
    for i in range(k):
        rest += probs[i]
    remaining = total
    for i in range(k - 1):
        if remaining == 0:
            out[i] = 0
            continue
        p = probs[i] / rest if rest > 0.0 else 1.0
        if p >= 1.0:
            x = remaining
        elif p <= 0.0:
            x = 0
        else:
            x = np.random.binomial(remaining, p)
        out[i] = x
        remaining -= x
        rest -= probs[i]
    out[k - 1] = remaining


@njit(cache=True, nogil=True)
def _categorical(probs: np.ndarray) -> int:
    k = probs.shape[0]
    total = 0.0
    for i in range(k):
        total += probs[i]
    u = np.random.random() * total
    acc = 0.0
    for i in range(k - 1):
        acc += probs[i]
        if u < acc:
            return i
    return k - 1


@njit(cache=True, nogil=True)
def _run_chain(
    cells: np.ndarray,
    freq: np.ndarray,
    k_star: int,
    a_alpha: float,
    b_alpha: float,
    warmup: int,
    burn_in: int,
    samples: int,
    thinning: int,
    seed: int,
    out_n: np.ndarray,
    out_alpha: np.ndarray,
    out_kstar: np.ndarray,
) -> None:
    np.random.seed(seed)
    m_cells, j_lists = cells.shape
    kk = k_star
    n = 0
    for m in range(m_cells):
        n += freq[m]

    # capture probabilities kept as logs of lambda and 1 - lambda, as the package does (0.4.14)
    ll1 = np.empty((j_lists, kk))
    ll0 = np.empty((j_lists, kk))
    for j in range(j_lists):
        s = 0
        for m in range(m_cells):
            if cells[m, j] == 1:
                s += freq[m]
        p = s / n
        for k in range(kk):
            ll1[j, k] = math.log(p) if p > 0.0 else -math.inf
            ll0[j, k] = math.log1p(-p) if p < 1.0 else -math.inf
    # initial weights: one draw of Beta(1, 1) sticks
    nu = np.empty(kk)
    log_nu = np.empty(kk)
    l_acc = 0.0
    for k in range(kk - 1):
        g1 = _log_gamma_variate(1.0)
        g2 = _log_gamma_variate(1.0)
        ls = _log_add(g1, g2)
        log_nu[k] = g1 - ls + l_acc
        l_acc += g2 - ls
    log_nu[kk - 1] = l_acc
    for k in range(kk):
        nu[k] = math.exp(log_nu[k])
    alpha = 0.3 / kk

    count_z = np.zeros((m_cells, kk), dtype=np.int64)
    count0 = np.zeros(kk, dtype=np.int64)
    count_k = np.zeros(kk, dtype=np.int64)
    captured = np.zeros((j_lists, kk), dtype=np.int64)
    probs = np.empty(kk)
    probs0 = np.empty(kk)
    row = np.zeros(kk, dtype=np.int64)
    n0 = 0
    n0_max = 20 * n

    total_iter = warmup + burn_in + samples * thinning
    kept = 0
    for it in range(total_iter):
        # 1. latent class counts for each observed pattern
        for m in range(m_cells):
            top = -math.inf
            for k in range(kk):
                lp = log_nu[k]
                for j in range(j_lists):
                    if cells[m, j] == 1:
                        lp += ll1[j, k]
                    else:
                        lp += ll0[j, k]
                probs[k] = lp
                if lp > top:
                    top = lp
            for k in range(kk):
                probs[k] = math.exp(probs[k] - top)
            if freq[m] > 1:
                _multinomial(freq[m], probs, row)
                for k in range(kk):
                    count_z[m, k] = row[k]
            else:
                z = _categorical(probs)
                for k in range(kk):
                    count_z[m, k] = 0
                count_z[m, z] = 1
        # tabulate (unobserved persons are in count0, captured by no list)
        for k in range(kk):
            count_k[k] = count0[k]
            for j in range(j_lists):
                captured[j, k] = 0
        for m in range(m_cells):
            for k in range(kk):
                c = count_z[m, k]
                if c > 0:
                    count_k[k] += c
                    for j in range(j_lists):
                        if cells[m, j] == 1:
                            captured[j, k] += c
        # 2. capture probabilities: Beta(1 + captured, 1 + missed) through log-gamma draws
        for j in range(j_lists):
            for k in range(kk):
                ga = _log_gamma_variate(1.0 + captured[j, k])
                gb = _log_gamma_variate(1.0 + (count_k[k] - captured[j, k]))
                ls = _log_add(ga, gb)
                ll1[j, k] = ga - ls
                ll0[j, k] = gb - ls
        # 3. stick-breaking weights, in logs
        n_acc = 0
        l_acc = 0.0
        n_tot = n + n0
        for k in range(kk - 1):
            n_acc += count_k[k]
            g1 = _log_gamma_variate(1.0 + count_k[k])
            g2 = _log_gamma_variate(alpha + (n_tot - n_acc))
            ls = _log_add(g1, g2)
            log_nu[k] = g1 - ls + l_acc
            l_acc += g2 - ls
            nu[k] = math.exp(log_nu[k])
        log_nu[kk - 1] = l_acc
        nu[kk - 1] = math.exp(l_acc)
        # 4. unobserved count; the package truncates it at 20 n
        p0 = 0.0
        top = -math.inf
        for k in range(kk):
            lp = log_nu[k]
            for j in range(j_lists):
                lp += ll0[j, k]
            probs0[k] = lp
            p0 += math.exp(lp)
            if lp > top:
                top = lp
        q = 1.0 - p0
        if q < 1e-12:
            q = 1e-12
        n0 = np.random.negative_binomial(n, q)
        tries = 0
        while n0 > n0_max:
            tries += 1
            if tries > 1000:
                # almost all the mass is above the cap: the truncated law sits at the cap
                n0 = n0_max
                break
            n0 = np.random.negative_binomial(n, q)
        # 5. classes of the unobserved
        for k in range(kk):
            probs0[k] = math.exp(probs0[k] - top)
        _multinomial(n0, probs0, count0)
        # 6. concentration (not during the package's warm-up)
        if it >= warmup:
            alpha = np.random.gamma(a_alpha + kk - 1.0, 1.0 / (b_alpha - log_nu[kk - 1]))
        if it == warmup - 1:
            # relabel classes by decreasing weight, as the package does after warm-up
            order = np.argsort(-nu, kind="mergesort")
            nu_c = nu.copy()
            lnu_c = log_nu.copy()
            ll1_c = ll1.copy()
            ll0_c = ll0.copy()
            cz_c = count_z.copy()
            c0_c = count0.copy()
            for k in range(kk):
                o = order[k]
                nu[k] = nu_c[o]
                log_nu[k] = lnu_c[o]
                count0[k] = c0_c[o]
                for j in range(j_lists):
                    ll1[j, k] = ll1_c[j, o]
                    ll0[j, k] = ll0_c[j, o]
                for m in range(m_cells):
                    count_z[m, k] = cz_c[m, o]
        if it >= warmup + burn_in and (it - warmup - burn_in + 1) % thinning == 0:
            out_n[kept] = n + n0
            out_alpha[kept] = alpha
            used = 0
            for k in range(kk):
                if count_k[k] > 0:
                    used += 1
            out_kstar[kept] = used
            kept += 1


@dataclass(frozen=True)
class ChainDraws:
    """Draws kept from one chain (``n`` is the total population ``N``)."""

    n: np.ndarray
    alpha: np.ndarray
    k_used: np.ndarray
    seed: int
    seconds: float


def run_chain(histories: CaptureHistories, settings: LcmcrSettings, seed: int) -> ChainDraws:
    """One seeded chain; the building block of :class:`Lcmcr` and of the speed benchmark."""
    s = settings
    cells = np.ascontiguousarray(histories.patterns, dtype=np.int64)
    freq = np.ascontiguousarray(histories.counts, dtype=np.int64)
    out_n = np.zeros(s.samples, dtype=np.int64)
    out_alpha = np.zeros(s.samples, dtype=np.float64)
    out_k = np.zeros(s.samples, dtype=np.int64)
    t0 = time.perf_counter()
    _run_chain(
        cells,
        freq,
        s.k_star,
        float(s.a_alpha),
        float(s.b_alpha),
        s.warmup,
        s.burn_in,
        s.samples,
        s.thinning,
        int(seed),
        out_n,
        out_alpha,
        out_k,
    )
    return ChainDraws(out_n, out_alpha, out_k, int(seed), time.perf_counter() - t0)


def chain_seeds(seed: int | None, chains: int) -> tuple[int, list[int]]:
    """The root seed actually used (drawn when ``None``) and one 31-bit seed per chain."""
    root = int(np.random.SeedSequence(seed).entropy) if seed is None else int(seed)
    states = np.random.SeedSequence(root).generate_state(chains, dtype=np.uint32)
    return root, [int(x) & 0x7FFFFFFF for x in states]


class Lcmcr:
    """``Lcmcr(LcmcrSettings()).fit(histories, seed=1)``: posterior median, credible interval."""

    method = "lcmcr"

    def __init__(self, settings: LcmcrSettings | None = None) -> None:
        self.settings = settings if settings is not None else LcmcrSettings()

    def fit(self, histories: CaptureHistories, seed: int | None = None) -> EstimateResult:
        s = self.settings.validated()
        if histories.n_lists < 2:
            raise EstimationError("LCMCR needs at least two lists")
        if histories.observed == 0:
            raise EstimationError("no documented persons: nothing to estimate from")
        root, seeds = chain_seeds(seed, s.chains)
        t0 = time.perf_counter()
        if s.parallel and s.chains > 1:
            with ThreadPoolExecutor(max_workers=min(s.chains, 8)) as pool:
                draws = list(pool.map(lambda sd: run_chain(histories, s, sd), seeds))
        else:
            draws = [run_chain(histories, s, sd) for sd in seeds]
        wall = time.perf_counter() - t0
        n_all = np.concatenate([d.n for d in draws]).astype(float)
        tail = (1 - s.level) / 2
        median = float(np.median(n_all))
        lower, upper = (float(v) for v in np.quantile(n_all, [tail, 1 - tail]))
        logs = np.log(np.stack([d.n for d in draws]).astype(float))
        rhat = split_rhat(logs)
        ess = effective_sample_size(logs)
        geweke = [geweke_z(np.log(d.n.astype(float))) for d in draws]
        warns = w.data_warnings(histories)
        if not (rhat <= RHAT_LIMIT) or ess < ESS_LIMIT:
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.NOT_CONVERGED,
                    f"the sampler may not have converged (split R-hat {rhat:.3f}, effective "
                    f"sample size {ess:.0f}); run longer (more burn-in, samples or thinning).",
                    {"rhat": float(rhat), "ess": float(ess)},
                )
            )
        cap = 21 * histories.observed
        if float(n_all.max()) >= 0.98 * cap:
            warns.append(
                w.EstimateWarning(
                    w.WarningCode.INTERVAL_OPEN,
                    "the posterior reaches the sampler's cap (the unobserved count is truncated "
                    "at 20 times the documented count, as in the R package): the data put no "
                    "real upper limit on the estimate.",
                    {"reason": "cap", "cap": 20},
                )
            )
        warns += w.far_above(histories.observed, median)
        iterations = s.iterations_per_chain * s.chains
        return EstimateResult(
            method=self.method,
            observed=histories.observed,
            estimate=median,
            lower=lower,
            upper=upper,
            level=s.level,
            lists=histories.lists,
            settings=s,
            warnings=w.dedupe(warns),
            details={
                "model": f"Dirichlet-process latent classes, K*={s.k_star}",
                "said": {"model": {"code": "latent_classes", "k_star": s.k_star}},
                "posterior_mean": float(n_all.mean()),
                "posterior_sd": float(n_all.std(ddof=1)),
                "split_rhat_log_n": rhat,
                "ess_log_n": ess,
                "geweke_z_log_n": geweke,
                "mean_classes_used": float(np.mean(np.concatenate([d.k_used for d in draws]))),
                "mean_alpha": float(np.mean(np.concatenate([d.alpha for d in draws]))),
                "draws": int(n_all.size),
                "iterations": iterations,
                "seconds": wall,
                "chain_seeds": [d.seed for d in draws],
            },
            provenance={
                "histories_fingerprint": histories.fingerprint,
                "seed": root,
                "versions": library_versions(),
            },
        )
