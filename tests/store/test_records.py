"""Records as a recorder works with them: typed entry, corrections as revisions, pages, one record.

Every service function is run for every member of the cast: allowed roles get a result, the
others PermissionDenied with nothing written.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.count import count_persons
from everyname.core.errors import ErrorKind, InvalidInput, NotFound, PermissionDenied
from everyname.core.ingest import normalise
from everyname.store import crypto
from everyname.store.counting import count_input
from everyname.store.imports import import_file, original_bytes
from everyname.store.linking import records_frame, run_link
from everyname.store.models import (
    AuditEvent,
    Batch,
    Membership,
    Person,
    Record,
    RecordRevision,
    Source,
)
from everyname.store.record_stream import open_identity, stored_normalised
from everyname.store.records import (
    RecordFilters,
    correct_record,
    enter_record,
    get_record,
    list_records,
)

from .conftest import database_snapshot

pytestmark = pytest.mark.django_db

REPORTER = "Umm Khaled Witness"
CONTACT = "+963 944 000 111"
VALUES = {
    "full_name": "محمد عبد الرحمن الخالدي",
    "sex": "ذكر",
    "age": "٣٤",
    "date_of_death": "4/2/2012",
    "neighbourhood": "بابا عمرو",
    "cause": "قصف",
    "status": "مدني",
}
ROLES = ("admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer")
MAY_WRITE_SRC_A = {"admin", "analyst", "recorder_a"}
MAY_READ_SRC_A = {"admin", "analyst", "reviewer", "recorder_a"}


@pytest.fixture
def sources(key_file):
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code.upper(), created_by="tester")


@pytest.fixture
def entered(sources, cast):
    """One typed record in src-a (with a reporter) and one in src-b."""
    a = enter_record(
        cast["admin"], "src-a", VALUES, reporter_name=REPORTER, reporter_contact=CONTACT
    )
    b = enter_record(cast["admin"], "src-b", {"full_name": "Fatima Ahmad al-Sibai", "sex": "F"})
    return a, b


def stored_row(record_id: int) -> tuple:
    """The record's as-imported columns exactly as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT raw, as_written, row_number, batch_id FROM {Record._meta.db_table} "
            "WHERE id = %s",
            [record_id],
        )
        return cursor.fetchone()


def everything_stored() -> str:
    """Every table as text, to search for an identity that must not be there in the clear."""
    return json.dumps(database_snapshot(), default=repr, ensure_ascii=False)


# --- typed entry -----------------------------------------------------------------------------


def test_a_typed_entry_is_read_exactly_as_the_same_row_of_an_imported_file(sources, cast, tmp_path):
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(VALUES))
        writer.writerow(VALUES.values())
    import_file(path, "src-b", actor=cast["admin"])
    imported = Record.objects.get(source__code="src-b")

    typed = enter_record(cast["recorder_a"], "src-a", VALUES, reporter_name=REPORTER)

    assert typed.normalised == imported.normalised
    assert typed.as_written == typed.as_imported == imported.as_written == VALUES
    assert typed.normalised["age_years"] == 34 and typed.normalised["sex"] == "male"
    assert typed.normalised["full_key"] == "MHMD BDLRHMN KLD"
    assert typed.unreadable == () and typed.has_reporter_identity
    batch = Batch.objects.get(pk=typed.batch)
    assert (batch.file_format, batch.rows_read, batch.records_imported) == ("entry", 1, 1)
    # the entry as submitted is its batch's original, encrypted, with its SHA-256
    document = json.loads(b"".join(original_bytes(batch)))
    assert document["values"]["full_name"] == VALUES["full_name"]
    assert document["entered_by"] == "dina"
    event = AuditEvent.objects.get(action="record.entered")
    assert (event.actor, event.object_id) == ("dina", str(typed.id))
    assert event.details["source"] == "src-a" and "full_name" in event.details["fields"]
    # the reporter is encrypted like an import's: nowhere in the clear, and sealed on the record
    assert REPORTER not in everything_stored()
    secret = open_identity(Record.objects.get(pk=typed.id).sensitive_encrypted)
    assert secret["fields"] == {"reporter_name": REPORTER}
    assert REPORTER not in json.dumps(typed.to_dict(), ensure_ascii=False)


def test_an_unreadable_typed_value_is_kept_as_written_flagged_and_unknown(sources, cast):
    detail = enter_record(
        cast["admin"],
        "src-a",
        {"full_name": "خالد حسن", "age": "430", "date_of_death": "31/2/2012"},
    )
    assert detail.as_written["age"] == "430"
    assert detail.normalised["age_group"] == "unknown" and "age_years" not in detail.normalised
    assert "date_of_death" not in detail.normalised
    flagged = {flag["field"]: flag for flag in detail.unreadable}
    assert set(flagged) == {"age", "date_of_death"}
    assert flagged["age"]["value"] == "430" and flagged["age"]["expected"]
    assert Batch.objects.get(pk=detail.batch).unreadable[0]["row"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_typed_entry_over_the_cast(sources, cast, role, snapshot):
    before = snapshot()
    if role in MAY_WRITE_SRC_A:
        detail = enter_record(cast[role], "src-a", {"full_name": "Hamza Jumaa"})
        assert detail.source == "src-a"
        assert Record.objects.filter(pk=detail.id, source__code="src-a").exists()
    else:
        with pytest.raises(PermissionDenied) as refused:
            enter_record(cast[role], "src-a", {"full_name": "Hamza Jumaa"})
        assert refused.value.kind is ErrorKind.PERMISSION_DENIED
        assert snapshot() == before


@pytest.mark.parametrize(
    ("source", "values", "error", "field"),
    [
        ("src-a", {"full_name": "Hamza", "colour": "red"}, InvalidInput, "colour"),
        ("src-a", {"full_name": "Hamza", "reporter_name": "X"}, InvalidInput, "reporter_name"),
        ("src-a", {"sex": "male", "age": "30"}, InvalidInput, "full_name"),
        ("src-a", {"full_name": "  "}, InvalidInput, "full_name"),
        ("src-a", {"full_name": 7}, InvalidInput, "full_name"),
        ("nowhere", {"full_name": "Hamza"}, NotFound, "source"),
    ],
)
def test_a_refused_entry_names_its_field_and_writes_nothing(
    sources, cast, snapshot, source, values, error, field
):
    before = snapshot()
    with pytest.raises(error) as refused:
        enter_record(cast["admin"], source, values)
    assert refused.value.field == field
    assert snapshot() == before


def test_two_identical_entries_are_two_records(sources, cast):
    values = {"full_name": "مجهول", "date_of_death": "2012-02-04"}
    first = enter_record(cast["admin"], "src-a", values)
    second = enter_record(cast["admin"], "src-a", values)
    assert first.id != second.id and first.batch != second.batch


# --- corrections -----------------------------------------------------------------------------


def test_a_correction_is_a_revision_and_leaves_the_row_as_imported_untouched(demo_imported, cast):
    record = Record.objects.filter(source__code="lcc_homs").order_by("pk").first()
    as_imported = stored_row(record.pk)
    normalised_before = dict(record.normalised)
    detail = correct_record(
        cast["analyst"],
        record.pk,
        {"date_of_death": "2012-02-09", "full_name": "محمد ناصر الجندي"},
        reason="the family's death certificate",
    )
    assert stored_row(record.pk) == as_imported
    assert detail.as_imported == record.as_written and detail.raw == record.raw
    assert detail.as_written["date_of_death"] == "2012-02-09"
    assert detail.as_written["full_name"] == "محمد ناصر الجندي"
    assert detail.normalised["date_of_death_start"] == "2012-02-09"
    assert detail.normalised["full_key"] == "MHMD NSR JND"
    (revision,) = detail.revisions
    assert revision.number == 1 and revision.by == "bob"
    assert revision.reason == "the family's death certificate"
    assert revision.as_written_before == {
        "date_of_death": record.as_written["date_of_death"],
        "full_name": record.as_written["full_name"],
    }
    assert revision.normalised_before["date_of_death"] == normalised_before["date_of_death"]
    assert revision.normalised_after["date_of_death"] == "2012-02-09"
    # every changed normalised key, and only those, is in the revision
    assert set(revision.normalised_after) == {
        k
        for k in {*normalised_before, *detail.normalised}
        if normalised_before.get(k) != detail.normalised.get(k)
    }
    event = AuditEvent.objects.get(action="record.corrected")
    assert event.object_id == str(record.pk) and event.actor == "bob"
    assert event.details["fields"] == ["date_of_death", "full_name"]
    assert event.details["reason"] == "the family's death certificate"
    assert event.details["revision"] == 1

    second = correct_record(cast["admin"], record.pk, {"date_of_death": "2012-02-10"}, "typo")
    shown = json.loads(json.dumps(second.to_dict(), ensure_ascii=False))
    assert [r["number"] for r in shown["revisions"]] == [1, 2]
    assert [r.number for r in second.revisions] == [1, 2]
    assert second.revisions[1].as_written_before == {"date_of_death": "2012-02-09"}
    assert stored_row(record.pk) == as_imported
    with pytest.raises(RuntimeError):
        RecordRevision.objects.get(record=record, number=1).save()


def test_a_correction_uses_the_batch_mapping_like_its_import(demo_imported, cast):
    """nb_oldcity writes sex as M/F (its mapping's value map) and dates day first."""
    record = (
        Record.objects.filter(source__code="nb_oldcity").exclude(normalised__sex="female").first()
    )
    assert Batch.objects.get(pk=record.batch_id).mapping_text
    detail = correct_record(
        cast["admin"], record.pk, {"sex": "F", "date_of_death": "05/02/2012"}, "checked"
    )
    assert detail.normalised["sex"] == "female"
    assert detail.normalised["date_of_death"] == "2012-02-05"
    # the unchanged fields normalise as the import did
    for key in ("age_years", "neighbourhood", "cause", "full_key"):
        assert detail.normalised.get(key) == record.normalised.get(key)


def test_an_unreadable_correction_is_kept_as_written_flagged_and_unknown(entered, cast):
    a, _ = entered
    detail = correct_record(cast["recorder_a"], a.id, {"age": "1962"}, reason="phone call")
    assert detail.as_written["age"] == "1962"
    assert "age_years" not in detail.normalised and detail.normalised["age_group"] == "unknown"
    (flag,) = detail.unreadable
    assert flag["field"] == "age" and flag["value"] == "1962" and flag["revision"] == 1
    assert detail.revisions[0].unreadable == (flag,)
    fixed = correct_record(cast["recorder_a"], a.id, {"age": "62"}, reason="asked again")
    assert fixed.unreadable == () and fixed.normalised["age_years"] == 62


def test_a_cleared_value_is_unknown_and_a_nameless_record_is_refused(entered, cast, snapshot):
    a, _ = entered
    detail = correct_record(cast["admin"], a.id, {"cause": ""}, reason="not known after all")
    assert "cause" not in detail.as_written and detail.normalised["cause"] == "unknown"
    assert detail.revisions[0].as_written_after == {"cause": None}
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        correct_record(cast["admin"], a.id, {"full_name": None}, reason="x")
    assert refused.value.field == "full_name"
    assert snapshot() == before


def test_a_correction_of_the_reporter_is_encrypted_everywhere(entered, cast):
    a, _ = entered
    new_contact = "+963 933 222 999"
    as_entered = stored_row(a.id)
    detail = correct_record(
        cast["recorder_a"], a.id, {"reporter_contact": new_contact}, reason="new number"
    )
    (revision,) = detail.revisions
    assert revision.sensitive_fields == ("reporter_contact",)
    assert revision.as_written_after == {} and revision.normalised_after == {}
    stored = everything_stored()
    assert new_contact not in stored and CONTACT not in stored and REPORTER not in stored
    assert new_contact not in json.dumps(detail.to_dict(), ensure_ascii=False)
    event = AuditEvent.objects.get(action="record.corrected")
    assert event.details["fields"] == ["reporter_contact"]
    record = Record.objects.get(pk=a.id)
    identity = open_identity(record.sensitive_encrypted)
    assert identity["fields"] == {"reporter_name": REPORTER, "reporter_contact": new_contact}
    sealed = json.loads(
        crypto.decrypt_text(bytes(RecordRevision.objects.get(record=record).sensitive_encrypted))
    )
    assert sealed == {
        "before": {"reporter_contact": CONTACT},
        "after": {"reporter_contact": new_contact},
    }
    assert stored_row(a.id) == as_entered


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"sex": "male"}, "", "reason"),
        ({"sex": "male"}, "   ", "reason"),
        ({}, "why", "changes"),
        ({"colour": "red"}, "why", "colour"),
        ({"full_name": VALUES["full_name"]}, "same", "full_name"),
        ({"reporter_name": REPORTER}, "same", "reporter_name"),
        ({"age": 34}, "why", "age"),
    ],
)
def test_a_refused_correction_names_its_field_and_writes_nothing(
    entered, cast, snapshot, changes, reason, field
):
    a, _ = entered
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        correct_record(cast["admin"], a.id, changes, reason)
    assert refused.value.field == field
    assert snapshot() == before


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(["age", "date_of_death", "sex", "cause", "status", "given_name"]),
    text=st.text(alphabet=st.sampled_from("0123456789٠١٢٣٤٥٦٧٨٩/-. abcمحمدذكر"), min_size=1)
    .map(str.strip)
    .filter(bool),
)
def test_any_corrected_text_is_kept_as_written_and_either_read_or_flagged(
    entered, cast, field, text
):
    a, _ = entered
    as_entered = stored_row(a.id)
    current = get_record(cast["admin"], a.id).as_written.get(field)
    if text == current:
        return
    detail = correct_record(cast["admin"], a.id, {field: text}, reason="property")
    assert detail.as_written[field] == text
    assert detail.revisions[-1].as_written_after == {field: text}
    flags = [f for f in detail.unreadable if f["field"] == field]
    assert len(flags) <= 1
    if flags:
        assert flags[0]["value"] == text and flags[0]["revision"] == len(detail.revisions)
    # read by the import's own code: the same values, and a flag exactly where it finds one
    expected, errors = normalise(detail.as_written)
    assert detail.normalised == stored_normalised(expected)
    assert bool(flags) == any(name == field for name, _ in errors)
    assert stored_row(a.id) == as_entered


def test_correcting_a_record_that_does_not_exist(entered, cast):
    with pytest.raises(NotFound) as missing:
        correct_record(cast["admin"], 999_999, {"sex": "male"}, "why")
    assert missing.value.field == "record"


@pytest.mark.parametrize("role", ROLES)
def test_corrections_over_the_cast(entered, cast, role, snapshot):
    a, _ = entered
    before = snapshot()
    if role in MAY_WRITE_SRC_A:
        detail = correct_record(cast[role], a.id, {"status": "combatant"}, reason="checked")
        assert detail.normalised["status"] == "combatant"
        assert detail.revisions[0].by == cast[role].username
    else:
        with pytest.raises(PermissionDenied):
            correct_record(cast[role], a.id, {"status": "combatant"}, reason="checked")
        assert snapshot() == before


def test_the_next_link_run_and_counts_use_the_corrected_values(demo_imported, cast):
    admin = cast["admin"]
    first = run_link(actor=admin)
    singles = set(
        Person.objects.filter(link_run_id=first.link_run, n_records=1).values_list(
            "person_id", flat=True
        )
    )
    males = Record.objects.filter(normalised__sex="male").values_list("pk", flat=True)
    record_id, person_id = (
        Membership.objects.filter(link_run_id=first.link_run, record_id__in=males)
        .filter(person_id__in=singles)
        .order_by("record_id")
        .values_list("record_id", "person_id")
        .first()
    )
    counted = count_persons(count_input(), by=["sex"])
    sexes_before = {f.value: f.count for f in counted.by["sex"]}
    frame = records_frame()
    assert frame.loc[frame["record_id"] == str(record_id), "sex"].item() == "male"

    correct_record(admin, record_id, {"sex": "أنثى"}, reason="the hospital register says female")

    frame = records_frame()
    assert frame.loc[frame["record_id"] == str(record_id), "sex"].item() == "female"
    second = run_link(actor=admin)
    person = Person.objects.get(link_run_id=second.link_run, person_id=person_id)
    assert person.resolved["sex"] == "female"
    counted = count_persons(count_input(), by=["sex"])
    sexes_after = {f.value: f.count for f in counted.by["sex"]}
    assert sexes_after["female"] == sexes_before["female"] + 1
    assert sexes_after["male"] == sexes_before["male"] - 1
    assert counted.total == sum(sexes_before.values())


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reading_one_record_over_the_cast(entered, cast, role):
    a, _ = entered
    if role in MAY_READ_SRC_A:
        detail = get_record(cast[role], a.id)
        assert detail.as_written == VALUES and detail.has_reporter_identity
        text = json.dumps(detail.to_dict(), ensure_ascii=False)
        assert REPORTER not in text and CONTACT not in text
        assert "reporter_name" not in detail.as_written and "reporter_name" not in detail.raw
    else:
        with pytest.raises(PermissionDenied):
            get_record(cast[role], a.id)


def test_reading_a_record_that_does_not_exist(entered, cast):
    with pytest.raises(NotFound) as missing:
        get_record(cast["admin"], 424242)
    assert missing.value.field == "record" and missing.value.kind is ErrorKind.NOT_FOUND
    with pytest.raises(InvalidInput):
        get_record(cast["admin"], "seven")


def test_a_record_read_after_a_link_run_names_its_person(demo_imported, cast):
    summary = run_link(actor=cast["admin"])
    membership = Membership.objects.filter(link_run_id=summary.link_run).first()
    detail = get_record(cast["reviewer"], membership.record_id)
    assert detail.person_id == membership.person_id


@pytest.mark.parametrize("role", ROLES)
def test_listing_records_over_the_cast(entered, cast, role):
    a, b = entered
    if role == "viewer":
        with pytest.raises(PermissionDenied):
            list_records(cast[role])
        return
    page = list_records(cast[role])
    ids = [item.id for item in page.items]
    assert [i["id"] for i in json.loads(json.dumps(page.to_dict()))["items"]] == ids
    expected = {"recorder_a": [a.id], "recorder_b": [b.id]}.get(role, [a.id, b.id])
    assert ids == expected and page.total == len(expected)
    if role == "recorder_b":
        with pytest.raises(PermissionDenied) as refused:
            list_records(cast[role], {"source": "src-a"})
        assert refused.value.field == "source"


def test_record_filters_on_the_demo_lists(demo_imported, cast):
    analyst = cast["analyst"]
    rows = list(Record.objects.values_list("pk", "source__code", "batch_id", "normalised"))

    def ids(**filters) -> list[int]:
        found, number = [], 1
        while True:
            page = list_records(analyst, filters, page=number, page_size=500)
            found += [item.id for item in page.items]
            if number >= page.pages:
                assert len(found) == page.total
                return found
            number += 1

    assert ids() == sorted(pk for pk, *_ in rows)
    assert ids(source="nb_oldcity") == sorted(pk for pk, s, *_ in rows if s == "nb_oldcity")
    batch = rows[0][2]
    assert ids(batch=batch) == sorted(pk for pk, _, b, _ in rows if b == batch)
    assert ids(batch=str(batch)) == ids(batch=batch)
    for name, value in (("status", "civilian"), ("sex", "female"), ("age_group", "child")):
        expected = sorted(pk for pk, _, _, n in rows if n.get(name) == value)
        assert expected and ids(**{name: value}) == expected
    inside = sorted(
        pk
        for pk, _, _, n in rows
        if n.get("date_of_death_start", "") >= "2012-02-05"
        and (n.get("date_of_death_end") or "9999") <= "2012-02-06"
    )
    assert inside and ids(since="2012-02-05", until="2012-02-06") == inside
    in_baba_amr = sorted(
        pk
        for pk, _, _, n in rows
        if any("بابا عمرو" in (n.get(f) or "") for f in ("neighbourhood", "place"))
    )
    assert in_baba_amr and set(in_baba_amr) <= set(ids(place="بابا عمرو"))
    # the gazetteer brings the scripts together, and a place brings the places inside it
    assert set(in_baba_amr) <= set(ids(place="Baba Amr"))
    assert set(ids(place="Baba Amr")) <= set(ids(place="Homs"))
    assert ids(place="Atlantis") == []
    # paging: the same records, a page at a time
    first = list_records(analyst, page=1, page_size=100)
    second = list_records(analyst, page=2, page_size=100)
    assert first.total == len(rows) and first.pages == -(-len(rows) // 100)
    assert [i.id for i in first.items + second.items] == sorted(pk for pk, *_ in rows)[:200]
    assert list_records(analyst, page=99, page_size=100).items == ()


@pytest.mark.parametrize(
    ("filters", "page", "page_size", "field"),
    [
        ({"status": "soldier"}, 1, 50, "status"),
        ({"since": "Feb 2012"}, 1, 50, "since"),
        ({"since": "2012-03-01", "until": "2012-02-01"}, 1, 50, "until"),
        ({"colour": "red"}, 1, 50, "colour"),
        ({"batch": "two"}, 1, 50, "batch"),
        ({}, 0, 50, "page"),
        ({}, 1, 501, "page_size"),
    ],
)
def test_bad_record_filters_name_their_field(entered, cast, filters, page, page_size, field):
    with pytest.raises(InvalidInput) as refused:
        list_records(cast["admin"], filters, page, page_size)
    assert refused.value.field == field


def test_name_search_finds_either_script(sources, cast):
    admin = cast["admin"]
    arabic = enter_record(admin, "src-a", {"full_name": "محمد عبد الرحمن الخالدي"})
    latin = enter_record(admin, "src-b", {"full_name": "Mohammed Abdulrahman al-Khalidi"})
    parts = enter_record(
        admin, "src-b", {"given_name": "Muhammad", "father_name": "Ali", "family_name": "Khalidi"}
    )
    enter_record(admin, "src-a", {"full_name": "خالد محمود"})  # the same keys, reversed
    enter_record(admin, "src-a", {"full_name": "محمد الخالديني"})  # a longer family name
    enter_record(admin, "src-b", {"full_name": "Ahmad Hasan"})
    expected = sorted([arabic.id, latin.id, parts.id])
    for query in ("محمد الخالدي", "Mohammed al-Khalidi", "mohamad khalidi", "Muhammad Khaldi"):
        found = [item.id for item in list_records(admin, {"name": query}).items]
        assert found == expected, query
    assert [i.id for i in list_records(admin, RecordFilters(name="عبدالرحمن")).items] == sorted(
        [arabic.id, latin.id]
    )
    # a recorder finds only their own source's spelling
    found = [i.id for i in list_records(cast["recorder_a"], {"name": "Mohammed al-Khalidi"}).items]
    assert found == [arabic.id]


def test_name_search_on_the_demo_lists_finds_both_scripts(demo_imported, cast):
    """The local committee writes محمد ناصر عبد الرحمن الجندي, the old city list Mohamad
    Nasser Jundi: one search in either script finds both."""
    for query in ("محمد الجندي", "Mohammed al-Jundi"):
        found = list_records(cast["analyst"], {"name": query}, page_size=500).items
        sources = Counter(item.source for item in found)
        assert sources["lcc_homs"] and sources["nb_oldcity"], (query, sources)
        for item in found:
            keys = Record.objects.get(pk=item.id).normalised["full_key"].split()
            assert {"MHMD", "JND"} <= set(keys)
