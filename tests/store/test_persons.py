"""Persons as a reader looks them up: pages, name search in either script, one person with its
records, resolved values, conflicts, decisions and id history across link runs."""

from __future__ import annotations

import json

import pytest

from everyname.core.errors import InvalidInput, NotFound, PermissionDenied
from everyname.store.linking import run_link
from everyname.store.models import LinkRun, MatchDecision, Membership, Person, Record, Source
from everyname.store.persons import PersonFilters, get_person, list_persons
from everyname.store.records import enter_record

pytestmark = pytest.mark.django_db

ROLES = ("admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer")


def decide(left: int, right: int, verdict: str) -> None:
    left, right = sorted((left, right))
    MatchDecision.objects.create(
        record_l_id=left, record_r_id=right, verdict=verdict, decided_by="carol"
    )


def person_of(run_id: int) -> dict[int, str]:
    return dict(Membership.objects.filter(link_run_id=run_id).values_list("record_id", "person_id"))


@pytest.fixture
def small(key_file, cast):
    """Four typed records in two sources; a reviewer said the two Khalidi records are one
    person, so the link run puts them together whatever it scores."""
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    admin = cast["admin"]
    ids = {
        "a1": enter_record(
            admin,
            "src-a",
            {"full_name": "محمد عبد الرحمن الخالدي", "sex": "ذكر", "date_of_death": "4/2/2012"},
        ).id,
        "b1": enter_record(
            admin,
            "src-b",
            {
                "full_name": "Mohammed Abdulrahman al-Khalidi",
                "sex": "M",
                "date_of_death": "4/2/2012",
            },
        ).id,
        "a2": enter_record(admin, "src-a", {"full_name": "فاطمة أحمد السباعي", "sex": "أنثى"}).id,
        "b2": enter_record(admin, "src-b", {"full_name": "Hasan Ali Jundi", "sex": "male"}).id,
    }
    decide(ids["a1"], ids["b1"], "same")
    run = run_link(actor=admin).link_run
    return ids, person_of(run)


@pytest.mark.parametrize("role", ROLES)
def test_listing_persons_over_the_cast(small, cast, role):
    ids, persons = small
    if role == "viewer":
        with pytest.raises(PermissionDenied):
            list_persons(cast[role])
        return
    page = list_persons(cast[role])
    found = {p.person_id for p in page.items}
    assert {p["person_id"] for p in json.loads(json.dumps(page.to_dict()))["items"]} == found
    mine = {"recorder_a": ("a1", "a2"), "recorder_b": ("b1", "b2")}.get(role, tuple(ids))
    assert found == {persons[ids[k]] for k in mine}
    assert page.total == len(found)
    khalidi = next(p for p in page.items if p.person_id == persons[ids["a1"]])
    # a recorder sees the person as their own source's records make it
    seen = {"recorder_a": ("src-a",), "recorder_b": ("src-b",)}.get(role, ("src-a", "src-b"))
    assert khalidi.n_records == len(seen) and khalidi.sources == seen
    assert khalidi.sex == "male"


@pytest.mark.parametrize("role", ROLES)
def test_one_person_over_the_cast(small, cast, role):
    ids, persons = small
    khalidi = persons[ids["a1"]]
    fatima = persons[ids["a2"]]
    if role == "viewer":
        with pytest.raises(PermissionDenied):
            get_person(cast[role], khalidi)
        return
    detail = get_person(cast[role], khalidi)
    shown = {r.id for r in detail.records}
    expected = {"recorder_a": {ids["a1"]}, "recorder_b": {ids["b1"]}}.get(
        role, {ids["a1"], ids["b1"]}
    )
    assert shown == expected and detail.records_not_shown == 2 - len(expected)
    seen = {"recorder_a": ("src-a",), "recorder_b": ("src-b",)}.get(role, ("src-a", "src-b"))
    assert detail.n_records == len(seen) and detail.sources == seen
    assert detail.to_dict()["person_id"] == khalidi
    if role.startswith("recorder"):
        # the decision joins a record of each source: one the recorder may not see
        assert detail.decisions == () and detail.grade == "withheld"
    else:
        assert [(d.verdict, d.in_force) for d in detail.decisions] == [("same", True)]
        assert json.loads(json.dumps(detail.to_dict()))["decisions"][0]["verdict"] == "same"
    if role == "recorder_b":
        with pytest.raises(PermissionDenied):
            get_person(cast[role], fatima)
    else:
        assert get_person(cast[role], fatima).records[0].id == ids["a2"]


def test_name_search_in_either_script_finds_the_person_of_both_spellings(small, cast):
    ids, persons = small
    for query in ("محمد الخالدي", "Mohammed al-Khalidi", "Muhammad Khaldi"):
        page = list_persons(cast["reviewer"], query)
        assert [p.person_id for p in page.items] == [persons[ids["a1"]]], query
    # a recorder of src-b finds the person through their own record's spelling too
    page = list_persons(cast["recorder_b"], "محمد الخالدي")
    assert [p.person_id for p in page.items] == [persons[ids["b1"]]]
    assert list_persons(cast["admin"], "Ahmad Shami").total == 0
    # a person id is a query too
    assert [p.person_id for p in list_persons(cast["admin"], persons[ids["b2"]]).items] == [
        persons[ids["b2"]]
    ]


def test_person_filters(small, cast):
    ids, persons = small
    admin = cast["admin"]
    women = list_persons(admin, filters={"sex": "female"})
    assert [p.person_id for p in women.items] == [persons[ids["a2"]]]
    from_b = list_persons(admin, filters=PersonFilters(source="src-b"))
    assert {p.person_id for p in from_b.items} == {persons[ids["b1"]], persons[ids["b2"]]}
    with pytest.raises(PermissionDenied):
        list_persons(cast["recorder_a"], filters={"source": "src-b"})
    for filters, page_size, field in (
        ({"sex": "man"}, 50, "sex"),
        ({"colour": "red"}, 50, "colour"),
        ({}, 0, "page_size"),
    ):
        with pytest.raises(InvalidInput) as refused:
            list_persons(admin, filters=filters, page_size=page_size)
        assert refused.value.field == field


def test_unknown_persons_and_runs(small, cast):
    admin = cast["admin"]
    with pytest.raises(NotFound) as missing:
        get_person(admin, "P0000000000000000")
    assert missing.value.field == "person"
    with pytest.raises(NotFound) as missing:
        get_person(admin, "P0000000000000000", link_run=9999)
    assert missing.value.field == "link_run"
    with pytest.raises(InvalidInput):
        get_person(admin, " ")


def test_before_any_link_run_there_are_no_persons(key_file, cast):
    with pytest.raises(NotFound) as missing:
        list_persons(cast["admin"])
    assert missing.value.field == "link_run"


def test_one_person_of_the_demo_with_its_values_conflicts_and_id_history(demo_imported, cast):
    analyst = cast["analyst"]
    first = run_link(actor=analyst).link_run
    assigned = person_of(first)
    with_conflicts = (
        Person.objects.filter(link_run_id=first).exclude(conflicts=[]).order_by("person_id").first()
    )
    detail = get_person(analyst, with_conflicts.person_id)
    assert list(detail.conflicts) == with_conflicts.conflicts and detail.conflicts
    assert {r.id for r in detail.records} == {
        r for r, p in assigned.items() if p == with_conflicts.person_id
    }
    assert detail.resolved["name"] == with_conflicts.resolved["name"]
    assert "record_ids" not in detail.resolved
    assert [(e.kind, e.link_run) for e in detail.id_history] == [("present", first)]

    # a reviewer joins a single record to a larger person: the next run keeps the larger
    # person's id, and the single record's old id leads to it. The single record comes from a
    # source the larger person lacks: within one source, a record of another given name with
    # the same father's and family name would be held apart as a sibling (whichever ids the
    # database gave, PostgreSQL's go on across tests).
    persons = Person.objects.filter(link_run_id=first).exclude(person_id=with_conflicts.person_id)
    big, big_sources = (
        persons.filter(n_records=3).order_by("person_id").values_list("person_id", "sources")[0]
    )
    single = next(
        person_id
        for person_id, sources in persons.filter(n_records=1)
        .order_by("person_id")
        .values_list("person_id", "sources")
        if not set(sources) & set(big_sources)
    )
    left = min(r for r, p in assigned.items() if p == big)
    (right,) = [r for r, p in assigned.items() if p == single]
    decide(left, right, "same")
    second = run_link(actor=analyst).link_run
    joined = person_of(second)[right]
    assert joined == person_of(second)[left] == big
    merged = get_person(analyst, single)
    assert merged.person_id == big and merged.redirected_from == single
    assert {r.id for r in merged.records} == {r for r, p in assigned.items() if p == big} | {right}
    assert [(d.verdict, d.in_force) for d in merged.decisions] == [("same", True)]
    history = [(e.link_run, e.kind, e.person_id, e.now) for e in merged.id_history]
    assert (second, "became", single, (big,)) in history
    assert (second, "present", big, ()) in history
    assert (first, "present", single, ()) in history and (first, "present", big, ()) in history
    assert [e.link_run for e in merged.id_history] == sorted(e.link_run for e in merged.id_history)
    # the earlier run still shows the persons as they were
    earlier = get_person(analyst, single, link_run=first)
    assert earlier.person_id == single and earlier.redirected_from is None
    assert earlier.n_records == 1

    # the reviewer changes their mind: the pair is split again, and the newer decision is the
    # one in force
    decide(left, right, "different")
    third = run_link(actor=analyst).link_run
    assert person_of(third)[left] != person_of(third)[right]
    detail = get_person(analyst, person_of(third)[left])
    assert [(d.verdict, d.in_force) for d in detail.decisions] == [
        ("same", False),
        ("different", True),
    ]
    assert LinkRun.objects.count() == 3
    assert Record.objects.filter(pk__in=(left, right)).count() == 2


def test_an_id_split_between_two_persons_names_them(small, cast):
    ids, persons = small
    khalidi = persons[ids["a1"]]
    decide(ids["a1"], ids["b1"], "different")
    run = run_link(actor=cast["admin"]).link_run
    now = person_of(run)
    parts = {now[ids["a1"]], now[ids["b1"]]}
    assert len(parts) == 2 and khalidi not in parts
    with pytest.raises(NotFound) as missing:
        get_person(cast["admin"], khalidi)
    assert all(part in str(missing.value) for part in parts)
    detail = get_person(cast["admin"], now[ids["a1"]])
    assert ("became", khalidi) in [(e.kind, e.person_id) for e in detail.id_history]


def test_persons_by_date_window_and_place(key_file, cast):
    """A person is inside a window when their resolved date of death wholly is (a month or a
    year only when all of it lies inside, as counts decide); a place finds the persons with a
    record naming it or a place inside it, in either script."""
    admin = cast["admin"]
    Source.objects.create(code="src-a", name="src-a", created_by="tester")
    values = {
        "day": {
            "full_name": "محمد عبد الرحمن الخالدي",
            "date_of_death": "2012-02-04",
            "neighbourhood": "بابا عمرو",
        },
        "month": {"full_name": "فاطمة أحمد السباعي", "date_of_death": "2012-02"},
        "year": {
            "full_name": "Hasan Ali Jundi",
            "date_of_death": "2012",
            "neighbourhood": "Khalidiya",
        },
        "none": {"full_name": "Omar Khaled Hamwi"},
    }
    ids = {key: enter_record(admin, "src-a", v).id for key, v in values.items()}
    persons = person_of(run_link(actor=admin).link_run)

    def found(**filters: str) -> set[str]:
        return {p.person_id for p in list_persons(admin, filters=filters).items}

    def of(*keys: str) -> set[str]:
        return {persons[ids[k]] for k in keys}

    assert len(of("day", "month", "year", "none")) == 4
    assert found(since="2012-02-04", until="2012-02-04") == of("day")
    assert found(since="2012-02-01", until="2012-02-29") == of("day", "month")
    assert found(since="2012-02-02", until="2012-02-29") == of("day")
    assert found(since="2012-02-01", until="2012-02-28") == of("day")
    assert found(since="2012-01-01", until="2012-12-31") == of("day", "month", "year")
    assert found(since="2012-01-01") == of("day", "month", "year")
    assert found(since="2012-01-02") == of("day", "month")
    assert found(until="2012-02-29") == of("day", "month")
    assert found(since="2012-02-05") == set()
    assert found(place="Baba Amr") == of("day")
    assert found(place="حمص") == of("day", "year")
    for filters, field in (
        ({"since": "2012-03-01", "until": "2012-02-01"}, "until"),
        ({"since": "Feb 2012"}, "since"),
    ):
        with pytest.raises(InvalidInput) as refused:
            list_persons(admin, filters=filters)
        assert refused.value.field == field


def test_a_person_carries_its_corroboration_grade(small, cast):
    """The grade a count by ``grade`` gives: two sources confirm, one does not, and a copy
    group counts once."""
    ids, persons = small
    khalidi = get_person(cast["reviewer"], persons[ids["a1"]])
    assert (khalidi.grade, khalidi.independent_sources) == ("confirmed", 2)
    assert khalidi.to_dict()["grade"] == "confirmed" and khalidi.contested_fields == ()
    fatima = get_person(cast["reviewer"], persons[ids["a2"]])
    assert (fatima.grade, fatima.independent_sources) == ("single_source", 1)
    Source.objects.filter(code__in=("src-a", "src-b")).update(copy_group="one-office")
    copied = get_person(cast["reviewer"], persons[ids["a1"]])
    assert (copied.grade, copied.independent_sources) == ("single_source", 1)


def test_one_place_in_two_scripts_is_told_from_a_real_conflict(key_file, cast):
    """Two records of one person (a reviewer said so), one in Arabic and one in Latin letters:
    the run resolves the governorate written two ways to one place (no conflict, not unknown)
    and lists the two neighbourhoods, two places, as a conflict."""
    admin = cast["admin"]
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    left = enter_record(
        admin,
        "src-a",
        {"full_name": "محمد الخالدي", "governorate": "حمص", "neighbourhood": "بابا عمرو"},
    ).id
    right = enter_record(
        admin,
        "src-b",
        {"full_name": "Mohammed al-Khalidi", "governorate": "Homs", "neighbourhood": "Khalidiya"},
    ).id
    decide(left, right, "same")
    person = person_of(run_link(actor=admin).link_run)[left]
    detail = get_person(admin, person)
    assert {c["field"] for c in detail.conflicts} == {"neighbourhood"}
    assert detail.resolved["governorate"] in ("Homs", "حمص")
    assert detail.resolved.get("neighbourhood") is None  # a tie of two places: unknown
    assert detail.place_spellings == ()


DISPUTED = {
    # one person: two records in src-a, one in src-b that disagrees with them on age, place,
    # status and date; B's values are written so that none of them can appear by chance
    "a1": (
        "src-a",
        {
            "full_name": "محمد عبد الرحمن الخالدي",
            "age": "12",
            "neighbourhood": "بابا عمرو",
            "status": "civilian",
            "date_of_death": "2012-02-04",
        },
    ),
    "a1b": (
        "src-a",
        {"full_name": "محمد عبد الرحمن الخالدي", "age": "12", "neighbourhood": "الإنشاءات"},
    ),
    "b1": (
        "src-b",
        {
            "full_name": "Mohammed Abdulrahman al-Khalidi",
            "age": "47",
            "neighbourhood": "Deir Baalba",
            "status": "combatant",
            "date_of_death": "2012-03-09",
        },
    ),
    "a2": ("src-a", {"full_name": "فاطمة أحمد السباعي", "sex": "أنثى"}),
}
B_TEXT = ("Deir Baalba", "2012-03-09", "Mohammed Abdulrahman al-Khalidi", "src-b", "combatant")


@pytest.fixture
def disputed(key_file, cast):
    """The records of :data:`DISPUTED`, linked; reviewers said the Khalidi records are one
    person and that the second of them is not Fatima."""
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    ids = {k: enter_record(cast["admin"], src, v).id for k, (src, v) in DISPUTED.items()}
    decide(ids["a1"], ids["b1"], "same")
    decide(ids["a1"], ids["a1b"], "same")
    decide(ids["a1b"], ids["a2"], "different")
    run = run_link(actor=cast["admin"]).link_run
    return ids, person_of(run)


def test_a_recorder_sees_a_person_as_their_records_alone_make_it(disputed, cast):
    """Resolved values, conflicts, sources and decisions of a person shared with a source the
    recorder is not assigned to come from the recorder's records only: nothing src-b says is
    in what they get, in the list or on the person."""
    ids, persons = disputed
    khalidi = persons[ids["a1"]]
    mine = get_person(cast["recorder_a"], khalidi)
    assert {r.id for r in mine.records} == {ids["a1"], ids["a1b"]}
    assert (mine.n_records, mine.sources, mine.records_not_shown) == (2, ("src-a",), 1)
    assert mine.resolved["age_years"] == 12 and mine.resolved["status"] == "civilian"
    # one date among their records: theirs, where the whole person's is unknown (a conflict)
    assert mine.resolved["date_of_death"] == "2012-02-04"
    # their own two records still disagree on the neighbourhood, and they see that conflict
    assert mine.resolved["neighbourhood"] is None
    assert [c["field"] for c in mine.conflicts] == ["neighbourhood"]
    assert set(mine.conflicts[0]["values"]) == {"بابا عمرو", "الإنشاءات"}
    assert {(d.record_l, d.record_r) for d in mine.decisions} == {
        tuple(sorted((ids["a1"], ids["a1b"]))),
        tuple(sorted((ids["a1b"], ids["a2"]))),
    }
    assert (mine.grade, mine.independent_sources, mine.contested_fields) == ("withheld", None, ())
    sent = json.dumps(mine.to_dict(), ensure_ascii=False)
    for text in (*B_TEXT, f'"{ids["b1"]}"'):
        assert text not in sent, text
    assert "47" not in {str(v) for c in mine.conflicts for v in c["values"]}

    (summary,) = [p for p in list_persons(cast["recorder_a"]).items if p.person_id == khalidi]
    assert (summary.n_records, summary.sources, summary.conflicts) == (2, ("src-a",), 1)
    assert (summary.age_years, summary.status, summary.date_of_death) == (
        12,
        "civilian",
        "2012-02-04",
    )
    # found by name, through the list's other path, the person is the same
    (by_name,) = list_persons(cast["recorder_a"], "محمد الخالدي").items
    assert by_name == summary
    listed = json.dumps(list_persons(cast["recorder_a"]).to_dict(), ensure_ascii=False)
    for text in B_TEXT:
        assert text not in listed, text

    # the recorder of src-b sees B's values, and none of A's
    theirs = get_person(cast["recorder_b"], khalidi)
    assert (theirs.resolved["age_years"], theirs.resolved["neighbourhood"]) == (47, "Deir Baalba")
    assert theirs.conflicts == () and theirs.decisions == ()
    assert "بابا عمرو" not in json.dumps(theirs.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize("role", ("admin", "analyst", "reviewer"))
def test_other_roles_see_the_whole_person_as_the_link_run_resolved_it(disputed, cast, role):
    ids, persons = disputed
    khalidi = persons[ids["a1"]]
    stored = Person.objects.get(link_run=LinkRun.objects.latest("pk"), person_id=khalidi)
    detail = get_person(cast[role], khalidi)
    assert detail.resolved == {k: v for k, v in stored.resolved.items() if k != "record_ids"}
    assert list(detail.conflicts) == stored.conflicts
    assert (detail.n_records, detail.sources, detail.records_not_shown) == (
        3,
        ("src-a", "src-b"),
        0,
    )
    assert detail.resolved["age_years"] == 12 and detail.resolved["date_of_death"] is None
    said = {c["field"]: set(c["values"]) for c in detail.conflicts}
    assert said["age_years"] == {"12", "47"} and said["status"] == {"civilian", "combatant"}
    assert said["date_of_death"] == {"2012-02-04", "2012-03-09"}
    assert "Deir Baalba" in said["neighbourhood"]
    assert len(detail.decisions) == 3
    assert (detail.grade, detail.independent_sources) == ("contested", 2)
    (summary,) = [p for p in list_persons(cast[role]).items if p.person_id == khalidi]
    assert (summary.n_records, summary.sources) == (3, ("src-a", "src-b"))
    assert summary.conflicts == len(stored.conflicts) and summary.date_of_death is None


def test_a_recorder_of_every_source_of_a_person_sees_it_whole(disputed, cast):
    """Assigned to both sources, a recorder sees the person as the link run made it, grade
    included: nothing is hidden from them, so nothing is resolved again."""
    from everyname.store.permissions import Actor, Role

    ids, persons = disputed
    both = Actor("gina", Role.RECORDER, frozenset({"src-a", "src-b"}))
    whole = get_person(cast["analyst"], persons[ids["a1"]])
    assert get_person(both, persons[ids["a1"]]) == whole
    assert list_persons(both).items == list_persons(cast["analyst"]).items


def test_a_recorders_filters_ask_only_about_their_own_records(disputed, cast):
    """Only src-b says the second Jundi is a combatant who died in March 2012: a recorder of
    src-a filtering on that does not find him (nor learn it); an analyst does, and so does
    the recorder through what their own record says."""
    admin = cast["admin"]
    mine = enter_record(admin, "src-a", {"full_name": "حسن علي الجندي", "sex": "ذكر"}).id
    theirs = enter_record(
        admin,
        "src-b",
        {
            "full_name": "Hasan Ali al-Jundi",
            "sex": "male",
            "status": "combatant",
            "date_of_death": "2012-03-15",
        },
    ).id
    decide(mine, theirs, "same")
    jundi = person_of(run_link(actor=admin).link_run)[mine]
    asked = (
        {"status": "combatant"},
        {"since": "2012-03-01", "until": "2012-03-31"},
        {"status": "combatant", "sex": "male"},
    )
    for filters in asked:
        found = {p.person_id for p in list_persons(cast["analyst"], filters=filters).items}
        assert jundi in found, filters
        for query in (None, "حسن الجندي", jundi):
            page = list_persons(cast["recorder_a"], query, filters=filters, page_size=500)
            assert jundi not in {p.person_id for p in page.items}, (filters, query)
    for query in (None, "Hasan al-Jundi", jundi):
        page = list_persons(cast["recorder_a"], query, filters={"sex": "male"}, page_size=500)
        assert jundi in {p.person_id for p in page.items}, query
        page = list_persons(cast["recorder_b"], query, filters={"status": "combatant"})
        assert jundi in {p.person_id for p in page.items}, query
