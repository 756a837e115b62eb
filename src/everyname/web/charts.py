"""Charts as SVG written on the server: no script, no inline style, readable without either.

The pages' Content-Security-Policy allows styles only from the app's own style sheet, so a
chart carries no ``style`` attribute: its colours and fonts come from classes the style sheet
gives (``chart``, ``series-N``, ``unknown``, ``range``). Every chart has a ``<title>`` and a
``<desc>`` (``role="img"``, named by both) and is shown beside a table of the same figures,
which is what a screen reader, a copy-paste or a printout uses.

Arabic pages are mirrored: bars grow from the right, labels stand at the right, and the time
axis runs right to left (the earliest day at the right, where an Arabic reader starts, as the
tables beside the charts read). Dates and numbers keep their own left-to-right order inside.
Geometry is worked out in logical coordinates (0 = the start of the line) and mirrored once,
in :meth:`_Canvas.x`; text anchors are logical too (``start``/``end``), which SVG reads
against the ``direction`` the chart sets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
"""Every chart's width in its own units; the style sheet scales it to the page."""
ROW = 26
FONT = 15
LABEL_CHARS = 24
"""Longer labels are cut with an ellipsis in the chart (whole in its tooltip and table)."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label (in its own direction), the count, and the low end of the count
    while pairs await review (``None``: not in doubt). ``unknown`` bars are drawn apart."""

    label: str
    value: int
    low: int | None = None
    unknown: bool = False


@dataclass(frozen=True)
class Series:
    """A series of a stacked chart: its label, and whether it is the unknowns."""

    label: str
    unknown: bool = False


def number(n: float) -> str:
    """A count as shown on the pages: thousands grouped with a thin space (which reads the
    same in both scripts and is not a decimal mark in either)."""
    return f"{round(n):,}".replace(",", "\u2009")


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _f(value: float) -> str:
    """A coordinate, short: one decimal at most."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Canvas:
    """An SVG being written, with the mirroring of an Arabic page in one place."""

    def __init__(self, ident: str, height: float, title: str, desc: str, rtl: bool):
        self.ident, self.height, self.rtl = ident, height, rtl
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(ident)}" '
            f'viewBox="0 0 {WIDTH} {_f(height)}" role="img" '
            f'aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" '
            f'direction="{"rtl" if rtl else "ltr"}" font-size="{FONT}">',
            f'<title id="{escape(ident)}-title">{escape(title)}</title>',
            f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>',
        ]

    def x(self, logical: float) -> float:
        return WIDTH - logical if self.rtl else logical

    def rect(
        self, start: float, end: float, y: float, height: float, cls: str, tip: str = ""
    ) -> None:
        a, b = sorted((self.x(start), self.x(end)))
        if b - a <= 0 or height <= 0:
            return
        inner = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(
            f'<rect class="{cls}" x="{_f(a)}" y="{_f(y)}" width="{_f(b - a)}" '
            f'height="{_f(height)}">{inner}</rect>'
        )

    def text(
        self,
        at: float,
        y: float,
        content: str,
        anchor: str = "start",
        cls: str = "",
        ltr: bool = False,
    ) -> None:
        """Text at logical position ``at``; ``ltr``: a date or code that keeps its order."""
        attrs = f' class="{cls}"' if cls else ""
        if ltr and self.rtl:
            # Set left to right: its own start is then its left edge, so the anchor flips.
            anchor = {"start": "end", "end": "start"}.get(anchor, anchor)
            attrs += ' direction="ltr" unicode-bidi="embed"'
        self.parts.append(
            f'<text x="{_f(self.x(at))}" y="{_f(y)}" text-anchor="{anchor}"{attrs}>'
            f"{escape(content)}</text>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str) -> None:
        self.parts.append(
            f'<line class="{cls}" x1="{_f(self.x(x1))}" y1="{_f(y1)}" '
            f'x2="{_f(self.x(x2))}" y2="{_f(y2)}"/>'
        )

    def circle(self, cx: float, cy: float, r: float, cls: str) -> None:
        self.parts.append(
            f'<circle class="{cls}" cx="{_f(self.x(cx))}" cy="{_f(cy)}" r="{_f(r)}"/>'
        )

    def path(self, points: Iterable[tuple[float, float]], cls: str, tip: str = "") -> None:
        d = "M" + "L".join(f"{_f(self.x(px))} {_f(py)}" for px, py in points) + "Z"
        inner = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(f'<path class="{cls}" d="{d}">{inner}</path>')

    def done(self) -> SafeString:
        return mark_safe("".join([*self.parts, "</svg>"]))  # every text in it is escaped


def bar_chart(
    ident: str, bars: Sequence[Bar], *, title: str, desc: str, rtl: bool = False
) -> SafeString:
    """Horizontal bars, one per category, the unknowns last and grey. While linkage is in
    doubt each bar is solid to its low end and hatched from there to its count."""
    label_w, value_w = 210, 90
    height = ROW * len(bars) + 8
    top = max((b.value for b in bars), default=0) or 1
    scale = (WIDTH - label_w - value_w) / top
    canvas = _Canvas(ident, height, title, desc, rtl)
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        kind = "bar unknown" if bar.unknown else "bar"
        low = bar.value if bar.low is None else min(bar.low, bar.value)
        tip = f"{bar.label}: {number(bar.value)}" + (
            f" ({number(low)}–{number(bar.value)})" if low < bar.value else ""
        )
        canvas.rect(label_w, label_w + low * scale, y + 3, ROW - 6, kind, tip)
        if low < bar.value:
            canvas.rect(
                label_w + low * scale,
                label_w + bar.value * scale,
                y + 3,
                ROW - 6,
                kind + " range",
                tip,
            )
        canvas.text(label_w - 6, y + ROW / 2 + FONT / 3, _short(bar.label), "end", "label")
        value = number(bar.value) if low == bar.value else f"{number(low)}–{number(bar.value)}"
        canvas.text(
            label_w + bar.value * scale + 4,
            y + ROW / 2 + FONT / 3,
            value,
            "start",
            "value",
            ltr=True,
        )
    return canvas.done()


def _nice_top(n: float) -> float:
    """A round number at least ``n`` for the top of an axis (1, 2, 2.5, 5 × 10^k)."""
    if n <= 0:
        return 1
    power = 10 ** math.floor(math.log10(n))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= n:
            return step * power
    return 10 * power


def stacked_bars(
    ident: str,
    rows: Sequence[tuple[str, Sequence[int], bool]],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    rtl: bool = False,
) -> SafeString:
    """One horizontal bar per row (label, counts per series, whether the row is the
    unknowns), split by the series; the row's total at its end."""
    label_w, value_w = 170, 80
    height = ROW * len(rows) + 8
    top = max((sum(c) for _, c, _ in rows), default=0) or 1
    scale = (WIDTH - label_w - value_w) / top
    canvas = _Canvas(ident, height, title, desc, rtl)
    for i, (label, counts, unknown) in enumerate(rows):
        y = 4 + i * ROW
        at = label_w
        for j, (one, n) in enumerate(zip(series, counts, strict=True)):
            cls = "unknown" if one.unknown else f"series-{j}"
            canvas.rect(
                at,
                at + n * scale,
                y + 3,
                ROW - 6,
                f"bar {cls}",
                f"{label}, {one.label}: {number(n)}",
            )
            at += n * scale
        canvas.text(
            label_w - 6,
            y + ROW / 2 + FONT / 3,
            _short(label),
            "end",
            "label unknown" if unknown else "label",
        )
        canvas.text(at + 4, y + ROW / 2 + FONT / 3, number(sum(counts)), "start", "value", ltr=True)
    return canvas.done()


def _date_ticks(days: Sequence[str], most: int = 6) -> list[int]:
    """Positions of the days to label, at most ``most``: every few days on a short span, else
    the first of months (or of quarters, or of years). Labels that are not ISO days (weeks,
    months) are taken evenly."""
    n = len(days)
    if n <= 90:
        return list(range(0, n, max(1, math.ceil(n / most))))
    try:
        parsed = [date.fromisoformat(d) for d in days]
    except ValueError:
        return list(range(0, n, math.ceil(n / most)))
    for keep in (
        lambda d: d.day == 1,
        lambda d: d.day == 1 and d.month % 3 == 1,
        lambda d: d.day == 1 and d.month in (1, 7),
        lambda d: d.day == 1 and d.month == 1,
    ):
        marks = [i for i, d in enumerate(parsed) if keep(d)]
        if 0 < len(marks) <= most:
            return marks
    marks = [i for i, d in enumerate(parsed) if d.day == 1 and d.month == 1] or [0]
    return marks[:: max(1, math.ceil(len(marks) / most))]


STEP_DAYS = 200
"""Up to this many days each day is a flat step; beyond, a line through the days' middles
(a step narrower than a pixel is a line anyway, in half the points)."""


def time_chart(
    ident: str,
    days: Sequence[str],
    counts: Sequence[Sequence[int]],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    rtl: bool = False,
) -> SafeString:
    """Persons per day (``days``: ISO days, consecutive) stacked by the series.

    One path per series however many days there are (a column per day would be thousands of
    elements on a long conflict): each series is an area from the axis to its top of the
    stack, the tallest drawn first, so the page carries each day's level once per series.
    The axis runs from the first day at the line's start."""
    axis_w, bottom, plot_h = 64, 26, 220
    height = plot_h + bottom + 8
    n = max(1, len(days))
    width = (WIDTH - axis_w - 8) / n
    top = _nice_top(max((sum(c) for c in counts), default=0))
    scale = plot_h / top
    canvas = _Canvas(ident, height, title, desc, rtl)
    base = 8 + plot_h
    for k in range(5):  # grid lines at the quarters of a round top
        value = top * k / 4
        y = base - value * scale
        canvas.line(axis_w, y, WIDTH - 8, y, "grid")
        canvas.text(axis_w - 4, y + FONT / 3, number(value), "end", "value", ltr=True)
    stacked, level = [], [0] * len(days)
    for j in range(len(series)):
        level = [b + c[j] for b, c in zip(level, counts, strict=True)]
        stacked.append(level)
    for j in reversed(range(len(series))):
        if not any(c[j] for c in counts):
            continue
        ys = [base - v * scale for v in stacked[j]]
        outline = _steps(ys, axis_w, width) if len(days) <= STEP_DAYS else _line(ys, axis_w, width)
        points = [(axis_w, base), *outline, (axis_w + len(days) * width, base)]
        cls = "area unknown" if series[j].unknown else f"area series-{j}"
        canvas.path(points, cls, series[j].label)
    canvas.line(axis_w, base, WIDTH - 8, base, "axis")
    for i in _date_ticks(days) if days else []:
        at = axis_w + (i + 0.5) * width
        canvas.line(at, base, at, base + 4, "axis")
        canvas.text(at, base + 20, days[i], "middle", "value", ltr=True)
    return canvas.done()


def _steps(ys: Sequence[float], start: float, width: float) -> list[tuple[float, float]]:
    """A step per day at ``ys``, a point only where the line turns."""
    points: list[tuple[float, float]] = []
    for i, y in enumerate(ys):
        x = start + i * width
        if not points:
            points.append((x, y))
        elif y != points[-1][1]:
            points += [(x, points[-1][1]), (x, y)]
    if ys:
        points.append((start + len(ys) * width, ys[-1]))
    return points


def _line(ys: Sequence[float], start: float, width: float) -> list[tuple[float, float]]:
    """A line through the middle of each day at ``ys``, without the points it runs straight
    through (a flat stretch keeps its two ends)."""
    points = [(start + (i + 0.5) * width, y) for i, y in enumerate(ys)]
    kept = [
        p
        for i, p in enumerate(points)
        if i in (0, len(points) - 1) or not (points[i - 1][1] == p[1] == points[i + 1][1])
    ]
    if kept:
        kept = [(start, kept[0][1]), *kept, (start + len(ys) * width, kept[-1][1])]
    return kept


def upset_chart(
    ident: str,
    sources: Sequence[str],
    combinations: Sequence[tuple[Sequence[str], int]],
    *,
    title: str,
    desc: str,
    other: str = "",
    rtl: bool = False,
) -> SafeString:
    """An UpSet chart: a column per combination of sources (persons named by exactly those
    sources), most persons first; below, a dot per source in the combination, joined. A
    combination with no sources is the sum of those not shown one by one (labelled ``other``)."""
    label_w, bar_h, dot_row = 140, 150, 24
    n = max(1, len(combinations))
    column = min(40, (WIDTH - label_w - 8) / n)
    height = 8 + bar_h + 8 + dot_row * len(sources) + 8
    top = max((p for _, p in combinations), default=0) or 1
    scale = (bar_h - FONT - 4) / top
    canvas = _Canvas(ident, height, title, desc, rtl)
    base = 8 + bar_h
    canvas.line(label_w, base, label_w + n * column, base, "axis")
    for row, source in enumerate(sources):
        y = base + 8 + row * dot_row + dot_row / 2
        if row % 2 == 0:
            canvas.rect(label_w, label_w + n * column, y - dot_row / 2, dot_row, "stripe")
        canvas.text(label_w - 6, y + FONT / 3, _short(source), "end", "label")
    for i, (members, persons) in enumerate(combinations):
        middle = label_w + (i + 0.5) * column
        named = other if not members else " + ".join(members)
        kind = "bar" if members else "bar unknown"
        tip = f"{named}: {number(persons)}"
        half = column * 0.35
        canvas.rect(
            middle - half, middle + half, base - persons * scale, persons * scale, kind, tip
        )
        canvas.text(
            middle, base - persons * scale - 3, number(persons), "middle", "value small", ltr=True
        )
        rows = [r for r, s in enumerate(sources) if s in set(members)]
        if len(rows) > 1:
            y = [base + 8 + r * dot_row + dot_row / 2 for r in (rows[0], rows[-1])]
            canvas.line(middle, y[0], middle, y[1], "link")
        if not members:  # the combinations not shown one by one: no dots to draw
            canvas.text(middle, base + 8 + dot_row / 2 + FONT / 3, "…", "middle", "label")
            continue
        for r in range(len(sources)):
            y = base + 8 + r * dot_row + dot_row / 2
            canvas.circle(middle, y, 5, "dot on" if r in rows else "dot")
    return canvas.done()


def interval_chart(
    ident: str,
    estimate: float,
    lower: float,
    upper: float,
    observed: float | None,
    *,
    labels: tuple[str, str],
    title: str,
    desc: str,
    rtl: bool = False,
) -> SafeString:
    """An estimate as a point on its interval, beside the persons documented by name
    (``labels``: the estimate's and the documented count's names)."""
    pad, height = 24, 76
    top = _nice_top(max(upper, estimate, observed or 0))
    scale = (WIDTH - 2 * pad) / top
    canvas = _Canvas(ident, height, title, desc, rtl)
    axis = 48
    canvas.line(pad, axis, WIDTH - pad, axis, "axis")
    for k in range(5):
        at = pad + top * k / 4 * scale
        canvas.line(at, axis, at, axis + 4, "axis")
        canvas.text(at, axis + 20, number(top * k / 4), "middle", "value small", ltr=True)
    canvas.rect(pad + lower * scale, pad + upper * scale, axis - 14, 8, "interval",
                f"{labels[0]}: {number(estimate)} ({number(lower)}–{number(upper)})")  # fmt: skip
    canvas.circle(pad + estimate * scale, axis - 10, 6, "estimate")
    canvas.text(
        pad + estimate * scale, axis - 24, f"{labels[0]} {number(estimate)}", "middle", "value"
    )
    if observed is not None:
        canvas.rect(pad, pad + observed * scale, axis - 4, 3, "observed",
                    f"{labels[1]}: {number(observed)}")  # fmt: skip
    return canvas.done()
