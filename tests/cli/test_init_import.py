"""The command line: exit codes, messages naming file/row/column, and nothing written on refusal."""

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


def test_rejected_input_exits_1_and_names_row_and_column(tmp_path, key_file):
    path = write_csv(tmp_path / "bad.csv", [["name", "age"], ["Ahmad Khalil", "430"]])
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "row 2" in result.output and "'age'" in result.output
    assert "Traceback" not in result.output
    assert not Batch.objects.exists() and not Record.objects.exists()


def test_dry_run_reports_problems_and_writes_nothing(tmp_path, key_file):
    path = write_csv(tmp_path / "bad.csv", [["name", "age"], ["Ahmad Khalil", "430"], ["B C", "3"]])
    result = run("import", path, "--source", "lcc-homs", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 invalid" in result.output and "row 2" in result.output
    assert not Batch.objects.exists()


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
