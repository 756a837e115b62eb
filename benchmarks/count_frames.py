"""Time to the first count after a link run, with the count frames kept in the database and
without them (store.counting.count_frames), each in a fresh process as a restarted server or a
new worker would be.

    .venv/bin/python benchmarks/count_frames.py --workdir /tmp/countcache_1m

The work folder holds a linked database ``count.sqlite3`` and its ``count.key`` (as
count_speed.py or web_response.py leave them): work on a copy, since this deletes and writes
the frames. Prints a Markdown table and records it, with the machine, in
benchmarks/results/count_frames.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import machine

STEPS = ("before", "absent", "keep", "present", "present")
"""A first count as before frames were kept (built in the process, not kept), one with no
frames kept (it builds and keeps them, as an older database's first count does), the link
run's extra step alone (frames built and kept), then two first counts reading them."""


def step(name: str) -> dict[str, object]:
    from everyname.store.bootstrap import setup

    setup()
    from everyname.store import counting
    from everyname.store.linking import require_latest_run
    from everyname.store.models import CountFrame
    from everyname.store.permissions import Actor

    run = require_latest_run()
    out: dict[str, object] = {"step": name, "load": os.getloadavg()[0]}
    if name in ("before", "absent", "keep"):
        CountFrame.objects.all().delete()
    if name == "before":
        counting._keep = lambda *args: False  # as before: built in each process, never kept
    started = time.perf_counter()
    if name == "keep":
        persons = counting.persons_frame(run)
        out["persons_frame_s"] = time.perf_counter() - started
        mark = time.perf_counter()
        memberships = counting.memberships_frame(run)
        out["memberships_frame_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        conflicts = counting.conflicts_frame(run)
        out["conflicts_frame_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        out["kept"] = counting._keep(run, counting.Frames(persons, memberships, conflicts))
        out["encode_check_write_s"] = time.perf_counter() - mark
    else:
        data = counting.count_input()
        out["count_input_s"] = time.perf_counter() - started
        mark = time.perf_counter()
        result = counting.count(Actor("viewer", "viewer"), by=["sex", "governorate", "month"])
        out["first_count_s"] = time.perf_counter() - mark
        out["persons"] = len(data.persons)
        out["total"] = result.total
    out["total_s"] = time.perf_counter() - started
    out["bytes"] = {
        frame: sum(
            len(d) for d in CountFrame.objects.filter(frame=frame).values_list("data", flat=True)
        )
        for frame in counting.Frames._fields
    }
    out["peak_mib"] = machine.peak_memory_bytes() / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--step", choices=sorted(set(STEPS)))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{workdir / 'count.sqlite3'}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "count.key")
    if args.step:
        print(json.dumps(step(args.step)))
        return
    results = []
    for name in STEPS:
        done = subprocess.run(
            [sys.executable, __file__, "--workdir", str(workdir), "--step", name],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    rows = ["| fresh process | time | peak memory | load (1 min) |", "|---|---|---|---|"]
    for r in results:
        if r["step"] == "keep":
            what = (
                f"frames built and kept (persons {r['persons_frame_s']:.1f} s, memberships "
                f"{r['memberships_frame_s']:.1f} s, conflicts {r['conflicts_frame_s']:.1f} s, "
                f"encode, check, write "
                f"{r['encode_check_write_s']:.1f} s)"
            )
        else:
            frames = {"before": "built, not kept (as before)", "absent": "absent (built, kept)"}
            what = (
                f"first count_input(), frames {frames.get(r['step'], r['step'])} (then a first "
                f"count by sex, "
                f"governorate, month: {r['first_count_s']:.1f} s)"
            )
            r["total_s"] = r["count_input_s"]
        rows.append(
            f"| {what} | {r['total_s']:.1f} s | {r['peak_mib']:,.0f} MiB | {r['load']:.2f} |"
        )
    body = "\n".join([*rows, "", f"Frames kept (bytes): `{json.dumps(results[-1]['bytes'])}`"])
    print(body)
    if not args.no_write:
        path = machine.record(
            "count_frames", "The first count after a link run, with and without kept frames", body
        )
        print(f"recorded in {path}")


if __name__ == "__main__":
    main()
