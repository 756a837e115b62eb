"""A recorder enters a victim in Debian's Chromium, as a person taking a call would: typed in
Arabic, the victim is already a person of the demo's lists, and the page shows that person
first before anything is saved; saving as that person lands on the new record, whose page
never holds the reporter's name. In English and in Arabic.

Screenshots go to ``$EVERYNAME_SCREENSHOTS`` (default: a temporary folder).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.test_browser import Server, sign_in

pytestmark = pytest.mark.slow

SOURCE = "lcc_homs"  # one of the demo's sources
VICTIM = "لينا خالد الفارس"  # in the demo's lists, by more than one source
REPORTER, CONTACT = "ZZCALLER Abu Samer", "0988 765 432"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served-entry")
    served = Server(root)
    served.run("demo")
    served.add_user("rana", "recorder", by="demo-admin", sources=SOURCE)
    served.start()
    yield served
    served.stop()


def person_of_the_victim(page, server: Server) -> str:
    """The person the victim's record of the recorder's own source is, read from its page."""
    page.goto(f"{server.url}/records/?name={VICTIM}&source={SOURCE}")
    page.locator("table a[href^='/records/']").first.click()
    return page.inner_text("#person-id")


def fill_victim(page) -> None:
    page.select_option("select#source", SOURCE)
    page.fill("#full_name", VICTIM)
    page.select_option("select#sex", "female")
    page.fill("#age", "25")
    page.fill("#date_of_death_year", "2012")
    page.fill("#date_of_death_month", "2")
    page.fill("#place", "بابا عمرو")
    page.fill("#reporter_name", REPORTER)
    page.fill("#reporter_contact", CONTACT)


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_a_recorder_enters_a_victim_in_arabic_and_is_shown_the_existing_person(
    server, browser, shots, locale
):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server, "rana")
        person = person_of_the_victim(page, server)
        page.goto(f"{server.url}/records/new/")
        lang = "ar" if locale == "ar" else "en"
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        fill_victim(page)
        page.screenshot(path=shots / f"entry-form-{lang}.png", full_page=True)
        page.click("#check")
        first = page.locator("li.entry-person").first
        assert first.get_attribute("data-person") == person
        assert VICTIM in first.inner_text()
        # the place typed was found in the gazetteer and its levels filled in
        assert page.input_value("#neighbourhood") == "بابا عمرو"
        assert page.input_value("#governorate") == "حمص"
        html = page.content()
        assert REPORTER not in html and CONTACT not in html
        page.screenshot(path=shots / f"entry-check-{lang}.png", full_page=True)
        first.locator("button.same").click()
        page.wait_for_load_state()
        assert "/records/" in page.url and "/new/" not in page.url
        assert page.locator("ul.messages").count() == 1
        html = page.content()
        assert REPORTER not in html and CONTACT not in html
        page.screenshot(path=shots / f"entry-saved-{lang}.png", full_page=True)
    finally:
        context.close()
