"""Storage benchmark: how many bytes the database keeps per record and per byte of the list.

Generates N rows (the demo's large list), imports them into a fresh SQLite database, and reports
the database's size against the CSV's, and where the bytes go: each table and index (SQLite's
dbstat), and inside the records table each stored column. Recorded in
benchmarks/results/storage.md. Target (issue 12): a 1,000,000-row list at most 6 × its CSV size.

    .venv/bin/python benchmarks/storage_size.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine

TARGET = 6.0
COLUMNS = (
    "raw",
    "as_written",
    "normalised",
    "name_key",
    "death_from",
    "death_to",
    "unreadable",
    "sensitive_encrypted",
)


def _import(csv_path: Path, workdir: Path) -> tuple[int, float]:
    from import_speed import timed_import

    report, seconds = timed_import(csv_path, workdir)
    from django.db import connection

    connection.close()
    return report.records_imported, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from everyname.core.demo import write_large_csv

    with tempfile.TemporaryDirectory(prefix="everyname-storage-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "large.csv"
        write_large_csv(csv_path, args.rows, seed=2012)
        csv_bytes = csv_path.stat().st_size
        records, seconds = _import(csv_path, workdir)
        database = workdir / "bench.sqlite3"
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db_bytes = database.stat().st_size
            objects = db.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8"
            ).fetchall()
            stored = {
                column: db.execute(
                    f"SELECT coalesce(sum(length(CAST({column} AS BLOB))), 0) FROM store_record"
                ).fetchone()[0]
                for column in COLUMNS
            }
            chunks = db.execute(
                "SELECT coalesce(sum(length(data)), 0) FROM store_batchfilechunk"
            ).fetchone()[0]
            # the records table's pages: the rows' bytes, and what SQLite adds (page and cell
            # headers, free space left in pages)
            pages, payload, unused = db.execute(
                "SELECT sum(pgsize), sum(payload), sum(unused) FROM dbstat WHERE name = ?",
                ["store_record"],
            ).fetchone()

    ratio = db_bytes / csv_bytes
    lines = [
        f"rows:                {args.rows:,} ({records:,} records, imported in {seconds:.0f} s)",
        f"CSV:                 {csv_bytes / 2**20:,.1f} MiB ({csv_bytes / args.rows:,.0f} B/row)",
        f"SQLite database:     {db_bytes / 2**20:,.1f} MiB ({db_bytes / max(records, 1):,.0f} "
        f"B/record)",
        f"database / CSV:      {ratio:.2f} ×   (target <= {TARGET:.0f} ×: "
        f"{'met' if ratio <= TARGET else 'NOT met'})",
        "",
        "where the bytes go (table or index: MiB, × the CSV):",
        *(f"  {name:40s} {size / 2**20:9.1f}  {size / csv_bytes:5.2f} ×" for name, size in objects),
        "",
        "inside the records (column: bytes per record, × the CSV):",
        *(
            f"  {column:20s} {size / max(records, 1):7.0f}  {size / csv_bytes:5.2f} ×"
            for column, size in stored.items()
        ),
        f"  {'original file':20s} {chunks / max(records, 1):7.0f}  {chunks / csv_bytes:5.2f} ×"
        "   (compressed and encrypted chunks)",
        "",
        "the records table's pages (bytes per record):",
        f"  rows as stored       {payload / max(records, 1):7.0f}   (the columns above, the "
        "other columns and each row's header)",
        f"  SQLite's overhead    {(pages - payload - unused) / max(records, 1):7.0f}   "
        "(page and cell headers)",
        f"  free in pages        {unused / max(records, 1):7.0f}",
    ]
    print("\n".join(lines))
    path = machine.record(
        "storage",
        f"Storage benchmark: {args.rows:,} generated rows, CSV → SQLite",
        "```\n" + "\n".join(lines) + "\n```",
    )
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
