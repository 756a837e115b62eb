"""Link runs in the store: persons with stable ids, decisions that survive every re-run."""

from __future__ import annotations

import pytest

from everyname.core.link import pairwise_scores
from everyname.store.linking import (
    decide,
    decisions_in_force,
    export_persons,
    list_link_runs,
    pending_pairs,
    run_link,
)
from everyname.store.models import AuditEvent, LinkRun, Membership, Person, Record
from everyname.store.permissions import Actor, Role

TESTER = Actor.local_admin("tester")
REVIEWER = Actor("reviewer", Role.REVIEWER)

pytestmark = pytest.mark.django_db

HEADER = ["الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المحافظة"]
TWO_PEOPLE = [
    ["1", "محمد عبد الرحمن الخالدي", "ذكر", "34", "2012-02-04", "حمص"],
    ["2", "فاطمة أحمد السباعي", "أنثى", "9", "2012-02-05", "حمص"],
]
PLACEHOLDERS = [
    ["1", "مجهول", "ذكر", "", "2012-02-04", "حمص"],
    ["2", "مجهول الهوية 1", "", "", "2012-02-04", "حمص"],
    ["3", "Unidentified 3", "", "", "2012-02-05", "حمص"],
    ["4", "Al-Azhari 2", "ذكر", "", "2012-02-05", "حمص"],
]


def person_of(run: LinkRun) -> dict[int, str]:
    return dict(Membership.objects.filter(link_run=run).values_list("record_id", "person_id"))


def test_a_link_run_turns_records_into_persons_and_keeps_what_reproduces_it(demo_truth):
    summary = run_link(TESTER)
    run = LinkRun.objects.get(pk=summary.link_run)
    assigned = person_of(run)
    assert set(assigned) == set(Record.objects.values_list("pk", flat=True))
    assert (
        summary.persons
        == len(set(assigned.values()))
        == Person.objects.filter(link_run=run).count()
    )
    assert summary.persons < summary.records
    record_ids = sorted(assigned)
    scores = pairwise_scores([assigned[r] for r in record_ids], [demo_truth[r] for r in record_ids])
    assert scores.precision >= 0.95, scores
    assert scores.recall >= 0.6, scores
    assert run.settings["threshold"] == run.threshold
    assert run.model["comparisons"], "the trained model is stored with the run"
    # on a few hundred records training leaves levels unobserved: how they were made sane
    # is stored beside the model, as plain JSON on either database
    assert run.parameter_adjustments
    assert {"comparison", "level", "rule", "weight_after"} <= set(run.parameter_adjustments[0])
    assert run.versions["splink"] and len(run.input_fingerprint) == 64
    assert AuditEvent.objects.filter(action="link_run.created", object_id=str(run.pk)).exists()


def test_unchanged_records_keep_their_person_ids(demo_imported):
    first = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    second_summary = run_link(TESTER)
    second = LinkRun.objects.get(pk=second_summary.link_run)
    assert person_of(first) == person_of(second)
    assert second_summary.persons_kept_id == second_summary.persons


def test_link_runs_are_listed_newest_first_with_what_they_learnt(demo_imported):
    first, second = run_link(TESTER), run_link(TESTER)
    listed = list_link_runs(Actor("viewer", Role.VIEWER), page=1, page_size=1)
    assert listed.total == 2 and [r.id for r in listed.items] == [second.link_run]
    run = listed.items[0]
    assert run.counts["persons"] == second.persons and run.created_by == "tester"
    assert run.labels is not None and "same" in str(run.labels)  # what reviewers taught it
    assert [r.id for r in list_link_runs(TESTER, 2, 1).items] == [first.link_run]


def test_decisions_are_enforced_in_every_later_run(demo_imported):
    run = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    assigned = person_of(run)
    by_person: dict[str, list[int]] = {}
    for record, person in assigned.items():
        by_person.setdefault(person, []).append(record)
    together = next(records for records in by_person.values() if len(records) >= 2)
    apart = sorted(by_person, key=lambda p: by_person[p][0])[:2]
    split_a, split_b = together[0], together[1]
    join_a, join_b = by_person[apart[0]][0], by_person[apart[1]][0]

    decide(REVIEWER, split_a, split_b, "different")
    decide(REVIEWER, join_a, join_b, "same")
    assert len(decisions_in_force()) == 2
    for _ in range(2):  # and again: decisions hold in every run, not just the next one
        rerun = person_of(LinkRun.objects.get(pk=run_link(TESTER).link_run))
        assert rerun[split_a] != rerun[split_b]
        assert rerun[join_a] == rerun[join_b]

    decide(REVIEWER, join_a, join_b, "different")  # a reviewer changes their mind
    latest = person_of(LinkRun.objects.get(pk=run_link(TESTER).link_run))
    assert latest[join_a] != latest[join_b]
    assert AuditEvent.objects.filter(action="match.decided").count() == 3


def test_review_queue_skips_decided_pairs_and_export_has_the_contract_columns(demo_imported):
    run_link(TESTER)
    before = pending_pairs(REVIEWER, 1, 1)
    first = before.pairs[0]
    decide(REVIEWER, first.left.record_id, first.right.record_id, "same")
    after = pending_pairs(REVIEWER, 1, 1)
    assert after.total == before.total - 1
    assert not after.pairs or after.pairs[0].pair_id != first.pair_id
    rows = export_persons(TESTER).records()
    assert len(rows) == Record.objects.count()
    assert list(rows[0]) == ["record_id", "source", "source_record_id", "person_id"]


def test_name_forms_of_older_rules_are_recomputed_for_linking_not_rewritten(demo_imported):
    from everyname.core.names import name_forms
    from everyname.store.linking import records_frame

    record = Record.objects.order_by("pk").first()
    stale = {k: v for k, v in record.normalised.items() if k != "name_forms_version"}
    stale["given_key"] = "STALE"  # as an earlier version of the rules might have stored it
    Record.objects.filter(pk=record.pk).update(normalised=stale)
    row = records_frame().set_index("record_id").loc[str(record.pk)]
    names = {k: v for k, v in stale.items() if k.endswith("_name") and isinstance(v, str)}
    assert row["given_key"] == name_forms(names)["given_key"] != "STALE"
    assert Record.objects.get(pk=record.pk).normalised["given_key"] == "STALE"


def import_rows(path, source: str, rows: list[list[str]]) -> None:
    import csv

    from everyname.store.imports import import_file

    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    import_file(path, source, actor="tester", defaults={"outcome": "killed"})


def counted_total(run: LinkRun) -> int:
    from everyname.core.count.compute import count_persons
    from everyname.store.counting import count_input

    return count_persons(count_input(run), by=["sex"]).total


@pytest.mark.parametrize(
    ("lists", "persons"),
    [
        ({"lcc": TWO_PEOPLE[:1]}, 1),
        ({"lcc": TWO_PEOPLE}, 2),
        ({"lcc": TWO_PEOPLE[:1], "ngo": [["7", *TWO_PEOPLE[0][1:]]]}, None),  # one person twice
        ({"hospital": PLACEHOLDERS}, 4),
    ],
    ids=["one record", "two records", "one person twice", "placeholders only"],
)
def test_the_smallest_lists_link_say_they_used_defaults_and_count(
    tmp_path, key_file, lists, persons
):
    """One record, two, and placeholders only used to stop the link run with a traceback (or
    "no blocking rule"), leaving nothing to count."""
    for source, rows in lists.items():
        import_rows(tmp_path / f"{source}.csv", source, rows)
    summary = run_link(TESTER)
    run = LinkRun.objects.get(pk=summary.link_run)
    records = sum(len(rows) for rows in lists.values())
    assert summary.records == records == len(person_of(run))
    if persons is not None:
        assert summary.persons == persons
    assert summary.fallbacks  # a few records cannot train a model: the run says so
    assert [f["stage"] for f in run.model["everyname_fallbacks"]] == [
        f.split(":")[0] for f in summary.fallbacks
    ]
    assert counted_total(run) == summary.persons == Person.objects.filter(link_run=run).count()
    if "ngo" in lists:  # the model cannot tell from one pair: a reviewer sees it
        assert summary.persons == 1 or pending_pairs(REVIEWER).total == 1
