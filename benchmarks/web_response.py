"""Web response times: the dashboard and /figures/ served by ``everyname serve`` (waitress, real
HTTP on 127.0.0.1) on a database of N linked records.

The database is built as the count benchmark builds it (``count_speed.build``: the large
generator's CSV imported and linked through the store, a full link run, no shortcut), and
reused from ``--workdir`` when it is there (a count benchmark's folder serves as well). A
viewer signs in through the sign-in page, as a person would, and asks for each page:

- the first request after a link run: a freshly started server has kept nothing, so its first
  request builds the count input from the database, exactly as the first request after a new
  link run does in a running server (the run changes the input's version stamp). Measured for
  the dashboard first and for /figures/ first, each on its own fresh server;
- repeated requests: ``--repeat`` requests of each page, median and 95th percentile.

Records the figures, with the machine, in benchmarks/results/web_response.md. The target
(issue 13): the 95th percentile of repeated requests under 300 ms.

    .venv/bin/python benchmarks/web_response.py [--rows 1000000] [--workdir DIR] [--repeat 40]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import count_speed
import machine

EVERYNAME = Path(sys.executable).with_name("everyname")
VIEWER, ADMIN = "bench-viewer", "bench-admin"
PAGES = (
    ("dashboard", "/"),
    ("figures, no breakdown", "/figures/"),
    ("figures by sex, age group and place", "/figures/?by=sex&by=age_group&by=place"),
    (
        "figures by day, Homs, a window",
        "/figures/?since=2012-01-01&until=2012-06-30&place=Homs&by=date",
    ),
)
logging.getLogger("splink").setLevel(logging.ERROR)


def prepare(workdir: Path, rows: int, password: str) -> list[str]:
    """The linked database (built, or reused) and the benchmark's two users."""
    os.environ["EVERYNAME_DATABASE_URL"] = f"sqlite:///{workdir / 'count.sqlite3'}"
    os.environ["EVERYNAME_KEY_FILE"] = str(workdir / "count.key")
    from everyname.store.bootstrap import setup

    setup()
    from everyname.store.maintenance import initialise
    from everyname.store.models import Person, Record
    from everyname.store.permissions import Actor
    from everyname.store.users import acting_user, add_user, users_exist

    initialise()
    lines: list[str] = []
    if not Record.objects.exists():
        count_speed.build(workdir, rows, lines)
    else:
        lines.append(f"database reused from {workdir / 'count.sqlite3'}")
    from django.contrib.auth.models import User

    if not users_exist():
        add_user(Actor.local_admin("benchmark"), ADMIN, "admin", password=password)
    admin = acting_user(ADMIN)
    User.objects.filter(username=VIEWER).delete()  # a fresh password each run
    add_user(admin, VIEWER, "viewer", password=password)
    lines.insert(
        0, f"{Record.objects.count():,} records linked into {Person.objects.count():,} persons"
    )
    return lines


class Served:
    """``everyname serve`` on the benchmark's database, and a signed-in user's session (the
    viewer's, unless another user is named: benchmarks/work_pages.py signs a reviewer in)."""

    def __init__(self, workdir: Path, password: str, user: str = VIEWER):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.env["EVERYNAME_SECRET_KEY"] = secrets.token_urlsafe(50)
        self.process = subprocess.Popen(
            [str(EVERYNAME), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=workdir, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                page = self.get("/accounts/login/")
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("everyname serve did not start") from None
                time.sleep(0.3)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "username": user,
            "password": password,
            "next": "/static/web/everyname.css",  # not the dashboard: its first request is timed
        }
        request = urllib.request.Request(
            f"{self.url}/accounts/login/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": f"{self.url}/accounts/login/"},
        )
        with self.opener.open(request, timeout=600) as response:
            assert response.url.endswith("/everyname.css"), f"{user} could not sign in"

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.url}{path}", timeout=600) as response:
            assert response.status == 200, (path, response.status)
            return response.read().decode("utf-8")

    def timed(self, path: str) -> tuple[float, int]:
        started = time.perf_counter()
        body = self.get(path)
        return time.perf_counter() - started, len(body.encode("utf-8"))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile, nearest rank (of 40 requests, the 95th is the 38th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the database here")
    parser.add_argument("--repeat", type=int, default=40, help="repeated requests per page")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--note", default="", help="a line on the machine's load, recorded")
    args = parser.parse_args()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="everyname-web-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    head = prepare(workdir, args.rows, password)
    print("\n".join(head), flush=True)

    lines = ["| request | time | page size |", "|---|---|---|"]
    for first in ("/", "/figures/?by=sex&by=age_group&by=place"):
        served = Served(workdir, password)  # nothing kept: as after a link run
        try:
            seconds, size = served.timed(first)
            label = "dashboard" if first == "/" else "figures by sex, age group and place"
            lines.append(
                f"| first request after a link run: {label} | {seconds:.2f} s "
                f"| {size / 1024:,.0f} KiB |"
            )
            print(lines[-1], flush=True)
            if first != "/":
                seconds, size = served.timed("/")
                lines.append(
                    f"| then the dashboard's first request (count input kept) | {seconds:.2f} s "
                    f"| {size / 1024:,.0f} KiB |"
                )
                print(lines[-1], flush=True)
                continue
            table = ["| page | median | 95th percentile | slowest | page size |",
                     "|---|---|---|---|---|"]  # fmt: skip
            for label, path in PAGES:
                served.timed(path)  # its first request: the kept input's figures for it
                times, size = [], 0
                for _ in range(args.repeat):
                    seconds, size = served.timed(path)
                    times.append(seconds)
                median, p95 = statistics.median(times), percentile(times, 0.95)
                table.append(
                    f"| {label} (`{path}`) | {median * 1000:.0f} ms | {p95 * 1000:.0f} ms "
                    f"| {max(times) * 1000:.0f} ms | {size / 1024:,.0f} KiB |"
                )
                print(table[-1], flush=True)
        finally:
            served.stop()
    body = (
        "```\n" + "\n".join(head) + "\n```\n\n"
        f"Through the real app: `everyname serve` (waitress, its default threads) on 127.0.0.1, "
        f"a viewer signed in through the sign-in page, urllib as the browser; {args.repeat} "
        "repeated requests per page, one at a time, after one unmeasured request.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "\n".join(table)
        + "\n"
        + (f"\n{args.note}\n" if args.note else "")
    )
    print(body)
    if not args.no_write:
        path = machine.record(
            "web_response", "Web response times: the dashboard and /figures/", body
        )
        print(f"recorded in {path}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
