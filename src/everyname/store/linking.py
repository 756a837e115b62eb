"""Link runs, review and the persons export: the use cases every front end calls.

The core (``everyname.core.link``) does the work on plain data frames; this module reads the
records and the reviewers' decisions, saves what a run produced (persons with stable ids,
memberships, pairs to review, the settings and trained model), pages the review queue out as
plain data (both records' values side by side, what agrees and what differs) and records the
decisions. Every use case takes the acting user first and asks ``permissions.require`` before
it reads or writes anything.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from django.db import transaction
from django.db.models import QuerySet

from everyname.core import csvout
from everyname.core.errors import InvalidInput, NotFound
from everyname.core.link import (
    LinkSettings,
    PreviousClusters,
    link_records,
    resolve_persons,
)
from everyname.core.link import (
    MatchDecision as CoreDecision,
)
from everyname.core.link.backends import BACKENDS
from everyname.core.link.names import LINK_FORM_COLUMNS, link_input
from everyname.core.link.pipeline import review_queue
from everyname.core.link.records import KNOWN_COLUMNS
from everyname.core.names import refreshed_name_forms
from everyname.core.provenance import json_safe
from everyname.core.schema import NAME_PART_FIELDS, PLACE_FIELDS, UNKNOWN
from everyname.store.audit import Action, record_event
from everyname.store.models import (
    LinkRun,
    MatchDecision,
    Membership,
    Person,
    Record,
    ReviewPair,
)
from everyname.store.paging import Page, check_paging, page_of
from everyname.store.permissions import Actor, Permission, require
from everyname.store.places import place_key

MAX_REVIEW_PAIRS = 5000
RESOLVED_AS_WRITTEN = ("full_name", *NAME_PART_FIELDS)
RECORD_FIELDS = (
    *RESOLVED_AS_WRITTEN,
    "sex",
    "age_years",
    "age_group",
    "date_of_birth",
    "national_id",
    "date_of_death",
    "date_of_death_precision",
    "date_of_death_start",
    "date_of_death_end",
    *PLACE_FIELDS,
    "cause",
    "status",
    "outcome",
)


class NoLinkRun(NotFound):
    field = "link_run"

    def __init__(self) -> None:
        super().__init__("There is no link run yet: link the records first.")


class NoRecords(NotFound):
    field = "records"

    def __init__(self) -> None:
        super().__init__("There are no records to link. Import a list first.")


def records_frame(records: QuerySet | None = None) -> pd.DataFrame:
    """Every record (or those of ``records``, possibly none) as one row: id, source code, the
    normalised fields and the name forms.

    Name forms stored by an older version of the name rules are recomputed from the names as
    written (in memory: the stored record is not edited)."""
    wanted = set(RECORD_FIELDS) | set(KNOWN_COLUMNS) | set(LINK_FORM_COLUMNS)
    rows = []
    query = (Record.objects.all() if records is None else records).order_by("pk")
    values = query.values_list("pk", "source__code", "normalised")
    for pk, source, normalised in values.iterator(chunk_size=5000):
        row = {k: v for k, v in normalised.items() if k in wanted}
        refreshed = refreshed_name_forms(normalised)
        if refreshed is not None:
            row.update((k, v) for k, v in refreshed.items() if k in wanted)
        row["record_id"] = str(pk)
        row["source"] = source
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    if frame.empty and records is None:
        raise NoRecords()
    for column in RECORD_FIELDS:
        if column not in frame.columns:
            frame[column] = None
    return frame


@dataclass(frozen=True)
class LinkRunSummary:
    """A link run as a reader of the results sees it: when and by whom, with what, and what it
    learnt from reviewers (the model itself stays in the store)."""

    id: int
    created_at: str
    created_by: str
    backend: str
    threshold: float
    seed: int
    counts: dict[str, Any]
    labels: dict[str, Any] | None
    id_changes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_link_runs(actor: Actor, page: int = 1, page_size: int = 50) -> Page:
    """The link runs, newest first, one page of them."""
    from everyname.core.link.train import LABELS_KEY

    require(actor, Permission.VIEW_FIGURES)
    rows, total = page_of(LinkRun.objects.order_by("-created_at", "-id"), page, page_size)
    items = tuple(
        LinkRunSummary(
            id=run.pk,
            created_at=run.created_at.isoformat(timespec="seconds"),
            created_by=run.created_by,
            backend=run.backend,
            threshold=run.threshold,
            seed=run.seed,
            counts=dict(run.counts or {}),
            labels=(run.model or {}).get(LABELS_KEY),
            id_changes=len(run.id_changes or ()),
        )
        for run in rows
    )
    return Page(items, page, page_size, total)


def latest_run() -> LinkRun | None:
    return LinkRun.objects.order_by("-created_at", "-id").first()


def require_latest_run() -> LinkRun:
    run = latest_run()
    if run is None:
        raise NoLinkRun()
    return run


WITHDRAWN = MatchDecision.Verdict.WITHDRAWN.value
"""The verdict of a decision record that withdraws the decision before it on the same pair (a
reviewer's undo): the withdrawn decision stays stored, and the pair is as it was before it."""


def _decision_stacks() -> dict[tuple[int, int], list[tuple[int, str, str]]]:
    """Each pair's decisions still standing, oldest first, as (id, verdict, by): a withdrawal
    takes the latest standing one away, so an undo returns the pair to the decision before it
    (another reviewer's, or none) without deleting anything."""
    rows = MatchDecision.objects.order_by("decided_at", "id").values_list(
        "pk", "record_l_id", "record_r_id", "verdict", "decided_by"
    )
    return standing_decisions(rows)


def standing_decisions(
    rows: Iterable[tuple[int, int, int, str, str]],
) -> dict[tuple[int, int], list[tuple[int, str, str]]]:
    """:func:`_decision_stacks` over given decision rows (id, left, right, verdict, by), oldest
    first: the one rule of which decisions stand, for anyone who reads decisions."""
    stacks: dict[tuple[int, int], list[tuple[int, str, str]]] = {}
    for pk, left, right, verdict, by in rows:
        stack = stacks.setdefault((left, right), [])
        if verdict == WITHDRAWN:
            if stack:
                stack.pop()
        else:
            stack.append((pk, verdict, by))
    return stacks


def decisions_in_force() -> list[CoreDecision]:
    """The latest decision on each pair (decisions are never edited; newer ones supersede, and
    a withdrawn one is as if it had not been made)."""
    return [
        CoreDecision(str(l_), str(r), stack[-1][1])
        for (l_, r), stack in _decision_stacks().items()
        if stack
    ]


def _previous_clusters(run: LinkRun | None) -> PreviousClusters | None:
    if run is None:
        return None
    pairs = Membership.objects.filter(link_run=run).values_list("record_id", "person_id")
    return PreviousClusters({str(record): person for record, person in pairs.iterator()})


Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LinkSummary:
    link_run: int
    records: int
    persons: int
    pairs_scored: int
    pairs_awaiting_review: int
    decisions_applied: int
    persons_kept_id: int
    backend: str
    threshold: float
    fallbacks: tuple[str, ...] = ()
    """What the run could not learn from the records and used defaults for (saved in its model)."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fallbacks"] = list(self.fallbacks)
        return out


def run_link(
    actor: Actor,
    *,
    backend: str = "duckdb",
    threshold: float | None = None,
    progress: Progress | None = None,
    spark_session: Any | None = None,
) -> LinkSummary:
    """Link every record; the new run defines the persons. Decisions are always enforced.

    Linking reads every source's records, so it is not source-scoped: a recorder cannot link."""
    require(actor, Permission.LINK)
    if backend not in BACKENDS:
        raise InvalidInput(
            f"backend {backend!r}: expected one of {', '.join(BACKENDS)}", field="backend"
        )
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InvalidInput(
            f"threshold {threshold!r}: expected a probability from 0 to 1", field="threshold"
        )
    settings = LinkSettings() if threshold is None else LinkSettings(threshold=threshold)
    from everyname.store.entry import edits_stamp, keep_term_frequencies

    edits = edits_stamp()  # before the records are read: a correction meanwhile is seen
    frame = records_frame()
    decisions = decisions_in_force()
    previous = _previous_clusters(latest_run())
    result = link_records(
        link_input(frame),
        settings,
        decisions,
        previous,
        backend=backend,
        spark_session=spark_session,
        progress=progress,
    )
    persons = resolve_persons(frame, result.persons["person_id"].to_numpy(), place_key=place_key())
    with transaction.atomic():
        run = LinkRun.objects.create(
            created_by=actor.username,
            backend=result.backend,
            threshold=result.settings.threshold,
            settings=result.settings.to_dict(),
            model=result.model,
            versions=result.versions,
            input_fingerprint=result.input_fingerprint,
            seed=result.seed,
            counts=result.counts,
            id_changes=json_safe(result.id_changes),
            timings=json_safe(result.timings),
            parameter_adjustments=json_safe([a.to_dict() for a in result.parameter_adjustments]),
        )
        Membership.objects.bulk_create(
            (
                Membership(link_run=run, record_id=int(record), person_id=person)
                for record, person in zip(
                    result.persons["record_id"], result.persons["person_id"], strict=True
                )
            ),
            batch_size=5000,
        )
        Person.objects.bulk_create(_persons(run, persons), batch_size=2000)
        # the review queue: uncertain pairs and pairs a rule held apart (counts and the range
        # of every count call all of them "awaiting review", and so does the summary)
        queued = ReviewPair.objects.bulk_create(_review_pairs(run, result), batch_size=2000)
        record_event(
            Action.LINK_RUN_CREATED,
            actor,
            run,
            backend=result.backend,
            threshold=result.settings.threshold,
            counts=result.counts,
            decisions=len(decisions),
            input_fingerprint=result.input_fingerprint,
        )
    # the run's count frames, built here so the link run pays for them and no page does
    from everyname.store.counting import keep_count_frames

    keep_count_frames(run)
    # and the term frequencies an entry check needs, counted from the records just linked
    keep_term_frequencies(run, frame, edits)
    previous_ids = set(previous.person_of_record.values()) if previous else set()
    kept = len(previous_ids & set(persons["person_id"]))
    return LinkSummary(
        link_run=run.pk,
        records=result.counts["records"],
        persons=result.counts["persons"],
        pairs_scored=result.counts["pairs_compared"],
        pairs_awaiting_review=len(queued),
        decisions_applied=len(decisions),
        persons_kept_id=kept,
        backend=result.backend,
        threshold=result.settings.threshold,
        fallbacks=tuple(f.describe() for f in result.fallbacks),
    )


def _persons(run: LinkRun, persons: pd.DataFrame) -> Iterator[Person]:
    resolved_columns = [
        c for c in persons.columns if c not in ("person_id", "n_records", "sources", "conflicts")
    ]
    for row in persons.to_dict("records"):
        yield Person(
            link_run=run,
            person_id=row["person_id"],
            n_records=int(row["n_records"]),
            sources=json_safe(list(row["sources"])),
            resolved=json_safe({c: row[c] for c in resolved_columns}),
            conflicts=json_safe(list(row.get("conflicts") or [])),
        )


def _review_pairs(run: LinkRun, result) -> Iterator[ReviewPair]:
    """The run's pairs awaiting review, ranked most useful first (``core.link.review``): the
    order ``pending_pairs`` pages out, for the command line and the web queue alike. At most
    ``MAX_REVIEW_PAIRS`` of each kind are kept."""
    taken = {ReviewPair.Kind.UNCERTAIN: 0, ReviewPair.Kind.HELD_APART: 0}
    rank = 0
    for row in review_queue(result).to_dict("records"):
        kind = ReviewPair.Kind(row["kind"])
        if taken[kind] >= MAX_REVIEW_PAIRS:
            continue
        taken[kind] += 1
        rank += 1
        weight = row.get("match_weight")
        yield ReviewPair(
            link_run=run,
            record_l_id=int(row["record_id_l"]),
            record_r_id=int(row["record_id_r"]),
            match_probability=float(row["match_probability"]),
            match_weight=None if weight is None or pd.isna(weight) else json_safe(float(weight)),
            kind=kind,
            rule=str(row.get("rule") or ""),
            rank=rank,
        )


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ("record_id", "source", "source_record_id", "person_id")
EXPORT_FORMATS = ("csv", "json")


@dataclass(frozen=True)
class PersonsExport:
    """One row per record of a link run with its person id: the design's stable export contract
    (``EXPORT_COLUMNS``; extend, never rename). ``content()`` is the file a front end offers."""

    link_run: int
    format: str
    rows: tuple[tuple[int, str, str, str], ...]

    @property
    def count(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {"link_run": self.link_run, "records": self.records()}

    def content(self) -> bytes:
        """The export as a file: CSV with a header row, or JSON ``{"link_run", "records"}``."""
        if self.format == "json":
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        text = io.StringIO(newline="")
        writer = csvout.writer(text)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(self.rows)
        return text.getvalue().encode("utf-8")


def export_persons(actor: Actor, format: str = "csv", link_run: int | None = None) -> PersonsExport:
    """Each record of the run (default: the latest) with the person it belongs to.

    The rows name records, so they need the right to view records; a recorder gets the rows of
    the sources assigned to them only (the person ids still say which of their records are one
    person)."""
    require(actor, Permission.VIEW_RECORDS)
    if format not in EXPORT_FORMATS:
        raise InvalidInput(
            f"format {format!r}: expected one of {', '.join(EXPORT_FORMATS)}", field="format"
        )
    run = _run(link_run)
    query = Membership.objects.filter(link_run=run)
    scope = actor.source_scope()
    if scope is not None:
        query = query.filter(record__source__code__in=scope)
    rows = query.order_by("record_id").values_list(
        "record_id", "record__source__code", "record__source_record_id", "person_id"
    )
    return PersonsExport(run.pk, format, tuple(rows.iterator(chunk_size=5000)))


def _run(link_run: int | None) -> LinkRun:
    if link_run is None:
        return require_latest_run()
    run = LinkRun.objects.filter(pk=link_run).first()
    if run is None:
        raise NotFound(f"There is no link run {link_run}", field="link_run")
    return run


# --- review ----------------------------------------------------------------------------------

REVIEW_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "full_name"),
    ("given", "given_name"),
    ("father", "father_name"),
    ("grandfather", "grandfather_name"),
    ("family", "family_name"),
    ("sex", "sex"),
    ("age", "age_years"),
    ("date of death", "date_of_death"),
    ("governorate", "governorate"),
    ("locality", "locality"),
    ("neighbourhood", "neighbourhood"),
    ("place", "place"),
    ("cause", "cause"),
    ("status", "status"),
)
"""What a reviewer compares, in the order shown: (label, normalised field)."""

WRITTEN_AS = {"age_years": "age"}
"""Normalised fields read from a canonical field of another name (its text as written)."""


@dataclass(frozen=True)
class FieldComparison:
    """One field of a pair side by side. ``left``/``right`` are the values as shown: the
    normalised value, or the text as written when it could not be read (``left_unread``,
    ``right_unread``: each front end says so in its own words). A source that wrote
    "unknown" was read: its value is "unknown". ``agrees`` is None when either side has no
    readable value: nothing to agree on."""

    label: str
    field: str
    left: str
    right: str
    agrees: bool | None
    left_unread: bool = False
    right_unread: bool = False


@dataclass(frozen=True)
class RecordSide:
    record_id: int
    source: str
    row_number: int


@dataclass(frozen=True)
class PairForReview:
    """A pair of records a link run could not settle, as a reviewer sees it."""

    pair_id: int
    link_run: int
    rank: int
    kind: str
    kind_label: str
    rule: str
    match_probability: float
    match_weight: float | None
    left: RecordSide
    right: RecordSide
    fields: tuple[FieldComparison, ...]
    """Only the fields either record gives a value for, in ``REVIEW_FIELDS`` order."""

    @property
    def match_percent(self) -> str:
        """The score as a percentage to one decimal, rounded down: a pair just under the 99%
        at which two records of one source are linked reads 98.9%, not "99%" beside the words
        that it was too uncertain to link."""
        return f"{math.floor(self.match_probability * 1000) / 10:.1f}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReviewPage:
    """One page of the pairs awaiting a decision, most useful first (``core.link.review``).
    ``total`` counts every undecided pair of the run (less the ones skipped)."""

    link_run: int
    page: int
    page_size: int
    total: int
    pairs: tuple[PairForReview, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "link_run": self.link_run,
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
            "pairs": [pair.to_dict() for pair in self.pairs],
        }


def _shown(record: Record, key: str) -> tuple[str, bool]:
    """The value a reviewer sees and whether it is the text as written of a value that could
    not be read (flagged in ``Record.unreadable``, which holds the current flags)."""
    value = record.normalised.get(key)
    field = WRITTEN_AS.get(key, key)
    corrected = record.corrected or {}  # a correction's text wins over the text as imported
    written = corrected[field] if field in corrected else record.as_written.get(field)
    unread = {flag.get("field") for flag in record.unreadable or ()}
    if value in (None, UNKNOWN) and written and field in unread:
        return str(written), True
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an age of 40, not 40.0
    return ("" if value is None else str(value)), False


def _agrees(left: Record, right: Record, key: str) -> bool | None:
    a, b = left.normalised.get(key), right.normalised.get(key)
    if a in (None, "", UNKNOWN) or b in (None, "", UNKNOWN):
        return None
    return a == b


def _comparisons(left: Record, right: Record) -> tuple[FieldComparison, ...]:
    out = []
    for label, key in REVIEW_FIELDS:
        (a, a_unread), (b, b_unread) = _shown(left, key), _shown(right, key)
        # A field neither record knows (empty, or "unknown" on both) has nothing to compare.
        if a_unread or b_unread or {a, b} - {"", UNKNOWN}:
            agrees = _agrees(left, right, key)
            out.append(FieldComparison(label, key, a, b, agrees, a_unread, b_unread))
    return tuple(out)


def _decided_pairs() -> set[tuple[int, int]]:
    return {pair for pair, stack in _decision_stacks().items() if stack}


def pending_pairs(
    actor: Actor,
    page: int = 1,
    page_size: int = 20,
    *,
    skip: Collection[int] = (),
) -> ReviewPage:
    """The latest run's pairs no decision has settled yet, one page at a time.

    ``skip`` holds pair ids a reviewer passed over in this session. Reviewing shows the names
    and values of records from every source, so it takes the right to decide, not only to view.
    """
    require(actor, Permission.REVIEW)
    check_paging(page, page_size)
    run = require_latest_run()
    decided = _decided_pairs()
    skipped = set(skip)
    waiting = [
        pk
        for pk, left, right in ReviewPair.objects.filter(link_run=run)
        .order_by("rank")
        .values_list("pk", "record_l_id", "record_r_id")
        if pk not in skipped and (min(left, right), max(left, right)) not in decided
    ]
    chosen = waiting[(page - 1) * page_size : page * page_size]
    pairs = {p.pk: p for p in ReviewPair.objects.filter(pk__in=chosen)}
    wanted = {pk for p in pairs.values() for pk in (p.record_l_id, p.record_r_id)}
    records = Record.objects.select_related("source", "batch").in_bulk(wanted)
    return ReviewPage(
        link_run=run.pk,
        page=page,
        page_size=page_size,
        total=len(waiting),
        pairs=tuple(_for_review(pairs[pk], records) for pk in chosen),
    )


def _for_review(pair: ReviewPair, records: dict[int, Record]) -> PairForReview:
    left, right = records[pair.record_l_id], records[pair.record_r_id]
    return PairForReview(
        pair_id=pair.pk,
        link_run=pair.link_run_id,
        rank=pair.rank,
        kind=pair.kind,
        kind_label=pair.get_kind_display(),
        rule=pair.rule,
        match_probability=pair.match_probability,
        match_weight=pair.match_weight,
        left=RecordSide(left.pk, left.source.code, left.row_number),
        right=RecordSide(right.pk, right.source.code, right.row_number),
        fields=_comparisons(left, right),
    )


@dataclass(frozen=True)
class Decision:
    """A reviewer's verdict as stored; it applies from the next link run."""

    decision_id: int
    left_record_id: int
    right_record_id: int
    verdict: str
    decided_by: str
    decided_at: str
    note: str
    link_run: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    actor: Actor,
    left_record_id: int,
    right_record_id: int,
    verdict: str,
    link_run: int | None = None,
    *,
    note: str = "",
) -> Decision:
    """Store a reviewer's verdict on two records (audited in the same transaction).

    Decisions are never edited: a later one on the same pair supersedes it. ``link_run`` is the
    run whose review queue showed the pair, kept for the record."""
    require(actor, Permission.REVIEW)
    if verdict not in MatchDecision.Verdict.values:
        raise InvalidInput(f"A verdict is 'same' or 'different', not {verdict!r}", field="verdict")
    if int(left_record_id) == int(right_record_id):
        raise InvalidInput("A decision needs two different records", field="right_record_id")
    left, right = sorted((int(left_record_id), int(right_record_id)))
    found = set(Record.objects.filter(pk__in=(left, right)).values_list("pk", flat=True))
    for name, pk in (
        ("left_record_id", int(left_record_id)),
        ("right_record_id", int(right_record_id)),
    ):
        if pk not in found:
            raise NotFound(f"There is no record {pk}", field=name)
    run = None if link_run is None else _run(link_run)
    with transaction.atomic():
        decision = MatchDecision.objects.create(
            record_l_id=left,
            record_r_id=right,
            verdict=verdict,
            decided_by=actor.username,
            note=note,
            link_run=run,
        )
        record_event(Action.MATCH_DECIDED, actor, decision, records=[left, right], verdict=verdict)
    return Decision(
        decision_id=decision.pk,
        left_record_id=left,
        right_record_id=right,
        verdict=verdict,
        decided_by=actor.username,
        decided_at=decision.decided_at.isoformat(),
        note=note,
        link_run=None if run is None else run.pk,
    )


def withdraw_last_decision(actor: Actor) -> Decision:
    """Undo ``actor``'s own latest decision: a new decision record withdraws it (audited in the
    same transaction), the pair returns to what was in force before it and to the review queue
    if nothing else settles it. Nothing is deleted. Refused when the actor's latest record is
    already a withdrawal (one undo, not a history walk) or when someone decided the pair since
    (their decision, not this one, is in force)."""
    require(actor, Permission.REVIEW)
    with transaction.atomic():
        last = (
            MatchDecision.objects.filter(decided_by=actor.username)
            .order_by("-decided_at", "-id")
            .first()
        )
        if last is None or last.verdict == WITHDRAWN:
            raise InvalidInput("There is no decision of yours to undo", field="decision")
        pair = (last.record_l_id, last.record_r_id)
        standing = _decision_stacks().get(pair) or []
        if not standing or standing[-1][0] != last.pk:
            raise InvalidInput(
                "Someone decided this pair after you: their decision is the one in force",
                field="decision",
            )
        withdrawal = MatchDecision.objects.create(
            record_l_id=last.record_l_id,
            record_r_id=last.record_r_id,
            verdict=WITHDRAWN,
            decided_by=actor.username,
            note="",
            link_run=last.link_run,
        )
        record_event(
            Action.MATCH_DECIDED,
            actor,
            withdrawal,
            records=list(pair),
            verdict=WITHDRAWN,
            withdraws=last.pk,
            withdrawn_verdict=last.verdict,
        )
    return Decision(
        decision_id=withdrawal.pk,
        left_record_id=last.record_l_id,
        right_record_id=last.record_r_id,
        verdict=WITHDRAWN,
        decided_by=actor.username,
        decided_at=withdrawal.decided_at.isoformat(),
        note=withdrawal.note,
        link_run=last.link_run_id,
    )
