"""The dashboard's charts and the figures' partial updates in a real browser: Debian's Chromium
against ``everyname serve`` on the demo's database (the set-up of test_browser.py, imported, not
copied). The charts are drawn, named and mirrored in Arabic; the page breaks no rule of the
Content-Security-Policy (no inline style, no inline script); htmx, served by the app, updates
the figures without reloading the page; and no request goes to another host."""

from __future__ import annotations

import pytest

from tests.web import test_browser as _setup

pytestmark = pytest.mark.slow
server, visit, sign_in = _setup.server, _setup.visit, _setup.sign_in  # its fixtures

CHARTS = ["chart-by-day", "chart-status", "chart-place", "chart-sex-age", "chart-sources"]


def watch_policy(page) -> list[str]:
    """Console messages about the Content-Security-Policy (a refused style or script)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return refused


def test_the_dashboard_draws_its_charts_in_both_languages(server, visit, shots):
    page = visit()
    refused = watch_policy(page)
    sign_in(page, server, "farah")  # a viewer: no second factor
    assert page.url == f"{server.url}/"
    for ident in CHARTS:
        chart = page.locator(f"svg#{ident}")
        assert chart.get_attribute("role") == "img"
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40, ident
        assert (page.locator(f"#{ident}-title").text_content() or "").strip()
    # Drawn, not empty: the timeline has its areas, the place chart a bar per row shown.
    assert page.locator("svg#chart-by-day path").count() >= 1
    assert page.locator("svg#chart-place rect.bar").count() >= 3
    assert page.locator("[style]").count() == 0
    first_bar = page.locator("svg#chart-status rect.bar").first.bounding_box()
    assert first_bar["x"] < 1280 / 2  # left to right: bars start at the left
    page.screenshot(path=shots / "dashboard-charts-en.png", full_page=True)

    page.click("header form.language button")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("svg#chart-status").get_attribute("direction") == "rtl"
    svg = page.locator("svg#chart-status").bounding_box()
    bar = page.locator("svg#chart-status rect.bar").first.bounding_box()
    # Mirrored: the bar grows from the chart's right edge towards its left.
    assert bar["x"] + bar["width"] > svg["x"] + svg["width"] * 0.6
    assert page.locator("#chart-by-day-title").text_content() == "الوفيات في كل يوم حسب الصفة"
    page.screenshot(path=shots / "dashboard-charts-ar.png", full_page=True)
    assert not refused, refused


def test_the_figures_update_in_place_with_htmx_served_by_the_app(server, visit, shots):
    page = visit()
    refused = watch_policy(page)
    sign_in(page, server, "farah")
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(f"{server.url}/figures/?by=sex&by=place")
    assert page.locator("svg#chart-place").count() == 1
    assert any(u.endswith(".js") and "/static/" in u for u in scripts)
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.everynameMark = 'kept'")  # gone if the page reloads
    with page.expect_response(
        lambda r: "/figures/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.uncheck("input[name=by][value=place]")
    page.wait_for_function("document.querySelector('svg#chart-place') === null")
    assert page.evaluate("window.everynameMark") == "kept"
    assert "by=place" not in page.url and "by=sex" in page.url  # the address follows
    assert page.locator("svg#chart-sex").count() == 1
    assert page.locator("form.filters").count() == 1  # the form stays, not nested
    page.screenshot(path=shots / "figures-htmx-en.png", full_page=True)
    # A bad window: the error replaces the result, still in place.
    page.fill("#since", "2012-02-10")
    page.fill("#until", "2012-02-01")
    with page.expect_response(lambda r: "/figures/" in r.url and r.status == 400):
        page.click("form.filters button[type=submit]")
    page.wait_for_selector("#figures-result .errors")
    assert page.evaluate("window.everynameMark") == "kept"
    assert not refused, refused
