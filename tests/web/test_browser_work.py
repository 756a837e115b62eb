"""The daily work of issue 14 in Debian's Chromium, as the people who do it would: a recorder
corrects an age with a reason and reads the revision; a reviewer decides a pair by keyboard and
undoes it; an analyst says two records are one person, starts a link run from the review page, a
real ``everyname worker`` runs it and the dashboard's total goes down by one; a recorder of one
source searches records and persons and never sees another source's victims; a viewer's every
page is free of a reporter's name. Screenshots of each main page, in English and in Arabic.

One served demo database for the whole module (the demo's five lists, linked, with a small list
of this test's own planted in a second source and linked again): a list made here, so no real
person's row is ever in a screenshot. Screenshots go to ``$EVERYNAME_SCREENSHOTS`` (default: a
temporary folder).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.web.test_browser import (
    EVERYNAME,
    Server,
    sign_in,
    totp,
)
from tests.web.test_role_matrix import MATRIX

pytestmark = pytest.mark.slow

SOURCE_A = "lcc_homs"  # the recorder's source
SOURCE_B = "ngo_national"  # another source, where this test plants its victims
PLANTED = ("Zenobia Qutrubani", "زنوبيا القطرباني")  # victims of source B, in both scripts
REPORTER, CONTACT = "Yazdegerd Zarzouri", "0933 112 358"  # who reported them to B
PLANTED_LIST = (
    "full name,sex,age,date of death,governorate,city,neighbourhood,cause of death,status,"
    "reporter,reporter phone\n"
    f"{PLANTED[0]},Female,37,2012-02-05,Homs,Homs,Baba Amr,Shelling,civilian,{REPORTER},{CONTACT}\n"
    f"{PLANTED[1]},ذكر,61,2012-02-06,حمص,حمص,الخالدية,قصف,مدني,{REPORTER},{CONTACT}\n"
)
USERS = {  # name → (role, sources)
    "rana": ("recorder", SOURCE_A),
    "rahim": ("reviewer", ""),
    "anas": ("analyst", ""),  # starts the link run
    "amira": ("analyst", ""),  # sees every source: the searches' counterpart
    "nadia": ("analyst", ""),  # reveals a reporter
    "hiba": ("analyst", ""),  # takes the screenshots in English
    "hala": ("analyst", ""),  # and in Arabic
    "farah": ("viewer", ""),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served-work")
    served = Server(root)
    served.run("demo")
    for name, (role, sources) in USERS.items():
        served.add_user(name, role, by="demo-admin", sources=sources or "")
    planted = root / "planted.csv"
    planted.write_text(PLANTED_LIST, encoding="utf-8")
    served.run("import", str(planted), "--source", SOURCE_B, user="demo-admin")
    served.run("link", user="demo-admin")  # the planted victims are persons too
    served.start()
    worker = subprocess.Popen(
        [str(EVERYNAME), "worker"], cwd=root, env=served.env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield served
    worker.terminate()
    worker.wait(timeout=30)
    served.stop()


@pytest.fixture
def visit(browser, server):
    """``visit(name, locale)``: a fresh browser context signed in as ``name`` (an analyst
    enrols a second factor on the way); at the end no request may have gone to another host."""
    contexts, requested = [], []

    def open_page(name: str, locale: str = "en-GB"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.on("request", lambda request: requested.append(request.url))
        contexts.append(context)
        page = context.new_page()
        sign_in(page, server, name)
        if "/accounts/two-factor/" in page.url:  # each analyst signs in once: enrolment
            page.fill("input[name=code]", totp(page.inner_text("code.secret")))
            page.click("form.stacked button[type=submit]")
        assert "/accounts/" not in page.url, page.url
        return page

    yield open_page
    for context in contexts:
        context.close()
    others = {url for url in requested if urlsplit(url).netloc != f"127.0.0.1:{server.port}"}
    assert requested and not others, sorted(others)


def total(page, server: Server) -> int:
    page.goto(f"{server.url}/")
    return int(page.inner_text("#total").replace(",", ""))


def person_of(page, server: Server, record_id: str) -> str:
    page.goto(f"{server.url}/records/{record_id}/")
    return page.inner_text("#person-id")


def in_arabic(page, path: Path) -> None:
    """A screenshot of the page in Arabic, through the header's switch, then back to English."""
    page.click("header form.language button")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.screenshot(path=path, full_page=True)
    page.click("header form.language button")
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_a_recorder_corrects_an_age_with_a_reason_and_sees_the_revision(server, visit, shots):
    page = visit("rana")
    page.goto(f"{server.url}/records/?source={SOURCE_A}")
    page.locator("table a[href^='/records/']").first.click()
    record_url = page.url
    age = page.locator("#field-age")
    before = age.input_value()
    after = "47" if before != "47" else "48"
    page.click("details#correct summary")
    page.click("form.correction button[type=submit]")  # no reason: refused, nothing changes
    assert page.locator("article.revision").count() == 0
    age.fill(after)
    page.fill("#reason", "The brother called: he was 47, the list rounded it")
    page.click("form.correction button[type=submit]")
    page.wait_for_load_state()
    assert page.url.split("#")[0] == record_url.split("#")[0]
    revision = page.locator("article.revision[data-revision='1']")
    assert revision.count() == 1
    text = revision.inner_text()
    assert "rana" in text and "The brother called" in text
    row = revision.locator("tr", has_text="Age")
    assert row.locator("td").nth(0).inner_text().strip() == (before or "absent")
    assert row.locator("td").nth(1).inner_text().strip() == after
    assert page.locator("#values tr[data-field=age] td").first.inner_text().strip() == after
    assert page.locator("#values tr[data-field=age]").get_attribute("class") == "corrected"
    page.screenshot(path=shots / "work-record-corrected-en.png", full_page=True)
    in_arabic(page, shots / "work-record-corrected-ar.png")


def test_a_reviewer_decides_by_keyboard_and_undoes_the_decision(server, visit, shots):
    page = visit("rahim")
    page.goto(f"{server.url}/review/")
    first = page.locator("section.pair").get_attribute("data-pair")
    waiting = int(page.inner_text("#awaiting"))
    assert page.locator("#undo").count() == 0  # nothing of theirs to undo yet
    page.keyboard.press("d")  # different persons
    page.wait_for_selector("#undo")
    assert int(page.inner_text("#awaiting")) == waiting - 1
    assert page.locator("section.pair").get_attribute("data-pair") != first
    assert "different persons" in page.inner_text("#recent")
    page.screenshot(path=shots / "work-review-decided-en.png", full_page=True)
    in_arabic(page, shots / "work-review-decided-ar.png")
    page.click("#undo button")
    assert "Undone: your decision on records" in page.inner_text("ul.messages")
    assert page.locator("section.pair").get_attribute("data-pair") == first  # back, first
    assert int(page.inner_text("#awaiting")) == waiting
    assert "withdrawn (undo)" in page.inner_text("#recent")
    assert page.locator("#undo").count() == 0  # one undo, not a walk back
    page.screenshot(path=shots / "work-review-undone-en.png", full_page=True)
    in_arabic(page, shots / "work-review-undone-ar.png")


def test_an_analyst_links_two_persons_and_the_dashboard_counts_one_fewer(server, visit, shots):
    page = visit("anas")
    counted = total(page, server)
    page.goto(f"{server.url}/review/")
    # the first pair whose records are still two persons (a chain may already join a pair)
    for _ in range(10):
        pair = page.locator("section.pair")
        left, right = (
            pair.locator("#compare thead a").nth(i).get_attribute("href") for i in (0, 1)
        )
        ids = [re.search(r"/records/(\d+)/", href).group(1) for href in (left, right)]
        persons = {person_of(page, server, i) for i in ids}
        page.goto(f"{server.url}/review/")
        if len(persons) == 2:
            break
        page.click("#decide button.skip")
    assert len(persons) == 2
    page.fill("#note", "Same mother, same street: one boy")
    page.click("#decide button.same")
    assert "same person" in page.inner_text("#recent")
    page.click("#start-link button")
    assert re.search(r"/jobs/\d+/$", page.url), page.url
    page.wait_for_selector("#job-status[data-state=done]", timeout=300_000)
    page.screenshot(path=shots / "work-job-en.png", full_page=True)
    in_arabic(page, shots / "work-job-ar.png")
    assert total(page, server) == counted - 1
    page.screenshot(path=shots / "work-dashboard-after-link-en.png", full_page=True)
    assert len({person_of(page, server, i) for i in ids}) == 1  # now one person


def search_pages(server: Server) -> list[str]:
    out = []
    for name in PLANTED:
        out += [f"/records/?name={quote(name)}", f"/persons/?q={quote(name)}"]
    return [*out, f"/records/?source={SOURCE_B}", f"/persons/?source={SOURCE_B}", "/records/"]


def test_a_recorder_of_one_source_never_sees_another_sources_victims(server, visit):
    analyst = visit("amira")  # sees every source: the same searches find the planted victims
    for path in search_pages(server)[:4]:
        analyst.goto(server.url + path)
        assert any(name in analyst.content() for name in PLANTED), path
    recorder = visit("rana")
    for path in search_pages(server):
        response = recorder.goto(server.url + path)
        assert response.status in (200, 403), path  # another source's list: refused
        html = re.sub(r'<input type="search"[^>]*>', "", recorder.content())  # the query
        for name in PLANTED:
            assert name not in html, path
    # and by its address: a planted record is not the recorder's to open
    analyst.goto(f"{server.url}/records/?name={quote(PLANTED[0])}")
    href = analyst.locator("table a[href^='/records/']").first.get_attribute("href")
    assert recorder.goto(server.url + href).status in (403, 404)


def viewer_paths() -> list[str]:
    """Every page of the role matrix a viewer may open (no placeholder in its address)."""
    return [path for path, status in MATRIX.values() if status["viewer"] == 200]


def test_a_viewers_pages_never_contain_a_reporters_name(server, visit):
    analyst = visit("nadia")
    analyst.goto(f"{server.url}/records/?name={quote(PLANTED[0])}")
    analyst.locator("table a[href^='/records/']").first.click()
    assert REPORTER not in analyst.content()  # stored, encrypted, and not shown ...
    analyst.fill("#reveal-reason", "A relative asks who reported her; checking the caller")
    analyst.click("form.reveal button[type=submit]")
    assert analyst.inner_text("#reporter-name") == REPORTER  # ... until revealed, audited

    viewer = visit("farah")
    queue = [server.url + p for p in viewer_paths()]
    assert f"{server.url}/" in queue and f"{server.url}/figures/" in queue
    seen: set[str] = set()
    per_path: dict[str, int] = {}
    while queue and len(seen) < 80:
        url = queue.pop(0)
        parts = urlsplit(url)
        if url in seen or per_path.get(parts.path, 0) >= 3:
            continue
        seen.add(url)
        per_path[parts.path] = per_path.get(parts.path, 0) + 1
        response = viewer.request.get(url)
        body = response.body().decode("utf-8", errors="replace")
        for secret in (REPORTER, CONTACT, "Yazdegerd", "Zarzouri"):
            assert secret not in body, url
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        for link in re.findall(r'(?:href|hx-get)="([^"#]+)', body):
            target = urljoin(url, link.replace("&amp;", "&"))
            if urlsplit(target).netloc == parts.netloc and not re.search(
                r"/accounts/logout/|/i18n/|/static/", target
            ):
                queue.append(target)
    assert len(seen) >= len(viewer_paths())


MAIN_PAGES = ("/", "/imports/", "/imports/new/", "/records/", "/records/new/", "/persons/")


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_screenshots_of_each_main_page(server, visit, shots, locale):
    lang = "ar" if locale == "ar" else "en"
    page = visit("hiba" if lang == "en" else "hala", locale)
    for path in MAIN_PAGES:
        response = page.goto(server.url + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == lang
        name = path.strip("/").replace("/", "-") or "dashboard"
        page.screenshot(path=shots / f"work-{name}-{lang}.png", full_page=True)
    page.goto(f"{server.url}/records/?source={SOURCE_A}")
    page.locator("table a[href^='/records/']").first.click()
    page.screenshot(path=shots / f"work-record-{lang}.png", full_page=True)
    page.click("#person-id")  # the record's person
    assert re.search(r"/persons/[^/]+/$", page.url), page.url
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    page.screenshot(path=shots / f"work-person-{lang}.png", full_page=True)
    page.goto(f"{server.url}/review/")
    page.screenshot(path=shots / f"work-review-{lang}.png", full_page=True)
