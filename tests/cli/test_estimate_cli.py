"""``everyname estimate``: the JSON contract, tables, strata, exit codes 1 and 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers every command, as the program does)
from everyname.cli.app import app

MSE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mse"
CONTRACT = ["method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings"]
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, ["estimate", *[str(a) for a in args]])


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_follows_the_contract_and_reproduces_the_uk_figure():
    data = as_json(run("--histories", MSE / "uk_2013_6lists.csv", "--format", "json"))
    assert list(data)[: len(CONTRACT)] == CONTRACT
    assert data["method"] == "loglinear" and data["observed"] == 2744
    assert data["lists"] == ["LA", "NG", "PF", "GO", "GP", "NCA"]
    assert data["estimate"] == pytest.approx(11409, rel=0.02)
    assert data["lower"] < data["estimate"] < data["upper"] and data["level"] == 0.95


def test_two_lists_default_to_chapman_and_warn(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("A,B,count\n1,0,40\n0,1,30\n1,1,20\n", encoding="utf-8")
    data = as_json(run("--histories", path, "--format", "json"))
    assert data["method"] == "chapman"
    assert "fewer_than_three_lists" in {w["code"] for w in data["warnings"]}


def test_lcmcr_is_seeded_and_reproducible():
    args = ["--histories", MSE / "korea_comfort_women_3lists.csv", "--method", "lcmcr"]
    args += ["--seed", 7, "--burn-in", 2000, "--samples", 200, "--thinning", 5, "--format", "json"]
    a, b = as_json(run(*args)), as_json(run(*args))
    assert a["estimate"] == b["estimate"] and a["lower"] == b["lower"]
    assert a["provenance"]["seed"] == 7 and a["settings"]["samples"] == 200


def test_merge_and_lists_select_what_counts_as_a_list():
    data = as_json(
        run(
            "--histories", MSE / "uk_2013_6lists.csv", "--merge", "STATE=PF+NCA+GO",
            "--merge", "CIVIL=LA+NG+GP", "--format", "json",
        )
    )  # fmt: skip
    assert data["lists"] == ["CIVIL", "STATE"] and data["method"] == "chapman"
    assert data["observed"] == 2744
    three = as_json(run("--histories", MSE / "kosovo_1999_4lists.csv", "--lists", "EXH,ABA,OSCE",
                        "--format", "json"))  # fmt: skip
    assert three["lists"] == ["EXH", "ABA", "OSCE"] and three["observed"] < 4400


def test_table_output_shows_estimate_next_to_documented_count():
    result = run("--histories", MSE / "kosovo_1999_4lists.csv")
    assert result.exit_code == 0, result.output
    assert "4,400" in result.output and "14,342" in result.output
    assert "model: main effects" in result.output


def test_strata_from_a_stratum_column(tmp_path):
    path = tmp_path / "strata.csv"
    rows = ["stratum,A,B,C,count"]
    for stratum, scale in (("north", 1), ("south", 3)):
        for pattern, count in (("1,0,0", 60), ("0,1,0", 50), ("0,0,1", 40), ("1,1,0", 20),
                               ("1,0,1", 15), ("0,1,1", 12), ("1,1,1", 5)):  # fmt: skip
            rows.append(f"{stratum},{pattern},{count * scale}")
    rows.append("tiny,1,0,0,3")
    rows += ["west,1,0,0,30", "west,0,1,0,25", "west,1,1,0,10"]  # list C is absent here
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = as_json(run("--histories", path, "--by", "stratum", "--format", "json"))
    assert data["by"] == "stratum"
    strata = {s["value"]: s for s in data["strata"]}
    assert set(strata) == {"north", "south", "tiny", "west"}
    assert strata["west"]["method"] == "chapman" and strata["west"]["lists"] == ["A", "B"]
    assert strata["west"]["warnings"][0]["code"] == "list_covers_almost_none"
    assert strata["south"]["observed"] == 3 * strata["north"]["observed"]
    assert all(list(s)[1 : 1 + len(CONTRACT)] == CONTRACT for s in data["strata"])
    assert strata["tiny"]["estimate"] is None and "error" in strata["tiny"]
    table = run("--histories", path, "--by", "stratum")
    assert table.exit_code == 0 and "█" in table.output and "few_observations" in table.output
    pooled = as_json(run("--histories", path, "--format", "json"))
    assert pooled["observed"] == sum(s["observed"] for s in data["strata"])


def test_bad_input_exits_1_with_file_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("A,B,count\n1,0,5\n1,2,3\n", encoding="utf-8")
    result = run("--histories", path)
    assert result.exit_code == 1
    text = " ".join(result.output.split())  # Rich wraps long lines
    assert "row 3, column 'B'" in text and "expected 0 or 1" in text
    assert run("--histories", tmp_path / "missing.csv").exit_code == 1
    unknown = run("--histories", MSE / "kosovo_1999_4lists.csv", "--lists", "EXH,NOPE")
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_chapman_on_more_lists_is_refused_with_exit_1():
    result = run("--histories", MSE / "kosovo_1999_4lists.csv", "--method", "chapman")
    assert result.exit_code == 1 and "exactly two lists" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--method", "petersen"],
        ["--format", "xml"],
        ["--merge", "PFNCA"],
        ["--method", "lcmcr", "--samples", "3"],
        ["--method", "chapman", "--burn-in", "10"],
        ["--method", "lcmcr", "--criterion", "aic"],
        ["--by", "governorate"],
    ],
)
def test_usage_errors_exit_2(args):
    assert run("--histories", MSE / "kosovo_1999_4lists.csv", *args).exit_code == 2


@pytest.mark.django_db
def test_without_histories_it_needs_a_link_run():
    result = run()
    assert result.exit_code == 1
    assert "no link run yet" in result.output.lower() and "everyname link" in result.output
    assert run("--by", "governorate").exit_code == 1


def test_bootstrap_interval_from_the_command_line():
    args = ["--histories", MSE / "korea_comfort_women_3lists.csv", "--method", "loglinear"]
    result = run(*args, "--interval", "bootstrap", "--bootstrap-replicates", "100", "--seed", "3",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["settings"]["interval"] == "bootstrap"
    assert figures["details"]["bootstrap"]["replicates"] == 100
    assert figures["lower"] <= figures["estimate"] <= figures["upper"]
    assert run(*args, "--bootstrap-replicates", "100").exit_code == 2  # needs --interval bootstrap
    lcmcr = ["--histories", MSE / "korea_comfort_women_3lists.csv", "--method", "lcmcr"]
    assert run(*lcmcr, "--interval", "bootstrap").exit_code == 2
