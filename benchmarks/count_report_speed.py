"""Speed of counting and of the report on the real VDC sample, records taken as persons.

Run: .venv/bin/python benchmarks/count_report_speed.py [COPIES]
COPIES (default 1, then 10) repeats the 33,154 VDC records with new ids to measure scaling.
Writes the figures to benchmarks/results/count_report.md. No row is printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import peak_memory_bytes, record

from everyname.core.count import CountFilters, CountInput, count_persons
from everyname.core.ingest import open_source
from everyname.core.report import build_report, render_html, render_pdf

VDC = Path(__file__).resolve().parents[2] / "shared/data/real/syria_vdc"
VDC_FILE = VDC / "vdc_martyrs_sample_scraped_2019.csv"
BY = ["governorate", "month", "status", "sex", "age_group", "cause"]


def persons(copies: int) -> CountInput:
    rows = pd.DataFrame([r.normalised for r in open_source(VDC_FILE).records()])
    frame = pd.concat([rows] * copies, ignore_index=True)
    frame["person_id"] = [f"V{i}" for i in range(len(frame))]
    memberships = pd.DataFrame(
        {"person_id": frame["person_id"], "record_id": frame["person_id"], "source": "vdc"}
    )
    return CountInput(frame, memberships, link_run="records-as-persons")


def timed(label: str, lines: list[str], fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args)
    seconds = time.perf_counter() - start
    lines.append(f"| {label} | {seconds:.2f} s |")
    print(f"{label}: {seconds:.2f} s", flush=True)
    return value


def main() -> None:
    copies_list = [int(a) for a in sys.argv[1:]] or [1, 10]
    lines = ["| step | time |", "|---|---|"]
    for copies in copies_list:
        data = persons(copies)
        n = len(data.persons)
        year = CountFilters(since="2012-01-01", until="2012-12-31")
        timed(f"count {n:,} persons, 2012, by {len(BY)} fields", lines, count_persons, data,
              year, BY)  # fmt: skip
        report = timed(f"build report, {n:,} persons, all dates", lines, build_report, data,
                       CountFilters())  # fmt: skip
        html = timed(f"render HTML, {n:,} persons", lines, render_html, report)
        if copies == 1:
            pdf = timed("render PDF", lines, render_pdf, html)
            sizes = f"HTML {len(html) / 1024:.0f} KiB, PDF {len(pdf) / 1024:.0f} KiB"
            lines.append(f"| sizes | {sizes} |")
    lines.append(f"| peak memory | {peak_memory_bytes() / 2**20:.0f} MiB |")
    path = record("count_report", "Counting and report speed (VDC sample)", "\n".join(lines))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
