"""Import benchmark: N generated rows from CSV into a fresh SQLite database.

Prints rows/s and peak memory and records them in benchmarks/results/import.md. The import runs
in a child process so that its peak memory is measured alone (without the generator's).
Target (issue 2): at least 20,000 rows/s and a peak under 1 GiB for 1,000,000 rows.

    .venv/bin/python benchmarks/import_speed.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine


def cpu_seconds(who: int) -> float:
    """User and system CPU seconds of this process or of its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes of the machine have used since boot (Linux), to tell how much
    other work ran beside the import: its wall clock suffers from it, its CPU time hardly."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed_import(csv_path: Path, workdir: Path, cpu: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    """Import ``csv_path`` into a new SQLite database in ``workdir``: (the report, seconds).
    Shared with storage_size.py, so both measure the same import. ``cpu`` receives the CPU
    seconds of the import alone (not the database's setup): ``importer``, this process's, and
    ``workers``, its parsing workers' together (child processes, counted once they have ended).
    CPU time is what a shared machine's other work does not inflate as it does the wall clock."""
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "bench.key")
    from everyname.store.bootstrap import setup

    setup()
    from everyname.store.imports import import_file
    from everyname.store.maintenance import initialise

    initialise()
    before = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds()
    started = time.perf_counter()
    report = import_file(csv_path, "bench", actor="benchmark")
    seconds = time.perf_counter() - started
    if cpu is not None:
        cpu["importer"] = cpu_seconds(resource.RUSAGE_SELF) - before[0]
        cpu["workers"] = cpu_seconds(resource.RUSAGE_CHILDREN) - before[1]
        after = machine_busy_seconds()
        if busy is not None and after is not None:
            cpu["others"] = max(0.0, after - busy - cpu["importer"] - cpu["workers"])
    return report, seconds


def child(csv_path: Path, workdir: Path) -> None:
    cpu: dict[str, float] = {}
    report, seconds = timed_import(csv_path, workdir, cpu)
    print(
        json.dumps(
            {
                "rows": report.rows_read,
                "records": report.records_imported,
                "seconds": seconds,
                "importer_cpu": cpu["importer"],
                "workers_cpu": cpu["workers"],
                "others_cpu": cpu.get("others"),
                "peak_bytes": machine.peak_memory_bytes(),
                # the worker processes that parse the file in parallel (largest of them)
                "worker_peak_bytes": machine.peak_memory_bytes(children_only=True),
                "database_bytes": (workdir / "bench.sqlite3").stat().st_size,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="print the figures only (results/import.md keeps the runs recorded by hand)",
    )
    parser.add_argument("--child", nargs=2, metavar=("CSV", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return

    from everyname.core.demo import write_large_csv

    with tempfile.TemporaryDirectory(prefix="everyname-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "large.csv"
        started = time.perf_counter()
        write_large_csv(csv_path, args.rows, seed=2012)
        generated = time.perf_counter() - started
        size = csv_path.stat().st_size
        print(f"generated {args.rows:,} rows ({size / 2**20:.0f} MiB) in {generated:.1f} s")
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(csv_path), str(workdir)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])

    rate = figures["records"] / figures["seconds"]
    peak_mib = figures["peak_bytes"] / 2**20
    worker_mib = figures["worker_peak_bytes"] / 2**20
    lines = [
        f"rows read:       {figures['rows']:,}",
        f"records stored:  {figures['records']:,}",
        f"import time:     {figures['seconds']:.1f} s",
        f"rows/s:          {rate:,.0f}   (target >= 20,000)",
        f"peak memory:     {peak_mib:,.0f} MiB importer + {worker_mib:,.0f} MiB largest parser "
        f"process   (target < 1,024 MiB)",
        f"CSV size:        {size / 2**20:,.0f} MiB; database: "
        f"{figures['database_bytes'] / 2**20:,.0f} MiB",
        f"CPU per row:     {1e6 * figures['importer_cpu'] / figures['rows']:.1f} µs importer, "
        f"{1e6 * figures['workers_cpu'] / figures['rows']:.1f} µs parsing workers together",
    ]
    if figures["others_cpu"] is not None:
        lines.append(
            f"other work:      {figures['others_cpu']:.1f} CPU s of other processes during the "
            f"import ({figures['others_cpu'] / figures['seconds']:.2f} cores on average)"
        )
    print("\n".join(lines))
    if args.no_record:
        return
    path = machine.record(
        "import",
        f"Import benchmark: {args.rows:,} generated rows, CSV → SQLite",
        "```\n" + "\n".join(lines) + "\n```",
    )
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
