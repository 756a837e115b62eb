"""Work pages' and the API's response times on N linked records (the "Measured" parts of issues
14 and 16): a name search in both scripts (/records/ and /persons/), a person page, the review
queue, and the API's persons search, count and record.

Everything but the pages is benchmarks/web_response.py's: the same linked database (built as
the count benchmark builds it, or reused from ``--workdir``), ``everyname serve`` over real
HTTP on 127.0.0.1, signing in through the sign-in page, the nearest-rank percentile and the
machine's description. A reviewer signs in (a reviewer may search records and persons and
decide pairs: every page here is theirs) and the API is asked with the same reviewer's Bearer
token (``store.tokens.create_token``), without the session.

Each page is asked on a server of its own, freshly started: its first request (nothing kept in
the server: the gazetteer, the count input the review queue ranks pairs by), then ``--repeat``
requests one at a time (fewer when ``--budget`` seconds are spent first, at least
``MIN_REPEAT``), median and 95th percentile. The target (issue 14): the 95th percentile of
repeated requests under 300 ms.

Records the figures, with the machine and its load average, in
benchmarks/results/work_pages.md.

    .venv/bin/python benchmarks/work_pages.py [--rows 1000000] [--workdir DIR] [--repeat 40]

``--only TEXT`` asks only the requests whose label holds TEXT; with ``--profile`` they are
served in this process under cProfile instead, printing where the time goes and the slowest
SQL (how the misses in the results were explained).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine
import web_response as web

REVIEWER = "bench-reviewer"
MIN_REPEAT = 10
ARABIC_NAME, LATIN_NAME = "محمد الخالدي", "Mohammed al-Khalidi"
"""Issue 14's own example: either spelling finds both (the generator's family table has
الخالدي / Khalidi)."""
COMPOUND_NAME = "محمد نور"
"""A compound given name typed as two words: found written as one part too (a list's given-name
column, "محمدنور"), so read as several readings (core/names/readings.py)."""


@dataclass(frozen=True)
class Ask:
    """One request of the benchmark: a page (session) or an API route (Bearer token)."""

    part: str  # "pages" or "API"
    label: str
    path: str

    @property
    def api(self) -> bool:
        return self.part == "API"


def prepare(workdir: Path, rows: int, password: str) -> tuple[list[str], str, list[Ask]]:
    """The linked database and users (web_response.prepare), the reviewer and their token, and
    the requests: the person pages and record asked for are picked from the database."""
    head = web.prepare(workdir, rows, password)
    from django.contrib.auth.models import User

    from everyname.store.linking import latest_run
    from everyname.store.models import Membership, Person
    from everyname.store.tokens import create_token
    from everyname.store.users import acting_user, add_user

    admin = acting_user(web.ADMIN)
    User.objects.filter(username=REVIEWER).delete()  # a fresh password and token each run
    add_user(admin, REVIEWER, "reviewer", password=password)
    token = create_token(admin, REVIEWER, "work_pages benchmark").token

    run = latest_run()
    assert run is not None, "the database has no link run"
    persons = Person.objects.filter(link_run=run)
    largest = persons.order_by("-n_records", "person_id").only("person_id", "n_records").first()
    pair = persons.filter(n_records=2).order_by("person_id").only("person_id").first()
    assert largest is not None and pair is not None
    record_id = (
        Membership.objects.filter(link_run=run, person_id=largest.person_id)
        .order_by("record_id")
        .values_list("record_id", flat=True)
        .first()
    )
    head.append(
        f"asked for: person {pair.person_id} (2 records), person {largest.person_id} "
        f"({largest.n_records} records, the most of any), record {record_id} (one of theirs)"
    )
    q = urllib.parse.quote
    asks = [
        Ask("pages", "records by name, Arabic", f"/records/?name={q(ARABIC_NAME)}"),
        Ask("pages", "records by name, Latin", f"/records/?name={q(LATIN_NAME)}"),
        Ask("pages", "records by name, compound", f"/records/?name={q(COMPOUND_NAME)}"),
        Ask("pages", "persons by name, Arabic", f"/persons/?q={q(ARABIC_NAME)}"),
        Ask("pages", "persons by name, Latin", f"/persons/?q={q(LATIN_NAME)}"),
        Ask("pages", "persons by name, compound", f"/persons/?q={q(COMPOUND_NAME)}"),
        Ask("pages", "a person of 2 records", f"/persons/{pair.person_id}/"),
        Ask("pages", f"a person of {largest.n_records} records", f"/persons/{largest.person_id}/"),
        Ask("pages", "the review queue", "/review/"),
        Ask("API", "persons by name, Arabic", f"/api/v1/persons?q={q(ARABIC_NAME)}"),
        Ask("API", "persons by name, Latin", f"/api/v1/persons?q={q(LATIN_NAME)}"),
        Ask("API", "count, no breakdown", "/api/v1/counts"),
        Ask("API", "count by sex, age group and place", "/api/v1/counts?by=sex,age_group,place"),
        Ask("API", "a record", f"/api/v1/records/{record_id}"),
    ]
    return head, token, asks


def timed(served: web.Served, ask: Ask, token: str) -> tuple[float, int]:
    """One request's time and body size: a page in the signed-in session, an API route with
    the Bearer token alone."""
    if not ask.api:
        return served.timed(ask.path)
    request = urllib.request.Request(
        f"{served.url}{ask.path}", headers={"Authorization": f"Bearer {token}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200, (ask.path, response.status)
        body = response.read()
    return time.perf_counter() - started, len(body)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def measure(
    workdir: Path, password: str, token: str, ask: Ask, repeat: int, budget: float
) -> tuple[str, str]:
    """A fresh server for one request: its first request's row and its repeated requests'."""
    served = web.Served(workdir, password, user=REVIEWER)
    try:
        before = load()
        first, size = timed(served, ask, token)
        times: list[float] = []
        started = time.monotonic()
        while len(times) < repeat and (
            len(times) < MIN_REPEAT or time.monotonic() - started < budget
        ):
            seconds, size = timed(served, ask, token)
            times.append(seconds)
        after = load()
    finally:
        served.stop()
    median, p95 = statistics.median(times), web.percentile(times, 0.95)
    verdict = "met" if p95 < 0.3 else "**missed**"
    row = (
        f"| {ask.label} (`{urllib.parse.unquote(ask.path)}`) | {first * 1000:,.0f} ms "
        f"| {median * 1000:,.0f} ms | {p95 * 1000:,.0f} ms | {max(times) * 1000:,.0f} ms "
        f"| {len(times)} | {size / 1024:,.1f} KiB | {verdict} |"
    )
    return row, f"{before} → {after}"


def profile(ask: Ask, token: str, times: int = 5) -> str:
    """Where one request's time goes: the request served ``times`` times in this process
    (Django's test client, the same app and database, no HTTP) under cProfile, after one
    unprofiled request; the functions that took the most time and the slowest SQL."""
    import cProfile
    import io
    import pstats

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=REVIEWER))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if ask.api else {}
    path = urllib.parse.unquote(ask.path)
    assert client.get(path, **headers).status_code == 200, path
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        profiler.enable()
        for _ in range(times):
            client.get(path, **headers)
        profiler.disable()
        seconds = (time.perf_counter() - started) / times
    out = io.StringIO()
    out.write(f"{ask.label} ({path}): {seconds * 1000:,.0f} ms a request in process\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(12)
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]
    out.write(f"{len(queries.captured_queries) / times:.0f} queries a request; slowest:\n")
    for query in slowest:
        out.write(f"  {float(query['time']) * 1000:,.0f} ms  {query['sql'][:600]}\n")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the database here")
    parser.add_argument("--repeat", type=int, default=40, help="repeated requests per page")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds of repeats per page, then stop"
    )
    parser.add_argument("--only", default="", help="only the requests whose label has this")
    parser.add_argument(
        "--profile", action="store_true", help="profile the --only requests in process instead"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--note", default="", help="a paragraph on the figures, recorded")
    args = parser.parse_args()
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="everyname-work-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    if args.profile:  # the app in this process: settings read at set-up need a secret key
        os.environ.setdefault("EVERYNAME_SECRET_KEY", secrets.token_urlsafe(50))
    head, token, asks = prepare(workdir, args.rows, password)
    print("\n".join(head), flush=True)
    if args.profile:
        for ask in asks:
            if args.only in ask.label:
                print(profile(ask, token), flush=True)
        return

    header = [
        "| request | first request | median | 95th percentile | slowest | repeats | size "
        "| under 300 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    tables: dict[str, list[str]] = {"pages": list(header), "API": list(header)}
    loads = []
    for ask in asks:
        if args.only and args.only not in ask.label:
            continue
        row, during = measure(workdir, password, token, ask, args.repeat, args.budget)
        tables[ask.part].append(row)
        loads.append(f"- {ask.part}, {ask.label}: {during}")
        print(row, f"load {during}", flush=True)
    body = (
        "```\n" + "\n".join(head) + "\n```\n\n"
        "Through the real app: `everyname serve` (waitress, its default threads) on 127.0.0.1, "
        "a reviewer signed in through the sign-in page (pages) or sending their Bearer token "
        "(API), urllib as the browser. Each request on a server of its own, freshly started: "
        f"its first request, then up to {args.repeat} repeated requests one at a time (at "
        f"least {MIN_REPEAT}, fewer than {args.repeat} once {args.budget:.0f} s were spent).\n\n"
        "## Pages (issue 14)\n\n" + "\n".join(tables["pages"]) + "\n\n"
        "## API (issue 16)\n\n" + "\n".join(tables["API"]) + "\n\n"
        "Load average (1 / 5 / 15 min) before each first request → after its repeats:\n\n"
        + "\n".join(loads)
        + "\n"
        + (f"\n{args.note}\n" if args.note else "")
    )
    print(body)
    if not args.no_write:
        from everyname.store.models import Record

        path = machine.record(
            "work_pages",
            "Work pages and API response times (search, person, review queue; persons, counts, "
            f"records) on {Record.objects.count():,} linked records",
            body,
        )
        print(f"recorded in {path}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
