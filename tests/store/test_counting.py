"""Linkage doubt in what the store hands to counts and estimates, checked on the demo against
its ground truth: pairs awaiting review make the count a range that holds the truth, the two
estimates' intervals span the true population, and records imported after the link run are
said to be left out."""

from __future__ import annotations

import csv

import pytest

from everyname.core.count import CountFilters, count_persons, headline
from everyname.store.counting import count_input, gazetteer
from everyname.store.imports import import_file
from everyname.store.linking import decide, run_link
from everyname.store.models import LinkRun, MatchDecision, ReviewPair
from everyname.store.permissions import Actor
from everyname.store.reporting import estimate_for, person_sources

TESTER = Actor.local_admin("tester")

pytestmark = pytest.mark.django_db

ROWS = [
    ["الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المحافظة", "سبب الوفاة"],
    ["1", "محمد عبد الرحمن الخالدي", "ذكر", "34", "2012-02-04", "حمص", "قصف"],
    ["2", "فاطمة أحمد السباعي", "أنثى", "9", "2012-02-05", "حمص", "قناص"],
    ["3", "مجهول الهوية 1", "", "", "2012-02", "حمص", ""],
]


def test_the_count_range_holds_the_true_number_and_the_estimates_span_the_population(
    demo_truth, demo_imported
):
    summary = run_link(TESTER)
    run = LinkRun.objects.get(pk=summary.link_run)
    data = count_input()
    assert data.pairs_awaiting_review == ReviewPair.objects.filter(link_run=run).count() > 0
    assert summary.pairs_awaiting_review == data.pairs_awaiting_review  # as `link` printed it
    assert data.records_not_linked == 0
    result = count_persons(data, by=["sex"])
    true_persons = len(set(demo_truth.values()))  # the distinct people the lists name
    assert result.total_low < result.total
    assert result.total_low <= true_persons <= result.total, (result.total_low, result.total)
    assert result.pairs_awaiting_review == data.pairs_awaiting_review
    for row in result.by["sex"]:
        assert row.at_least <= row.count
    # a merged group is on every list any of its persons is on, and counted once
    merged = person_sources(data, pending_merged=True)
    assert merged["person_id"].nunique() == result.total_low
    assert set(merged["source"]) == set(data.memberships["source"])

    linked = estimate_for(data)
    pending = estimate_for(data, method=linked.method, pending_merged=True)
    assert pending.observed == result.total_low and linked.observed == result.total
    lower = min(linked.lower, pending.lower)
    upper = max(linked.upper, pending.upper)
    assert lower <= demo_imported.true_population <= upper, (linked, pending)

    window = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
    in_window = count_persons(data, window, gazetteer=gazetteer())
    assert in_window.total_low <= in_window.total <= result.total
    assert "pairs awaiting review are duplicates)" in headline(in_window)
    # the demo's window is its whole population's (Homs, 3-9 February): the same holds there
    linked = estimate_for(data, window)
    pending = estimate_for(data, window, linked.method, pending_merged=True)
    assert pending.observed == in_window.total_low
    lower, upper = min(linked.lower, pending.lower), max(linked.upper, pending.upper)
    assert lower <= demo_imported.true_population <= upper, (linked, pending)


def test_decisions_since_the_run_settle_pairs_and_later_records_are_said_to_be_left_out(
    demo_imported, tmp_path
):
    run = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    before = count_input()
    result_before = count_persons(before)
    pairs = list(ReviewPair.objects.filter(link_run=run).order_by("rank")[:2])
    decide(TESTER, pairs[0].record_l_id, pairs[0].record_r_id, "different")
    decide(TESTER, pairs[1].record_l_id, pairs[1].record_r_id, "same")
    after = count_input()
    assert after.pairs_awaiting_review == before.pairs_awaiting_review - 2
    assert MatchDecision.objects.count() == 2
    result_after = count_persons(after)
    # the "same" decision still merges in the low end; the "different" no longer can
    assert result_after.total == result_before.total
    assert result_after.total_low >= result_before.total_low

    path = tmp_path / "late.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    report = import_file(path, "late-list", actor="tester")
    assert report.records_imported == 3
    late = count_input()
    assert late.records_not_linked == 3
    counted = count_persons(late)
    assert counted.total == result_before.total  # the new records are in no figure ...
    assert counted.to_dict()["records_not_linked"] == 3  # ... and the count says so
    assert headline(counted).endswith(
        f"3 records imported since link run {run.pk} are not in these figures: "
        "run `everyname link`."
    )
    run_link(TESTER)
    assert count_input().records_not_linked == 0
