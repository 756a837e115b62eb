"""What counting, reports and estimates read from the store: the persons of a link run.

Builds the core's plain inputs (``CountInput``, capture histories) from the latest link run,
with each person's place resolved against the gazetteer so that a count for a governorate
includes every neighbourhood below it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from everyname.core.count import CountInput
from everyname.core.count.breakdown import PLACE_COLUMNS, resolve_places
from everyname.core.places import Gazetteer
from everyname.store.linking import decisions_in_force, require_latest_run
from everyname.store.models import (
    Claim,
    LinkRun,
    Membership,
    Person,
    Record,
    ReviewPair,
    Source,
)
from everyname.store.permissions import Actor

PLACE_FIELDS = ("governorate", "district", "locality", "neighbourhood", "place")


def gazetteer() -> Gazetteer:
    """The bundled gazetteer with the places users imported (``everyname places import``)."""
    from everyname.store.places import current_gazetteer

    return current_gazetteer()


def persons_frame(run: LinkRun) -> pd.DataFrame:
    """One row per person of ``run``: id, resolved values (name as ``full_name``), and its
    place resolved against the gazetteer: ``place_id`` and the texts it could not place."""
    rows = []
    for person_id, resolved in (
        Person.objects.filter(link_run=run).values_list("person_id", "resolved").iterator(2000)
    ):
        row = {"person_id": person_id, **resolved}
        if "full_name" not in row and "name" in row:
            row["full_name"] = row.pop("name")
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    for column in ("person_id", *PLACE_FIELDS):
        if column not in frame.columns:
            frame[column] = None
    frame = frame.drop(columns=list(PLACE_COLUMNS), errors="ignore")
    return frame.join(resolve_places(frame, gazetteer()))


def memberships_frame(run: LinkRun) -> pd.DataFrame:
    query = Membership.objects.filter(link_run=run).values_list(
        "person_id", "record_id", "record__source__code"
    )
    return pd.DataFrame.from_records(
        ((p, str(r), s) for p, r, s in query.iterator(5000)),
        columns=["person_id", "record_id", "source"],
    )


def claims_frame() -> pd.DataFrame:
    return pd.DataFrame.from_records(
        Claim.objects.values("source", "date", "place", "category", "count", "text"),
        columns=["source", "date", "place", "category", "count", "text"],
    )


def copy_groups() -> dict[str, str]:
    return dict(Source.objects.exclude(copy_group="").values_list("code", "copy_group"))


def pending_pairs_frame(run: LinkRun, decided: set[tuple[str, str]]) -> pd.DataFrame:
    """The pairs of ``run`` awaiting review: its review pairs no decision has settled since."""
    query = ReviewPair.objects.filter(link_run=run).values_list(
        "record_l_id", "record_r_id", "match_probability"
    )
    rows = []
    for left, right, probability in query.iterator(5000):
        a, b = sorted((str(left), str(right)))
        if (a, b) not in decided:
            rows.append((a, b, probability))
    frame = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])
    return frame.drop_duplicates(["record_id_l", "record_id_r"])


def records_not_linked(run: LinkRun) -> int:
    """Records the run does not cover (imported after it): no figure of the run counts them."""
    linked = Membership.objects.filter(link_run=run).values("record_id")
    return Record.objects.exclude(pk__in=linked).count()


def count_input(run: LinkRun | None = None) -> CountInput:
    """The persons of ``run`` (default: the latest), ready for counting and reporting, with the
    linkage doubt every figure carries: the pairs awaiting review, the decisions in force and
    the records imported since the run."""
    run = run or require_latest_run()
    decisions = decisions_in_force()
    conflicts = {
        person_id: list(conflict)
        for person_id, conflict in Person.objects.filter(link_run=run)
        .exclude(conflicts=[])
        .values_list("person_id", "conflicts")
    }
    return CountInput(
        persons_frame(run),
        memberships_frame(run),
        link_run=str(run.pk),
        conflicts=conflicts,
        claims=claims_frame(),
        copy_groups=copy_groups(),
        pending_pairs=pending_pairs_frame(run, {d.key for d in decisions}),
        decisions=decisions,
        records_not_linked=records_not_linked(run),
    )


# Claims and copy groups live in ``store.claims`` (permission-checked use cases); these two keep
# the callers of the earlier signatures working, acting as the local administrator for a name.
def import_claims(path: Path, *, actor: str) -> int:
    from everyname.store import claims

    who = actor if isinstance(actor, Actor) else Actor.local_admin(actor)
    return claims.import_claims(who, path).claims


def set_copy_group(codes: list[str], group: str, *, actor: str) -> None:
    from everyname.store import claims

    who = actor if isinstance(actor, Actor) else Actor.local_admin(actor)
    claims.set_copy_group(who, codes, group)
