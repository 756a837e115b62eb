"""Link runs in the store: records out to the linkage core, persons and review pairs back in.

The core (``everyname.core.link``) does the work on plain data frames; this module reads the
records and the reviewers' decisions, saves what a run produced (persons with stable ids,
memberships, pairs to review, the settings and trained model), and records the decisions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import transaction

from everyname.core.errors import EverynameError
from everyname.core.link import (
    LinkSettings,
    PreviousClusters,
    link_records,
    resolve_persons,
)
from everyname.core.link import (
    MatchDecision as CoreDecision,
)
from everyname.core.link.names import LINK_FORM_COLUMNS, link_input
from everyname.core.link.records import KNOWN_COLUMNS
from everyname.core.names import refreshed_name_forms
from everyname.store.audit import Action, record_event
from everyname.store.models import (
    LinkRun,
    MatchDecision,
    Membership,
    Person,
    Record,
    ReviewPair,
)

MAX_REVIEW_PAIRS = 5000
RESOLVED_AS_WRITTEN = ("full_name", "given_name", "father_name", "grandfather_name", "family_name")
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
    "place",
    "governorate",
    "district",
    "locality",
    "neighbourhood",
    "cause",
    "status",
    "outcome",
)


class NoLinkRun(EverynameError):
    def __init__(self) -> None:
        super().__init__("There is no link run yet. Run `everyname link` first.")


class NoRecords(EverynameError):
    def __init__(self) -> None:
        super().__init__("There are no records to link. Import a list first.")


def records_frame() -> pd.DataFrame:
    """Every record as one row: id, source code, the normalised fields and the name forms.

    Name forms stored by an older version of the name rules are recomputed from the names as
    written (in memory: the stored record is not edited)."""
    wanted = set(RECORD_FIELDS) | set(KNOWN_COLUMNS) | set(LINK_FORM_COLUMNS)
    rows = []
    query = Record.objects.values_list("pk", "source__code", "normalised").order_by("pk")
    for pk, source, normalised in query.iterator(chunk_size=5000):
        row = {k: v for k, v in normalised.items() if k in wanted}
        refreshed = refreshed_name_forms(normalised)
        if refreshed is not None:
            row.update((k, v) for k, v in refreshed.items() if k in wanted)
        row["record_id"] = str(pk)
        row["source"] = source
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        raise NoRecords()
    for column in RECORD_FIELDS:
        if column not in frame.columns:
            frame[column] = None
    return frame


def latest_run() -> LinkRun | None:
    return LinkRun.objects.order_by("-created_at", "-id").first()


def require_latest_run() -> LinkRun:
    run = latest_run()
    if run is None:
        raise NoLinkRun()
    return run


def decisions_in_force() -> list[CoreDecision]:
    """The latest decision on each pair (decisions are never edited; newer ones supersede)."""
    latest: dict[tuple[int, int], str] = {}
    for left, right, verdict in MatchDecision.objects.order_by("decided_at", "id").values_list(
        "record_l_id", "record_r_id", "verdict"
    ):
        latest[(left, right)] = verdict
    return [CoreDecision(str(l_), str(r), v) for (l_, r), v in latest.items()]


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


def run_link(
    *,
    actor: str,
    backend: str = "duckdb",
    threshold: float | None = None,
    progress: Progress | None = None,
    spark_session: Any | None = None,
) -> LinkSummary:
    """Link every record; the new run defines the persons. Decisions are always enforced."""
    settings = LinkSettings() if threshold is None else LinkSettings(threshold=threshold)
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
    persons = resolve_persons(frame, result.persons["person_id"].to_numpy())
    with transaction.atomic():
        run = LinkRun.objects.create(
            created_by=actor,
            backend=result.backend,
            threshold=result.settings.threshold,
            settings=result.settings.to_dict(),
            model=result.model,
            versions=result.versions,
            input_fingerprint=result.input_fingerprint,
            seed=result.seed,
            counts=result.counts,
            id_changes=_plain(result.id_changes),
            timings=_plain(result.timings),
            parameter_adjustments=_plain([a.to_dict() for a in result.parameter_adjustments]),
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


def _plain(value: Any) -> Any:
    """JSON-safe copies of numpy scalars, NaN and tuples inside run metadata."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _persons(run: LinkRun, persons: pd.DataFrame) -> Iterator[Person]:
    resolved_columns = [
        c for c in persons.columns if c not in ("person_id", "n_records", "sources", "conflicts")
    ]
    for row in persons.to_dict("records"):
        yield Person(
            link_run=run,
            person_id=row["person_id"],
            n_records=int(row["n_records"]),
            sources=_plain(list(row["sources"])),
            resolved=_plain({c: row[c] for c in resolved_columns}),
            conflicts=_plain(list(row.get("conflicts") or [])),
        )


def _review_pairs(run: LinkRun, result) -> Iterator[ReviewPair]:
    rank = 0
    for kind, frame in (
        (ReviewPair.Kind.UNCERTAIN, result.review),
        (ReviewPair.Kind.HELD_APART, result.held_apart),
    ):
        for row in frame.head(MAX_REVIEW_PAIRS).to_dict("records"):
            rank += 1
            weight = row.get("match_weight")
            yield ReviewPair(
                link_run=run,
                record_l_id=int(row["record_id_l"]),
                record_r_id=int(row["record_id_r"]),
                match_probability=float(row["match_probability"]),
                match_weight=None if weight is None else _plain(float(weight)),
                kind=kind,
                rule=str(row.get("rule") or ""),
                rank=rank,
            )


# --- export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ("record_id", "source", "source_record_id", "person_id")


def export_rows(run: LinkRun | None = None) -> Iterator[dict[str, Any]]:
    """One row per record of the run: the design's stable export contract (extend, never rename)."""
    run = run or require_latest_run()
    query = (
        Membership.objects.filter(link_run=run)
        .order_by("record_id")
        .values_list("record_id", "record__source__code", "record__source_record_id", "person_id")
    )
    for record_id, source, source_record_id, person_id in query.iterator(chunk_size=5000):
        yield {
            "record_id": record_id,
            "source": source,
            "source_record_id": source_record_id,
            "person_id": person_id,
        }


# --- review ----------------------------------------------------------------------------------


class BadDecision(EverynameError):
    pass


def record_decision(
    record_a: int,
    record_b: int,
    verdict: str,
    *,
    actor: str,
    note: str = "",
    link_run: LinkRun | None = None,
) -> MatchDecision:
    """Store a reviewer's verdict (with an audit entry). It applies from the next link run."""
    if verdict not in MatchDecision.Verdict.values:
        raise BadDecision(f"A verdict is 'same' or 'different', not {verdict!r}")
    if record_a == record_b:
        raise BadDecision("A decision needs two different records")
    left, right = sorted((int(record_a), int(record_b)))
    found = set(Record.objects.filter(pk__in=(left, right)).values_list("pk", flat=True))
    missing = {left, right} - found
    if missing:
        raise BadDecision(f"No record with id {', '.join(map(str, sorted(missing)))}")
    with transaction.atomic():
        decision = MatchDecision.objects.create(
            record_l_id=left,
            record_r_id=right,
            verdict=verdict,
            decided_by=actor,
            note=note,
            link_run=link_run,
        )
        record_event(Action.MATCH_DECIDED, actor, decision, records=[left, right], verdict=verdict)
    return decision


@dataclass(frozen=True)
class PairForReview:
    review_pair: ReviewPair
    left: Record
    right: Record


def next_pair_for_review(skip: set[int] | frozenset[int] = frozenset()) -> PairForReview | None:
    """The most useful undecided pair of the latest run (closest to the threshold first).

    ``skip`` holds ReviewPair ids the reviewer passed over in this session.
    """
    run = require_latest_run()
    decided = set(MatchDecision.objects.values_list("record_l_id", "record_r_id"))
    for pair in ReviewPair.objects.filter(link_run=run).exclude(pk__in=skip).order_by("rank"):
        key = tuple(sorted((pair.record_l_id, pair.record_r_id)))
        if key in decided:
            continue
        left, right = (
            Record.objects.select_related("source").get(pk=pk)
            for pk in (pair.record_l_id, pair.record_r_id)
        )
        return PairForReview(pair, left, right)
    return None
