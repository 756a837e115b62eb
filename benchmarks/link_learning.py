"""Linkage that learns from its reviewers: learning curves and one list's own duplicates.

Learning curves. A simulated reviewer answers the pairs awaiting review from the truth, 25 at
a time; after each batch a new link run is made with every decision so far (as a team would:
decide, link again, decide on the new queue). F1, precision, recall of the clusters, the
count's range (the persons as linked, and as few as merging every pending pair leaves: what
``everyname count`` shows) and, on the demo, the log-linear estimate's 95% interval, after 0,
25, 50, 100 and 200 decisions; in two orders over the same pending pairs:

- queue order: the order ``everyname review`` and the web queue show (``review_queue``);
- score order: highest match probability first.

Tasks: the demo's five Homs lists (true population 300), and a Gaza task (English-English,
TFP × IBC release 7 without birth dates, the hardest of the cross-release tasks; a smaller
sample than link_accuracy's to keep the machine usable: 2,000 true pairs, ~5,000 records).

Single-list deduplication (``--dedup``). Two MoH releases' records of the same people are
concatenated into ONE list under one source code (IDs hidden; used only to score), plus
people named in only one of them; and, separately, the records of one release that share
an ID. Several independent samples; the worst is reported.

Cross-release tasks (``--only cross``): Arabic-Arabic, Arabic-English and English-English
without birth dates, three independent samples each (smaller than link_accuracy's), the worst
sample reported.

Run: .venv/bin/python benchmarks/link_learning.py [--only demo|gaza|dedup|cross] [--no-write]
Writes benchmarks/results/link_learning.md. No row of the real files is printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from link_accuracy import GAZA, IBC7, MOH4, MOH5, TFP, gaza, gaza_task  # noqa: E402
from machine import describe  # noqa: E402

from everyname.core.demo.link_input import demo_link_records  # noqa: E402
from everyname.core.estimate import CaptureHistories, estimate  # noqa: E402
from everyname.core.link import (  # noqa: E402
    LinkSettings,
    MatchDecision,
    link_records,
    pairwise_scores,
)
from everyname.core.link.cluster import merge_pending  # noqa: E402
from everyname.core.link.names import with_name_forms  # noqa: E402
from everyname.core.link.pipeline import LinkResult, review_queue  # noqa: E402
from everyname.core.link.review import entropy  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "link_learning.md"
BUDGETS = (0, 25, 50, 100, 200)
BATCH = 25

logging.getLogger("splink").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Point:
    decisions: int
    precision: float
    recall: float
    f1: float
    persons: int
    low: int
    interval: str
    seconds: float


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def count_range(result: LinkResult) -> tuple[int, int]:
    """The count's range as ``everyname count`` gives it: (as few as, as linked)."""
    memberships = result.persons.assign(record_id=result.persons["record_id"].astype(str))
    pending = review_queue(result)
    groups = merge_pending(memberships, pending, ())
    return len(set(groups.values())), int(result.persons["person_id"].nunique())


def interval(result: LinkResult) -> str:
    sets = result.persons.groupby("person_id")["source"].agg(lambda s: set(map(str, s)))
    try:
        fit = estimate(CaptureHistories.from_source_sets(sets.tolist()), seed=1)
    except Exception as err:
        return f"n/a ({type(err).__name__})"
    return f"{fit.estimate:.0f} [{fit.lower:.0f}, {fit.upper:.0f}]"


Order = Callable[[pd.DataFrame], pd.DataFrame]


def queue_order(pending: pd.DataFrame) -> pd.DataFrame:
    return pending  # review_queue's own order: what the reviewers are shown


def score_order(pending: pd.DataFrame) -> pd.DataFrame:
    return pending.sort_values(
        ["match_probability", "record_id_l", "record_id_r"],
        ascending=[False, True, True],
        kind="stable",
    )


def entropy_order(pending: pd.DataFrame) -> pd.DataFrame:
    """Uncertainty sampling, as the dedupe library's active learner: nearest p = 0.5 first."""
    out = pending.assign(_h=entropy(pending["match_probability"].to_numpy()))
    return out.sort_values(["_h", "record_id_l", "record_id_r"], ascending=[False, True, True])


def learning_curve(
    records: pd.DataFrame, order: Order, settings: LinkSettings, with_estimate: bool
) -> list[Point]:
    truth = dict(zip(records["record_id"], records["truth"], strict=True))
    inputs = records.drop(columns=["truth"])
    decisions: list[MatchDecision] = []
    asked: set[tuple[str, str]] = set()
    points: list[Point] = []
    for budget in range(0, BUDGETS[-1] + 1, BATCH):
        started = time.perf_counter()
        result = link_records(inputs, settings, decisions)
        seconds = time.perf_counter() - started
        queue = order(review_queue(result))
        if budget in BUDGETS:
            person = result.persons.set_index("record_id")["person_id"]
            scores = pairwise_scores(
                person.reindex(records["record_id"]).to_numpy(), records["truth"]
            )
            low, high = count_range(result)
            points.append(
                Point(
                    budget,
                    scores.precision,
                    scores.recall,
                    scores.f1,
                    high,
                    low,
                    interval(result) if with_estimate else "",
                    seconds,
                )
            )
        taken = 0
        for a, b in zip(queue["record_id_l"], queue["record_id_r"], strict=True):
            if taken == BATCH:
                break
            key = _key(str(a), str(b))
            if key in asked:
                continue
            asked.add(key)
            verdict = "same" if truth[key[0]] == truth[key[1]] else "different"
            decisions.append(MatchDecision(key[0], key[1], verdict))
            taken += 1
    return points


def curve_rows(label: str, records: pd.DataFrame, with_estimate: bool) -> list[str]:
    settings = LinkSettings()
    rows = []
    for name, order in ORDERS:
        for p in learning_curve(records, order, settings, with_estimate):
            row = (
                f"| {label} | {name} | {p.decisions} | {p.precision:.4f} | {p.recall:.4f} | "
                f"{p.f1:.4f} | {p.low:,}–{p.persons:,} | {p.interval or 'n/a'} | "
                f"{p.seconds:.1f} |"
            )
            print(row, flush=True)
            rows.append(row)
    return rows


ORDERS: tuple[tuple[str, Order], ...] = (
    ("queue", queue_order),
    ("score", score_order),
    ("entropy", entropy_order),
)

CURVE_HEADER = (
    "| task | order | decisions | P | R | F1 | persons (range) | estimate [95%] | run s |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def gaza_learning_task(seed: int) -> pd.DataFrame:
    recs = gaza_task(TFP, IBC7, seed, n_true=2_000, n_extra=500)
    return with_name_forms(recs.drop(columns=["date_of_birth"]))


# ----------------------------------------------------------------------------- one list


def one_list_task(seed: int, n_shared: int = 1_500, n_extra: int = 1_500) -> pd.DataFrame:
    """Two MoH releases' records of ``n_shared`` people, and ``n_extra`` people of one release
    only, as ONE list (one source code). The ID is kept apart as truth only."""
    rng = np.random.default_rng(seed)
    r4, r5 = gaza(MOH4), gaza(MOH5)
    common = np.intersect1d(r4["truth"], r5["truth"])
    shared = rng.choice(common, size=n_shared, replace=False)
    rest = np.setdiff1d(r5["truth"], shared)
    extra = rng.choice(rest, size=n_extra, replace=False)
    left = r4[r4["truth"].isin(shared)]
    right = r5[r5["truth"].isin(np.concatenate([shared, extra]))]
    both = pd.concat([left, right], ignore_index=True)
    both = both.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # one list's order
    both["source"] = "one"
    both["record_id"] = [f"r{i}" for i in range(len(both))]
    return with_name_forms(both)


RELEASES = (
    "moh_list_update1_asof_2024-01-05.csv",
    "moh_list_update2_asof_2024-03-29.csv",
    "moh_list_update3_asof_2024-04-30.csv",
    "moh_list_update4_asof_2024-06-30.csv",
    "moh_list_update5_asof_2024-08-31.csv",
    "ibc_moh_list_update6_asof_2025-03-23.csv",
    "ibc_moh_list_update7_asof_2025-06-15.csv",
    "tfp_killed_in_gaza_translit_2024-09-21.csv",
)


def repeated_ids() -> str:
    """How many records of each release share a 9-digit ID with another record of it."""
    counts = []
    for path in RELEASES:
        raw = pd.read_csv(GAZA / path, dtype=str)
        column = next(c for c in ("id", "ID", "ID number") if c in raw.columns)
        ids = raw[column].astype(str).str.strip()
        nine = ids.str.fullmatch(r"\d{9}")
        shared = int((nine & ids.duplicated(keep=False)).sum())
        counts.append(f"{path.split('_asof')[0].split('_2024')[0]} {shared}")
    return "; ".join(counts)


def dedup_row(label: str, records: pd.DataFrame, settings: LinkSettings) -> tuple[str, float]:
    started = time.perf_counter()
    result = link_records(records.drop(columns=["truth"]), settings)
    seconds = time.perf_counter() - started
    person = result.persons.set_index("record_id")["person_id"]
    s = pairwise_scores(person.reindex(records["record_id"]).to_numpy(), records["truth"])
    sibling_like = _sibling_pairs_linked(records, person)
    held = result.held_apart["rule"].value_counts().to_dict()
    row = (
        f"| {label} | {len(records):,} | {s.true_pairs:,} | {s.precision:.4f} | "
        f"{s.recall:.4f} | {s.f1:.4f} | {sibling_like} | {len(result.review):,} | "
        f"{held.get('siblings', 0):,} | {seconds:.1f} |"
    )
    print(row, flush=True)
    return row, s.f1


def _sibling_pairs_linked(records: pd.DataFrame, person: pd.Series) -> int:
    """Wrongly linked pairs that look like siblings (same father and family key, different
    given key): what the guard is for."""
    df = records.set_index("record_id")
    groups = person.reindex(records["record_id"])
    n = 0
    for _, members in groups.groupby(groups):
        ids = list(members.index)
        for a, b in combinations(ids, 2):
            ra, rb = df.loc[a], df.loc[b]
            if ra["truth"] == rb["truth"]:
                continue
            if (
                ra.get("father_key") == rb.get("father_key")
                and ra.get("family_key") == rb.get("family_key")
                and ra.get("given_key") != rb.get("given_key")
            ):
                n += 1
    return n


DEDUP_HEADER = (
    "| task | records | true pairs | P | R | F1 | sibling-like pairs linked | awaiting review "
    "| held apart as siblings | s |\n|---|---|---|---|---|---|---|---|---|---|"
)


def dedup_rows() -> tuple[list[str], float]:
    """Three samples with the default settings (the sibling rule on), and each again with the
    rule off, to show what it does; the worst F1 of the default rows is returned."""
    rows, worst = [], 1.0
    for seed in (11, 12, 13):
        records = one_list_task(seed)
        row, f1 = dedup_row(f"MoH r4 + r5 as one list, sample {seed}", records, LinkSettings())
        rows.append(row)
        worst = min(worst, f1)
        off = LinkSettings(siblings_apart=False)
        row, _ = dedup_row(f"same, sibling rule off, sample {seed}", records, off)
        rows.append(row)
    return rows, worst


# ----------------------------------------------------------------------------- cross-release

CROSS_TASKS = (
    ("Gaza ar-ar MoH r4 × r5, no dob", MOH4, MOH5),
    ("Gaza ar-en MoH r5 × IBC r7, no dob", MOH5, IBC7),
    ("Gaza en-en TFP × IBC r7, no dob", TFP, IBC7),
)
CROSS_SEEDS = (31, 32, 33)

CROSS_HEADER = (
    "| task | sample | records | true pairs | P | R | F1 | s |\n|---|---|---|---|---|---|---|---|"
)


def cross_rows() -> list[str]:
    """The hard cross-release tasks without birth dates, on three independent samples each
    (3,000 true pairs and 1,000 people of one list only on each side: ~8,000 records), with
    the worst sample's F1 and precision."""
    rows, worst = [], []
    for label, a, b in CROSS_TASKS:
        results = []
        for seed in CROSS_SEEDS:
            records = gaza_task(a, b, seed, n_true=3_000, n_extra=1_000)
            records = with_name_forms(records.drop(columns=["date_of_birth"]))
            started = time.perf_counter()
            result = link_records(records.drop(columns=["truth"]), LinkSettings())
            seconds = time.perf_counter() - started
            person = result.persons.set_index("record_id")["person_id"]
            s = pairwise_scores(person.reindex(records["record_id"]).to_numpy(), records["truth"])
            results.append(s)
            row = (
                f"| {label} | {seed} | {len(records):,} | {s.true_pairs:,} | {s.precision:.4f} "
                f"| {s.recall:.4f} | {s.f1:.4f} | {seconds:.1f} |"
            )
            print(row, flush=True)
            rows.append(row)
        low = min(results, key=lambda s: s.f1)
        worst.append(
            f"- {label}: worst F1 {low.f1:.4f} (precision {low.precision:.4f}); "
            f"lowest precision of the samples {min(r.precision for r in results):.4f}"
        )
    return [*rows, "", *worst]


# ----------------------------------------------------------------------------- output


def write(sections: dict[str, str]) -> None:
    import re
    from datetime import UTC, datetime

    text = RESULTS.read_text() if RESULTS.exists() else "# Linkage that learns\n"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name, body in sections.items():
        section = f"## {name}\n\nRun {stamp} on {describe()}.\n\n{body.strip()}\n"
        pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(text):
            text = pattern.sub(lambda _, s=section: s + "\n", text)
        else:
            text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["demo", "gaza", "dedup", "cross"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sections: dict[str, str] = {}
    if args.only in (None, "demo"):
        print(CURVE_HEADER)
        rows = curve_rows("demo Homs lists", demo_link_records(), with_estimate=True)
        sections["learning curve (demo)"] = CURVE_HEADER + "\n" + "\n".join(rows)
    if args.only in (None, "gaza"):
        print(CURVE_HEADER)
        rows = curve_rows("Gaza en-en TFP × IBC r7, no dob", gaza_learning_task(5), False)
        sections["learning curve (Gaza)"] = CURVE_HEADER + "\n" + "\n".join(rows)
    if args.only in (None, "dedup"):
        print(DEDUP_HEADER)
        rows, worst = dedup_rows()
        repeated = repeated_ids()
        print("records sharing a 9-digit ID within a release:", repeated)
        sections["single-list deduplication (Gaza)"] = "\n".join(
            [
                DEDUP_HEADER,
                *rows,
                "",
                f"Worst F1 of the three samples (sibling rule on): {worst:.4f}.",
                "",
                f"Records sharing a 9-digit ID with another record of the same release: {repeated}"
                " (so no release gives a within-release duplicate task of its own).",
            ]
        )
    if args.only in (None, "cross"):
        print(CROSS_HEADER)
        sections["cross-release tasks, three samples"] = (
            CROSS_HEADER + "\n" + "\n".join(cross_rows())
        )
    if not args.no_write:
        write(sections)


if __name__ == "__main__":
    main()
