"""A name search for a placeholder ("مجهول") on N records, a share of them unidentified.

Text with no name key (a placeholder such as "مجهول", "Unknown") cannot use the name index;
it is looked for among the records whose name has no key either, through a partial index of
them (``record_without_name_key``). This benchmark measures that search as the records page
asks it (``store.records.list_records``: the page of 50 and the total), in this process, and,
for comparison, the way it was asked before: the text looked for in every record's name.

The database is a copy of one benchmarks/work_pages.py (or count_speed.py) built, so the
original is left as it was: in the copy, one record in ``1 / --share`` is given a placeholder
name (its name key cleared, as ingest stores such a name), the way unidentified bodies stand
in real lists. Records the figures, with the machine and its load, in
benchmarks/results/placeholder_search.md.

    .venv/bin/python benchmarks/placeholder_search.py --workdir DIR [--share 0.01] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine

PLACEHOLDERS = ("مجهول الهوية", "طفل مجهول", "جثة مجهولة الهوية")
TYPED = "مجهول"


def timed(run, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, required=True, help="a work_pages database")
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    every = max(1, round(1 / args.share))
    with tempfile.TemporaryDirectory(prefix="everyname-placeholder-", dir="/tmp") as tmp:
        copy = Path(tmp)
        for name in ("count.sqlite3", "count.key"):
            shutil.copy2(args.workdir / name, copy / name)
        os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{copy / 'count.sqlite3'}"
        os.environ["EVERYNAME_KEY_FILE"] = str(copy / "count.key")
        from everyname.store.bootstrap import setup

        setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        call_command("migrate", verbosity=0)  # the partial index, on a database built before it
        from everyname.store.models import Record
        from everyname.store.permissions import Actor
        from everyname.store.records import list_records

        records = Record.objects.count()
        with transaction.atomic(), connection.cursor() as cursor:
            for n, name in enumerate(PLACEHOLDERS):
                cursor.execute(
                    "UPDATE store_record SET name_key = NULL, "
                    "normalised = json_set(normalised, '$.full_name', %s) "
                    "WHERE id %% %s = %s",
                    [name, every * len(PLACEHOLDERS), n * every],
                )
        keyless = Record.objects.filter(name_key__isnull=True).count()
        actor = Actor.local_admin("benchmark")

        def now():
            return list_records(actor, {"name": TYPED}, page_size=50)

        def before():
            found = Record.objects.filter(normalised__full_name__icontains=TYPED)
            return found.count(), list(found.order_by("batch", "row_number")[:50])

        median, p95, page = timed(now, args.repeat)
        old_median, old_p95, (old_total, _) = timed(before, max(3, args.repeat // 3))
    assert page.total == old_total == keyless, (page.total, old_total, keyless)
    one, five, _ = os.getloadavg()
    body = "\n".join(
        [
            f"{records:,} records, {keyless:,} of them ({keyless / records:.1%}) with a "
            f'placeholder name and no name key; "{TYPED}" finds all {page.total:,}. '
            f"Load average {one:.1f} / {five:.1f} at the end.",
            "",
            "| the search | median | 95th percentile | repeats |",
            "|---|---|---|---|",
            f'| `list_records(name="{TYPED}")`, the records page\'s call (page of 50 and total) '
            f"| {median * 1000:,.0f} ms | {p95 * 1000:,.0f} ms | {args.repeat} |",
            f"| before: the text in every record's name (the same page and total) "
            f"| {old_median * 1000:,.0f} ms | {old_p95 * 1000:,.0f} ms "
            f"| {max(3, args.repeat // 3)} |",
        ]
    )
    print(body)
    if not args.no_write:
        path = machine.record(
            "placeholder_search", f"A placeholder name search on {records:,} records", body
        )
        print(f"recorded in {path}")


if __name__ == "__main__":
    main()
