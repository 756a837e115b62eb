"""Linking, review, the persons export and releases as use cases: every member of the cast
against each, pairs paged out as plain data, decisions audited, refusals writing nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from everyname.core.errors import ErrorKind, InvalidInput, NotFound, PermissionDenied
from everyname.store.linking import (
    EXPORT_COLUMNS,
    REVIEW_FIELDS,
    WITHDRAWN,
    decide,
    decisions_in_force,
    export_persons,
    pending_pairs,
    run_link,
    withdraw_last_decision,
)
from everyname.store.models import AuditEvent, LinkRun, MatchDecision, Record
from everyname.store.releases import list_releases, publish_release

pytestmark = pytest.mark.django_db

HEADER = ["الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المحافظة"]
LISTS = {
    "src-a": [
        ["1", "محمد عبد الرحمن الخالدي", "ذكر", "34", "2012-02-04", "حمص"],
        ["2", "فاطمة أحمد السباعي", "أنثى", "9", "2012-02-05", "حمص"],
        ["3", "خالد عمر الحمصي", "ذكر", "", "2012-02-06", "حمص"],
    ],
    "src-b": [
        ["1", "محمد عبدالرحمن الخالدي", "ذكر", "34", "2012-02-04", "حمص"],
        ["2", "فاطمه احمد السباعي", "أنثى", "", "2012-02-05", "حمص"],
        ["3", "خالد عمر الحمصى", "ذكر", "430", "2012-02", "حمص"],
    ],
}
EVERYONE = ("admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer")
LINKERS = {"admin", "analyst"}
REVIEWERS = {"admin", "analyst", "reviewer"}
PUBLISHERS = {"admin", "analyst"}


@pytest.fixture
def imported(tmp_path, key_file):
    """Two small lists (sources src-a and src-b, the cast's recorders' sources) naming the same
    three people in other spellings; the third's age in src-b cannot be read."""
    from everyname.store.imports import import_file

    for code, rows in LISTS.items():
        path = tmp_path / f"{code}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([HEADER, *rows])
        import_file(path, code, actor="tester", defaults={"outcome": "killed"})


@pytest.fixture
def linked(imported, cast):
    return run_link(cast["admin"])


def refused(call, snapshot):
    """``call`` raises PermissionDenied and the database is as it was."""
    before = snapshot()
    with pytest.raises(PermissionDenied) as info:
        call()
    assert info.value.kind is ErrorKind.PERMISSION_DENIED
    assert snapshot() == before
    return info.value


# --- linking --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_link(imported, cast, snapshot, who):
    if who in LINKERS:
        summary = run_link(cast[who])
        run = LinkRun.objects.get(pk=summary.link_run)
        assert run.created_by == cast[who].username
        assert summary.records == Record.objects.count() == 6
        event = AuditEvent.objects.get(action="link_run.created", object_id=str(run.pk))
        assert event.actor == cast[who].username
        assert json.loads(json.dumps(summary.to_dict()))["link_run"] == run.pk
    else:
        refused(lambda: run_link(cast[who]), snapshot)


def test_link_settings_are_checked_by_field(imported, cast, snapshot):
    before = snapshot()
    for kwargs, field in (({"backend": "sqlite"}, "backend"), ({"threshold": 1.5}, "threshold")):
        with pytest.raises(InvalidInput) as info:
            run_link(cast["analyst"], **kwargs)
        assert info.value.field == field
        assert "--" not in str(info.value)  # worded for any front end, not a flag
    assert snapshot() == before


# --- review -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_see_the_review_queue(linked, cast, snapshot, who):
    if who in REVIEWERS:
        page = pending_pairs(cast[who])
        assert page.total == len(page.pairs) > 0
    else:
        refused(lambda: pending_pairs(cast[who]), snapshot)


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_decide(linked, cast, snapshot, who):
    pair = pending_pairs(cast["admin"], 1, 1).pairs[0]
    args = (pair.left.record_id, pair.right.record_id, "same", pair.link_run)
    if who in REVIEWERS:
        decision = decide(cast[who], *args)
        stored = MatchDecision.objects.get(pk=decision.decision_id)
        assert (stored.decided_by, stored.verdict, stored.link_run_id) == (
            cast[who].username,
            "same",
            pair.link_run,
        )
        event = AuditEvent.objects.get(action="match.decided", object_id=str(stored.pk))
        assert event.actor == cast[who].username
        assert event.details["records"] == sorted(args[:2])
        assert json.loads(json.dumps(decision.to_dict()))["verdict"] == "same"
    else:
        refused(lambda: decide(cast[who], *args), snapshot)


def test_pairs_are_plain_data_side_by_side_with_what_agrees(linked, cast):
    page = pending_pairs(cast["reviewer"], 1, 50)
    as_json = json.loads(json.dumps(page.to_dict(), ensure_ascii=False))
    assert as_json["total"] == page.total and len(as_json["pairs"]) == len(page.pairs)
    records = Record.objects.in_bulk()
    labels = [label for label, _ in REVIEW_FIELDS]
    for pair in page.pairs:
        left, right = records[pair.left.record_id], records[pair.right.record_id]
        assert {pair.left.source, pair.right.source} <= {"src-a", "src-b"}
        assert (pair.left.row_number, pair.right.row_number) == (left.row_number, right.row_number)
        shown = [f.label for f in pair.fields]
        assert shown == sorted(shown, key=labels.index), "in the reviewer's order"
        for f in pair.fields:
            assert f.left or f.right, "a field neither record gives is left out"
            a, b = left.normalised.get(f.field), right.normalised.get(f.field)
            if f.agrees is None:
                assert {a, b} & {None, "", "unknown"}
            else:
                assert f.agrees == (a == b)
    # the unreadable age of src-b's third row is shown as written, not as a guess
    ages = [f for p in page.pairs for f in p.fields if f.field == "age_years"]
    unread = [(f.left, f.left_unread) for f in ages] + [(f.right, f.right_unread) for f in ages]
    assert ("430", True) in unread and ("430", False) not in unread
    assert all(f.agrees is None for f in ages if "430" in (f.left, f.right))


def test_pages_cover_the_queue_once_and_decided_pairs_leave_it(linked, cast):
    reviewer = cast["reviewer"]
    everything = pending_pairs(reviewer, 1, 500)
    assert everything.total == len(everything.pairs) >= 2
    paged = [p.pair_id for n in (1, 2, 3) for p in pending_pairs(reviewer, n, 1).pairs]
    assert paged == [p.pair_id for p in everything.pairs][:3]
    ranks = [p.rank for p in everything.pairs]
    assert ranks == sorted(ranks)
    first = everything.pairs[0]
    skipped = pending_pairs(reviewer, 1, 1, skip={first.pair_id})
    assert skipped.total == everything.total - 1 and skipped.pairs[0].pair_id != first.pair_id
    decide(reviewer, first.right.record_id, first.left.record_id, "different")  # either order
    after = pending_pairs(reviewer, 1, 500)
    assert after.total == everything.total - 1
    assert first.pair_id not in {p.pair_id for p in after.pairs}
    for page, size in ((0, 10), (1, 0), (1, 10_000)):
        with pytest.raises(InvalidInput) as info:
            pending_pairs(reviewer, page, size)
        assert info.value.field == ("page" if page < 1 else "page_size")


def test_a_decision_names_what_is_wrong_and_writes_nothing(linked, cast, snapshot):
    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    a, b = pair.left.record_id, pair.right.record_id
    missing = max(Record.objects.values_list("pk", flat=True)) + 1
    before = snapshot()
    cases = [
        ((a, b, "maybe"), InvalidInput, "verdict"),
        ((a, a, "same"), InvalidInput, "right_record_id"),
        ((missing, b, "same"), NotFound, "left_record_id"),
        ((a, missing, "same"), NotFound, "right_record_id"),
        ((a, b, "same", 9999), NotFound, "link_run"),
    ]
    for args, error, field in cases:
        with pytest.raises(error) as info:
            decide(cast["reviewer"], *args)
        assert info.value.field == field, args
        assert info.value.to_dict()["field"] == field
    assert snapshot() == before


def test_without_a_link_run_review_and_export_say_so(imported, cast):
    for call in (lambda: pending_pairs(cast["reviewer"]), lambda: export_persons(cast["admin"])):
        with pytest.raises(NotFound) as info:
            call()
        assert info.value.field == "link_run"


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_export_persons_and_what_a_recorder_gets(linked, cast, snapshot, who):
    if who == "viewer":
        refused(lambda: export_persons(cast[who]), snapshot)
        return
    exported = export_persons(cast[who])
    sources = {row["source"] for row in exported.records()}
    scope = cast[who].source_scope()
    expected = (
        Record.objects.all() if scope is None else Record.objects.filter(source__code__in=scope)
    )
    assert exported.count == expected.count() > 0
    assert sources == set(expected.values_list("source__code", flat=True))
    assert exported.link_run == linked.link_run


def test_export_shapes_are_the_contract(linked, cast):
    as_csv = export_persons(cast["analyst"], "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content().decode("utf-8"))))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert len(rows) == Record.objects.count()
    assert [r["record_id"] for r in rows] == sorted((r["record_id"] for r in rows), key=int), (
        "in record order"
    )
    as_json = json.loads(export_persons(cast["analyst"], "json").content())
    assert as_json == {"link_run": linked.link_run, "records": as_csv.records()}
    assert {str(r["record_id"]) for r in as_json["records"]} == {r["record_id"] for r in rows}
    with pytest.raises(InvalidInput) as info:
        export_persons(cast["analyst"], "xlsx")
    assert info.value.field == "format"


# --- releases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_publish_and_list_releases(linked, cast, snapshot, tmp_path, who):
    out = tmp_path / "releases"
    if who in PUBLISHERS:
        manifest = publish_release(cast[who], out, "children")
        assert manifest.version == 1 and (out / "v1" / "SHA256SUMS").exists()
        event = AuditEvent.objects.get(action="release.published")
        assert event.actor == cast[who].username
    else:
        refused(lambda: publish_release(cast[who], out), snapshot)
        assert not out.exists(), "nothing written"
    listed = list_releases(cast[who])  # everyone may see what was published
    assert len(listed) == (1 if who in PUBLISHERS else 0)


def test_releases_listed_as_published(linked, cast, tmp_path, snapshot):
    out = tmp_path / "releases"
    first = publish_release(cast["analyst"], out, "all")
    second = publish_release(cast["admin"], out)
    listed = list_releases(cast["viewer"])
    assert [(r.version, r.withhold, r.published_by) for r in listed] == [
        (1, "all", "bob"),
        (2, "none", "alice"),
    ]
    assert listed[0].files == dict(first.files) and listed[1].persons == second.persons
    assert json.loads(json.dumps([r.to_dict() for r in listed]))[1]["folder"] == str(second.folder)
    before = snapshot()
    with pytest.raises(InvalidInput) as info:
        publish_release(cast["admin"], out, "adults")
    assert info.value.field == "withhold"
    assert snapshot() == before and not (out / "v3").exists()


def test_a_pair_shows_its_records_as_corrected(linked, cast):
    """A correction after the run shows in the review: its value, or its text if unreadable."""
    from everyname.store.records import correct_record

    pair = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    left = pair.left.record_id
    correct_record(cast["admin"], left, {"age": "431"}, "the list's scan reads 431")
    shown = pending_pairs(cast["reviewer"], 1, 1).pairs[0]
    assert shown.pair_id == pair.pair_id
    age = next(f for f in shown.fields if f.field == "age_years")
    side = (age.left, age.left_unread)
    if shown.left.record_id != left:
        side = (age.right, age.right_unread)
    assert side == ("431", True) and age.agrees is None
    correct_record(cast["admin"], left, {"age": "40"}, "read again")
    age = next(
        f for f in pending_pairs(cast["reviewer"], 1, 1).pairs[0].fields if f.field == "age_years"
    )
    assert (age.left if shown.left.record_id == left else age.right) == "40"
    # A source that says "unknown" was read: the value is unknown, not text left unread.
    other = shown.right.record_id if shown.left.record_id == left else shown.left.record_id
    correct_record(cast["admin"], other, {"status": "civilian"}, "the list says so")
    correct_record(cast["admin"], left, {"status": "Unknown"}, "the family does not know")
    status = next(
        f for f in pending_pairs(cast["reviewer"], 1, 1).pairs[0].fields if f.field == "status"
    )
    side = (status.left, status.left_unread)
    if shown.left.record_id != left:
        side = (status.right, status.right_unread)
    assert side == ("unknown", False) and status.agrees is None
    # A field both records give as unknown has nothing to compare: it is not listed.
    correct_record(cast["admin"], other, {"status": "غير معروف"}, "not known here either")
    fields = pending_pairs(cast["reviewer"], 1, 1).pairs[0].fields
    assert "status" not in {f.field for f in fields} and "age_years" in {f.field for f in fields}


# --- undo -----------------------------------------------------------------------------------


def in_force() -> dict[tuple[int, int], str]:
    return {(int(d.record_id_l), int(d.record_id_r)): d.verdict for d in decisions_in_force()}


def test_an_undo_withdraws_ones_own_latest_decision_as_a_new_record(linked, cast, snapshot):
    reviewer = cast["reviewer"]
    waiting = pending_pairs(reviewer, 1, 500)
    first, second = waiting.pairs[0], waiting.pairs[1]
    decide(reviewer, first.left.record_id, first.right.record_id, "different")
    kept = decide(reviewer, second.left.record_id, second.right.record_id, "same")
    assert pending_pairs(reviewer, 1, 500).total == waiting.total - 2

    undone = withdraw_last_decision(reviewer)
    assert (undone.verdict, undone.left_record_id, undone.right_record_id) == (
        WITHDRAWN,
        kept.left_record_id,
        kept.right_record_id,
    )
    # nothing deleted: the decision and its withdrawal are both stored, by the reviewer
    name = reviewer.username
    assert list(MatchDecision.objects.order_by("id").values_list("verdict", "decided_by")) == [
        ("different", name),
        ("same", name),
        (WITHDRAWN, name),
    ]
    event = AuditEvent.objects.get(action="match.decided", object_id=str(undone.decision_id))
    assert (event.actor, event.details["verdict"], event.details["withdraws"]) == (
        name,
        WITHDRAWN,
        kept.decision_id,
    )
    # the pair waits again; the earlier decision still stands
    after = pending_pairs(reviewer, 1, 500)
    assert after.total == waiting.total - 1
    assert second.pair_id in {p.pair_id for p in after.pairs}
    assert first.pair_id not in {p.pair_id for p in after.pairs}
    pair = tuple(sorted((first.left.record_id, first.right.record_id)))
    assert in_force() == {pair: "different"}

    # one undo, not a walk back through the history: a second one is refused, writing nothing
    before = snapshot()
    with pytest.raises(InvalidInput) as info:
        withdraw_last_decision(reviewer)
    assert info.value.field == "decision"
    assert snapshot() == before


def test_an_undo_returns_the_pair_to_the_decision_before_it_never_anothers(linked, cast):
    reviewer, analyst = cast["reviewer"], cast["analyst"]
    pair = pending_pairs(reviewer, 1, 1).pairs[0]
    key = tuple(sorted((pair.left.record_id, pair.right.record_id)))
    decide(reviewer, pair.left.record_id, pair.right.record_id, "different")
    decide(analyst, pair.left.record_id, pair.right.record_id, "same")
    with pytest.raises(InvalidInput) as info:  # the analyst's decision is in force, not mine
        withdraw_last_decision(reviewer)
    assert "after you" in str(info.value)
    assert in_force() == {key: "same"}
    withdraw_last_decision(analyst)
    assert in_force() == {key: "different"}  # the reviewer's decision is back in force
    assert pair.pair_id not in {p.pair_id for p in pending_pairs(reviewer, 1, 500).pairs}


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_undo(linked, cast, snapshot, who):
    if who in REVIEWERS:
        with pytest.raises(InvalidInput) as info:  # nothing of theirs to undo yet
            withdraw_last_decision(cast[who])
        assert info.value.field == "decision"
    else:
        pair = pending_pairs(cast["admin"], 1, 1).pairs[0]
        decide(cast["admin"], pair.left.record_id, pair.right.record_id, "same")
        refused(lambda: withdraw_last_decision(cast[who]), snapshot)
