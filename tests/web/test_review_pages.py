"""``/review/`` on the demo's lists, imported and linked for real: one pair at a time in the
store's order, names aligned part by part, how many wait and the count's range; a decision
(a POST with its CSRF token) is recorded and audited and the queue moves on; a skip passes a
pair over for the session; nobody without the right to review decides anything."""

from __future__ import annotations

import math
import re

import pytest
from django.test import Client
from django.utils.html import escape

from everyname.store.counting import count
from everyname.store.linking import pending_pairs, run_link
from everyname.store.models import AuditEvent, MatchDecision
from everyname.store.review import review_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(demo_imported, cast):
    run_link(cast["admin"])
    return demo_imported


def shown_pair(html: str) -> int:
    found = re.search(r'data-pair="(\d+)"', html)
    assert found, "no pair on the page"
    return int(found.group(1))


def awaiting(html: str) -> int:
    return int(re.search(r'<strong id="awaiting">(\d+)</strong>', html).group(1))


def decision_form(pair) -> dict[str, str]:
    return {
        "pair": str(pair.pair_id),
        "left": str(pair.left.record_id),
        "right": str(pair.right.record_id),
        "run": str(pair.link_run),
    }


def test_the_queue_shows_the_first_pair_the_number_waiting_and_the_range(
    client, sign_in, linked, cast
):
    sign_in(client, "reviewer")
    html = client.get("/review/").content.decode()
    first = pending_pairs(cast["reviewer"], 1, 1)
    pair = first.pairs[0]
    assert shown_pair(html) == pair.pair_id
    assert awaiting(html) == first.total
    counted = count(cast["reviewer"])
    assert counted.total_low < counted.total
    assert f"between {counted.total_low} and {counted.total}" in html
    assert f"all {counted.pairs_awaiting_review} pairs awaiting review" in html
    # both records, their sources, the names part by part, the score and the buttons
    for side in (pair.left, pair.right):
        assert f'href="/records/{side.record_id}/"' in html
        assert f'<code dir="ltr">{side.source}</code>' in html
    assert 'id="names"' in html and 'data-part="given"' in html
    for written in review_queue(cast["reviewer"]).written:  # both names as written, whole
        assert f'<td class="name"><bdi>{escape(written)}</bdi></td>' in html
    shown = math.floor(pair.match_probability * 1000) / 10  # rounded down: 98.96 is 98.9%
    assert f"{shown:.1f}%" in html and shown <= pair.match_probability * 100
    for verdict, key in (("same", "s"), ("different", "d"), ("skip", "n")):
        assert f'name="action" value="{verdict}" accesskey="{key}"' in html
    assert "csrfmiddlewaretoken" in html
    # no inline script (the CSP forbids it): keyboard use is the browser's access keys
    assert not re.findall(r"<script(?![^>]*\bsrc=)", html) and " onclick=" not in html


def test_a_value_that_could_not_be_read_is_shown_as_written_and_flagged_in_either_language(
    client, sign_in, linked, cast
):
    """A source's "Unknown" was read (shown as unknown, in the page's language); an age that
    could not be read is its text as written, flagged, never a figure."""
    from everyname.store.records import correct_record

    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    correct_record(cast["admin"], pair.left.record_id, {"age": "431"}, "the scan reads 431")
    correct_record(cast["admin"], pair.right.record_id, {"status": "Unknown"}, "not known")
    sign_in(client, "reviewer")
    for language, flag, unknown in (
        ("en", "unreadable: counted as unknown", "unknown"),
        ("ar", "غير مقروءة: تُعدّ غير معروفة", "غير معروف"),
    ):
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        html = client.get("/review/").content.decode()
        assert shown_pair(html) == pair.pair_id
        fields = html.split('id="fields"', 1)[1].split("</tbody>", 1)[0]
        age = fields.split('data-field="age_years"', 1)[1].split("</tr>", 1)[0]
        assert f'<bdi>431</bdi> <span class="flag">{flag}</span>' in age
        status = fields.split('data-field="status"', 1)[1].split("</tr>", 1)[0]
        assert f"<bdi>{unknown}</bdi>" in status and "Unknown" not in status
        assert "(unread)" not in html


def test_a_decision_is_recorded_audited_and_the_queue_moves_on(client, sign_in, linked, cast):
    user = sign_in(client, "reviewer")
    before = client.get("/review/").content.decode()
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    response = client.post(
        "/review/", {**decision_form(pair), "action": "different", "note": "other mother"}
    )
    assert response.status_code == 302 and response["Location"] == "/review/"
    decision = MatchDecision.objects.get()
    assert (decision.verdict, decision.decided_by, decision.note) == (
        "different",
        user.username,
        "other mother",
    )
    assert sorted((decision.record_l_id, decision.record_r_id)) == sorted(
        (pair.left.record_id, pair.right.record_id)
    )
    assert decision.link_run_id == pair.link_run
    assert AuditEvent.objects.filter(action="match.decided", actor=user.username).count() == 1
    after = client.get("/review/").content.decode()
    assert "Recorded: records" in after and "different persons" in after
    assert shown_pair(after) != pair.pair_id
    assert awaiting(after) == awaiting(before) - 1
    assert "other mother" in after  # the reviewer's latest decisions, with the note


def test_undo_withdraws_the_last_decision_and_the_pair_comes_back(client, sign_in, linked, cast):
    user = sign_in(client, "reviewer")
    first = client.get("/review/").content.decode()
    assert 'id="undo"' not in first  # nothing to undo yet
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    client.post("/review/", {**decision_form(pair), "action": "same"})
    decided = client.get("/review/").content.decode()
    assert 'id="undo"' in decided and shown_pair(decided) != pair.pair_id

    response = client.post("/review/", {"action": "undo"})
    assert response.status_code == 302 and response["Location"] == "/review/"
    after = client.get("/review/").content.decode()
    assert "Undone: your decision on records" in after
    assert shown_pair(after) == pair.pair_id and awaiting(after) == awaiting(first)
    assert "withdrawn (undo)" in after and 'id="undo"' not in after
    assert list(MatchDecision.objects.order_by("id").values_list("verdict", "decided_by")) == [
        ("same", user.username),
        ("withdrawn", user.username),
    ]
    assert AuditEvent.objects.filter(action="match.decided", actor=user.username).count() == 2
    again = client.post("/review/", {"action": "undo"}, follow=True).content.decode()
    assert "Not undone: There is no decision of yours to undo" in again
    assert MatchDecision.objects.count() == 2


def test_skipping_passes_a_pair_over_for_the_session_and_decides_nothing(
    client, sign_in, linked, cast
):
    sign_in(client, "reviewer")
    first = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    before = awaiting(client.get("/review/").content.decode())
    client.post("/review/", {**decision_form(first), "action": "skip"})
    html = client.get("/review/").content.decode()
    assert shown_pair(html) != first.pair_id and awaiting(html) == before - 1
    assert "passed over in this session" in html
    assert not MatchDecision.objects.exists()
    client.post("/review/", {"action": "restore"})
    assert shown_pair(client.get("/review/").content.decode()) == first.pair_id


def test_a_bad_verdict_is_named_and_nothing_is_written(client, sign_in, linked, cast):
    sign_in(client, "reviewer")
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    client.post("/review/", {**decision_form(pair), "action": "maybe"})
    html = client.get("/review/").content.decode()
    assert "Not recorded" in html and "maybe" in html
    client.post("/review/", {**decision_form(pair), "left": "x", "action": "same"})
    assert "Not recorded" in client.get("/review/").content.decode()
    assert not MatchDecision.objects.exists()


def test_a_decision_needs_the_csrf_token(sign_in, linked, cast):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, "reviewer")
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    refused = browser.post("/review/", {**decision_form(pair), "action": "same"})
    assert refused.status_code == 403
    assert not MatchDecision.objects.exists()


@pytest.mark.parametrize("role", ["recorder", "viewer"])
def test_who_may_not_review_decides_nothing(client, sign_in, linked, cast, role):
    sign_in(client, role)
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    assert client.get("/review/").status_code == 403
    assert client.post("/review/", {**decision_form(pair), "action": "same"}).status_code == 403
    assert not MatchDecision.objects.exists()


def test_before_any_link_run_the_queue_says_so(client, sign_in, demo_imported):
    sign_in(client, "analyst")
    page = client.get("/review/")
    assert page.status_code == 200 and "No link run yet" in page.content.decode()


def test_an_analyst_starts_a_link_run_that_applies_the_decisions(client, sign_in, linked, cast):
    from everyname.store.jobs import run_worker
    from everyname.store.models import Job, LinkRun

    sign_in(client, "analyst")
    html = client.get("/review/").content.decode()
    assert 'id="start-link"' in html
    pair = pending_pairs(cast["analyst"], 1, 1).pairs[0]
    client.post("/review/", {**decision_form(pair), "action": "same"})
    before = count(cast["analyst"]).total
    response = client.post("/review/link/")
    job = Job.objects.get(kind="link")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert run_worker(once=True) == 1
    assert LinkRun.objects.count() == 2
    # the pair decided the same person is one person now: one fewer, and no longer in the queue
    assert count(cast["analyst"]).total == before - 1
    waiting = {p.pair_id for p in pending_pairs(cast["analyst"], 1, 500).pairs}
    assert awaiting(client.get("/review/").content.decode()) == len(waiting)


def test_a_reviewer_may_not_start_a_link_run(client, sign_in, linked):
    from everyname.store.models import Job

    sign_in(client, "reviewer")
    assert 'id="start-link"' not in client.get("/review/").content.decode()
    assert client.post("/review/link/").status_code == 403
    assert not Job.objects.exists()


# --- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``everyname serve`` on the demo's database (its lists imported and linked), with a
    reviewer (who needs no second factor)."""
    from tests.web.test_browser import PASSWORD, Server

    root = tmp_path_factory.mktemp("served-review")
    server = Server(root)
    server.run("demo")
    secret = root / "rana.password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    server.run(
        "user", "add", "rana", "--role", "reviewer", "--password-file", str(secret),
        user="demo-admin",
    )  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
def test_a_reviewer_decides_three_pairs_with_the_keyboard(served, tmp_path_factory):
    """Debian's Chromium, as a reviewer works: S, D and N decide or skip without the mouse (a
    served script; the page also works without it), a letter typed into the note stays in
    the note, and no request leaves the server."""
    import os
    from pathlib import Path
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM, LAUNCH_ARGS
    from tests.web.test_browser import sign_in

    shots = Path(os.environ.get("EVERYNAME_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        sign_in(page, served, "rana")
        page.goto(f"{served.url}/review/")
        waiting = int(page.inner_text("#awaiting"))
        seen = [page.get_attribute("section.pair", "data-pair")]
        page.fill("#note", "sad")  # S typed into the note is a letter, not a decision
        assert page.get_attribute("section.pair", "data-pair") == seen[0]
        page.locator("h1").click()
        for key in ("d", "s", "n", "d"):
            with page.expect_navigation():
                page.keyboard.press(key)
            seen.append(page.get_attribute("section.pair", "data-pair"))
        assert len(set(seen)) == 5, seen
        # three decided, one passed over for this session: four fewer in the queue shown
        assert int(page.inner_text("#awaiting")) == waiting - 4
        rows = page.locator("#recent tbody tr")
        assert rows.count() == 3
        assert "sad" in rows.nth(2).inner_text()  # the first decision, with its note
        page.screenshot(path=shots / "review-keyboard-en.png", full_page=True)
        page.click("header form.language button")
        assert page.locator("html").get_attribute("dir") == "rtl"
        with page.expect_navigation():
            page.keyboard.press("s")
        assert int(page.inner_text("#awaiting")) == waiting - 5
        page.screenshot(path=shots / "review-keyboard-ar.png", full_page=True)
        context.close()
        chromium.close()
    others = {url for url in requested if urlsplit(url).netloc != f"127.0.0.1:{served.port}"}
    assert not others, others


def test_an_arabic_page_writes_a_decimal_with_a_point_as_its_other_figures(
    client, sign_in, linked, cast
):
    """Western digits on every page: the match weight (Django's number format) and the score
    (formatted by the app) both with a decimal point, in Arabic as in English."""
    from django.utils import formats, translation

    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    weight = f"{pair.match_weight:.2f}"
    sign_in(client, "reviewer")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    html = client.get("/review/").content.decode()
    assert f'<span dir="ltr">{weight}</span>' in html and f"{pair.match_percent}%" in html
    with translation.override("ar"):
        assert formats.number_format(1234567.5, 1, force_grouping=True) == "1,234,567.5"
