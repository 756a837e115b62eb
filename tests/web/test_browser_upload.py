"""A recorder uploads a list in Debian's Chromium, as a person would: the preview shows one value
that cannot be read and one column the app does not recognise, the recorder maps that column in
the page, imports, and watches the job (run by a real ``everyname worker`` process) until the
batch's page; the same bytes again are named as already imported. A list over the size read in
the request is read whole by the worker while the page already shows its start, then its
problems appear and download as CSV. In English and in Arabic.

Screenshots go to ``$EVERYNAME_SCREENSHOTS`` (default: a temporary folder). The lists are made
here (no real person's row is ever in a screenshot).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from everyname.store.previews import INLINE_SCAN_BYTES
from tests.web.test_browser import EVERYNAME, Server, sign_in

pytestmark = pytest.mark.slow

HOOD = "الحي السكني"  # a header nothing recognises
SOURCE = "lcc_homs"  # one of the demo's sources


def arabic_list(extra: str = "") -> bytes:
    return (
        f"الاسم,العمر,تاريخ الوفاة,{HOOD},اسم المبلغ\n"
        "أحمد خليل,30,2012-02-07,الخالدية,أبو خالد\n"
        "هدى علي,9,2012-02-30,باب السباع,أم علي\n"  # 30 February: cannot be read
        f"عمر صالح{extra},41,2012-03-01,الخالدية,\n"
    ).encode()


def long_list(rows: int) -> bytes:
    """``arabic_list`` and ``rows`` more rows, one in a thousand with an impossible date."""
    lines = [arabic_list().decode().rstrip("\n")]
    for n in range(rows):
        day = "2012-02-30" if n % 1000 == 7 else f"2012-03-{1 + n % 28:02d}"
        lines.append(f"اسم {n} الحمصي,{20 + n % 60},{day},الخالدية,أبو خالد")
    return ("\n".join(lines) + "\n").encode()


LONG_ROWS = 16_000
PREVIEW_PAGE = re.compile(r"/imports/new/[A-Za-z0-9_-]+/$")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served-upload")
    served = Server(root)
    served.run("demo")
    served.add_user("rana", "recorder", by="demo-admin", sources=SOURCE)
    served.start()
    # The worker the server's jobs wait for, as an administrator starts it.
    worker = subprocess.Popen(
        [str(EVERYNAME), "worker"], cwd=root, env=served.env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield served
    worker.terminate()
    worker.wait(timeout=30)
    served.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    yield context.new_page()
    context.close()
    others = {u for u in requested if urlsplit(u).netloc != f"127.0.0.1:{server.port}"}
    assert requested and not others, f"requests to other hosts: {sorted(others)}"


def upload(page, server: Server, path: Path) -> None:
    page.goto(f"{server.url}/imports/new/")
    assert page.locator("#source").input_value() == SOURCE
    page.set_input_files("#file", str(path))
    page.click("#upload-form button[type=submit]")
    # A click waits for the next page to start, not to be read whole: its tables may be missing.
    page.wait_for_load_state()
    assert "/imports/new/" in page.url and page.url.rstrip("/") != f"{server.url}/imports/new"


def test_a_recorder_uploads_maps_a_column_imports_and_reaches_the_batch(
    server, page, shots, tmp_path
):
    first = tmp_path / "homs-list.csv"
    first.write_bytes(arabic_list())
    sign_in(page, server, "rana")
    page.goto(f"{server.url}/imports/")
    page.click("#upload-link")
    assert page.url == f"{server.url}/imports/new/"
    page.screenshot(path=shots / "upload-en.png", full_page=True)
    upload(page, server, first)

    unknown = page.locator(f'#columns tr[data-column="{HOOD}"]')
    assert "how-unused" in unknown.get_attribute("class")
    assert page.locator("#unreadable tbody tr").count() == 1
    cells = page.locator("#unreadable tbody tr td").all_inner_texts()
    assert cells[:3] == ["3", "تاريخ الوفاة", "2012-02-30"] and cells[3]
    assert page.locator("#sensitive-note").is_visible()
    assert "أبو خالد" not in page.content()  # the reporter's name is nowhere in the page
    page.screenshot(path=shots / "upload-preview-en.png", full_page=True)

    unknown.locator("select").select_option("neighbourhood")
    page.click("#apply-mapping")
    mapped = page.locator(f'#columns tr[data-column="{HOOD}"]')
    assert "how-mapped" in mapped.get_attribute("class")
    assert "neighbourhood" in page.locator("#rows thead").inner_text()
    assert "باب السباع" in page.locator("#rows").inner_text()
    assert "neighbourhood" in page.locator("#toml").input_value()
    page.screenshot(path=shots / "upload-preview-mapped-en.png", full_page=True)

    page.click("#commit")
    assert "/imports/jobs/" in page.url
    page.screenshot(path=shots / "upload-job-en.png", full_page=True)
    # The page reloads itself (a meta refresh) until the worker has run the job.
    page.wait_for_selector("#batch-link", timeout=120_000)
    assert page.locator("#job-state").inner_text() == "done"
    page.screenshot(path=shots / "upload-job-done-en.png", full_page=True)
    page.click("#batch-link")
    assert page.locator("#file-name").inner_text() == "homs-list.csv"
    assert page.locator("#records").inner_text() == "3"
    page.screenshot(path=shots / "upload-batch-en.png", full_page=True)

    # The same bytes again, under another name: the preview names the batch before any import.
    again = tmp_path / "same-list.csv"
    again.write_bytes(first.read_bytes())
    upload(page, server, again)
    assert page.locator("#already-imported").is_visible()
    assert page.locator("#commit").count() == 0
    page.screenshot(path=shots / "upload-again-en.png", full_page=True)
    page.click("#already-imported-link")
    assert page.locator("#file-name").inner_text() == "homs-list.csv"


def test_the_upload_pages_read_right_to_left_in_arabic(server, browser, shots, tmp_path):
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, "rana")
        page.goto(f"{server.url}/imports/new/")
        if page.locator("html").get_attribute("lang") != "ar":
            page.click("header form.language button")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.inner_text("h1") == "رفع قائمة"
        page.screenshot(path=shots / "upload-ar.png", full_page=True)
        listed = tmp_path / "قائمة-الخالدية.csv"
        listed.write_bytes(arabic_list(" الثاني"))
        page.set_input_files("#file", str(listed))
        page.click("#upload-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#unreadable tbody tr").count() == 1
        page.screenshot(path=shots / "upload-preview-ar.png", full_page=True)
        page.click("#commit")
        page.wait_for_selector("#batch-link", timeout=120_000)
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.screenshot(path=shots / "upload-job-done-ar.png", full_page=True)
    finally:
        context.close()


def look_at_a_long_list(page, server: Server, shots: Path, tmp_path: Path, language: str) -> None:
    """Upload a list read by the worker: the page's first answer has the columns and first rows
    and says the whole file is being read; the counts, the problems and the CSV follow."""
    big = tmp_path / "homs-long.csv"
    big.write_bytes(long_list(LONG_ROWS))
    assert big.stat().st_size > INLINE_SCAN_BYTES  # the server's default: not read in a request
    with page.expect_response(
        lambda r: r.request.method == "GET" and PREVIEW_PAGE.search(r.url) is not None
    ) as first:
        upload(page, server, big)
    assert 'id="scan-progress"' in first.value.text() and 'id="rows-read"' not in first.value.text()
    assert page.locator("#rows tbody tr").count() == 20  # the first rows, at once
    assert page.locator(f'#columns tr[data-column="{HOOD}"]').count() == 1
    page.screenshot(path=shots / f"preview-scanning-{language}.png", full_page=True)
    # The block asks again (htmx) until the worker has read the whole file; no reload by hand.
    page.wait_for_selector("#rows-read", timeout=120_000)
    assert page.locator("#rows-read").inner_text() == str(3 + LONG_ROWS)
    assert page.locator("#unreadable tbody tr").count() == 1 + LONG_ROWS // 1000
    assert page.locator("#commit").is_visible() and "أبو خالد" not in page.content()
    page.screenshot(path=shots / f"preview-scanned-{language}.png", full_page=True)
    with page.expect_download() as download:
        page.click("#problems-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("2012-02-30") == 1 + LONG_ROWS // 1000 and "أبو خالد" not in text
    page.click("#discard-form button")


def test_a_long_list_is_read_by_the_worker_while_the_page_shows_its_start(
    server, page, shots, tmp_path
):
    sign_in(page, server, "rana")
    look_at_a_long_list(page, server, shots, tmp_path, "en")


def test_a_long_list_is_read_by_the_worker_in_arabic(server, browser, shots, tmp_path):
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, "rana")
        page.goto(f"{server.url}/imports/new/")
        if page.locator("html").get_attribute("lang") != "ar":
            page.click("header form.language button")
        assert page.locator("html").get_attribute("dir") == "rtl"
        look_at_a_long_list(page, server, shots, tmp_path, "ar")
    finally:
        context.close()
