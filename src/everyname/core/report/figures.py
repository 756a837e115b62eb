"""The report's charts as inline SVG strings (matplotlib, drawn without a display).

Text is kept as SVG ``<text>`` (``svg.fonttype = none``), not outlines: the browser or the PDF
engine then shapes Arabic place names and lays them out right-to-left, which matplotlib itself
cannot do, and the file stays small and searchable. Element ids are salted with a fixed value
and the date left out, so the same figures give the same bytes.

matplotlib is imported inside each function: importing the report package stays cheap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from everyname.core.count.breakdown import UNRESOLVED
from everyname.core.schema import UNKNOWN

PALETTE = {
    "civilian": "#3b6ea8",
    "combatant": "#c4553b",
    UNKNOWN: "#a6a6a6",
    "child": "#e0a030",
    "adult": "#3b6ea8",
    "male": "#3b6ea8",
    "female": "#b05a9a",
}
GREY = (UNRESOLVED, UNKNOWN)
"""Rows that are not a category but what could not be placed in one."""
INK = "#222222"
BAR = "#3b6ea8"
FONT = ["DejaVu Sans"]  # ships with matplotlib; the viewer substitutes per glyph (Arabic)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _style() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "everyname",
        "font.family": FONT,
        "font.size": 9,
        "axes.edgecolor": "#888888",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
    }


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: it is inlined in HTML
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)


def _integer_axis(axis: Any) -> None:
    """Counts of persons are whole numbers: no 2.5 on an axis."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _label(value: str) -> str:
    return value.replace("_", " ")


def empty_chart(message: str) -> str:
    """A small placeholder saying why a chart is missing (e.g. nobody counted)."""
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6, 0.6))
        ax.axis("off")
        ax.text(0, 0.5, message, va="center", color="#555555")
        return _svg(fig)


def stacked_by_day(table: pd.DataFrame, title: str) -> str:
    """Daily deaths stacked by status; ``table`` is day × status (unknown day row dropped)."""
    table = table.drop(index=UNKNOWN, errors="ignore")
    if table.empty or int(table.to_numpy().sum()) == 0:
        return empty_chart("No counted person has a date of death known that precisely.")
    plt = _pyplot()
    with plt.rc_context(_style()):
        width = min(10.0, max(5.0, 0.35 * len(table) + 2))
        fig, ax = plt.subplots(figsize=(width, 3.2))
        bottom = [0] * len(table)
        labels = [d[5:] if len(d) == 10 else d for d in table.index]
        for status in table.columns:
            values = table[status].tolist()
            ax.bar(
                range(len(table)),
                values,
                bottom=bottom,
                color=PALETTE.get(status, BAR),
                label=_label(status),
                width=0.8,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for x, total in enumerate(bottom):
            if total:
                ax.text(x, total, str(total), ha="center", va="bottom", fontsize=8, color=INK)
        step = max(1, len(labels) // 16)
        ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=0)
        ax.set_ylabel("persons")
        _integer_axis(ax.yaxis)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, ncols=len(table.columns), loc="upper right", fontsize=8)
        ax.set_ylim(0, max(bottom) * 1.18 + 1)
        return _svg(fig)


def horizontal_bars(
    counts: Sequence[tuple[str, int]], title: str, *, limit: int = 20, color: str = BAR
) -> str:
    """One bar per category (largest first, ``unresolved`` and ``unknown`` kept last, in grey:
    never pooled into "other places"), counts written at the end."""
    if not counts:
        return empty_chart("Nothing to show.")
    known = [c for c in counts if c[0] not in GREY]
    unknown = [c for c in counts if c[0] in GREY]
    if len(known) > limit:
        rest = sum(n for _, n in known[limit - 1 :])
        known = [*known[: limit - 1], (f"{len(known) - limit + 1} other places", rest)]
    rows = [*known, *unknown]
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.2, 0.28 * len(rows) + 0.8))
        names = [_label(v) for v, _ in rows]
        values = [n for _, n in rows]
        colors = [PALETTE[UNKNOWN] if v in GREY else color for v, _ in rows]
        ax.barh(range(len(rows)), values, color=colors, height=0.7)
        ax.set_yticks(range(len(rows)), names)
        ax.invert_yaxis()
        top = max(values) if values else 0
        for y, n in enumerate(values):
            ax.text(n + top * 0.01 + 0.1, y, str(n), va="center", fontsize=8, color=INK)
        ax.set_xlim(0, top * 1.15 + 1)
        _integer_axis(ax.xaxis)
        ax.set_title(title, loc="left")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        return _svg(fig)


def grouped_bars(table: pd.DataFrame, title: str) -> str:
    """Rows as groups, columns as bars in each group (e.g. sex × age group)."""
    if int(table.to_numpy().sum()) == 0:
        return empty_chart("Nothing to show.")
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.2, 2.8))
        n = len(table.columns)
        width = 0.8 / n
        for i, column in enumerate(table.columns):
            xs = [x + (i - (n - 1) / 2) * width for x in range(len(table))]
            values = table[column].tolist()
            ax.bar(xs, values, width=width, color=PALETTE.get(column, BAR), label=_label(column))
            for x, v in zip(xs, values, strict=True):
                ax.text(x, v, str(v), ha="center", va="bottom", fontsize=8, color=INK)
        ax.set_xticks(range(len(table)), [_label(v) for v in table.index])
        ax.set_ylim(0, int(table.to_numpy().max()) * 1.2 + 1)
        ax.legend(title=_label(str(table.columns.name or "")), frameon=False, fontsize=8)
        ax.set_ylabel("persons")
        _integer_axis(ax.yaxis)
        ax.set_title(title, loc="left")
        return _svg(fig)


def upset(intersections: pd.DataFrame, sources: pd.DataFrame, title: str, limit: int = 15) -> str:
    """UpSet-style chart: persons per exact combination of sources (bars above a dot matrix),
    with each source's persons beside its row. Shows the ``limit`` largest combinations."""
    if intersections.empty:
        return empty_chart("No source names any counted person.")
    plt = _pyplot()
    shown = intersections.head(limit)
    names = sources.sort_values("persons", ascending=False)["source"].tolist()
    sizes = dict(zip(sources["source"], sources["persons"], strict=True))
    label_width = 0.075 * max(len(n) for n in names) + 0.25
    with plt.rc_context(_style()):
        columns = max(2.0, 0.42 * len(shown))
        fig = plt.figure(figsize=(1.5 + label_width + columns, 2.4 + 0.3 * len(names)))
        grid = fig.add_gridspec(
            2,
            3,
            width_ratios=(1.5, label_width, columns),
            height_ratios=(2.2, 0.3 * len(names) + 0.2),
            wspace=0.0,
            hspace=0.05,
        )
        bars = fig.add_subplot(grid[0, 2])
        matrix = fig.add_subplot(grid[1, 2], sharex=bars)
        labels = fig.add_subplot(grid[1, 1], sharey=matrix)
        totals = fig.add_subplot(grid[1, 0], sharey=matrix)
        xs = list(range(len(shown)))
        values = shown["persons"].tolist()
        bars.bar(xs, values, color=INK, width=0.6)
        for x, v in zip(xs, values, strict=True):
            bars.text(x, v, str(v), ha="center", va="bottom", fontsize=8)
        bars.set_ylabel("persons named by\nexactly these sources", fontsize=8)
        bars.set_ylim(0, max(values) * 1.2 + 1)
        _integer_axis(bars.yaxis)
        bars.tick_params(axis="x", bottom=False, labelbottom=False)
        bars.set_title(title, loc="left")
        for y in range(len(names)):
            matrix.scatter(xs, [y] * len(xs), color="#dddddd", s=40, zorder=1)
        for x, combo in zip(xs, shown["sources"], strict=True):
            ys = sorted(names.index(s) for s in combo.split("+") if s in names)
            matrix.scatter([x] * len(ys), ys, color=INK, s=40, zorder=2)
            if len(ys) > 1:
                matrix.plot([x, x], [ys[0], ys[-1]], color=INK, lw=1.5, zorder=1)
        matrix.set_ylim(len(names) - 0.5, -0.5)
        matrix.set_xlim(-0.6, len(xs) - 0.4)
        for ax in (matrix, labels):
            ax.axis("off")
        for y, name in enumerate(names):
            labels.text(0.5, y, name, ha="center", va="center", fontsize=9)
        labels.set_xlim(0, 1)
        widths = [sizes[n] for n in names]
        totals.barh(range(len(names)), widths, color=BAR, height=0.6)
        for side in ("left", "right", "top"):
            totals.spines[side].set_visible(False)
        totals.tick_params(axis="y", left=False, labelleft=False)
        totals.set_xlabel("persons per source", fontsize=8, loc="right")
        for y, w in enumerate(widths):
            totals.text(w, y, f"{w} ", ha="right", va="center", fontsize=8)
        totals.set_xlim(max(widths) * 1.35 + 1, 0)
        totals.set_xticks([])  # the numbers are written on the bars
        return _svg(fig)


def estimate_chart(estimate: Mapping[str, Any], documented: int, title: str) -> str:
    """The documented count beside the estimated total and its interval."""
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.2, 1.6))
        ax.barh([1], [documented], color=BAR, height=0.5)
        ax.text(documented, 1, f" {documented} documented", va="center", fontsize=8)
        point = estimate.get("estimate")
        lower, upper = estimate.get("lower"), estimate.get("upper")
        if point is not None:
            ax.plot([point], [0], "o", color=INK)
            right = upper if upper is not None else point * 1.5
            ax.plot([lower if lower is not None else point, right], [0, 0], color=INK, lw=2)
            if upper is None:
                ax.annotate("", xy=(right, 0), xytext=(point, 0), arrowprops={"arrowstyle": "->"})
            shown = f"{point:,.0f} estimated ({estimate.get('method')})"
            ax.text(point, 0.28, shown, ha="center", fontsize=8)
        ax.set_yticks([0, 1], ["estimate", "named"])
        ax.set_ylim(-0.6, 1.6)
        ax.set_xlim(0, max(documented, upper or 0, point or 0) * 1.15 + 1)
        ax.set_title(title, loc="left")
        return _svg(fig)


def strata_chart(strata: Sequence[Mapping[str, Any]], title: str) -> str:
    """Estimates by stratum (point and interval) with each stratum's documented count."""
    if not strata:
        return empty_chart("No strata.")
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.2, 0.45 * len(strata) + 0.9))
        for y, stratum in enumerate(strata):
            observed = stratum.get("observed") or 0
            ax.barh([y], [observed], color=BAR, height=0.5, alpha=0.6)
            point, lower, upper = (stratum.get(k) for k in ("estimate", "lower", "upper"))
            if point is not None:
                ax.plot([point], [y], "o", color=INK)
                low = point if lower is None else lower
                if upper is not None:
                    ax.plot([low, upper], [y, y], color=INK, lw=1.5)
                else:  # no upper limit: an open arrow to the right
                    ax.annotate(
                        "", xy=(point * 2 + 1, y), xytext=(low, y), arrowprops={"arrowstyle": "->"}
                    )
        ax.set_yticks(range(len(strata)), [str(s.get("value")) for s in strata])
        ax.invert_yaxis()
        ax.set_xlabel("persons (bar: named; dot and line: estimate and interval)")
        ax.set_title(title, loc="left")
        return _svg(fig)
