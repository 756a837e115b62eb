"""The count service on the demo, checked against its ground truth: pairs awaiting review make
the count a range that holds the truth, the two estimates' intervals span the true population,
records imported after the link run are said to be left out; every member of the cast may
count, and counting writes nothing. The count input is kept between counts and rebuilt when
anything it depends on changes."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from everyname.core.count import CountFilters, headline
from everyname.core.places import COLUMNS
from everyname.store.counting import count, count_input, forget_count_inputs
from everyname.store.estimating import EstimateOptions, estimate, person_sources
from everyname.store.imports import import_file
from everyname.store.linking import decide, run_link
from everyname.store.models import LinkRun, MatchDecision, Person, ReviewPair
from everyname.store.permissions import Actor

pytestmark = pytest.mark.django_db

TESTER = Actor.local_admin("tester")
WINDOW = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
PROFILE = EstimateOptions(interval="profile")  # no bootstrap: the doubt is what is tested here
ROWS = [
    ["الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المحافظة", "سبب الوفاة"],
    ["1", "محمد عبد الرحمن الخالدي", "ذكر", "34", "2012-02-04", "حمص", "قصف"],
    ["2", "فاطمة أحمد السباعي", "أنثى", "9", "2012-02-05", "حمص", "قناص"],
    ["3", "مجهول الهوية 1", "", "", "2012-02", "حمص", ""],
]


@pytest.fixture
def linked(demo_imported):
    summary = run_link(TESTER)
    return LinkRun.objects.get(pk=summary.link_run), summary


def test_the_count_range_holds_the_true_number_and_the_estimates_span_the_population(
    demo_truth, demo_imported, linked
):
    run, summary = linked
    data = count_input()
    assert data.pairs_awaiting_review == ReviewPair.objects.filter(link_run=run).count() > 0
    assert summary.pairs_awaiting_review == data.pairs_awaiting_review  # as `link` printed it
    assert data.records_not_linked == 0
    result = count(TESTER, by=["sex"])
    true_persons = len(set(demo_truth.values()))  # the distinct people the lists name
    assert result.total_low < result.total
    assert result.total_low <= true_persons <= result.total, (result.total_low, result.total)
    assert result.pairs_awaiting_review == data.pairs_awaiting_review
    groups = data.merged_groups
    for row in result.by["sex"]:  # each low end: the merged groups among the row's persons
        assert row.at_least == len({groups.get(p, p) for p in row.person_ids}) <= row.count
    assert result.total_low == len({groups.get(p, p) for p in result.person_ids})
    # a merged group is on every list any of its persons is on, and counted once
    merged = person_sources(data, pending_merged=True)
    assert merged["person_id"].nunique() == result.total_low
    assert set(merged["source"]) == set(data.memberships["source"])

    for filters, counted in ((None, result), (WINDOW, count(TESTER, WINDOW))):
        fitted = estimate(TESTER, filters=filters, options=PROFILE).overall
        pending = fitted["pending_merged"]
        assert (fitted["observed"], pending["observed"]) == (counted.total, counted.total_low)
        lower = min(fitted["lower"], pending["lower"])
        upper = max(fitted["upper"], pending["upper"])
        assert lower <= demo_imported.true_population <= upper, (fitted, pending)
    in_window = count(TESTER, WINDOW)
    assert in_window.total_low <= in_window.total <= result.total
    assert "pairs awaiting review are duplicates)" in headline(in_window)


def test_decisions_since_the_run_settle_pairs_and_later_records_are_said_to_be_left_out(
    linked, tmp_path
):
    run, _ = linked
    before = count_input()
    result_before = count(TESTER)
    pairs = list(ReviewPair.objects.filter(link_run=run).order_by("rank")[:2])
    decide(TESTER, pairs[0].record_l_id, pairs[0].record_r_id, "different")
    decide(TESTER, pairs[1].record_l_id, pairs[1].record_r_id, "same")
    after = count_input()
    assert after is not before  # a decision is a new input
    assert after.pairs_awaiting_review == before.pairs_awaiting_review - 2
    assert MatchDecision.objects.count() == 2
    result_after = count(TESTER)
    # the "same" decision still merges in the low end; the "different" no longer can
    assert result_after.total == result_before.total
    assert result_after.total_low >= result_before.total_low

    path = tmp_path / "late.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    report = import_file(path, "late-list", actor="tester")
    assert report.records_imported == 3
    assert count_input().records_not_linked == 3
    counted = count(TESTER)
    assert counted.total == result_before.total  # the new records are in no figure ...
    assert counted.to_dict()["records_not_linked"] == 3  # ... and the count says so
    assert headline(counted).endswith(
        f"3 records imported since link run {run.pk} are not in these figures: "
        "run `everyname link`."
    )
    run_link(TESTER)
    assert count_input().records_not_linked == 0


def test_every_member_of_the_cast_may_count_and_counting_writes_nothing(linked, cast, snapshot):
    before = snapshot()
    figures = [count(actor, WINDOW, ["sex", "governorate"]).to_dict() for actor in cast.values()]
    assert all(f == figures[0] for f in figures)
    assert figures[0]["total"] > 0 and "unknown" in [r["value"] for r in figures[0]["by"]["sex"]]
    assert snapshot() == before


def test_to_dict_is_the_count_commands_json(linked):
    from everyname.cli import commands  # noqa: F401  (registers the commands)
    from everyname.cli.app import app

    args = ["count", "--since", "2012-02-03", "--until", "2012-02-09", "--place", "Homs"]
    printed = CliRunner().invoke(app, [*args, "--by", "sex,place", "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == count(TESTER, WINDOW, ["sex", "place"]).to_dict()


def test_filter_errors_name_the_field_not_an_option(linked):
    from everyname.core.count import CountInputError

    with pytest.raises(CountInputError) as raised:
        CountFilters(since="yesterday")
    assert raised.value.field == "since" and "--" not in str(raised.value)
    with pytest.raises(CountInputError) as raised:
        count(TESTER, by=["shoe_size"])
    assert raised.value.field == "by" and "--" not in str(raised.value)


def test_the_count_input_is_kept_until_something_it_reads_changes(linked, tmp_path):
    forget_count_inputs()
    first = count_input()
    assert count_input() is first  # kept: the next breakdowns do not read every person again
    assert count(TESTER, by=["status"]).total == count(TESTER, by=["cause"]).total

    # a place the gazetteer learns is used by the next count
    from everyname.store.places import import_places

    places = tmp_path / "places.csv"
    places.write_text(",".join(COLUMNS) + "\nmy-z,,Zzyzx,,neighbourhood,sy-hi-c-homs,,\n", "utf-8")
    import_places(places, actor="tester")
    second = count_input()
    assert second is not first

    # an edit in place (a repair by hand, raw SQL) is seen too: the triggers count it
    person = Person.objects.filter(link_run_id=int(second.link_run)).order_by("pk").first()
    Person.objects.filter(pk=person.pk).update(resolved={**person.resolved, "sex": "female"})
    third = count_input()
    assert third is not second
    row = third.persons.set_index("person_id").loc[person.person_id]
    assert row["sex"] == "female"

    # a correction of a record is a revision: the next count input is read again
    from everyname.store.records import correct_record

    correct_record(TESTER, int(third.memberships["record_id"].iloc[0]), {"age": "41"}, "typo")
    assert count_input() is not third

    # a new link run is a new input; asking for an older run reads that run
    old_run = LinkRun.objects.get(pk=int(third.link_run))
    run_link(TESTER)
    assert count_input().link_run != third.link_run
    assert count_input(old_run).link_run == str(old_run.pk)
