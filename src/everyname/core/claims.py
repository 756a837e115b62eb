"""Claims: aggregate statements without names, shown beside named counts, never added to them.

"30 army and security members buried" (a state news agency, 7 February 2012) is evidence that
deaths occurred, but it names nobody: it cannot be linked, deduplicated against the named
persons, or checked. Adding it to a named count would double-count everyone the claim and the
lists share. So a claim is matched to a count's window and place and shown next to it, and no
function here returns a sum of claims and persons.

A claim's date may be partial; it is *inside* a window when its whole span is, *possibly*
when it straddles an edge (shown, marked as such), and left out otherwise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from everyname.core.count.data import CLAIM_COLUMNS, CountInputError, clean
from everyname.core.count.filters import (
    CountFilters,
    InWindow,
    PlaceHierarchy,
    PlaceScope,
    in_window,
    resolve_place,
)
from everyname.core.errors import InputRejected, Problem

NOT_ADDED = "Claims are aggregate statements without names; they are shown beside the named "
NOT_ADDED += "count and never added to it."


@dataclass(frozen=True)
class ClaimsView:
    """Claims matching a count's window and place, beside the named total they do not change."""

    rows: pd.DataFrame
    named_total: int
    note: str = NOT_ADDED

    def to_dict(self) -> dict[str, Any]:
        rows = self.rows.astype(object).where(self.rows.notna(), None)
        return {
            "named_total": self.named_total,
            "claims": rows.to_dict("records"),
            "note": self.note,
        }


def _claim_span(value: Any) -> tuple[Any, Any] | None:
    text = clean(value)
    if text is None:
        return None
    from everyname.core.dates import PartialDate

    try:
        partial = PartialDate.from_iso(str(text)[:10])
    except (ValueError, TypeError) as error:
        raise CountInputError(
            f"claim date {text!r}: expected an ISO date or partial date"
        ) from error
    return partial.start, partial.end


def claims_beside(
    claims: pd.DataFrame,
    filters: CountFilters,
    named_total: int,
    gazetteer: PlaceHierarchy | None = None,
) -> ClaimsView:
    """The claims for the same window and place as a named count of ``named_total`` persons.

    A claim without a date is shown only when the count has no window; one without a place
    only when the count has no place filter (it cannot be said to concern that place).
    """
    columns = [*CLAIM_COLUMNS, "in_window"]
    scope = PlaceScope.build(filters.place, gazetteer) if filters.place else None
    kept = []
    for claim in claims.to_dict("records"):
        where = in_window(_claim_span(claim.get("date")), filters)
        if where in (InWindow.OUTSIDE, InWindow.DATE_UNKNOWN):
            continue
        if scope is not None:
            place_id = clean(claim.get("place_id"))
            if place_id is None and gazetteer is not None and clean(claim.get("place")):
                place_id = resolve_place(gazetteer, str(claim["place"]))
            if not scope.matches(place_id, [claim.get("place")]):
                continue
        kept.append({**{c: claim.get(c) for c in CLAIM_COLUMNS}, "in_window": str(where)})
    rows = pd.DataFrame(kept, columns=columns)
    if len(rows):
        rows = rows.sort_values(["date", "source"], kind="stable").reset_index(drop=True)
    return ClaimsView(rows=rows, named_total=int(named_total))


REQUIRED_CLAIM_COLUMNS = ("source", "date", "count")


def read_claims(path: str | Path) -> pd.DataFrame:
    """Read a claims CSV (``source, date, place, category, count, text``), checking every row.

    ``date`` is an ISO date or partial date (2012-02-07, 2012-02); ``count`` a whole number of
    persons. Every problem is reported at once (:class:`InputRejected`), nothing is returned
    from a file with problems.
    """
    path = Path(path)
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0].keys()) if rows else []
    except (OSError, UnicodeDecodeError) as error:
        raise InputRejected([Problem(name, f"a readable UTF-8 CSV file ({error})")]) from error
    problems = [
        Problem(name, f"a column named {column!r}", column=column)
        for column in REQUIRED_CLAIM_COLUMNS
        if rows and column not in header
    ]
    if problems:
        raise InputRejected(problems, "the claims file lacks required columns; nothing was read")
    out = []
    for number, row in enumerate(rows, start=2):
        clean_row = {c: (row.get(c) or "").strip() or None for c in CLAIM_COLUMNS}
        if clean_row["source"] is None:
            problems.append(Problem(name, "the source of the claim", row=number, column="source"))
        try:
            _claim_span(clean_row["date"])
        except CountInputError:
            problems.append(
                Problem(
                    name,
                    "an ISO date such as 2012-02-07 or 2012-02",
                    row=number,
                    column="date",
                    value=clean_row["date"],
                )
            )
        count = clean_row["count"]
        if count is None or not count.isdigit():
            problems.append(
                Problem(name, "a whole number of persons", row=number, column="count", value=count)
            )
        else:
            clean_row["count"] = int(count)
        out.append(clean_row)
    if problems:
        raise InputRejected(problems)
    return pd.DataFrame(out, columns=list(CLAIM_COLUMNS))
