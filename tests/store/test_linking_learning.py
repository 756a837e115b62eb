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


def test_the_stored_model_names_the_decisions_it_learnt_from(demo_imported):
    from everyname.store.linking import decide

    run_link(TESTER)
    page = pending_pairs(REVIEWER, 1, 3)
    first, second, third = page.pairs
    decide(REVIEWER, first.left.record_id, first.right.record_id, "same")
    decide(REVIEWER, second.left.record_id, second.right.record_id, "same")
    decide(REVIEWER, third.left.record_id, third.right.record_id, "different")
    run = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    labels = run.model["everyname_labels"]
    expected = sorted(
        sorted([str(p.left.record_id), str(p.right.record_id)]) for p in (first, second)
    )
    assert sorted(labels["same_decisions"]) == expected
    assert labels["different_decisions"] == 1
    # two decisions are too few to move m (training.min_decisions_for_m), and it says so
    assert labels["m_from_labels"] is False
    assert "fewer than 50" in labels["how"]
    person = dict(Membership.objects.filter(link_run=run).values_list("record_id", "person_id"))
    assert person[first.left.record_id] == person[first.right.record_id]
    assert person[third.left.record_id] != person[third.right.record_id]
