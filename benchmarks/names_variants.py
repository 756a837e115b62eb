"""Labelled evaluation of name normalisation: do spellings of one person meet, and others not?

Positive pairs (one person, two spellings), all from ../shared/data (see the SOURCES.md files):

- ``ar-ar``: same Gaza MoH ID, Arabic name changed between releases
  (linkage/gaza_moh_derived/same_id_name_variant_pairs.csv, script=arabic);
- ``lat-lat``: same ID, IBC's romanisation vs TFP's (same file, script=latin);
- ``ar-lat IBC``: the Arabic and the Latin name of one row of IBC's release 7;
- ``ar-lat TFP``: the Arabic name and TFP's romanisation (tfp_killed_in_gaza_translit). TFP made
  those romanisations with the dictionary our romanisation table is derived from, so this set
  could flatter us (in practice TFP's machine spellings are the roughest set); IBC's is the
  cleaner cross-script test.
- ``ar-lat VDC Syria``: VDC's English name and the Arabic name in the same record's photo file
  name (Syrian names, romanised by VDC: the set closest to the project's own lists), where both
  have the same number of name parts (many file names hold only a word or two of the name);
- ``demo``: two records of one victim in the demo generator's lists (its ground truth), Arabic
  and Latin, full names or separate parts; compared on the parts both records give.

Negative pairs (two people): two different IDs of one release sharing the family name, whose
names as written differ; and siblings, different IDs whose father, grandfather and family are
written alike and whose given names differ (the hardest case: one part tells them apart).
Same-ID pairs are not perfect truth (SOURCES.md: the MoH corrected IDs, a few pairs change a
given name), so no set reaches 100%.

Reported per set: exact (comparable full forms equal), match (Jaro-Winkler of full forms at or
above ``MATCH_LEVEL``), block (the pair shares one of the part-pair keys linkage blocks on),
parts (share of the name parts present on both sides whose forms reach ``MATCH_LEVEL``).
For negatives, "exact" is the collision rate. Pairs where either side is a placeholder
("مجهول", "Unidentified 3") are not name pairs and are left out. Only aggregates are printed:
the data name real people. Run: ``.venv/bin/python benchmarks/names_variants.py [--sample N]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from everyname.core.names import (
    MATCH_LEVEL,
    PARTS,
    has_arabic,
    latin_similarity,
    name_forms,
    name_units,
    normalise_arabic,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "names.md"
BLOCK_PAIRS = (
    ("given", "family"),
    ("father", "family"),
    ("given", "father"),
    ("grandfather", "family"),
)


@dataclass
class Figures:
    name: str
    pairs: int = 0
    exact: int = 0
    match: int = 0
    block: int = 0
    placeholder: int = 0
    part_pairs: int = 0
    part_match: int = 0

    def row(self) -> str:
        n = max(self.pairs, 1)
        return (
            f"| {self.name} | {self.pairs} | {100 * self.exact / n:.1f}% | "
            f"{100 * self.match / n:.1f}% | {100 * self.block / n:.1f}% | "
            f"{100 * self.part_match / max(self.part_pairs, 1):.1f}% |"
        )


def _forms(name: str) -> dict:
    return name_forms({"full_name": name})


def _block_keys(forms: dict) -> set[tuple[str, str, str]]:
    keys = set()
    for a, b in BLOCK_PAIRS:
        ka, kb = forms[f"{a}_key"], forms[f"{b}_key"]
        if ka and kb:
            keys.add((a + "+" + b, ka, kb))
    return keys


def evaluate(name: str, pairs: Iterable[tuple[str, str]]) -> Figures:
    figures = Figures(name)
    for left, right in pairs:
        a, b = _forms(left), _forms(right)
        if a["is_placeholder"] or b["is_placeholder"]:
            figures.placeholder += 1  # not a pair of names; left out of the shares
            continue
        figures.pairs += 1
        la, lb = a["full_lat"] or "", b["full_lat"] or ""
        figures.exact += bool(la) and la == lb
        figures.match += latin_similarity(la, lb) >= MATCH_LEVEL
        figures.block += bool(_block_keys(a) & _block_keys(b))
        for part in PARTS:
            pa, pb = a[f"{part}_lat"], b[f"{part}_lat"]
            if pa and pb:
                figures.part_pairs += 1
                figures.part_match += latin_similarity(pa, pb) >= MATCH_LEVEL
    return figures


def evaluate_records(name: str, pairs: Iterable[tuple[dict, dict]]) -> Figures:
    """Like ``evaluate`` for records whose names come in different shapes (full name in one
    list, separate parts in another): compare the parts both records have, in chain order."""
    figures = Figures(name)
    for left, right in pairs:
        a, b = name_forms(left), name_forms(right)
        if a["is_placeholder"] or b["is_placeholder"]:
            figures.placeholder += 1  # not a pair of names; left out of the shares
            continue
        figures.pairs += 1
        shared = [p for p in PARTS if a[f"{p}_lat"] and b[f"{p}_lat"]]
        la = " ".join(a[f"{p}_lat"] for p in shared)
        lb = " ".join(b[f"{p}_lat"] for p in shared)
        figures.exact += bool(la) and la == lb
        figures.match += latin_similarity(la, lb) >= MATCH_LEVEL
        figures.block += bool(_block_keys(a) & _block_keys(b))
        for part in shared:
            figures.part_pairs += 1
            figures.part_match += (
                latin_similarity(a[f"{part}_lat"], b[f"{part}_lat"]) >= MATCH_LEVEL
            )
    return figures


def demo_pairs(sample: int, rng: random.Random) -> list[tuple[dict, dict]]:
    """Pairs of records of one person across the demo's lists (its ground truth)."""
    from everyname.core.demo import generate_demo
    from everyname.core.demo.generator import read_ground_truth
    from everyname.core.ingest import open_source

    names = ("full_name", "given_name", "father_name", "grandfather_name", "family_name")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate_demo(Path(tmp) / "demo")
        person = {(t["file"], t["row"]): t["person_id"] for t in read_ground_truth(manifest)}
        by_person: dict[str, list[dict]] = defaultdict(list)
        for demo_file in manifest.files:
            with open_source(demo_file.path, demo_file.mapping) as source:
                for record in source.records():
                    key = (demo_file.path.name, str(record.row_number))
                    written = {k: record.as_written.get(k) for k in names}
                    if key in person and any(written.values()):
                        by_person[person[key]].append(written)
    pairs = [
        (records[i], records[j])
        for records in by_person.values()
        for i in range(len(records))
        for j in range(i + 1, len(records))
    ]
    return rng.sample(pairs, min(sample, len(pairs)))


def vdc_photo_pairs(sample: int, rng: random.Random) -> list[tuple[str, str]]:
    """Syrian names: VDC's English name and the Arabic name in the record's photo file name
    (``محمود_أنس_عارف_الشامي.jpg``), among the 1,476 records that have one."""
    rows = _read(SHARED / "real" / "syria_vdc" / "vdc_martyrs_sample_scraped_2019.csv")
    pairs = []
    for row in rows:
        stem = unquote(row["Photo"]).rsplit("/", 1)[-1].rsplit(".", 1)[0]
        arabic = re.sub(r"[_\-]+", " ", stem)
        latin = row["Name"]
        if not (has_arabic(arabic) and latin.strip()) or has_arabic(latin):
            continue
        # Many file names hold one or two words of the name, or another text ("martyr", a
        # date): keep the pairs whose two sides have the same number of name parts.
        units = len(name_units(arabic))
        if units >= 2 and units == len(name_units(latin)):
            pairs.append((arabic, latin))
    return rng.sample(pairs, min(sample, len(pairs)))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def variant_pairs(script: str, sample: int, rng: random.Random) -> list[tuple[str, str]]:
    rows = _read(SHARED / "linkage" / "gaza_moh_derived" / "same_id_name_variant_pairs.csv")
    pairs = [(r["name_a"], r["name_b"]) for r in rows if r["script"] == script]
    return rng.sample(pairs, min(sample, len(pairs)))


def ibc_rows() -> list[dict[str, str]]:
    return _read(SHARED / "real" / "gaza_moh" / "ibc_moh_list_update7_asof_2025-06-15.csv")


def cross_script_pairs(rows: list[dict[str, str]], arabic: str, latin: str, sample: int,
                       rng: random.Random) -> list[tuple[str, str]]:  # fmt: skip
    pairs = [(r[arabic], r[latin]) for r in rows if r[arabic].strip() and r[latin].strip()]
    return rng.sample(pairs, min(sample, len(pairs)))


def negative_pairs(rows: list[dict[str, str]], left: str, right: str, id_column: str,
                   sample: int, rng: random.Random) -> list[tuple[str, str]]:  # fmt: skip
    """Different IDs sharing the (Arabic) family name, names as written differing."""
    by_family: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        words = row["الاسم"].split()
        if len(words) >= 2:
            by_family[" ".join(words[-2:]) if words[-2] in ("ابو", "أبو") else words[-1]].append(
                row
            )
    families = [f for f, members in by_family.items() if len(members) >= 2]
    pairs: list[tuple[str, str]] = []
    attempts = 0
    while len(pairs) < sample and attempts < sample * 20:
        attempts += 1
        first, second = rng.sample(by_family[rng.choice(families)], 2)
        if first[id_column] == second[id_column] or first[left] == second[left]:
            continue
        if first[right] == second[right]:
            continue
        pairs.append((first[left], second[right]))
    return pairs


def sibling_pairs(
    rows: list[dict[str, str]], left: str, right: str, sample: int, rng: random.Random
) -> list[tuple[str, str]]:
    """Different IDs with the same father, grandfather and family (as written in Arabic) but
    a different given name: siblings, the hardest case, where only the given name differs."""
    by_chain: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        words = normalise_arabic(row["الاسم"]).split()
        if len(words) == 4:
            by_chain[" ".join(words[1:])].append(row)
    pairs = []
    for members in by_chain.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                first, second = members[i], members[j]
                if (
                    first["ID"] != second["ID"]
                    and first["الاسم"].split()[0] != second["الاسم"].split()[0]
                ):
                    pairs.append((first[left], second[right]))
    return rng.sample(pairs, min(sample, len(pairs)))


def machine() -> str:
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:  # psutil is a test extra; the figure is informative only
        memory = "unknown"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.platform()}, {python}, {os.cpu_count()} cpus, {memory} memory"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=8000, help="pairs per set")
    parser.add_argument("--seed", type=int, default=20240921)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    n = args.sample
    started = time.perf_counter()

    ibc = ibc_rows()
    tfp = _read(SHARED / "real" / "gaza_moh" / "tfp_killed_in_gaza_translit_2024-09-21.csv")
    for row in tfp:
        row["الاسم"] = row["name"]
    positives = [
        evaluate("ar-ar (same ID, releases)", variant_pairs("arabic", args.sample, rng)),
        evaluate("lat-lat (same ID, IBC vs TFP)", variant_pairs("latin", args.sample, rng)),
        evaluate(
            "ar-lat IBC (same row)", cross_script_pairs(ibc, "الاسم", "Name", args.sample, rng)
        ),
        evaluate(
            "ar-lat TFP (same row)*", cross_script_pairs(tfp, "name", "en_name", args.sample, rng)
        ),
        evaluate("ar-lat VDC Syria (photo file name)", vdc_photo_pairs(args.sample, rng)),
        evaluate_records("demo lists (same person, shared parts)", demo_pairs(args.sample, rng)),
    ]
    negatives = [
        evaluate(
            f"{label} different IDs, same family", negative_pairs(ibc, left, right, "ID", n, rng)
        )
        for label, left, right in (
            ("ar-ar", "الاسم", "الاسم"),
            ("lat-lat", "Name", "Name"),
            ("ar-lat", "الاسم", "Name"),
        )
    ] + [
        evaluate(
            f"{label} siblings (only the given name differs)",
            sibling_pairs(ibc, left, right, n, rng),
        )
        for label, left, right in (("ar-ar", "الاسم", "الاسم"), ("lat-lat", "Name", "Name"))
    ]
    elapsed = time.perf_counter() - started

    total = sum(f.pairs for f in positives)
    reach = sum(f.match for f in positives) / max(total, 1)
    neg_total = sum(f.pairs for f in negatives)
    collide = sum(f.exact for f in negatives) / max(neg_total, 1)
    lines = [
        f"## names_variants, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. MATCH_LEVEL = {MATCH_LEVEL}. {args.sample} pairs per set, seed "
        f"{args.seed}, {elapsed:.0f} s.",
        "",
        "| true variant pairs (one person) | pairs | exact | reach match level | share a block key "
        "| parts reaching match level |",
        "|---|---|---|---|---|---|",
        *(f.row() for f in positives),
        "",
        "| pairs of different people | pairs | collide (exact) | reach match level "
        "| share a block key | parts reaching match level |",
        "|---|---|---|---|---|---|",
        *(f.row() for f in negatives),
        "",
        f"All true variant pairs reaching the match level: {100 * reach:.1f}% (target >= 95%). "
        f"Different-name pairs colliding on the full normalised name: {100 * collide:.2f}% "
        "(target <= 1%).",
        "",
        "\\* TFP romanised with the dictionary our romanisation table is derived from.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        header = (
            ""
            if RESULTS.exists()
            else "# Name normalisation benchmark\n\n" + (__doc__ or "") + "\n"
        )
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write(header + text + "\n")


if __name__ == "__main__":
    main()
