"""Person counts on the real VDC sample against its records less the duplicates linkage finds.

Run: .venv/bin/python benchmarks/vdc_counts.py [--no-full-resolve]

Runs the same pipeline and the same independent expectation as
``tests/core/test_vdc_counts.py`` (loaded from that file, so the figures here are the ones the
test asserts), then adds what a test should not pin: the time of each stage, the time of
``resolve_persons`` over every person (the test resolves only clusters and a sample), aggregate
characteristics of the clusters linkage made and of the pairs it held apart, and the
candidate duplicates a plain key finds. Writes ``benchmarks/results/vdc_counts.md``.

The file names real dead people: only aggregates are printed, never a name or a row.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import logging
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import peak_memory_bytes, record

from everyname.core.link import resolve_persons

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PARTS = ("given", "father", "grandfather", "family")


def load_test_module():
    path = REPO / "tests" / "core" / "test_vdc_counts.py"
    spec = importlib.util.spec_from_file_location("test_vdc_counts", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed(label: str, timings: dict[str, float], fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    timings[label] = time.perf_counter() - started
    print(f"{label}: {timings[label]:.1f} s", flush=True)
    return out


def pair_profile(records: pd.DataFrame, left: list[str], right: list[str]) -> pd.DataFrame:
    """Per pair, which fields agree (aggregates only: never a value)."""
    by_id = records.set_index("record_id")
    a, b = by_id.loc[left], by_id.loc[right]
    out = pd.DataFrame(index=range(len(left)))

    def same(column: str) -> list[str]:
        return [
            "missing" if pd.isna(x) or pd.isna(y) else ("same" if x == y else "differs")
            for x, y in zip(a[column], b[column], strict=True)
        ]

    for part in PARTS:
        out[part] = same(f"{part}_key")
    for column in ("sex", "age_group", "status", "governorate", "date_of_death", "cause"):
        out[column] = same(column)
    ages = pd.to_numeric(a["age_years"]).to_numpy() - pd.to_numeric(b["age_years"]).to_numpy()
    out["age_gap"] = abs(ages)
    uid = abs(
        pd.to_numeric(a["source_record_id"]).to_numpy()
        - pd.to_numeric(b["source_record_id"]).to_numpy()
    )
    out["vdc_uid_gap"] = uid
    return out


def pattern_table(profile: pd.DataFrame, title: str) -> list[str]:
    if profile.empty:
        return [f"{title}: none", ""]
    lines = [f"{title} ({len(profile)} pairs): how many agree on each field", ""]
    lines.append("| field | same | differs | missing |")
    lines.append("|---|---|---|---|")
    for column in (*PARTS, "sex", "age_group", "status", "governorate", "date_of_death", "cause"):
        c = Counter(profile[column])
        lines.append(f"| {column} | {c['same']} | {c['differs']} | {c['missing']} |")
    gaps = profile["vdc_uid_gap"]
    lines += [
        "",
        f"VDC uid gap between the two records: median {gaps.median():g}, "
        f"{int((gaps <= 2).sum())} of {len(gaps)} at most 2 apart (entered together). "
        f"Ages known on both: {int(profile['age_gap'].notna().sum())}, of which "
        f"{int((profile['age_gap'] > 2).sum())} differ by more than 2 years.",
        "",
    ]
    return lines


def key_duplicates(
    frame: pd.DataFrame, key: list[str], person: pd.Series, scored: set[tuple[str, str]]
) -> tuple[list[tuple[str, str]], int, int, int]:
    """Pairs of records equal on ``key``: (pairs, joined by linkage, scored, groups)."""
    groups = frame[frame.duplicated(key, keep=False)].dropna(subset=key).groupby(key)
    pairs = [p for _, g in groups for p in itertools.combinations(sorted(g["record_id"]), 2)]
    joined = sum(person[a] == person[b] for a, b in pairs)
    return pairs, joined, sum(p in scored for p in pairs), groups.ngroups


def named_of(records: pd.DataFrame, record_id: str) -> str:
    return str(records.loc[records["record_id"] == record_id, "full_name"].iloc[0])


def differ_by_number(a: str, b: str) -> bool:
    """Whether two names differ only in their numbers (never printed)."""
    return a != b and _without_numbers(a) == _without_numbers(b)


def _without_numbers(name: str) -> str:
    return " ".join(re.sub(r"[0-9]+", " ", name).split()).casefold()


def partition(persons: pd.DataFrame, rename: dict[str, str] | None = None) -> set[frozenset]:
    """The persons as sets of record ids (renamed), to compare runs whatever their person ids."""
    rename = rename or {}
    groups = persons.groupby("person_id")["record_id"]
    return {frozenset(rename.get(r, r) for r in members) for _, members in groups}


def reading(merged: pd.DataFrame, held: pd.DataFrame, levels: list) -> list[str]:
    """What the figures above say about linkage on this list (computed, not assumed)."""
    out = ["## Reading", ""]
    family = ("father", "grandfather", "family", "date_of_death", "governorate")
    if len(merged):
        siblings = int(
            ((merged["given"] == "differs") & (merged[list(family)] == "same").all(axis=1)).sum()
        )
        out.append(
            f"- {siblings} of the {len(merged)} joined pairs differ on the given name while "
            "agreeing on father, grandfather and family name, day of death and governorate"
            + (
                ": the pattern of brothers and sisters killed together, entered one after "
                "another, not of a list naming one person twice."
                if siblings
                else "."
            )
            + " Each joined pair removes one person from every breakdown above."
        )
    if len(held):
        out.append(
            f"- {int((held['given'] == 'differs').sum())} of the {len(held)} pairs held apart "
            "by the one-record-per-source rule differ on the given name too: that rule is what "
            "keeps most such relatives apart on this list."
        )
    weight = {label: math.log2(m / u) for label, m, u in levels if m and u}
    agree = max(
        (weight[k] for k in ("same Arabic form", "same romanised form") if k in weight),
        default=None,
    )
    differ = weight.get("All other comparisons")
    if agree is not None and differ is not None:
        out.append(
            f"- The model trained on this list weighs agreeing on the given name {agree:+.1f} "
            f"bits and disagreeing {differ:+.1f} bits"
            + (
                ": disagreeing costs little, because expectation maximisation on one list "
                "takes relatives (same family, same day) for the match class; the "
                "same-source threshold and the one-record-per-source rule are what hold "
                "brothers and sisters apart here."
                if differ > -3
                else "."
            )
        )
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-full-resolve", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Splink's training warnings
    t = load_test_module()
    path = SHARED.joinpath(*t.VDC)
    timings: dict[str, float] = {}
    records = timed("read (ingest)", timings, t.read_records, path)
    result = timed("link", timings, t.link, records)
    resolved, shortcut, checked = timed(
        "resolve (clusters + sample)", timings, t.resolve, records, result.persons
    )
    counted = timed("count", timings, t.count, resolved, records, link_run=result.input_fingerprint)
    expected = t.assert_explained(records, result.persons, counted)
    assert t.same_rows(shortcut, checked) == []
    summary = t.summary(expected, len(records))
    print(summary)

    full_note = "not run (--no-full-resolve)"
    if not args.no_full_resolve:
        frame = records[["record_id", "source", *t.RESOLVED_COLUMNS]]
        person_ids = result.persons.set_index("record_id").loc[frame["record_id"], "person_id"]
        full = timed(
            "resolve_persons, every person", timings, resolve_persons, frame, person_ids.to_numpy()
        )
        differing = t.same_rows(resolved, full)
        full_note = (
            f"{timings['resolve_persons, every person']:.0f} s for {len(full):,} persons; "
            f"the test's shortcut equals it on every person: {differing == []}"
            + ("" if differing == [] else f" (differs on {differing})")
        )
        print(full_note)

    # Clusters linkage made, and pairs at the threshold it held apart (same list).
    members = result.persons.groupby("person_id")["record_id"].apply(sorted)
    members = members[members.str.len() > 1]
    merged_pairs = [pair for ids in members for pair in itertools.combinations(ids, 2)]
    merged = pair_profile(records, [a for a, _ in merged_pairs], [b for _, b in merged_pairs])
    held = result.held_apart
    held_profile = pair_profile(
        records, held["record_id_l"].astype(str).tolist(), held["record_id_r"].astype(str).tolist()
    )
    held_by_rule = Counter(held["rule"]) if "rule" in held else Counter()

    # What plain keys call duplicates, among records with a name (not a placeholder).
    person = result.persons.set_index("record_id")["person_id"]
    scored = {
        tuple(sorted(p))
        for p in zip(
            result.pairs["record_id_l"].astype(str),
            result.pairs["record_id_r"].astype(str),
            strict=True,
        )
    }
    named = records[~records["is_placeholder"].astype(bool) & records["full_name"].notna()]
    exact = key_duplicates(named, ["full_name", "date_of_death", "governorate"], person, scored)
    four = named[named["full_key"].notna() & (named["full_key"].str.split().str.len() >= 4)]
    keyed = key_duplicates(four, ["full_key", "date_of_death", "governorate"], person, scored)
    by_number = sum(
        differ_by_number(named_of(records, a), named_of(records, b)) for a, b in keyed[0]
    )

    # The same records under other record ids (VDC's own uids): does the run depend on them?
    relabelled = records.assign(record_id=records["source_record_id"].astype(str))
    other = timed("link again, VDC uids as record ids", timings, t.link, relabelled)
    uid = dict(zip(records["record_id"], relabelled["record_id"], strict=True))
    same_persons = partition(result.persons, uid) == partition(other.persons)

    given = next(c for c in result.model["comparisons"] if c["output_column_name"] == "given_name")
    levels = [
        (lv.get("label_for_charts", "?"), lv.get("m_probability"), lv.get("u_probability"))
        for lv in given["comparison_levels"]
        if not lv.get("is_null_level")
    ]

    lines = [
        "Pipeline: `open_source` with `examples/mappings/vdc_martyrs.toml` → `link_records("
        "link_input(frame), LinkSettings())` (one source: within-list duplicates need "
        'p ≥ same_source_threshold), then again after a reviewer\'s "same" on the queued '
        "pairs with identical names as written, day and governorate → `resolve_persons` → "
        "`CountInput.from_link` → "
        "`count_persons(by=governorate, month, status, sex, age_group)`. Expected figures "
        "come from `tests/core/test_vdc_counts.py` (plain pandas over the records, clusters "
        "read by the design's rules), not from the counting code; they agree on every "
        "category (asserted here and in the test).",
        "",
        "## Figures",
        "",
        "```",
        summary,
        "```",
        "",
        f"Link run: {result.summary()}; pairs held apart: {dict(held_by_rule)}. The same "
        f"records with VDC's uids as record ids: {other.summary()}; pairs held apart "
        f"{len(other.held_apart)}; the same persons: {same_persons}.",
        "",
        "## Time",
        "",
        "| stage | seconds |",
        "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in timings.items()],
        "",
        f"Full `resolve_persons` over every person: {full_note}. Peak memory "
        f"{peak_memory_bytes() / 2**20:.0f} MiB.",
        "",
        "## What linkage joined (aggregates only)",
        "",
        *pattern_table(merged, "Pairs inside the clusters linkage made"),
        *pattern_table(
            held_profile,
            "Pairs at p ≥ threshold held apart (same list, weaker than the same-source threshold)",
        ),
        "## What plain keys call duplicates (records with a name, not a placeholder)",
        "",
        f"Identical names as written, same day of death and governorate: {len(exact[0])} "
        f"pairs; linkage joined {exact[1]}, scored {exact[2]} at or above the review floor.",
        "",
        f"Same name key of four or more parts, same day and governorate: {len(keyed[0])} "
        f"pairs in {keyed[3]} groups; linkage joined {keyed[1]}, scored {keyed[2]}. In "
        f"{by_number} of them the names as written differ only by a number (numbered "
        "unnamed relatives, 'son of … 2', '… family 3', which ingest does not mark as "
        "placeholders and whose key drops the number): different people, rightly not joined.",
        "",
        *pattern_table(
            pair_profile(records, [a for a, _ in keyed[0]], [b for _, b in keyed[0]]),
            "Those pairs",
        ),
        "## The trained model's given-name levels (m, u)",
        "",
        "| level | m | u |",
        "|---|---|---|",
        *[
            f"| {label} | {'' if m is None else f'{m:.4g}'} | {'' if u is None else f'{u:.4g}'} |"
            for label, m, u in levels
        ],
        "",
    ]
    lines += reading(merged, held_profile, levels)
    body = "\n".join(lines)
    print(body)
    out = record("vdc_counts", "VDC sample: person counts = records less linked duplicates", body)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
