"""Speed of the demo generator and of the large synthetic CSV the other benchmarks use.

Run: .venv/bin/python benchmarks/bench_demo_generator.py [ROWS]   (default 1,000,000)
Prints the figures and writes them to benchmarks/results/demo_generator.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from machine import describe, peak_memory_bytes, record

from everyname.core.demo import generate_demo, generate_rows, write_large_csv


def main() -> None:
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        manifest = generate_demo(Path(tmp) / "demo")
        demo_s = time.perf_counter() - start

        start = time.perf_counter()
        persons = set()
        for row in generate_rows(200_000, seed=2012):
            persons.add(row[-1])
        stream_rate = 200_000 / (time.perf_counter() - start)

        path = Path(tmp) / "large.csv"
        start = time.perf_counter()
        write_large_csv(path, n_rows, seed=2012, duplicate_rate=0.1)
        write_s = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
    peak_mib = peak_memory_bytes() / 2**20
    lines = [
        f"- generate_demo (seed 2012): {demo_s:.2f} s for {manifest.records} records in "
        f"{len(manifest.files)} files ({manifest.named_persons} named of "
        f"{manifest.true_population} true victims)",
        f"- generate_rows: {stream_rate:,.0f} rows/s (200,000 rows, iteration only; "
        f"{200_000 - len(persons):,} duplicate rows)",
        f"- write_large_csv: {n_rows:,} rows in {write_s:.1f} s = {n_rows / write_s:,.0f} rows/s, "
        f"{size_mb:.0f} MB UTF-8 CSV",
        f"- peak resident memory of the whole run: {peak_mib:.0f} MiB",
    ]
    body = "\n".join(lines)
    print(describe())
    print(body)
    print(f"written to {record('demo_generator', 'demo generator', body)}")


if __name__ == "__main__":
    main()
