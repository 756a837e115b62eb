"""Parse + normalise speed of everyname.core.ingest on simple generated rows (no database).

Run: .venv/bin/python benchmarks/bench_core_ingest.py [ROWS]
Prints rows/s and peak traced memory, and appends them to benchmarks/results/core_ingest.md.
"""

from __future__ import annotations

import csv
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from everyname.core.ingest import open_source

GIVEN = ["محمد", "أحمد", "علي", "عمر", "خالد", "فاطمة", "مريم", "سارة", "حسن", "يوسف"]
FAMILY = ["الخالدي", "الحمصي", "الأحمد", "الشامي", "العلي", "الحسن", "الزعبي", "النجار"]
PLACES = ["حمص", "بابا عمرو", "الخالدية", "الإنشاءات", "كرم الزيتون"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المكان", "سبب الوفاة", "الصفة"])
        for _ in range(rows):
            out.writerow(
                [
                    f"{rng.choice(GIVEN)} {rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                    rng.choice(["ذكر", "أنثى", "M", "F", ""]),
                    str(rng.randint(0, 90)),
                    f"2012-02-{rng.randint(3, 9):02d}",
                    rng.choice(PLACES),
                    rng.choice(["قصف", "قناص", "إطلاق نار", "غير معروف"]),
                    rng.choice(["مدني", "عسكري", ""]),
                ]
            )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        generate(path, rows)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        with open_source(path) as source:
            n = sum(1 for _ in source.records())
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        with open_source(path) as source:
            for _ in source.records():
                pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rate = n / elapsed
    machine = f"{platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    line = (
        f"- {time.strftime('%Y-%m-%d')}: {n:,} rows ({size_mb:.1f} MB CSV), parse+normalise "
        f"{rate:,.0f} rows/s, peak traced memory {peak / 1e6:.1f} MB ({machine})"
    )
    print(line)
    results = Path(__file__).parent / "results" / "core_ingest.md"
    results.parent.mkdir(exist_ok=True)
    if not results.exists():
        results.write_text("# core ingest (parse + normalise, no database)\n\n", encoding="utf-8")
    with results.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


if __name__ == "__main__":
    main()
