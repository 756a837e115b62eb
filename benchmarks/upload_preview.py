"""Upload preview benchmark: how soon the preview page answers for a large list, and how long
the worker takes to read the whole file.

Through the real app: ``everyname serve`` (waitress) and ``everyname worker`` on a fresh SQLite
database; a recorder signs in through the sign-in page and uploads N generated rows (the large
generator's CSV, as benchmarks/import_speed.py makes it) with urllib as the browser. Measured:

- upload to the page's first answer: from the start of the upload's POST to the end of the
  preview page it redirects to (the file sent, hashed and staged; the columns and first rows);
- the worker's scan: the ``preview`` job's own start and end (reading every row with the
  mapping), and from the page's answer to the moment the page's block (asked for every 0.5 s
  here; the page asks every 2 s) shows the result, which adds the worker's pick-up.

Prints a Markdown section for benchmarks/results/import.md ("Upload preview"); it does not
write the file, which holds the import benchmark's own figures.

    .venv/bin/python benchmarks/upload_preview.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine
import web_response

RECORDER, ADMIN, SOURCE = "bench-recorder", "bench-admin", "bench"


def prepare(workdir: Path, password: str) -> None:
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{workdir / 'preview.sqlite3'}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "preview.key")
    from everyname.store.bootstrap import setup

    setup()
    from everyname.store.maintenance import initialise
    from everyname.store.permissions import Actor
    from everyname.store.sources import get_or_create_source
    from everyname.store.users import acting_user, add_user

    initialise()
    get_or_create_source(SOURCE, "benchmark")
    add_user(Actor.local_admin("benchmark"), ADMIN, "admin", password=password)
    add_user(acting_user(ADMIN), RECORDER, "recorder", [SOURCE], password=password)


def multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--note", default="", help="a line on the machine's load, recorded")
    args = parser.parse_args()
    from everyname.core.demo.large import write_large_csv

    with tempfile.TemporaryDirectory(prefix="everyname-preview-") as tmp:
        workdir = Path(tmp)
        password = secrets.token_urlsafe(18)
        prepare(workdir, password)
        csv_path = workdir / "large.csv"
        write_large_csv(csv_path, args.rows, seed=2012)
        data = csv_path.read_bytes()
        served = web_response.Served(workdir, password, user=RECORDER)
        worker = subprocess.Popen(
            [str(web_response.EVERYNAME), "worker"], cwd=workdir, env=served.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            form = served.get("/imports/new/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
            assert token, "no CSRF token on the upload page"
            body, kind = multipart(
                {"csrfmiddlewaretoken": token.group(1), "source": SOURCE}, "large.csv", data
            )
            request = urllib.request.Request(
                f"{served.url}/imports/new/",
                data=body,
                headers={"Content-Type": kind, "Referer": f"{served.url}/imports/new/"},
            )
            started = time.perf_counter()
            with served.opener.open(request, timeout=600) as response:
                page = response.read().decode("utf-8")
                page_url = response.url
            answered = time.perf_counter()
            assert 'id="scan-progress"' in page, "the page did not leave the file to the worker"
            key = re.search(r'data-key="([0-9a-f]+)"', page)
            assert key, "no scan key in the page"
            block_path = f"{page_url.removeprefix(served.url)}scan/?key={key.group(1)}"
            while 'id="rows-read"' not in (block := served.get(block_path)):
                assert 'id="scan-error"' not in block, "the scan failed"
                time.sleep(0.5)
            shown = time.perf_counter()
            rows_read = re.search(r'id="rows-read">(\d+)<', block)
            from everyname.store.models import Job

            job = Job.objects.get(kind="preview")
            scan_seconds = (job.finished_at - job.started_at).total_seconds()
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            served.stop()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    size = len(data) / (1024 * 1024)
    lines = [
        "## Upload preview",
        "",
        f"Measured {stamp} at commit {machine.git_revision()} on: {machine.describe()}",
        "",
        "```",
        f"list:                          {args.rows:,} generated rows, {size:.1f} MiB CSV",
        f"upload to the page's answer:   {answered - started:.2f} s   "
        "(sent, hashed, staged; columns and first rows)",
        f"the worker's scan (its job):   {scan_seconds:.1f} s   "
        f"({int(rows_read.group(1)) if rows_read else 0:,} rows read, "
        f"{args.rows / scan_seconds:,.0f} rows/s)",
        f"page's answer to the result:   {shown - answered:.1f} s   "
        "(the worker's pick-up and the block's polling included)",
        "```",
        "",
        "`.venv/bin/python benchmarks/upload_preview.py --rows "
        f"{args.rows}`: `everyname serve` and `everyname worker` on a fresh SQLite database, a "
        "recorder signed in, urllib as the browser. Before, the page answered only after "
        "reading the whole file in the request (the scan's time, plus the upload).",
    ]
    if args.note:
        lines += ["", args.note]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
