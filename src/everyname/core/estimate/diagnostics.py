"""Convergence diagnostics for MCMC traces: split R-hat, effective sample size, Geweke z.

They answer "has the sampler forgotten where it started, and how many independent draws is the
trace worth?" Definitions follow Gelman et al., *Bayesian Data Analysis* 3rd ed. (split R-hat,
ESS with Geyer's initial monotone sequence) and Geweke (1992) with batch-means variances.
Traces of a population size are skewed, so callers pass ``log(N)``.
"""

from __future__ import annotations

import math

import numpy as np


def split_rhat(chains: np.ndarray) -> float:
    """Split R-hat of a ``(chains, draws)`` array: each chain is cut in two halves."""
    x = np.atleast_2d(np.asarray(chains, dtype=float))
    half = x.shape[1] // 2
    if half < 2:
        return math.nan
    parts = np.concatenate([x[:, :half], x[:, -half:]], axis=0)
    n = parts.shape[1]
    means = parts.mean(axis=1)
    within = parts.var(axis=1, ddof=1).mean()
    between = n * means.var(ddof=1)
    if within <= 0:
        return 1.0 if between == 0 else math.inf
    var_plus = (n - 1) / n * within + between / n
    return float(math.sqrt(var_plus / within))


def effective_sample_size(chains: np.ndarray) -> float:
    """Multi-chain ESS (Gelman et al. 2013, eq. 11.8) with Geyer's monotone truncation."""
    x = np.atleast_2d(np.asarray(chains, dtype=float))
    m, n = x.shape
    if n < 4:
        return float(m * n)
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(f * np.conjugate(f), n=size, axis=1)[:, :n] / n
    chain_var = acov[:, 0] * n / (n - 1)
    within = chain_var.mean()
    var_plus = within * (n - 1) / n
    if m > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    if var_plus <= 0:
        return float(m * n)
    rho = 1 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs while positive, and force them to be monotone.
    total = 0.0
    prev = math.inf
    t = 0
    while t + 1 < n:
        pair = rho[t] + rho[t + 1]
        if pair <= 0:
            break
        pair = min(pair, prev)
        total += pair
        prev = pair
        t += 2
    tau = -1 + 2 * total
    tau = max(tau, 1.0 / math.log10(m * n + 10))
    return float(m * n / tau)


def _batch_var_of_mean(x: np.ndarray) -> float:
    n = len(x)
    b = max(int(math.sqrt(n)), 1)
    k = n // b
    if k < 2:
        return float(np.var(x, ddof=1) / max(n, 1))
    means = x[: k * b].reshape(k, b).mean(axis=1)
    return float(means.var(ddof=1) / k)


def geweke_z(trace: np.ndarray, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke's z: mean of the first 10% against the last 50% (batch-means standard errors)."""
    x = np.asarray(trace, dtype=float)
    n = len(x)
    a = x[: max(int(first * n), 2)]
    b = x[n - max(int(last * n), 2) :]
    var = _batch_var_of_mean(a) + _batch_var_of_mean(b)
    if var <= 0:
        return 0.0
    return float((a.mean() - b.mean()) / math.sqrt(var))
