"""The public site at 200,000 persons: its size, its build time and the first search in Chromium.

Generates N records with the large generator (``write_large_csv``: Arabic and romanised
spellings, partial dates, no duplicates, so each record is one person), reads them through
ingest as an import would, writes a release of them (``core.release.write_release``, with the
bundled gazetteer) and builds its site (``core.site.build_site``). Then Debian's Chromium opens
the site from ``file://`` as a reader with a USB stick would, and searches one person's name in
Arabic, then in Latin letters, then opens a person page: the first search loads the index's
shards; the times are measured in the page (submit to results shown) and from outside.
Records the figures, with the machine, in benchmarks/results/public_site.md.

    .venv/bin/python benchmarks/public_site.py [--persons 200000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine

CHROMIUM = "/usr/bin/chromium"
NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name")


def persons_of(csv_path: Path):  # type: ignore[no-untyped-def]
    """One person per generated record: the record's values as ingest normalises them, the
    name as written (its parts joined) as the person's name."""
    import pandas as pd

    from everyname.core.ingest import open_source

    rows = []
    for index, record in enumerate(open_source(csv_path).records()):
        values = dict(record.normalised)
        values["full_name"] = " ".join(values[p] for p in NAME_PARTS if values.get(p))
        values["person_id"] = f"P{index + 1:07d}"
        rows.append(values)
    persons = pd.DataFrame.from_records(rows)
    memberships = pd.DataFrame(
        {"person_id": persons["person_id"], "record_id": persons["person_id"], "source": "bench"}
    )
    return persons, memberships


def disk_usage(folder: Path) -> int:
    out = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def search(page, url: str, text: str) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    """(ms measured in the page, ms from outside, the status line) for one search."""
    page.goto(url)
    page.fill("#q", text)
    started = time.perf_counter()
    page.click("#search button")
    page.wait_for_function("t => document.body.dataset.searched === t", arg=text, timeout=120_000)
    outside = (time.perf_counter() - started) * 1000
    return float(page.get_attribute("body", "data-search-ms")), outside, page.inner_text("#status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, help="keep the release and the site here")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="everyname-site-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        for name in ("releases", "site"):
            shutil.rmtree(workdir / name, ignore_errors=True)

    from everyname.core.demo import write_large_csv
    from everyname.core.places import Gazetteer
    from everyname.core.release import write_release
    from everyname.core.site import build_site
    from everyname.core.site.build import name_unit_keys

    lines = ["| step | figure |", "|---|---|"]

    def note(label: str, value: str) -> None:
        lines.append(f"| {label} | {value} |")
        print(f"{label}: {value}", flush=True)

    csv_path = workdir / "persons.csv"
    started = time.perf_counter()
    write_large_csv(csv_path, args.persons, seed=2012, duplicate_rate=0.0)
    persons, memberships = persons_of(csv_path)
    note(f"generate and ingest {len(persons):,} persons", f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    manifest = write_release(
        workdir / "releases", persons, memberships, link_run="bench", gazetteer=Gazetteer.load()
    )
    note("write the release", f"{time.perf_counter() - started:.1f} s")
    release_bytes = sum(p.stat().st_size for p in manifest.folder.iterdir())
    started = time.perf_counter()
    summary = build_site(manifest.folder, workdir / "site")
    note("**build the site**", f"**{time.perf_counter() - started:.1f} s**")
    site = summary.folder
    release_copy = sum(p.stat().st_size for p in (site / "release").iterdir())
    shards = sorted((p.stat().st_size, p.name) for p in (site / "data" / "k").iterdir())
    chunks = list((site / "data" / "p").iterdir())
    note(
        "**site size**",
        f"**{summary.size_bytes / 2**20:.1f} MiB in {summary.files:,} files** "
        f"({disk_usage(site) / 2**20:.1f} MiB on disk)",
    )
    note("of which the release's own files (release/)", f"{release_copy / 2**20:.1f} MiB")
    note("release folder as published", f"{release_bytes / 2**20:.1f} MiB")
    note(
        "name index",
        f"{len(shards)} shards, {sum(s for s, _ in shards) / 2**20:.1f} MiB; largest "
        f"{shards[-1][1]} {shards[-1][0] / 1024:.0f} KiB",
    )
    note(
        "person data",
        f"{len(chunks)} files, {sum(p.stat().st_size for p in chunks) / 2**20:.1f} MiB",
    )

    # A person with an Arabic name (given and family), and one with a romanised name.
    arabic = next(n for n in persons["full_name"] if any("\u0600" <= c <= "\u06ff" for c in n))
    latin = next(n for n in persons["full_name"] if n.isascii() and len(n.split()) >= 3)
    queries = [
        " ".join(arabic.split()[:: max(1, len(arabic.split()) - 1)]),
        " ".join(latin.split()[:: max(1, len(latin.split()) - 1)]),
    ]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for number, query in enumerate(queries):
            context = browser.new_context()  # a fresh browser: nothing loaded yet
            page = context.new_page()
            first_in, first_out, status = search(page, f"file://{site}/index.html", query)
            keys = " ".join(name_unit_keys(query))
            kind = "Arabic" if number == 0 else "Latin"
            note(
                f"**first search** in a fresh Chromium, {kind} ({len(query.split())} words, "
                f"keys {keys})",
                f"**{first_in:.0f} ms** in the page, {first_out:.0f} ms from outside; {status}",
            )
            again_in, _, _ = search(page, f"file://{site}/index.html", query)
            note(f"the same search again, page reloaded ({kind})", f"{again_in:.0f} ms in the page")
            if number == 0:
                started = time.perf_counter()
                page.goto(f"file://{site}/person.html#{persons['person_id'].iloc[-1]}")
                page.wait_for_function("() => document.body.dataset.shown !== undefined")
                note("a person page", f"{(time.perf_counter() - started) * 1000:.0f} ms")
            context.close()
        browser.close()
    note("peak memory of the build", f"{machine.peak_memory_bytes() / 2**20:.0f} MiB")
    body = (
        f"{len(persons):,} generated persons (`write_large_csv`, seed 2012, no duplicates), "
        "each with its name as written (Arabic or romanised), read through ingest; a release "
        "with the bundled gazetteer; its site built by `core.site.build_site` and opened from "
        "`file://` in Debian's Chromium (Playwright). The searched names are the given and "
        'family name of the first Arabic-written and the first romanised person. "In the '
        "page\" is from the search's start to its first 25 results shown (loading the index "
        "shards and person files it needs); most of the site's size is the release's own files, "
        "copied so that `sha256sum -c` works in `release/`. The machine is shared: times vary "
        "with its load.\n\n" + "\n".join(lines)
    )
    if not args.no_write:
        path = machine.record("public_site", "Public site at 200,000 persons", body)
        print(f"written to {path}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
