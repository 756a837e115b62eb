"""The command line: exit codes, messages naming file/row/column, unreadable values listed by
column and kept, and nothing written on refusal."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store.models import Batch, Record

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_init_creates_the_key_and_reports_the_database(tmp_path, monkeypatch):
    key = tmp_path / "new.key"
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(key))
    result = run("init")
    assert result.exit_code == 0, result.output
    assert key.exists() and (key.stat().st_mode & 0o077) == 0
    assert "Created the encryption key" in result.output


def test_import_then_sources(tmp_path, key_file):
    path = write_csv(
        tmp_path / "lcc.csv", [["name", "sex"], ["Ahmad Khalil", "m"], ["Huda Ali", "f"]]
    )
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 0, result.output
    assert "2 records" in result.output
    listing = run("sources")
    assert listing.exit_code == 0
    assert "lcc-homs" in listing.output and "lcc.csv" in listing.output


def test_an_unreadable_value_is_imported_flagged_and_listed_by_column(tmp_path, key_file):
    rows = [
        ["name", "age", "date of death"],
        ["Ahmad Khalil", "1962", "2012-02-30"],
        ["Huda Ali", "430", "2012-02-07"],
        ["B C", "3", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 0, result.output
    assert "3 records from 3 rows" in result.output
    assert "3 values could not be read" in result.output
    out = result.output
    # grouped by column, each value with file, row, column, value and what was expected
    age, date = out.index("column 'age': 2"), out.index("column 'date of death': 1")
    assert age < out.index("bad.csv, row 2, column 'age': got '1962'; expected") < date
    assert age < out.index("bad.csv, row 3, column 'age': got '430'") < date
    assert date < out.index("bad.csv, row 2, column 'date of death': got '2012-02-30'")
    assert Record.objects.count() == 3
    batch = Batch.objects.get()
    assert f"everyname sources --batch {batch.pk}" in out

    later = run("sources", "--batch", batch.pk)
    assert later.exit_code == 0, later.output
    assert "3 values could not be read" in later.output
    for line in out.splitlines():
        if "bad.csv, row" in line:
            assert line.strip() in later.output
    listing = run("sources")
    assert f"Batch {batch.pk} has 3 values that could not be read" in listing.output
    missing = run("sources", "--batch", batch.pk + 1)
    assert missing.exit_code == 1 and f"no batch {batch.pk + 1}" in missing.output


def test_strict_refuses_naming_every_row_and_column(tmp_path, key_file):
    rows = [["name", "age"]] + [[f"Ahmad Khalil {i}", "430"] for i in range(60)]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = run("import", path, "--source", "lcc-homs", "--strict")
    assert result.exit_code == 1
    assert "--strict" in result.output and "column 'age': 60" in result.output
    for row in range(2, 62):  # every problem, not the first fifty
        assert f"bad.csv, row {row}, column 'age': got '430'" in result.output
    assert "Traceback" not in result.output
    assert not Batch.objects.exists() and not Record.objects.exists()


def test_a_broken_row_refuses_the_file_unless_skip_invalid(tmp_path, key_file):
    path = tmp_path / "wide.csv"
    path.write_text("name,age\nAhmad Khalil,30\nHuda Ali,3,x\n", encoding="utf-8")
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 1
    assert "wide.csv, row 3" in result.output and "--skip-invalid" in result.output
    assert not Batch.objects.exists() and not Record.objects.exists()
    skipped = run("import", path, "--source", "lcc-homs", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert Record.objects.count() == 1


def test_dry_run_reports_problems_and_writes_nothing(tmp_path, key_file):
    path = tmp_path / "bad.csv"
    path.write_text("name,age\nAhmad Khalil,430\nB C,3\nD E,4,x\n", encoding="utf-8")
    result = run("import", path, "--source", "lcc-homs", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 values could not be read" in result.output
    assert "bad.csv, row 2, column 'age': got '430'" in result.output
    assert "2 can be imported, 1 cannot be read as records" in result.output
    assert "bad.csv, row 4" in result.output
    assert not Batch.objects.exists()


def test_canonical_headers_need_no_mapping_and_ids_reach_export_persons(tmp_path, key_file):
    rows = [
        ["source_record_id", "full_name", "sex", "age", "date_of_death", "governorate"],
        ["LCC-001", "Ahmad Khalil Haddad", "male", "34", "2012-02-04", "Homs"],
        ["LCC-002", "Huda Ali Sabbagh", "female", "9", "2012-02-05", "Homs"],
        ["LCC-003", "Omar Saleh Atassi", "male", "51", "2012-02-06", "Homs"],
    ]
    path = write_csv(tmp_path / "canonical.csv", rows)
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 0, result.output
    assert "Columns not used" not in result.output
    assert run("link").exit_code == 0
    out = tmp_path / "persons.csv"
    exported = run("export", "persons", "--format", "csv", "--out", out)
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        ids = sorted(r["source_record_id"] for r in csv.DictReader(handle))
    assert ids == ["LCC-001", "LCC-002", "LCC-003"]


def test_usage_error_exits_2(tmp_path):
    result = run("import", tmp_path / "x.csv")  # --source missing
    assert result.exit_code == 2


def test_bad_source_code_is_a_clean_error(tmp_path, key_file):
    path = write_csv(tmp_path / "lcc.csv", [["name"], ["Ahmad Khalil"]])
    result = run("import", path, "--source", "Bad Code!")
    assert result.exit_code == 1
    assert "lowercase" in result.output


def test_default_option_needs_field_equals_value(tmp_path, key_file):
    path = write_csv(tmp_path / "lcc.csv", [["name"], ["Ahmad Khalil"]])
    assert run("import", path, "--source", "lcc", "--default", "outcome").exit_code == 2
    ok = run("import", path, "--source", "lcc", "--default", "outcome=killed")
    assert ok.exit_code == 0, ok.output
    assert Record.objects.get().normalised["outcome"] == "killed"


SECRET = "ZZSECRET-Witness-Qx7"
SECRET_AR = "شاهدسري٧"


def test_witness_like_columns_are_withheld_and_the_import_says_so(tmp_path, key_file):
    rows = [
        ["name", "reporter", "informant", "Witness's WhatsApp", "Photo"],
        ["Ahmad Khalil", "Abu Ali", SECRET, SECRET_AR, "a.jpg"],
    ]
    result = run("import", write_csv(tmp_path / "l.csv", rows), "--source", "lcc")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "kept only encrypted: informant, Witness's WhatsApp." in said
    assert SECRET not in result.output and SECRET_AR not in result.output
    assert Record.objects.get().raw == {"name": "Ahmad Khalil", "Photo": "a.jpg"}
    assert Batch.objects.get().columns["withheld"] == ["informant", "Witness's WhatsApp"]


@pytest.mark.parametrize("field", ["reporter_name", "reporter_contact", "witness"])
def test_a_default_for_a_witness_is_refused_without_repeating_it(tmp_path, key_file, field):
    path = write_csv(tmp_path / "l.csv", [["name"], ["Ahmad Khalil"]])
    result = run("import", path, "--source", "lcc", "--default", f"{field}={SECRET} {SECRET_AR}")
    assert result.exit_code == 1
    assert field in result.output and "Traceback" not in result.output
    assert SECRET not in result.output and SECRET_AR not in result.output
    assert not Batch.objects.exists()
    typo = run("import", path, "--source", "lcc", "--default", f"{field} {SECRET}")
    assert typo.exit_code == 2 and "FIELD=VALUE" in typo.output and SECRET not in typo.output


def test_a_mapping_sending_a_reporter_column_to_notes_is_refused(tmp_path, key_file):
    path = write_csv(tmp_path / "l.csv", [["name", "Informant"], ["Ahmad Khalil", SECRET]])
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"name" = "full_name"\n"Informant" = "notes"\n', "utf-8")
    refused = run("import", path, "--source", "lcc", "--mapping", mapping)
    assert refused.exit_code == 1 and "not_identity" in refused.output
    assert SECRET not in refused.output and not Batch.objects.exists()
    mapping.write_text(
        'not_identity = ["Informant"]\n[columns]\n"name" = "full_name"\n"Informant" = "notes"\n',
        "utf-8",
    )
    declared = run("import", path, "--source", "lcc", "--mapping", mapping)
    assert declared.exit_code == 0, declared.output
    assert Record.objects.get().as_written["notes"] == f"Informant: {SECRET}"
