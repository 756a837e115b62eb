"""The review queue as a reviewer works through it: the next pair, its names aligned part by
part, how many pairs wait and how far the count could still move.

One call gives a review page everything it shows, so the pair, the number waiting and the
count's range are read together and for the same link run. Pairs come in the store's order
(:func:`~everyname.store.linking.pending_pairs`: the most useful first); deciding one is
:func:`~everyname.store.linking.decide` (audited), after which the next call shows the next
pair and a range that already takes the decision into account (counts read the decisions in
force).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from everyname.core.names import MATCH_LEVEL, name_similarity, romanise, split_name
from everyname.core.names.structure import NameParts
from everyname.core.schema import PLACE_FIELDS
from everyname.store.linking import FieldComparison, NoLinkRun, PairForReview, pending_pairs
from everyname.store.models import MatchDecision, Record
from everyname.store.permissions import Actor, Permission, require
from everyname.store.records import current_as_written, shown_name

RECENT_DECISIONS = 5
"""How many of the reviewer's own latest decisions the queue shows (who, when, what)."""

SAME, CLOSE, DIFFERENT = "same", "close", "different"
"""How two name parts compare: one comparable form; spellings of one name (Jaro-Winkler of
the comparable forms at or above ``MATCH_LEVEL``, as linkage compares them); two names."""


@dataclass(frozen=True)
class NamePartComparison:
    """One part of the two names side by side: as written, and in the comparable Latin form
    both scripts meet in (so "محمد" beside "Mohammed" reads as the same name). ``level`` is
    None when either record lacks the part."""

    part: str
    left: str
    right: str
    left_latin: str
    right_latin: str
    level: str | None


@dataclass(frozen=True)
class CountRange:
    """The whole count of the latest run: ``high`` as linked, ``low`` if every pair awaiting
    review were one person."""

    low: int
    high: int
    pairs_awaiting_review: int


@dataclass(frozen=True)
class RecentDecision:
    decision_id: int
    left_record_id: int
    right_record_id: int
    verdict: str
    decided_at: datetime
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decided_at": self.decided_at.isoformat()}


@dataclass(frozen=True)
class ReviewQueue:
    """What a review page shows. ``pair`` is None when nothing waits (or no run exists:
    ``link_run`` None); ``awaiting`` counts the undecided pairs less the ones skipped."""

    link_run: int | None
    pair: PairForReview | None
    names: tuple[NamePartComparison, ...]
    awaiting: int
    skipped: int
    count_range: CountRange | None
    recent: tuple[RecentDecision, ...]
    written: tuple[str, str] = field(default=("", ""))
    """The pair's two names as written now (a full name, or the parts a list gave, in order)."""
    fields: tuple[FieldComparison, ...] = ()
    """The pair's fields as the store compares them, except that two place names the gazetteer
    resolves to one place agree ("حمص" beside "Homs" is not a difference)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "link_run": self.link_run,
            "pair": None if self.pair is None else self.pair.to_dict(),
            "names": [asdict(n) for n in self.names],
            "awaiting": self.awaiting,
            "skipped": self.skipped,
            "count_range": None if self.count_range is None else asdict(self.count_range),
            "recent": [d.to_dict() for d in self.recent],
            "written": list(self.written),
            "fields": [asdict(f) for f in self.fields],
        }


def _parts(record: Record) -> NameParts:
    values = current_as_written(record)
    return split_name(
        values.get("full_name"),
        given=values.get("given_name"),
        father=values.get("father_name"),
        grandfather=values.get("grandfather_name"),
        family=values.get("family_name"),
    )


def _level(left: str, right: str) -> str | None:
    if not left or not right:
        return None
    if romanise(left) == romanise(right):
        return SAME
    return CLOSE if name_similarity(left, right) >= MATCH_LEVEL else DIFFERENT


def align_names(left: Record, right: Record) -> tuple[NamePartComparison, ...]:
    """The two names split into parts (given, father, grandfather, the parts between, family)
    and set side by side; a part neither name has is left out."""
    a, b = _parts(left), _parts(right)
    rows = []
    pairs = [(p, getattr(a, p) or "", getattr(b, p) or "") for p in ("given", "father")]
    pairs.append(("grandfather", a.grandfather or "", b.grandfather or ""))
    pairs.append(("others", " ".join(a.others), " ".join(b.others)))
    pairs.append(("family", a.family or "", b.family or ""))
    for part, x, y in pairs:
        if x or y:
            rows.append(
                NamePartComparison(
                    part, x, y, romanise(x) if x else "", romanise(y) if y else "", _level(x, y)
                )
            )
    return tuple(rows)


def same_places(fields: tuple[FieldComparison, ...]) -> tuple[FieldComparison, ...]:
    """``fields`` with each place field the store found different marked as agreeing when both
    texts resolve, at that level, to the same gazetteer place (two scripts or spellings of one
    place); two different places, or a text the gazetteer does not know, stay as they were."""
    from everyname.store.places import current_gazetteer

    gazetteer = None
    out = []
    for comparison in fields:
        if comparison.field in PLACE_FIELDS and comparison.agrees is False:
            gazetteer = gazetteer or current_gazetteer()
            level = None if comparison.field == "place" else comparison.field
            a = gazetteer.resolve(comparison.left, level=level)
            b = gazetteer.resolve(comparison.right, level=level)
            if a is not None and b is not None and a.entry.id == b.entry.id:
                comparison = replace(comparison, agrees=True)
        out.append(comparison)
    return tuple(out)


def _count_range(actor: Actor) -> CountRange | None:
    from everyname.store.counting import count

    try:
        result = count(actor)
    except NoLinkRun:
        return None
    return CountRange(result.total_low, result.total, result.pairs_awaiting_review)


def _recent(actor: Actor) -> tuple[RecentDecision, ...]:
    rows = MatchDecision.objects.filter(decided_by=actor.username).order_by("-decided_at", "-id")
    return tuple(
        RecentDecision(d.pk, d.record_l_id, d.record_r_id, d.verdict, d.decided_at, d.note)
        for d in rows[:RECENT_DECISIONS]
    )


def review_queue(actor: Actor, *, skip: Collection[int] = ()) -> ReviewQueue:
    """The next pair of the latest run awaiting a decision (``skip``: pair ids the reviewer
    passed over in this session), with its names aligned, the number still waiting, the
    count's range and the reviewer's latest decisions."""
    require(actor, Permission.REVIEW)
    skip = {int(pk) for pk in skip}
    try:
        page = pending_pairs(actor, 1, 1, skip=skip)
    except NoLinkRun:
        return ReviewQueue(None, None, (), 0, 0, None, _recent(actor))
    pair = page.pairs[0] if page.pairs else None
    names: tuple[NamePartComparison, ...] = ()
    written = ("", "")
    if pair is not None:
        records = Record.objects.in_bulk((pair.left.record_id, pair.right.record_id))
        left, right = records[pair.left.record_id], records[pair.right.record_id]
        names = align_names(left, right)
        written = tuple(shown_name(current_as_written(r)) or "" for r in (left, right))
    return ReviewQueue(
        link_run=page.link_run,
        pair=pair,
        names=names,
        awaiting=page.total,
        skipped=len(skip),
        count_range=_count_range(actor),
        recent=_recent(actor),
        written=written,  # type: ignore[arg-type]
        fields=same_places(pair.fields) if pair is not None else (),
    )
