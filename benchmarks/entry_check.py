"""Entry check benchmark: how long /records/new/ takes to show who a typed-in victim may be.

A check (``store.entry.check_entry``) compares the entry with the records the latest link run's
model can pair it with. It reads those records only (by the stored name key and death span) and
counts how common each name is once per link run, so its time should not grow with the
database. Measured on the demo's lists (~635 records) and on a generated database of 200,000
records (``import_speed``'s import of ``write_large_csv``), each linked first: the first check
after the run (which counts the term frequencies), then the median and 95th percentile of 20
checks of entries typed from records spread over the database, beside the scan of every
record a check used to make (``find_candidates`` on ``records_frame``) on a few of them.

    .venv/bin/python benchmarks/entry_check.py [--rows 200000] [--checks 20] [--scans 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine

TYPED = (
    "full_name",
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "sex",
    "age",
    "date_of_death",
    "locality",
)
"""What a recorder types for a victim (taken from a stored record as written)."""


def _demo_database(workdir: Path) -> None:
    """The demo's five Homs lists imported into a new database in ``workdir`` (as the tests'
    ``demo_imported`` fixture does)."""
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{workdir / 'demo.sqlite3'}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "demo.key")
    from everyname.store.bootstrap import setup

    setup()
    from everyname.core.demo import generate_demo
    from everyname.store.imports import import_file
    from everyname.store.maintenance import initialise

    initialise()
    manifest = generate_demo(workdir / "lists")
    for item in manifest.files:
        import_file(
            item.path,
            item.source_code,
            actor="benchmark",
            mapping_path=item.mapping,
            source_name=item.source_name,
            source_kind=item.source_kind,
            skip_invalid=True,
            defaults={"outcome": "killed"},
        )


def _large_database(workdir: Path, rows: int) -> None:
    from import_speed import timed_import

    from everyname.core.demo import write_large_csv

    csv_path = workdir / "large.csv"
    write_large_csv(csv_path, rows, seed=2012)
    report, seconds = timed_import(csv_path, workdir)
    print(f"imported {report.records_imported:,} records in {seconds:.0f} s", file=sys.stderr)


def child(kind: str, workdir: Path, rows: int, checks: int, scans: int) -> None:
    if kind == "demo":
        _demo_database(workdir)
    else:
        _large_database(workdir, rows)
    from everyname.core.ingest import normalise
    from everyname.core.link.candidates import blocks, find_candidates
    from everyname.store.entry import MAX_CANDIDATES, blocked_records, check_entry
    from everyname.store.linking import latest_run, records_frame, run_link
    from everyname.store.models import Record
    from everyname.store.permissions import Actor
    from everyname.store.records import current_as_written

    actor = Actor.local_admin("benchmark")
    started = time.perf_counter()
    run_link(actor)
    link_seconds = time.perf_counter() - started
    run = latest_run()
    assert run is not None
    total = Record.objects.count()
    step = max(total // (checks + 1), 1)
    ids = list(Record.objects.order_by("pk").values_list("pk", flat=True)[step::step][: checks + 1])
    entries = []
    for record in Record.objects.filter(pk__in=ids).select_related("source").order_by("pk"):
        written = current_as_written(record)
        entries.append((record.source.code, {k: v for k, v in written.items() if k in TYPED}))

    def check(entry: tuple[str, dict[str, str]]) -> tuple[float, int]:
        began = time.perf_counter()
        result = check_entry(actor, entry[0], entry[1])
        return time.perf_counter() - began, len(result.persons)

    first, _ = check(entries[0])  # counts the term frequencies of the run
    times, shown, read = [], [], []
    for entry in entries[1 : checks + 1]:
        seconds, persons = check(entry)
        times.append(seconds)
        shown.append(persons)
        new = {**normalise(entry[1])[0], "source": entry[0]}
        needed = blocks(new, run.model)
        query = None if needed is None else blocked_records(needed)
        read.append(total if query is None else query.count())
    scan_times = []
    for entry in entries[1 : scans + 1]:
        new = {**normalise(entry[1])[0], "source": entry[0]}
        began = time.perf_counter()
        find_candidates(new, records_frame(), run.model, limit=MAX_CANDIDATES * 3)
        scan_times.append(time.perf_counter() - began)
    times.sort()
    print(
        json.dumps(
            {
                "records": total,
                "link_seconds": link_seconds,
                "first": first,
                "median": statistics.median(times),
                "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                "max": times[-1],
                "checks": len(times),
                "read_median": statistics.median(read),
                "read_max": max(read),
                "persons_median": statistics.median(shown),
                "scan_median": statistics.median(scan_times),
                "scans": len(scan_times),
            }
        )
    )


def _run(kind: str, rows: int, checks: int, scans: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="everyname-entry-") as tmp:
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, tmp, "--rows", str(rows),
             "--checks", str(checks), "--scans", str(scans)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--scans", type=int, default=3)
    parser.add_argument("--note", default="", help="said beside the machine (e.g. that it is busy)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.rows, args.checks, args.scans)
        return
    rows = []
    for kind, label in (("demo", "demo lists"), ("large", f"generated, {args.rows:,} rows")):
        f = _run(kind, args.rows, args.checks, args.scans)
        print(kind, f, file=sys.stderr)
        rows.append(
            f"| {label} | {f['records']:,} | {f['link_seconds']:.0f} | {f['first']:.2f} | "
            f"{f['median']:.2f} | {f['p95']:.2f} | {f['read_median']:,.0f} "
            f"(max {f['read_max']:,}) | {f['scan_median']:.2f} ({f['scans']}) |"
        )
    body = "\n".join(
        [
            f"Machine: {args.note}" if args.note else "",
            "",
            f"Seconds of wall time per check (`check_entry`, {args.checks} entries typed from "
            "records spread over the database, each a different victim); *first* is the first "
            "check after the link run, which counts the term frequencies of every record; "
            "*records read* those the model's blocking rules can pair with the entry, fetched by "
            "the stored name key and death span; *full scan* the comparison with every record a "
            "check used to make (`find_candidates` on `records_frame()`, median of the runs in "
            "brackets).",
            "",
            "| database | records | link run s | first check s | median s | p95 s | records "
            "read (median) | full scan s |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    path = machine.record("entry_check", "Entry check: who a typed-in victim may be", body)
    print(body)
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
