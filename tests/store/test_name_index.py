"""The name index (store/name_index.py): a name search answers as a reading of every record
would, follows every change of a record, survives its triggers being dropped, and is what the
database reads (not the whole records table)."""

from __future__ import annotations

import functools
import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.errors import InputRejected
from everyname.core.names.keys import NO_CONSONANT, joined_key
from everyname.store import name_index
from everyname.store.imports import import_file
from everyname.store.linking import run_link
from everyname.store.models import Record, Source
from everyname.store.persons import list_persons
from everyname.store.records import (
    correct_record,
    enter_record,
    list_records,
    name_keys,
    name_matches,
)

pytestmark = pytest.mark.django_db

# Parts in both scripts, some sharing a key (محمد / Muhammad / محمود: MHMD), some a key that is
# the start of another's (خالد KLD, الخالدي KLD, الخالديني KLDN).
PARTS = (
    "محمد",
    "Muhammad",
    "محمود",
    "خالد",
    "الخالدي",
    "al-Khalidi",
    "الخالديني",
    "عبد الرحمن",
    "Abdulrahman",
    "آية",
    "Hasan",
)
NAMES = [" ".join(parts) for n in (1, 2, 3) for parts in itertools.permutations(PARTS[::2], n)]
# A compound given name written as one part and as two, in a given-name column and a full name
# ("محمد نور" as a given name is one part, MHMDNR; in a full name two, MHMD NR).
COMPOUNDS = (
    {"given_name": "محمد نور", "family_name": "الخالدي"},
    {"given_name": "Mohammed Dawood", "family_name": "Hasan"},
    {"full_name": "محمد نور خالد"},
    {"full_name": "محمدنور الخالديني"},
    {"full_name": "Nour Muhammad"},
)
TYPED = (*PARTS, "نور", "محمدنور", "Nour", "داود", "محمدداود")


def found_as_written(keys: list[str], name_key: str | None) -> bool:
    """What a reader of every record would say, compound names included: the typed keys, with
    neighbours possibly written as one part, stand in order in ``name_key``, each as a part or
    as two neighbouring parts of two letters or more that join to it (a part with no
    consonant, V, is never joined)."""
    stored = (name_key or "").split()

    @functools.cache
    def rest(i: int, j: int) -> bool:  # keys[i:] stand in stored[j:]
        if i == len(keys):
            return True
        for k in range(i + 1, len(keys) + 1):
            if k > i + 1 and NO_CONSONANT in keys[i:k]:
                break
            group = joined_key(keys[i:k])
            for at in range(j, len(stored)):
                if stored[at] == group and rest(k, at + 1):
                    return True
                pair = stored[at : at + 2]
                if (
                    len(pair) == 2
                    and min(map(len, pair)) >= 2
                    and joined_key(pair) == group
                    and rest(k, at + 2)
                ):
                    return True
        return False

    return rest(0, 0)


def index_agrees_with_records() -> None:
    """SQLite: FTS5's own check of the index against the records' name keys (it raises on any
    record missing, extra or stale); PostgreSQL keeps its index itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            table = name_index.TABLE
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def named(key_file, cast):
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    admin = cast["admin"]
    for n, name in enumerate(NAMES):
        enter_record(admin, ("src-a", "src-b")[n % 2], {"full_name": name, "status": "civilian"})
    for n, name in enumerate(COMPOUNDS):
        enter_record(admin, ("src-a", "src-b")[n % 2], {**name, "status": "civilian"})
    return admin


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(TYPED), min_size=1, max_size=3))
def test_a_name_search_finds_what_reading_every_record_finds(named, cast, typed):
    query = " ".join(typed)
    keys = name_keys(query)
    expected = sorted(
        pk
        for pk, key in Record.objects.values_list("pk", "name_key")
        if found_as_written(keys, key)
    )
    found = [item.id for item in list_records(named, {"name": query}, page_size=500).items]
    assert found == expected, (query, keys)
    mine = set(Record.objects.filter(source__code="src-a").values_list("pk", flat=True))
    as_recorder = list_records(cast["recorder_a"], {"name": query}, page_size=500)
    assert [item.id for item in as_recorder.items] == [pk for pk in expected if pk in mine]


def test_persons_found_by_name_page_and_count_as_with_any_other_filter(named, cast):
    """A name alone is answered from the persons of the records found (counted once); with a
    filter on the person, by the database: both give the same persons, pages and totals."""
    run_link(actor=named)
    for query in ("محمد الخالدي", "Muhammad", "عبد الرحمن", "Hasan Muhammad"):
        alone = list_persons(named, query, page_size=500)
        assert alone.total == len(alone.items) > 0, query
        filtered = list_persons(named, query, {"status": "civilian"}, page_size=500)
        dated = list_persons(named, query, {"since": "1900-01-01"}, page_size=500)
        assert dated.total == 0  # no record has a date of death
        ids = [p.person_id for p in alone.items]
        assert ids == sorted(ids)
        assert [p.person_id for p in filtered.items] == ids
        pages = [
            list_persons(named, query, page=n, page_size=3) for n in range(1, alone.total // 3 + 2)
        ]
        assert [p.person_id for page in pages for p in page.items] == ids
        assert {page.total for page in pages} == {alone.total}
        by_id = list_persons(named, ids[0])
        assert [p.person_id for p in by_id.items] == [ids[0]] and by_id.total == 1
    recorder = cast["recorder_b"]
    theirs = {p.person_id for p in list_persons(recorder, page_size=500).items}
    found = list_persons(recorder, "محمد", page_size=500)
    assert found.total and {p.person_id for p in found.items} <= theirs
    other = next(
        p.person_id for p in list_persons(named, page_size=500).items if p.person_id not in theirs
    )
    assert list_persons(recorder, other).total == 0


def test_the_index_follows_entries_and_corrections(named):
    record = enter_record(named, "src-a", {"full_name": "Yousef Shahada"})
    assert [r.id for r in list_records(named, {"name": "يوسف شحادة"}).items] == [record.id]
    correct_record(named, record.id, {"full_name": "Yousef Jaber"}, reason="misheard")
    assert list_records(named, {"name": "يوسف شحادة"}).total == 0
    assert [r.id for r in list_records(named, {"name": "يوسف جابر"}).items] == [record.id]
    correct_record(
        named, record.id, {"full_name": "", "given_name": "Yousef"}, reason="only his first name"
    )
    assert [r.id for r in list_records(named, {"name": "Yusuf"}).items] == [record.id]
    index_agrees_with_records()


def test_imported_lists_are_indexed_and_a_refused_import_leaves_nothing_behind(
    demo_imported, tmp_path, cast
):
    """An import's records are indexed together at its end (on SQLite): every imported record
    is found by its own name, typed as its given and family names (a compound given name
    stored as one part, "محمد نور" -> MHMDNR, is found typed as two words), and an import
    refused half way leaves no deferral."""
    admin = cast["admin"]
    checked = 0
    for record in Record.objects.exclude(name_key=None).order_by("pk")[::25]:
        typed = record.normalised.get("full_name") or " ".join(
            str(record.normalised[f])
            for f in ("given_name", "family_name")
            if record.normalised.get(f)
        )
        assert found_as_written(name_keys(typed), record.name_key), typed
        found = {r.id for r in list_records(admin, {"name": typed}, page_size=500).items}
        assert record.pk in found, typed
        checked += 1
    assert checked >= 20
    broken = tmp_path / "broken.csv"
    broken.write_text("full_name,age\nمحمد الخالدي,40\nخالد محمود,forty or so?\n", encoding="utf-8")
    with pytest.raises(InputRejected):  # strict: an unreadable age refuses the list
        import_file(broken, "lcc_homs", actor=admin, strict=True)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {name_index.DEFERRED}")
            assert cursor.fetchone()[0] == 0
    index_agrees_with_records()


def test_the_index_is_built_from_the_records_already_there(named):
    """The migration's step, on a database that has records: dropped and made again, the index
    answers as before."""
    before = [
        r.id for r in list_records(named, {"name": "Muhammad al-Khalidi"}, page_size=500).items
    ]
    assert before
    if connection.vendor == "postgresql":  # as a migration's own transaction would be
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    name_index.uninstall(connection)
    name_index.install(connection)
    after = [
        r.id for r in list_records(named, {"name": "Muhammad al-Khalidi"}, page_size=500).items
    ]
    assert after == before


def test_a_migrate_puts_back_what_keeps_the_index(named):
    """SQLite drops a table's triggers when Django builds the table anew for a changed column;
    every migrate puts them back and indexes what was written meanwhile. On PostgreSQL a
    dropped index is made again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as a migration's own transaction
            cursor.execute(f"DROP INDEX {name_index.GIN_INDEX}")
        record = enter_record(named, "src-b", {"full_name": "Yousef Shahada"})
        cursor = connection.cursor()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("migrate", verbosity=0)
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name_index.GIN_INDEX])
        assert cursor.fetchone() is not None
    else:
        insert = next(name for name in name_index.TRIGGERS if "insert" in name)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {insert}")
        record = enter_record(named, "src-b", {"full_name": "Yousef Shahada"})
        # the check can fail: this record is not indexed
        with pytest.raises(DatabaseError), transaction.atomic():
            index_agrees_with_records()
        call_command("migrate", verbosity=0)
        index_agrees_with_records()
    assert [r.id for r in list_records(named, {"name": "Yousef Shahada"}).items] == [record.id]
    later = enter_record(named, "src-b", {"full_name": "Yousef Shahada"})
    assert later.id in {r.id for r in list_records(named, {"name": "يوسف شحادة"}).items}


def test_a_name_search_reads_the_index_not_every_record(named):
    """The search (here with two readings: "محمد نور" as typed and as one part) and the
    look-up of which parts are held both read the index, not the records table."""
    with CaptureQueriesContext(connection) as asked:
        records = Record.objects.filter(name_matches("محمد نور الخالدي"))
    (known,) = asked.captured_queries
    sql, params = records.order_by().values("pk").query.sql_with_params()
    # the given name "محمد نور" (MHMDNR KLD), found as one part, and "محمد نور خالد"
    assert sorted(r.name_key for r in records) == ["MHMD NR KLD", "MHMDNR KLD"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for query, args in ((sql, params), (known["sql"], ())):
                cursor.execute(f"EXPLAIN QUERY PLAN {query}", args)
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                assert f"{name_index.TABLE} VIRTUAL TABLE" in plan, plan
                assert "SCAN store_record" not in plan.replace(f"SCAN {name_index.TABLE}", ""), plan
        else:
            # A table this small is read whole, or walked along another index (the planner
            # once chose the batch's index, with the name as a filter): neither is allowed, so
            # the plan says whether the GIN index can answer at all.
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            for query, args in ((sql, params), (known["sql"], ())):
                cursor.execute(f"EXPLAIN {query}", args)
                plan = " ".join(row[0] for row in cursor.fetchall())
                assert name_index.GIN_INDEX in plan, plan


PLACEHOLDERS = ("مجهول الهوية", "طفل مجهول", "جثة مجهولة الهوية", "Unknown")


def test_a_placeholder_is_found_among_the_names_with_no_key_through_their_own_index(named):
    """Text with no name key ("مجهول") can only stand in a name with no key (a name holding
    a placeholder has none): it is looked for there, read through the index of such records
    rather than in every record's name."""
    for n, name in enumerate(PLACEHOLDERS):
        enter_record(named, ("src-a", "src-b")[n % 2], {"full_name": name, "status": "civilian"})
    keyless = Record.objects.filter(name_key__isnull=True)
    assert sorted(r.normalised["full_name"] for r in keyless) == sorted(PLACEHOLDERS)
    for typed, expected in (
        ("مجهول", {"مجهول الهوية", "طفل مجهول", "جثة مجهولة الهوية"}),
        ("مجهولة", {"جثة مجهولة الهوية"}),
        ("unknown", {"Unknown"}),
    ):
        assert name_keys(typed) == []
        found = list_records(named, {"name": typed}, page_size=500).items
        assert {item.name for item in found} == expected, typed
    records = Record.objects.filter(name_matches("مجهول")).order_by().values("pk")
    sql, params = records.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:  # as above: a table this small would be read whole
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "record_without_name_key" in plan, plan
