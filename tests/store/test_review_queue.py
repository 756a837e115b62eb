"""The review queue as a reviewer works through it: the next pair in the store's order with its
names aligned part by part across scripts, how many wait, the count's range, and the
reviewer's own latest decisions; a decision or a skip moves it on."""

from __future__ import annotations

import json

import pytest

from everyname.core.errors import PermissionDenied
from everyname.store.counting import count
from everyname.store.linking import FieldComparison, decide, pending_pairs, run_link
from everyname.store.models import Record, Source
from everyname.store.records import current_as_written, enter_record, shown_name
from everyname.store.review import (
    CLOSE,
    DIFFERENT,
    SAME,
    align_names,
    review_queue,
    same_places,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(demo_imported, cast):
    run_link(cast["admin"])


def test_the_queue_is_the_stores_first_pair_with_the_count_range(linked, cast):
    reviewer = cast["reviewer"]
    queue = review_queue(reviewer)
    first = pending_pairs(reviewer, 1, 1)
    assert queue.pair == first.pairs[0] and queue.awaiting == first.total > 1
    counted = count(reviewer)
    assert queue.count_range is not None
    assert (queue.count_range.low, queue.count_range.high) == (counted.total_low, counted.total)
    assert queue.count_range.pairs_awaiting_review == counted.pairs_awaiting_review
    assert queue.count_range.low < queue.count_range.high  # the demo leaves doubt
    assert json.loads(json.dumps(queue.to_dict()))["pair"]["pair_id"] == queue.pair.pair_id
    assert queue.names and queue.recent == ()
    records = Record.objects.in_bulk([queue.pair.left.record_id, queue.pair.right.record_id])
    assert queue.written == tuple(
        shown_name(current_as_written(records[side.record_id]))
        for side in (queue.pair.left, queue.pair.right)
    )
    assert all(queue.written)


def test_a_decision_moves_the_queue_on_and_narrows_the_range(linked, cast):
    reviewer = cast["reviewer"]
    before = review_queue(reviewer)
    pair = before.pair
    decide(reviewer, pair.left.record_id, pair.right.record_id, "same", pair.link_run, note="n")
    after = review_queue(reviewer)
    assert after.awaiting == before.awaiting - 1
    assert after.pair is not None and after.pair.pair_id != pair.pair_id
    # the decided pair no longer counts as doubt: one pair fewer awaits review and the range
    # narrows from below; the total itself changes at the next link run
    assert after.count_range.pairs_awaiting_review == before.count_range.pairs_awaiting_review - 1
    assert after.count_range.high == before.count_range.high
    assert after.count_range.low >= before.count_range.low
    assert [(d.verdict, d.left_record_id, d.note) for d in after.recent] == [
        ("same", min(pair.left.record_id, pair.right.record_id), "n")
    ]
    assert json.loads(json.dumps(after.to_dict()))["recent"][0]["note"] == "n"
    # another reviewer's list of own decisions is theirs
    assert review_queue(cast["analyst"]).recent == ()


def test_a_skipped_pair_waits_behind_the_others(linked, cast):
    reviewer = cast["reviewer"]
    first = review_queue(reviewer)
    skipped = review_queue(reviewer, skip=[first.pair.pair_id])
    assert skipped.pair.pair_id != first.pair.pair_id
    assert (skipped.awaiting, skipped.skipped) == (first.awaiting - 1, 1)
    assert review_queue(reviewer).pair.pair_id == first.pair.pair_id


@pytest.mark.parametrize("who", ["recorder_a", "viewer"])
def test_only_reviewers_open_the_queue(linked, cast, who):
    with pytest.raises(PermissionDenied):
        review_queue(cast[who])


def test_without_a_link_run_the_queue_is_empty(demo_imported, cast):
    queue = review_queue(cast["reviewer"])
    assert (queue.link_run, queue.pair, queue.awaiting, queue.count_range) == (None, None, 0, None)


def test_names_align_part_by_part_across_scripts(key_file, cast):
    admin = cast["admin"]
    Source.objects.create(code="src-a", name="src-a", created_by="tester")
    left = enter_record(admin, "src-a", {"full_name": "محمد عبد الرحمن الخالدي"}).id
    right = enter_record(admin, "src-a", {"full_name": "Mohamad Abdel-Rahman Khaldi"}).id
    other = enter_record(admin, "src-a", {"full_name": "Hasan Ali"}).id
    records = Record.objects.in_bulk([left, right, other])
    rows = {n.part: n for n in align_names(records[left], records[right])}
    assert rows["given"].left == "محمد" and rows["given"].right == "Mohamad"
    assert rows["given"].level == SAME and rows["given"].left_latin == rows["given"].right_latin
    assert rows["family"].right == "Khaldi" and rows["family"].level in (SAME, CLOSE)
    assert rows["father"].level in (SAME, CLOSE)
    apart = {n.part: n for n in align_names(records[left], records[other])}
    assert apart["given"].level == DIFFERENT
    assert apart["family"].right == "Ali" or apart["father"].right == "Ali"
    # a part only one name has is shown, with nothing to compare
    one_sided = [n for n in apart.values() if not n.left or not n.right]
    assert one_sided and all(n.level is None for n in one_sided)


def test_one_place_in_two_scripts_agrees_two_places_do_not(linked, cast):
    """The store compares place texts as written; the queue asks the gazetteer, so "حمص" beside
    "Homs" agrees and Baba Amr beside Khalidiya still differs."""
    pairs = pending_pairs(cast["reviewer"], 1, 500).pairs
    upgraded = [
        (before, after)
        for pair in pairs
        for before, after in zip(pair.fields, same_places(pair.fields), strict=True)
        if before != after
    ]
    assert upgraded
    for before, after in upgraded:
        assert before.field in ("governorate", "district", "locality", "neighbourhood", "place")
        assert (before.agrees, after.agrees) == (False, True) and before.left != before.right
    assert any({"حمص", "Homs"} == {b.left, b.right} for b, _ in upgraded)
    apart = FieldComparison("neighbourhood", "neighbourhood", "Baba Amr", "الخالدية", False)
    unknown = FieldComparison("neighbourhood", "neighbourhood", "Baba Amr", "Nowhere-on-map", False)
    assert same_places((apart, unknown)) == (apart, unknown)
    queue = review_queue(cast["reviewer"])
    assert queue.fields == same_places(queue.pair.fields)
