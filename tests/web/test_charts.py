"""The server-written SVG charts: well-formed, named for a screen reader, styled only by class
(the Content-Security-Policy refuses inline styles), drawn to scale, mirrored for Arabic, and
small however long the timeline."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from everyname.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def named_for_screen_readers(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    found = {e.get("id"): (e.text or "") for e in root if e.get("id")}
    assert ids and all(i in found for i in ids)
    assert found[ids[0]] == title and root.find(f"{SVG}title").text == title
    assert (root.find(f"{SVG}desc").text or "").strip()


def no_inline_style(markup: str) -> None:
    assert "style=" not in str(markup) and "<style" not in str(markup)
    assert "<script" not in str(markup)


def rects(root: ET.Element, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{SVG}rect")
    return [r for r in found if cls is None or cls in r.get("class", "").split()]


BARS = [
    charts.Bar("civilian", 200, low=150),
    charts.Bar("combatant", 50),
    charts.Bar("unknown", 25, unknown=True),
]


def test_a_bar_chart_is_named_drawn_to_scale_and_shows_the_range_while_in_doubt():
    markup = charts.bar_chart("c1", BARS, title="Status", desc="Persons by status")
    no_inline_style(markup)
    root = parse(markup)
    named_for_screen_readers(root, "Status")
    solid = [r for r in rects(root, "bar") if "range" not in r.get("class")]
    assert len(solid) == 3
    widths = [float(r.get("width")) for r in solid]
    # Solid to the low end: 150, 50, 25 persons, to scale.
    assert widths[0] / widths[1] == pytest.approx(150 / 50, rel=0.01)
    assert widths[1] / widths[2] == pytest.approx(50 / 25, rel=0.01)
    (doubt,) = rects(root, "range")
    assert float(doubt.get("width")) / widths[1] == pytest.approx(50 / 50, rel=0.01)
    assert "unknown" in solid[2].get("class").split()
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "150–200" in texts and "50" in texts and "unknown" in texts


def test_arabic_mirrors_the_bars_and_keeps_numbers_left_to_right():
    ltr = parse(charts.bar_chart("c1", BARS, title="t", desc="d"))
    rtl = parse(charts.bar_chart("c1", BARS, title="t", desc="d", rtl=True))
    assert (ltr.get("direction"), rtl.get("direction")) == ("ltr", "rtl")
    for a, b in zip(rects(ltr), rects(rtl), strict=True):
        mirrored = charts.WIDTH - float(a.get("x")) - float(a.get("width"))
        assert float(b.get("x")) == pytest.approx(mirrored, abs=0.11)
        assert b.get("width") == a.get("width")
    values = [t for t in rtl.iter(f"{SVG}text") if "value" in t.get("class", "")]
    assert values and all(t.get("direction") == "ltr" for t in values)


def test_labels_are_escaped_and_long_ones_cut():
    evil = "<script>alert(1)</script> & a very long place name that goes on and on"
    markup = charts.bar_chart("c2", [charts.Bar(evil, 3)], title="<b>", desc="&")
    no_inline_style(markup)
    root = parse(markup)
    label = next(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label")
    assert label.endswith("…") and len(label) == charts.LABEL_CHARS
    assert root.find(f"{SVG}title").text == "<b>"
    tip = next(r for r in rects(root)).find(f"{SVG}title").text
    assert tip.startswith(evil)  # whole in its tooltip


def days(n: int, first: date = date(2011, 3, 15)) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range(n)]


def test_a_long_timeline_is_one_path_per_series_with_few_date_labels():
    n = 2000
    counts = [(i % 7, (i * 3) % 5, 1 if i % 11 == 0 else 0) for i in range(n)]
    series = [charts.Series("civilian"), charts.Series("combatant"), charts.Series("?", True)]
    markup = charts.time_chart(
        "t", days(n), counts, series, title="Deaths per day", desc="d", rtl=False
    )
    no_inline_style(markup)
    root = parse(markup)
    named_for_screen_readers(root, "Deaths per day")
    paths = list(root.iter(f"{SVG}path"))
    # the tallest (the whole stack) first, each lower series painted over it
    assert [p.get("class") for p in paths] == ["area unknown", "area series-1", "area series-0"]
    labels = [t.text for t in root.iter(f"{SVG}text") if re.fullmatch(r"\d{4}-\d\d-\d\d", t.text)]
    assert 1 <= len(labels) <= 6
    assert len(str(markup)) < 100_000  # a line per series, not a column per day and series


def test_the_timeline_stacks_series_to_the_daily_total():
    counts = [(2, 1), (0, 0), (1, 0)]
    series = [charts.Series("a"), charts.Series("b")]
    root = parse(charts.time_chart("t", days(3), counts, series, title="t", desc="d"))
    top_of = {}
    for path in root.iter(f"{SVG}path"):
        ys = [float(v) for v in re.findall(r"[ML][\d.]+ ([\d.]+)", path.get("d"))]
        top_of[path.get("class")] = min(ys)
    base = max(
        float(line.get("y1")) for line in root.iter(f"{SVG}line") if line.get("class") == "axis"
    )
    # series a reaches its busiest day (2); b is stacked on it, to that day's total (3)
    heights = {k: base - v for k, v in top_of.items()}
    assert heights["area series-0"] / heights["area series-1"] == pytest.approx(2 / 3, rel=0.02)


def test_the_timeline_runs_right_to_left_in_arabic():
    counts = [(5,), (0,), (0,), (0,)]
    ltr = parse(charts.time_chart("t", days(4), counts, [charts.Series("a")], title="t", desc="d"))
    rtl = parse(
        charts.time_chart("t", days(4), counts, [charts.Series("a")], title="t", desc="d", rtl=True)
    )

    def first_day_x(root: ET.Element) -> float:
        path = next(root.iter(f"{SVG}path")).get("d")
        points = [(float(x), float(y)) for x, y in re.findall(r"([\d.]+) ([\d.]+)", path)]
        high = min(y for _, y in points)
        return sum(x for x, y in points if y == high) / 2  # the busy first day's middle

    assert first_day_x(ltr) < charts.WIDTH / 2 < first_day_x(rtl)


@pytest.mark.parametrize(("n", "most"), [(1, 1), (8, 6), (30, 6), (120, 6), (400, 6), (2500, 6)])
def test_date_ticks_are_few_and_in_order(n, most):
    marks = charts._date_ticks(days(n))
    assert 1 <= len(marks) <= most and marks == sorted(set(marks))
    assert all(0 <= i < n for i in marks)


def test_an_upset_chart_has_a_column_per_combination_and_a_dot_per_source_in_it():
    sources = ["a", "b", "c"]
    combos = [(("a",), 40), (("a", "b"), 25), (("a", "b", "c"), 5), ((), 3)]
    markup = charts.upset_chart(
        "u", sources, combos, title="Overlap", desc="d", other="other combinations"
    )
    no_inline_style(markup)
    root = parse(markup)
    named_for_screen_readers(root, "Overlap")
    bars = rects(root, "bar")
    assert len(bars) == 4 and "unknown" in bars[-1].get("class")
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] / heights[1] == pytest.approx(40 / 25, rel=0.01)
    dots = [c for c in root.iter(f"{SVG}circle")]
    assert sum("on" in d.get("class").split() for d in dots) == 1 + 2 + 3
    assert len(dots) == 3 * 3  # the summed combinations have no dots
    assert bars[-1].find(f"{SVG}title").text == "other combinations: 3"


def test_the_interval_chart_puts_the_estimate_inside_its_interval():
    markup = charts.interval_chart(
        "e", 294, 282, 314, 267, labels=("estimate", "documented"), title="Estimate", desc="d"
    )
    no_inline_style(markup)
    root = parse(markup)
    band = rects(root, "interval")[0]
    left, width = float(band.get("x")), float(band.get("width"))
    dot = next(c for c in root.iter(f"{SVG}circle") if c.get("class") == "estimate")
    assert left < float(dot.get("cx")) < left + width
    observed = rects(root, "observed")[0]
    assert float(observed.get("x")) + float(observed.get("width")) < float(dot.get("cx"))


def test_numbers_group_thousands_without_a_comma():
    assert charts.number(1234567) == "1\u2009234\u2009567"
    assert charts.number(12.6) == "13"
