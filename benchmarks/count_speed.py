"""Count speed on a linked database: the first count, and the counts a dashboard asks next.

Builds a SQLite database of N generated records (``write_large_csv``: the large generator's
Arabic and romanised spellings, partial dates, duplicates), imports and links them through the
store as a user would, then counts with three breakdowns through the count service: the first
call (which reads every person and resolves every place) and repeated calls with other
breakdowns (which reuse the kept count input after one cheap stamp query). Prints the figures
and records them, with the machine, in benchmarks/results/count_speed.md.

    .venv/bin/python benchmarks/count_speed.py [--rows 1000000] [--workdir DIR]

``--workdir`` keeps the database (and reuses it when it is already there): building it is most
of the run.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine

BREAKDOWNS = (
    ("sex", "governorate", "month"),
    ("status", "age_group", "cause"),
    ("sex", "age_group", "governorate"),
)
REPEATS = 3
logging.getLogger("splink").setLevel(logging.ERROR)  # training chatter, as the CLI silences it


def build(workdir: Path, rows: int, lines: list[str]) -> None:
    from everyname.core.demo import write_large_csv
    from everyname.store.imports import import_file
    from everyname.store.linking import run_link
    from everyname.store.maintenance import initialise
    from everyname.store.permissions import Actor

    initialise()
    csv_path = workdir / "large.csv"
    started = time.perf_counter()
    write_large_csv(csv_path, rows, seed=2012)
    lines.append(f"generate {rows:,} rows: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    report = import_file(csv_path, "bench", actor="benchmark")
    lines.append(
        f"import: {report.records_imported:,} records in {time.perf_counter() - started:.1f} s"
    )
    print(lines[-1], flush=True)
    started = time.perf_counter()
    summary = run_link(Actor.local_admin("benchmark"))
    lines.append(
        f"link: {summary.persons:,} persons, {summary.pairs_awaiting_review:,} pairs awaiting "
        f"review, in {time.perf_counter() - started:.1f} s"
    )
    print(lines[-1], flush=True)
    csv_path.unlink()


def timed(lines: list[str], label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    seconds = time.perf_counter() - started
    lines.append(f"| {label} | {seconds:.3f} s |")
    print(f"{label}: {seconds:.3f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the database here")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="everyname-count-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "count.sqlite3"
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "count.key")
    from everyname.store.bootstrap import setup

    setup()
    from everyname.store.counting import count, forget_count_inputs, input_stamp
    from everyname.store.maintenance import initialise
    from everyname.store.models import Person, Record
    from everyname.store.permissions import Actor

    initialise()  # a reused database gets the migrations of this commit
    built: list[str] = []
    if not Record.objects.exists():
        build(workdir, args.rows, built)
    else:
        built.append(f"database reused from {database}")
    records, persons = Record.objects.count(), Person.objects.count()
    actor = Actor("viewer", "viewer")

    lines = ["| step | time |", "|---|---|"]
    timed(lines, "version stamp query (what every count reads first)", input_stamp)
    forget_count_inputs()
    first = timed(
        lines, f"first count, by {', '.join(BREAKDOWNS[0])}", count, actor, by=BREAKDOWNS[0]
    )
    for repeat in range(REPEATS):
        for by in BREAKDOWNS:
            timed(lines, f"repeated count {repeat + 1}, by {', '.join(by)}", count, actor, by=by)
    started = time.perf_counter()
    from everyname.store.counting import build_count_input

    build_count_input()
    lines.append(f"| building the count input alone (no cache) | "
                 f"{time.perf_counter() - started:.3f} s |")  # fmt: skip
    lines.append(f"| peak memory | {machine.peak_memory_bytes() / 2**20:,.0f} MiB |")
    head = [
        f"{records:,} records linked into {persons:,} persons "
        f"({first.total:,} counted; {first.pairs_awaiting_review:,} pairs awaiting review)",
        *built,
    ]
    body = "```\n" + "\n".join(head) + "\n```\n\n" + "\n".join(lines)
    print("\n".join(head))
    if not args.no_write:
        path = machine.record(
            "count_speed", f"Count speed: {records:,} linked records, three breakdowns", body
        )
        print(f"recorded in {path}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
