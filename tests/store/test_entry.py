"""Typed entry of one victim (store.entry): the check against existing persons and the save.

On the demo's five Homs lists, imported and linked: a victim typed in Arabic who is already a
person of the lists is shown as that person first; saving as that person records a decision on
the pair; saving as new writes the record only.
"""

from __future__ import annotations

import pytest

from everyname.core.errors import InvalidInput, PermissionDenied
from everyname.core.ingest import normalise
from everyname.core.link.candidates import blocks, find_candidates
from everyname.store.audit import Action
from everyname.store.entry import (
    MAX_CANDIDATES,
    blocked_records,
    check_entry,
    date_text,
    entry_sources,
    kept_term_frequencies,
    place_levels,
    possible_records,
    save_entry,
    seal_reporter,
)
from everyname.store.linking import latest_run, records_frame, run_link
from everyname.store.models import AuditEvent, MatchDecision, Membership, Record, Source
from everyname.store.permissions import Actor, Role
from everyname.store.records import current_as_written
from everyname.store.secrets import reveal_identity

pytestmark = pytest.mark.django_db

ADMIN = Actor.local_admin("tester")
ENTERED_FOR = "lcc_homs"
TYPED = ("full_name", "given_name", "father_name", "family_name", "sex", "age", "date_of_death")


def _arabic(text: str | None) -> bool:
    return bool(text) and any("\u0600" <= ch <= "\u06ff" for ch in text)


@pytest.fixture
def linked(demo_imported):
    run_link(ADMIN)
    return latest_run()


def _duplicated(run):
    """A record of another source than the one entered for, written in Arabic, whose person
    has records in at least two sources: the victim a caller reports again."""
    sizes: dict[str, set[str]] = {}
    for person, source in Membership.objects.filter(link_run=run).values_list(
        "person_id", "record__source__code"
    ):
        sizes.setdefault(person, set()).add(source)
    for membership in (
        Membership.objects.filter(link_run=run)
        .exclude(record__source__code=ENTERED_FOR)
        .select_related("record", "record__source")
        .order_by("record_id")
    ):
        written = current_as_written(membership.record)
        name = written.get("full_name") or written.get("given_name")
        if len(sizes[membership.person_id]) >= 2 and _arabic(name):
            return membership.record, membership.person_id
    raise AssertionError("the demo lists hold no Arabic record of a person in two sources")


def _typed(record) -> dict[str, str]:
    written = current_as_written(record)
    return {k: v for k, v in written.items() if k in TYPED}


def test_an_arabic_duplicate_is_shown_as_its_person_first(linked):
    record, person = _duplicated(linked)
    check = check_entry(ADMIN, ENTERED_FOR, _typed(record))
    assert check.link_run == linked.pk
    assert check.persons, "the person the victim already is is shown"
    first = check.persons[0]
    assert first.person_id == person
    assert first.match_probability > 0.5
    assert first.visible and first.name
    assert first.agrees, "what agrees is said"
    assert {e.comparison for e in first.agrees} & {"given_name", "family_name"}
    # one line per person, best first
    ids = [p.person_id for p in check.persons if p.person_id]
    assert len(ids) == len(set(ids))
    probabilities = [p.match_probability for p in check.persons]
    assert probabilities == sorted(probabilities, reverse=True)
    # nothing is written by a check
    assert not Record.objects.filter(batch__file_format="entry").exists()


def test_saving_as_the_same_person_records_a_decision(linked):
    record, person = _duplicated(linked)
    before = Record.objects.count()
    saved = save_entry(
        ADMIN, ENTERED_FOR, _typed(record), "أبو أحمد", "0999 111 222", same_as_record=record.pk
    )
    assert Record.objects.count() == before + 1
    decision = MatchDecision.objects.get(pk=saved.decision_id)
    assert decision.verdict == "same"
    assert {decision.record_l_id, decision.record_r_id} == {saved.record_id, record.pk}
    assert decision.decided_by == "tester"
    assert decision.link_run_id == linked.pk
    event = AuditEvent.objects.filter(action=Action.MATCH_DECIDED).latest("id")
    assert sorted(event.details["records"]) == sorted([saved.record_id, record.pk])
    # entered again before the next link run, the victim is shown as the person chosen
    again = check_entry(ADMIN, ENTERED_FOR, _typed(record))
    assert again.persons[0].person_id == person
    assert all(p.person_id is not None for p in again.persons if p.record_id == saved.record_id)
    # the next link run puts the new record in the person
    run_link(ADMIN)
    joined = Membership.objects.filter(link_run=latest_run())
    new_person = joined.get(record_id=saved.record_id).person_id
    assert new_person == joined.get(record_id=record.pk).person_id


def _entries(per_script: int = 4) -> list[dict[str, str]]:
    """Entries typed from demo records, ``per_script`` written in Arabic and as many in Latin
    letters, spread over the lists."""
    arabic, latin = [], []
    for record in Record.objects.order_by("pk"):
        typed = _typed(record)
        name = typed.get("full_name") or typed.get("given_name")
        if name:
            (arabic if _arabic(name) else latin).append(typed)
    assert len(arabic) >= per_script and len(latin) >= per_script
    return [
        group[n * len(group) // per_script] for group in (arabic, latin) for n in range(per_script)
    ]


def _full_scan(new: dict, run) -> tuple:
    """What a check gave when it read every record: the model's comparison of the entry with
    all of them, term frequencies counted among them."""
    return find_candidates(new, records_frame(), run.model, limit=MAX_CANDIDATES * 3)


def _new(typed: dict[str, str]) -> dict:
    normalised, _ = normalise(typed)
    return {**normalised, "source": ENTERED_FOR}


def test_a_check_reads_the_blocked_records_only_and_scores_as_a_full_scan(linked):
    total = Record.objects.count()
    found = 0
    for typed in _entries():
        new = _new(typed)
        needed = blocks(new, linked.model)
        assert needed, "the demo's model blocks on names and dates of death"
        read = blocked_records(needed)
        assert read is not None and read.count() < total / 5, "the records sharing names"
        fast = possible_records(new, linked)
        assert fast == _full_scan(new, linked), typed
        found += bool(fast)
        # the record typed is among its own candidates
        assert fast and fast[0].match_probability > 0.5
    assert found == 8


def test_records_added_since_the_run_count_as_in_a_full_scan(linked):
    typed = _entries(1)[0]
    before = kept_term_frequencies(linked)
    saved = save_entry(ADMIN, ENTERED_FOR, typed, None, None)
    after = kept_term_frequencies(linked)
    assert after.totals["given_key"] == before.totals["given_key"] + 1
    key = normalise(typed)[0]["given_key"]
    assert after.counts["given_key"][key] == before.counts["given_key"][key] + 1
    new = _new(typed)
    fast = possible_records(new, linked)
    assert fast == _full_scan(new, linked)
    assert str(saved.record_id) in {c.record_id for c in fast}, "the record just entered"


def test_the_link_run_keeps_the_term_frequencies_a_check_would_count(linked):
    """The run counted them from the records it linked: a process that has not counted them
    (a restarted server) reads them instead of every record, and they are what counting every
    record gives; a correction since makes them stale, and a check counts afresh."""
    from everyname.core.link.candidates import term_frequencies
    from everyname.store import entry
    from everyname.store.models import RunTermFrequencies
    from everyname.store.records import correct_record

    counted = term_frequencies(records_frame(), linked.model)
    stamp = (linked.pk, str(linked.created_at), *entry.edits_stamp())
    stored = entry._stored_term_frequencies(linked, stamp)
    assert stored is not None and stored.records == Record.objects.count()
    assert (stored.frequencies.counts, stored.frequencies.totals) == (
        counted.counts,
        counted.totals,
    )
    entry._kept.clear()  # as a process that has not counted them
    kept = kept_term_frequencies(linked)
    assert (kept.counts, kept.totals) == (counted.counts, counted.totals)

    record = Record.objects.filter(normalised__given_name__isnull=False).order_by("pk").first()
    correct_record(ADMIN, record.pk, {"given_name": "Zakariya"}, reason="misheard")
    stale = (linked.pk, str(linked.created_at), *entry.edits_stamp())
    assert entry._stored_term_frequencies(linked, stale) is None
    entry._kept.clear()
    recounted = kept_term_frequencies(linked)
    assert recounted.counts == term_frequencies(records_frame(), linked.model).counts
    assert recounted.counts != counted.counts  # the corrected name is counted
    assert RunTermFrequencies.objects.filter(link_run=linked).count() == 1


def test_saving_as_new_writes_the_record_only(linked):
    record, _ = _duplicated(linked)
    decisions = MatchDecision.objects.count()
    saved = save_entry(ADMIN, ENTERED_FOR, _typed(record), "أبو أحمد", None)
    assert saved.decision_id is None
    assert MatchDecision.objects.count() == decisions
    entered = Record.objects.get(pk=saved.record_id)
    assert entered.source.code == ENTERED_FOR
    assert entered.batch.file_format == "entry"
    # the reporter is stored encrypted, and read back only through an audited reveal
    assert "أبو أحمد" not in str(entered.normalised) + str(entered.as_written)
    revealed = reveal_identity(ADMIN, entered.pk, "checking the entry test")
    assert "أبو أحمد" in str(revealed)


def test_partial_dates_and_a_decade_age(linked):
    assert date_text("2012", "", "") == "2012"
    assert date_text("2012", "2", "") == "2012-02"
    assert date_text("٢٠١٢", "2", "7") == "٢٠١٢-02-07"
    assert date_text("", "", "") is None
    check = check_entry(
        ADMIN,
        ENTERED_FOR,
        {
            "full_name": "سامر حسن الأحمد",
            "age": "40s",
            "date_of_death": date_text("2012", "2", ""),
            "date_of_birth": date_text("1970", "", ""),
        },
    )
    values = check.normalised
    assert (values["age_min"], values["age_max"], values["age_years"]) == (40, 49, None)
    assert values["age_group"] == "adult"
    assert values["date_of_death"] == "2012-02"
    assert values["date_of_death_precision"] == "month"
    assert (values["date_of_death_start"], values["date_of_death_end"]) == (
        "2012-02-01",
        "2012-02-29",
    )
    assert values["date_of_birth_precision"] == "year"
    assert check.unreadable == ()
    saved = save_entry(ADMIN, ENTERED_FOR, {"full_name": "سامر حسن الأحمد", "age": "40s"})
    stored = Record.objects.get(pk=saved.record_id).normalised
    assert (stored.get("age_min"), stored.get("age_max")) == (40, 49)


def test_an_unreadable_value_is_flagged_not_refused(linked):
    check = check_entry(
        ADMIN,
        ENTERED_FOR,
        {"full_name": "سامر حسن", "date_of_death": date_text("2012", "", "7"), "age": "430"},
    )
    flagged = {u["field"] for u in check.unreadable}
    assert flagged == {"date_of_death", "age"}
    assert check.normalised["date_of_death"] is None


def test_a_gazetteer_place_fills_its_levels(linked):
    assert place_levels({"place": "بابا عمرو"}) == {
        "neighbourhood": "بابا عمرو",
        "locality": "مدينة حمص",
        "district": "منطقة حمص",
        "governorate": "حمص",
    }
    latin = place_levels({"place": "Baba Amr", "governorate": "Homs"})
    assert latin["neighbourhood"] == "Baba Amr" and "governorate" not in latin
    assert place_levels({"place": "somewhere nobody knows"}) == {}


def test_a_recorder_enters_only_for_their_sources_and_sees_others_only_as_evidence(linked):
    record, person = _duplicated(linked)
    Source.objects.create(code="src-x", name="A committee with no record yet")
    recorder = Actor("dina", Role.RECORDER, frozenset({"src-x"}))
    assert [code for code, _ in entry_sources(recorder)] == ["src-x"]
    with pytest.raises(PermissionDenied):
        check_entry(recorder, record.source.code, _typed(record))
    with pytest.raises(PermissionDenied):
        save_entry(recorder, record.source.code, _typed(record))
    check = check_entry(recorder, "src-x", _typed(record))
    first = check.persons[0]
    assert first.person_id == person
    # every record of the person is in a source the recorder may not read: no name, no values
    assert not first.visible and first.name is None and first.fields == ()
    assert first.agrees
    # and the recorder may still say it is the same person
    saved = save_entry(recorder, "src-x", _typed(record), same_as_record=first.record_id)
    assert MatchDecision.objects.get(pk=saved.decision_id).decided_by == "dina"
    for role in (Role.REVIEWER, Role.VIEWER):
        with pytest.raises(PermissionDenied):
            check_entry(Actor("x", role), ENTERED_FOR, _typed(record))


def test_a_person_is_shown_through_a_record_the_recorder_may_read(linked):
    """A person with a record in the recorder's source is shown through that record (its
    name and values), even when a record of another source is more alike."""
    record, person = _duplicated(linked)
    own = Membership.objects.filter(link_run=linked, person_id=person).values_list(
        "record__source__code", flat=True
    )
    mine = sorted(set(own) - {record.source.code})[0]
    recorder = Actor("dina", Role.RECORDER, frozenset({mine}))
    first = check_entry(recorder, mine, _typed(record)).persons[0]
    assert first.person_id == person
    assert first.visible and first.source == mine and first.name


def test_the_reporter_travels_sealed(linked):
    sealed = seal_reporter(ADMIN, "أم خالد", "0933 000 111")
    assert sealed and "أم خالد" not in sealed and "0933" not in sealed
    saved = save_entry(
        ADMIN, ENTERED_FOR, {"full_name": "خالد عمر"}, None, None, reporter_sealed=sealed
    )
    revealed = str(reveal_identity(ADMIN, saved.record_id, "checking the sealed reporter"))
    assert "أم خالد" in revealed and "0933 000 111" in revealed
    with pytest.raises(InvalidInput):
        save_entry(ADMIN, ENTERED_FOR, {"full_name": "خالد عمر"}, reporter_sealed="forged")
    assert seal_reporter(ADMIN, " ", None) is None


def test_before_any_link_run_there_is_no_person_to_compare(demo_imported):
    check = check_entry(ADMIN, ENTERED_FOR, {"full_name": "سامر حسن الأحمد"})
    assert check.link_run is None and check.persons == ()
    with pytest.raises(InvalidInput):
        check_entry(ADMIN, ENTERED_FOR, {"reporter_name": "x"})
