"""The store's link runs learn from decisions and queue their pairs most useful first."""

from __future__ import annotations

import pytest

from everyname.store.linking import pending_pairs, run_link
from everyname.store.models import LinkRun, Membership, ReviewPair
from everyname.store.permissions import Actor, Role

TESTER = Actor.local_admin("tester")
REVIEWER = Actor("reviewer", Role.REVIEWER)

pytestmark = pytest.mark.django_db


def test_the_review_queue_pages_out_pairs_most_useful_first(demo_imported):
    run = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    person = dict(Membership.objects.filter(link_run=run).values_list("record_id", "person_id"))
    page = pending_pairs(REVIEWER, 1, 50)
    assert page.total == ReviewPair.objects.filter(link_run=run).count() >= 50
    # usefulness: p for two persons (1 - p for one), shared by the pairs between the same two
    between: dict[tuple[str, str], int] = {}
    for left, right in ReviewPair.objects.filter(link_run=run).values_list(
        "record_l_id", "record_r_id"
    ):
        key = tuple(sorted((person[left], person[right])))
        between[key] = between.get(key, 0) + 1

    def useful(pair) -> float:
        a, b = person[pair.left.record_id], person[pair.right.record_id]
        p = pair.match_probability
        return (1 - p if a == b else p) / between[tuple(sorted((a, b)))]

    values = [useful(pair) for pair in page.pairs]
    assert values == sorted(values, reverse=True)
    assert [pair.rank for pair in page.pairs] == sorted(pair.rank for pair in page.pairs)
    # pairs a rule held apart are ranked among the uncertain ones, not all after them
    kinds = [pair.kind for pair in pending_pairs(REVIEWER, 1, 500).pairs]
    assert "held_apart" in kinds[: len(kinds) // 2]
