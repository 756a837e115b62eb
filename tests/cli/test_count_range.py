"""Linkage doubt on the command line: every count, estimate and report of the demo gives the
range pending review allows, and says when records were imported after the link run."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app

pytestmark = pytest.mark.django_db
runner = CliRunner()
WINDOW = ["--since", "2012-02-03", "--until", "2012-02-09", "--place", "Homs"]
LATE = "الرقم,الاسم,تاريخ الوفاة,المحافظة\n1,محمد عبد الرحمن الخالدي,2012-02-04,حمص\n"


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def linked(demo_imported):
    run("link")
    return demo_imported


def test_count_json_csv_and_table_give_the_range(linked):
    figures = json.loads(run("count", *WINDOW, "--by", "sex,status", "--format", "json").stdout)
    span = figures["total_range"]
    assert span["high"] == figures["total"] and span["pairs_awaiting_review"] > 0
    assert span["low"] < span["high"]
    assert figures["records_not_linked"] == 0
    for field, rows in figures["by"].items():
        for row in rows:
            assert row["range"]["high"] == row["count"] >= row["range"]["low"], field
        assert sum(r["range"]["low"] for r in rows) >= span["low"], field

    rows = list(csv.DictReader(io.StringIO(run("count", *WINDOW, "--format", "csv").stdout)))
    total = next(r for r in rows if r["field"] == "total")
    assert (int(total["count"]), int(total["low"])) == (span["high"], span["low"])
    pairs = next(r for r in rows if r["field"] == "pairs_awaiting_review")
    assert int(pairs["count"]) == span["pairs_awaiting_review"]

    table = run("count", *WINDOW).output
    assert "at least" in table and "Linkage doubt" in table
    assert f"there would be {span['low']:,} persons" in flat(table)


def test_estimate_fits_the_persons_with_pending_pairs_merged_and_warns(linked):
    figures = json.loads(run("estimate", "--format", "json", "--seed", "1").stdout)
    merged = figures["pending_merged"]
    count = json.loads(run("count", "--format", "json").stdout)["total_range"]
    assert (figures["observed"], merged["observed"]) == (count["high"], count["low"])
    assert merged["lower"] <= merged["estimate"] <= merged["upper"]
    codes = [w["code"] for w in figures["warnings"]]
    differ = not (
        merged["lower"] <= figures["estimate"] <= merged["upper"]
        and figures["lower"] <= merged["estimate"] <= figures["upper"]
    )
    assert ("linkage_doubt" in codes) == differ
    assert figures["records_not_linked"] == 0

    by_sex = json.loads(run("estimate", "--by", "sex", "--format", "json", "--seed", "1").stdout)
    fitted = [s for s in by_sex["strata"] if s["estimate"] is not None]
    assert fitted and all("pending_merged" in s for s in fitted)
    for stratum in fitted:
        assert stratum["pending_merged"]["observed"] <= stratum["observed"]

    table = flat(run("estimate", "--seed", "1").output)
    assert "pairs awaiting review were matches" in table


def test_report_and_count_say_which_records_the_link_run_leaves_out(linked, tmp_path):
    out = tmp_path / "report.html"
    printed = flat(run("report", *WINDOW, "--out", out, "--no-estimate").output)
    assert "pairs awaiting review are duplicates)" in printed
    html = out.read_text(encoding="utf-8")
    assert "named persons if every pair awaiting review were one person" in html
    assert "تنتظر المراجعة" in html

    late = tmp_path / "late.csv"
    late.write_text(LATE, encoding="utf-8")
    run("import", late, "--source", "late-list")
    figures = json.loads(run("count", "--format", "json").stdout)
    assert figures["records_not_linked"] == 1
    assert "1 record imported since link run" in flat(run("count").output)
    run("report", *WINDOW, "--out", out, "--no-estimate")
    html = out.read_text(encoding="utf-8")
    assert "not in these figures: run `everyname link`" in html
    assert "لا تشمل هذه الأرقام 1 من السجلات" in html
    estimate = json.loads(run("estimate", "--format", "json", "--seed", "1").stdout)
    assert estimate["records_not_linked"] == 1
