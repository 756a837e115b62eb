"""Linkage doubt in estimates: the fit from the persons as linked beside the fit from the
persons as they would be if every pair awaiting review were a match.

Unresolved duplicates look like persons named by one list only, which is exactly what inflates
a capture-recapture estimate; so while pairs await review an estimate is shown twice, and the
user is warned when the two disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from everyname.core.count.compute import CountResult

PENDING_MERGED_KEYS = ("observed", "estimate", "lower", "upper")


def _plain(result: Any) -> Mapping[str, Any]:
    return result.to_dict() if hasattr(result, "to_dict") else result


def pending_merged_summary(result: Any) -> dict[str, Any]:
    """``{"observed", "estimate", "lower", "upper"}`` of the fit with pending pairs merged."""
    plain = _plain(result)
    return {key: plain.get(key) for key in PENDING_MERGED_KEYS}


def _inside(value: Any, lower: Any, upper: Any) -> bool:
    if value is None:
        return True
    low = -math.inf if lower is None else float(lower)
    high = math.inf if upper is None else float(upper)
    return low <= float(value) <= high


def estimates_differ(linked: Any, merged: Any) -> bool:
    """True when either estimate lies outside the other's interval."""
    a, b = _plain(linked), _plain(merged)
    return not (
        _inside(a.get("estimate"), b.get("lower"), b.get("upper"))
        and _inside(b.get("estimate"), a.get("lower"), a.get("upper"))
    )


def _fmt(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "unbounded"
    return f"{float(value):,.0f}"


def doubt_warning(linked: Any, merged: Any, pairs_awaiting_review: int) -> str | None:
    """The warning shown when the two fits disagree (None when they agree)."""
    if not estimates_differ(linked, merged):
        return None
    a, b = _plain(linked), _plain(merged)
    n = pairs_awaiting_review
    merged_what = (
        "with the decisions made since the link run applied"
        if not n
        else f"with the {'pair' if n == 1 else f'{n:,} pairs'} awaiting review merged"
    )
    return (
        f"Linkage doubt changes the estimate: {merged_what}, "
        f"{b.get('observed'):,} persons give {_fmt(b.get('estimate'))} "
        f"[{_fmt(b.get('lower'))}, {_fmt(b.get('upper'))}], against "
        f"{_fmt(a.get('estimate'))} [{_fmt(a.get('lower'))}, {_fmt(a.get('upper'))}] from the "
        f"{a.get('observed'):,} persons as linked. Unresolved duplicates look like persons "
        "named by one list only and inflate an estimate: review the pairs (`everyname review`) "
        "and link again before publishing either figure."
    )


def doubt_params(linked: Any, merged: Any, pairs_awaiting_review: int) -> dict[str, Any]:
    """The figures :func:`doubt_warning` quotes, for a page that says it in another language
    (an unbounded end is None)."""
    a, b = _plain(linked), _plain(merged)

    def end(value: Any) -> float | None:
        return None if value is None or not math.isfinite(float(value)) else float(value)

    return {
        "pairs": int(pairs_awaiting_review),
        "merged": {"observed": b.get("observed")}
        | {k: end(b.get(k)) for k in PENDING_MERGED_KEYS[1:]},
        "linked": {"observed": a.get("observed")}
        | {k: end(a.get(k)) for k in PENDING_MERGED_KEYS[1:]},
    }


def with_pending_merged(
    linked: Mapping[str, Any], merged: Any, pairs_awaiting_review: int
) -> dict[str, Any]:
    """An estimate's JSON with ``pending_merged`` beside it, and a ``linkage_doubt`` warning
    when the two fits disagree."""
    out = dict(linked)
    out["pending_merged"] = pending_merged_summary(merged)
    warning = doubt_warning(linked, merged, pairs_awaiting_review)
    if warning is not None:
        out["warnings"] = [
            *(out.get("warnings") or []),
            {
                "code": "linkage_doubt",
                "message": warning,
                "params": doubt_params(linked, merged, pairs_awaiting_review),
            },
        ]
    return out


def doubt_rows(result: CountResult) -> list[tuple[str, int]]:
    """Summary-table rows for the range of a count and the records it leaves out (none when
    nothing is in doubt, so a settled count's table is unchanged)."""
    rows: list[tuple[str, int]] = []
    if result.pairs_awaiting_review or result.in_doubt:
        rows += [
            ("named persons if every pair awaiting review were one person", result.total_low),
            ("pairs of records awaiting review", result.pairs_awaiting_review),
        ]
    if result.records_not_linked:
        rows.append(
            ("records imported since the link run (not in any figure)", result.records_not_linked)
        )
    return rows


def doubt_notes(result: CountResult, estimate: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Methodology notes on linkage doubt, for a report."""
    notes: list[str] = []
    if result.pairs_awaiting_review or result.in_doubt:
        text = (
            f"Linkage doubt: {result.pairs_awaiting_review:,} pairs of records await a "
            "reviewer's decision. Until they are reviewed the number of persons is a range: "
            f"{result.total:,} as linked, and {result.total_low:,} if every pending pair were one "
            "person (the clustering's rules still applied: a pair decided different is never "
            "joined, and one list names a person once unless the pair itself awaits review). "
            "The count in the exported figures (figures.json) gives the range for every category."
        )
        merged = (estimate or {}).get("pending_merged")
        if merged:
            text += (
                f" The estimate was fitted twice: {_fmt(estimate.get('estimate'))} from the "
                f"persons as linked, {_fmt(merged.get('estimate'))} "
                f"[{_fmt(merged.get('lower'))}, {_fmt(merged.get('upper'))}] from the "
                f"{merged.get('observed'):,} persons left when every pending pair is merged; "
                "unresolved duplicates look like persons named by one list only, which inflates "
                "an estimate."
            )
        notes.append(text)
    if result.records_not_linked:
        from everyname.core.count.headline import not_linked_en

        notes.append(
            "Records left out: " + not_linked_en(result.records_not_linked, result.link_run)
        )
    return tuple(notes)
