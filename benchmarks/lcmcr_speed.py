"""LCMCR sampler speed (iterations/s, K* = 10) and posterior agreement with the R package.

Anchor (issue 6): LCMCR 0.4.14 (C++, on the table of distinct patterns) runs about 65,000
iterations/s with K* = 10 on the UK six-list data on the project's 2-core machine; target: at
least half of that, with the same posterior.

Run: ``.venv/bin/python benchmarks/lcmcr_speed.py [--long]``. Prints the figures and writes them
with the machine description to ``benchmarks/results/lcmcr.md``. ``--long`` adds four chains of
10,000 draws for a tighter posterior comparison (about a minute more).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path

import numba
import numpy as np
from machine import describe  # benchmarks/machine.py: the machine description

from everyname.core.estimate import CaptureHistories, Lcmcr, LcmcrSettings
from everyname.core.estimate.lcmcr import chain_seeds, run_chain

ROOT = Path(__file__).resolve().parents[1]
MSE = ROOT.parent / "shared" / "data" / "mse"
OUT = ROOT / "benchmarks" / "results" / "lcmcr.md"
DATASETS = ["uk_2013_6lists", "kosovo_1999_4lists", "uk_2013_5lists"]
ANCHOR = 65_000


def machine() -> str:
    return f"{describe()}; numpy {np.__version__}, numba {numba.__version__}"


def speed(hist: CaptureHistories, repeats: int = 3) -> tuple[float, float]:
    """Median iterations/s of one chain (one thread), and of two chains on two threads."""
    s = LcmcrSettings(burn_in=10_000, samples=1000, thinning=100, chains=1)
    run_chain(hist, LcmcrSettings(burn_in=10, samples=10, thinning=1, warmup=10), 1)  # compile
    single = []
    for r in range(repeats):
        d = run_chain(hist, s, 1000 + r)
        single.append(s.iterations_per_chain / d.seconds)
    s2 = LcmcrSettings(burn_in=10_000, samples=1000, thinning=100, chains=2)
    pair = []
    for r in range(repeats):
        t0 = time.perf_counter()
        Lcmcr(s2).fit(hist, seed=2000 + r)
        pair.append(2 * s2.iterations_per_chain / (time.perf_counter() - t0))
    return statistics.median(single), statistics.median(pair)


def reference(name: str) -> dict:
    entries = json.loads((MSE / "published.json").read_text(encoding="utf-8"))[name]
    return next(e for e in entries if e["method"].startswith("reproduced: LCMCR"))


def posterior(hist: CaptureHistories, settings: LcmcrSettings, seed: int) -> tuple:
    r = Lcmcr(settings).fit(hist, seed=seed)
    return r.estimate, r.lower, r.upper, r.details["split_rhat_log_n"], r.details["ess_log_n"]


def pooled_long(hist: CaptureHistories) -> tuple:
    s = LcmcrSettings(burn_in=50_000, samples=10_000, thinning=100, chains=1)
    _, seeds = chain_seeds(77, 4)
    draws = np.concatenate([run_chain(hist, s, sd).n for sd in seeds]).astype(float)
    lo, med, hi = np.quantile(draws, [0.025, 0.5, 0.975])
    return med, lo, hi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--long", action="store_true", help="add 4 x 10,000-draw chains")
    args = parser.parse_args()
    lines = [
        "# LCMCR sampler speed and posterior agreement",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on: {machine()}",
        "",
        "Produced by `benchmarks/lcmcr_speed.py`. K* = 10, a = b = 0.25. Speed: one chain of "
        "110,500 sweeps (500 warm-up, 10,000 burn-in, 1,000 draws thinned 100), median of 3; "
        "'2 chains' is the aggregate rate of two chains on two threads. Anchor: R package "
        f"LCMCR 0.4.14 about {ANCHOR:,} it/s on the UK six lists on this machine; target "
        f"{ANCHOR // 2:,}. The machine is shared, so rates vary with other work.",
        "",
        "| data | lists | patterns | it/s, 1 chain | it/s, 2 chains | vs anchor |",
        "|---|---|---|---|---|---|",
    ]
    hists = {name: CaptureHistories.from_csv(MSE / f"{name}.csv") for name in DATASETS}
    for name in DATASETS[:2]:
        h = hists[name]
        one, two = speed(h)
        row = (
            f"| {name} | {h.n_lists} | {len(h.counts)} | {one:,.0f} | {two:,.0f} | "
            f"{one / ANCHOR:.2f}x |"
        )
        print(row, flush=True)
        lines.append(row)
    lines += [
        "",
        "Posterior of N against the R package's reproduced figures (published.json: burn-in "
        "10,000, 1,000 draws thinned 100, seed 12345). Ours: default settings (burn-in 50,000, "
        "2 chains of 1,000 draws thinned 100), seed 12345"
        + ("; and 4 pooled chains of 10,000 draws" if args.long else "")
        + ".",
        "",
        "| data | R package median [95%] | ours median [95%] | split R-hat | ESS |"
        + (" ours, 4 x 10,000 draws |" if args.long else ""),
        "|---|---|---|---|---|" + ("---|" if args.long else ""),
    ]
    for name in DATASETS:
        ref = reference(name)
        med, lo, hi, rhat, ess = posterior(hists[name], LcmcrSettings(), 12345)
        row = (
            f"| {name} | {ref['estimate']:,} [{ref['lower']:,}, {ref['upper']:,}] | "
            f"{med:,.0f} [{lo:,.0f}, {hi:,.0f}] | {rhat:.3f} | {ess:,.0f} |"
        )
        if args.long:
            m2, l2, h2 = pooled_long(hists[name])
            row += f" {m2:,.0f} [{l2:,.0f}, {h2:,.0f}] |"
        print(row, flush=True)
        lines.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
