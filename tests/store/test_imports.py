"""Importing lists: all or nothing, nothing lost, nothing invented, identities encrypted."""

from __future__ import annotations

import csv
import hashlib

import pytest

from everyname.core.errors import InputRejected
from everyname.store.audit import Action
from everyname.store.imports import AlreadyImported, import_file, original_bytes
from everyname.store.models import AuditEvent, Batch, Record, Source

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    ["الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المحافظة", "سبب الوفاة", "اسم المبلغ"],
    ["1", "محمد عبد الرحمن الخالدي", "ذكر", "٣٤", "2012-02-04", "حمص", "قصف", "أبو خالد"],
    ["2", "فاطمة أحمد السباعي", "أنثى", "9", "2012-02-05", "حمص", "قناص", "أم علي"],
    ["3", "مجهول الهوية 1", "", "", "2012-02", "حمص", "", ""],
]


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def do_import(path, **kwargs):
    return import_file(path, kwargs.pop("source", "lcc-homs"), actor="tester", **kwargs)


def test_a_good_list_is_imported_with_original_and_audit(tmp_path, key_file):
    path = write_csv(tmp_path / "lcc.csv", GOOD_ROWS)
    report = do_import(path)
    assert (report.rows_read, report.records_imported, report.rows_rejected) == (3, 3, 0)
    batch = Batch.objects.get(pk=report.batch_id)
    assert batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert b"".join(original_bytes(batch)) == path.read_bytes()
    records = list(Record.objects.filter(batch=batch).order_by("row_number"))
    assert [r.row_number for r in records] == [2, 3, 4]
    first = records[0]
    assert first.as_written["full_name"] == "محمد عبد الرحمن الخالدي"
    assert first.normalised["sex"] == "male"
    assert first.normalised["age_years"] == 34
    assert records[2].normalised["date_of_death_precision"] == "month"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(Action.SOURCE_CREATED) == 1
    assert actions.count(Action.BATCH_IMPORTED) == 1


def test_reporter_identity_never_reaches_the_database_in_plaintext(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "lcc.csv", GOOD_ROWS)
    report = do_import(path)
    dump = repr(snapshot())
    for witness in ("أبو خالد", "أم علي"):
        assert witness not in dump
        assert witness.encode("utf-8") not in dump.encode("utf-8")
    record = Record.objects.get(batch_id=report.batch_id, row_number=2)
    assert "اسم المبلغ" not in record.raw
    assert record.sensitive_encrypted  # kept, but only as ciphertext


def test_dry_run_writes_nothing(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "lcc.csv", GOOD_ROWS)
    before = snapshot()
    report = do_import(path, dry_run=True)
    assert report.dry_run and report.rows_read == 3 and report.rows_rejected == 0
    assert snapshot() == before


def test_same_bytes_are_refused_pointing_at_the_earlier_batch(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "lcc.csv", GOOD_ROWS)
    first = do_import(path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    before = snapshot()
    with pytest.raises(AlreadyImported) as excinfo:
        do_import(copy, source="another-source")
    assert f"batch {first.batch_id}" in str(excinfo.value)
    assert "lcc-homs" in str(excinfo.value)
    assert snapshot() == before


def _assert_refused(
    path, snapshot, *, expect_row=None, expect_column=None, expect_file=None, **kwargs
):
    before = snapshot()
    with pytest.raises(InputRejected) as excinfo:
        do_import(path, **kwargs)
    assert snapshot() == before, "a refused import must leave the database exactly as it was"
    problems = excinfo.value.problems
    assert problems, "a refusal must say what is wrong"
    message = str(excinfo.value)
    assert (expect_file or path.name) in message
    if expect_row is not None:
        assert any(p.row == expect_row for p in problems), problems
        assert f"row {expect_row}" in message
    if expect_column is not None:
        assert any(p.column == expect_column for p in problems), problems
        assert expect_column in message
    return excinfo.value


def test_empty_file_is_refused(tmp_path, key_file, snapshot):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _assert_refused(path, snapshot)
    assert not Source.objects.exists()


def test_file_without_a_name_column_is_refused(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "no_names.csv", [["age", "sex"], ["3", "m"]])
    error = _assert_refused(path, snapshot)
    assert "name" in str(error).lower()


def test_truncated_csv_is_refused(tmp_path, key_file, snapshot):
    path = tmp_path / "truncated.csv"
    path.write_text('name,age\n"Ahmad Khalil",30\n"Omar Sa', encoding="utf-8")
    _assert_refused(path, snapshot, expect_row=3)


def test_xlsx_that_is_not_a_workbook_is_refused(tmp_path, key_file, snapshot):
    path = tmp_path / "list.xlsx"
    path.write_text("name,age\nAhmad,30\n", encoding="utf-8")
    error = _assert_refused(path, snapshot)
    assert "xlsx" in str(error).lower() or "workbook" in str(error).lower()


def test_impossible_date_is_refused_naming_row_and_column(tmp_path, key_file, snapshot):
    rows = [["name", "date of death"], ["Ahmad Khalil", "2012-02-07"], ["Omar Saleh", "2012-02-30"]]
    path = write_csv(tmp_path / "dates.csv", rows)
    _assert_refused(path, snapshot, expect_row=3, expect_column="date of death")


def test_impossible_age_is_refused(tmp_path, key_file, snapshot):
    rows = [["name", "age"], ["Ahmad Khalil", "430"]]
    path = write_csv(tmp_path / "ages.csv", rows)
    _assert_refused(path, snapshot, expect_row=2, expect_column="age")


def test_wrong_mapping_is_refused(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "list.csv", [["Victim", "Age"], ["Ahmad Khalil", "30"]])
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"Victim" = "victim_name"\n', encoding="utf-8")
    error = _assert_refused(path, snapshot, mapping_path=mapping, expect_file="map.toml")
    assert "victim_name" in str(error)


def test_every_problem_is_reported_at_once(tmp_path, key_file, snapshot):
    rows = [
        ["name", "age", "date of death"],
        ["A B", "430", "2012-02-07"],
        ["C D", "30", "2012-13-01"],
    ]
    path = write_csv(tmp_path / "two_bad.csv", rows)
    error = _assert_refused(path, snapshot)
    assert {p.row for p in error.problems} == {2, 3}


def test_skip_invalid_imports_the_rest_and_writes_rejects(tmp_path, key_file):
    rows = [
        ["name", "age", "date of death"],
        ["Ahmad Khalil", "30", "2012-02-07"],
        ["Omar Saleh", "430", "2012-02-07"],
        ["Hasan Ali", "41", "2012-02-30"],
        ["Samir Haddad", "", "2012-02"],
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    report = do_import(path, skip_invalid=True)
    assert (report.rows_read, report.records_imported, report.rows_rejected) == (4, 2, 2)
    assert report.rejects_file == tmp_path / "mixed.rejects.csv"
    with report.rejects_file.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["name"] for r in rejected] == ["Omar Saleh", "Hasan Ali"]
    assert [r["everyname_row"] for r in rejected] == ["3", "4"]
    assert "age" in rejected[0]["everyname_rejected_because"]
    assert "date of death" in rejected[1]["everyname_rejected_because"]
    assert Record.objects.filter(batch_id=report.batch_id).count() == 2


def test_windows_1256_list_keeps_its_arabic(tmp_path, key_file):
    # Windows-1256 has no Arabic-Indic digits: such files carry Western digits.
    rows = [[cell.replace("٣٤", "34") for cell in row] for row in GOOD_ROWS]
    path = write_csv(tmp_path / "cp1256.csv", rows, encoding="cp1256")
    report = do_import(path)
    assert report.encoding.lower().replace("-", "").replace("_", "") in ("cp1256", "windows1256")
    names = set(Record.objects.values_list("as_written__full_name", flat=True))
    assert "فاطمة أحمد السباعي" in names


def test_list_wide_defaults_fill_rows_that_say_nothing(tmp_path, key_file):
    rows = [["name", "outcome"], ["Ahmad Khalil", ""], ["Huda Ali", "injured"]]
    path = write_csv(tmp_path / "martyrs.csv", rows)
    report = do_import(path, defaults={"outcome": "killed"})
    outcomes = dict(
        Record.objects.filter(batch_id=report.batch_id).values_list(
            "row_number", "normalised__outcome"
        )
    )
    assert outcomes == {2: "killed", 3: "injured"}  # a row's own value is never overridden
    assert Batch.objects.get(pk=report.batch_id).columns["defaults"] == {"outcome": "killed"}


def test_unreadable_default_is_refused(tmp_path, key_file, snapshot):
    path = write_csv(tmp_path / "martyrs.csv", [["name"], ["Ahmad Khalil"]])
    error = _assert_refused(
        path, snapshot, defaults={"outcome": "dead-ish"}, expect_file="--default"
    )
    assert "killed" in str(error)
