"""``everyname estimate``: the JSON contract, tables, strata, exit codes 1 and 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers every command, as the program does)
from everyname.cli.app import app
from tests.conftest import run_everyname

MSE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mse"
CONTRACT = ["method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings"]
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, ["estimate", *[str(a) for a in args]])


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_follows_the_contract_and_reproduces_the_uk_figure():
    args = ["--histories", MSE / "uk_2013_6lists.csv", "--interval", "profile"]
    data = as_json(run(*args, "--format", "json"))
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
    assert data["details"]["reference"].startswith("Chapman (1951)")
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
    assert "method: SparseMSE::estimatepopulation defaults" in " ".join(result.output.split())


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
    assert run(*args, "--interval", "profile", "--bootstrap-replicates", "100").exit_code == 2
    assert run(*args, "--average", "--bootstrap-replicates", "100").exit_code == 2
    lcmcr = ["--histories", MSE / "korea_comfort_women_3lists.csv", "--method", "lcmcr"]
    assert run(*lcmcr, "--interval", "bootstrap").exit_code == 2


# ------------------------------------------------------------------ the defaults against the
# published default analyses. Every reference data set is either run below with the command's
# defaults, or listed here with the reason it has no published analysis made with a reference
# method's defaults (SOURCES.md and published.json beside the data).
NO_PUBLISHED_DEFAULT_ANALYSIS = {
    "uk_2013_5lists": "published interval searched all 1,024 models (ntopmodels = all), not the "
    "default 100; reproduced in tests/core/estimate/test_bootstrap.py",
    "kosovo_1999_4lists": "published figure summed strata and is recalled from memory; the 2024 "
    "intervals searched 113 models with three-list terms, which are not fitted here",
    "netherlands_6lists": "published range compiled by a later paper, original not checked",
    "netherlands_5lists": "no published figure",
    "australia_4lists": "published range compiled by a later paper, method not checked",
    "rome_hiv_4lists": "no published figure",
    "allegheny_lesbian_4lists": "no published figure",
    "madigan_york_3lists_spina_bifida": "only Bayesian model averaging (dga), reproduced",
    "madigan_york_5lists": "only Bayesian model averaging (dga), reproduced",
    "artificial_3_identifiability": "no estimate: test cases for the existence check",
}
PUBLISHED_DEFAULT_ANALYSIS = {
    "new_orleans_8lists", "new_orleans_5lists", "korea_comfort_women_3lists", "uk_2013_6lists",
}  # fmt: skip


def published(name: str, label: str) -> dict:
    entries = json.loads((MSE / "published.json").read_text(encoding="utf-8"))[name]
    found = [e for e in entries if label in e["method"]]
    assert len(found) == 1, (name, label)
    return found[0]


def defaults(name: str, *extra: object) -> dict:
    return as_json(run("--histories", MSE / f"{name}.csv", *extra, "--format", "json"))


def within(value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol * target


def test_every_reference_data_set_is_run_or_said_why_not():
    names = {p.stem for p in MSE.glob("*.csv")}
    assert names == PUBLISHED_DEFAULT_ANALYSIS | set(NO_PUBLISHED_DEFAULT_ANALYSIS)
    assert not PUBLISHED_DEFAULT_ANALYSIS & set(NO_PUBLISHED_DEFAULT_ANALYSIS)


@pytest.mark.slow
def test_defaults_reproduce_new_orleans_eight_lists():
    """Chan, Silverman & Vincent (2021) 4.1, SparseMSE::estimatepopulation defaults: stepwise
    p=0.02 (selects D:E), 1,184, BCa 95% [717, 1,657] from 1,000 replicates. The defaults give
    [699, 1,808] (seed 1234). Seed-to-seed spread, 1,000 replicates, seeds 1-5: lower 498-737,
    upper 1,530-1,697: the lower end is read at the 0.002% quantile (z0 about -1.1), i.e. at the
    smallest replicates; the published ends lie inside that spread. Ends within 10%. (The old
    default, an AIC stepwise search, gave 3,394 [1,416, 11,527].) 15-25 s."""
    ref = published("new_orleans_8lists", "selects D:E")
    data = defaults("new_orleans_8lists")
    assert data["details"]["model"] == "main effects + D:E"
    assert data["estimate"] == pytest.approx(ref["estimate"], rel=0.02)
    assert within(data["lower"], ref["lower"], 0.10), data["lower"]
    assert within(data["upper"], ref["upper"], 0.10), data["upper"]
    assert data["settings"]["criterion"] is None and data["settings"]["p_threshold"] == 0.02
    assert data["details"]["reference"].startswith("SparseMSE::estimatepopulation defaults")


def test_defaults_reproduce_new_orleans_five_lists():
    """Chan, Silverman & Vincent (2021): stepwise p=0.02 adds nothing, 1,034, BCa 95% [589,
    1,703]. The defaults give [548, 1,478] (seed 1234); seeds 1-5: lower 480-561, upper
    1,465-1,576. The published upper end lies outside that spread, 7-14% above it: a gap we have
    not explained (the stepwise rule and the jackknife match the reference rule replicate by
    replicate, test_bootstrap.py; R's replicates cannot be rerun here). Lower within 10%, upper
    within 15%."""
    ref = published("new_orleans_5lists", "no interaction selected")
    data = defaults("new_orleans_5lists")
    assert data["details"]["model"] == "main effects"
    assert data["estimate"] == pytest.approx(ref["estimate"], rel=0.02)
    assert within(data["lower"], ref["lower"], 0.10), data["lower"]
    assert within(data["upper"], ref["upper"], 0.15), data["upper"]


def test_defaults_reproduce_korea_three_lists():
    """Silverman, Chan & Vincent (2024) Table 3, MultipleSystemsEstimation's three-list default:
    lowest BIC over every model, re-chosen among all of them in each replicate: 95% [128, 349]
    (no point estimate published). The defaults give [130, 367] (seed 1234); seeds 1-5: lower
    128-131, upper 356-373. Ends within 10%."""
    ref = published("korea_comfort_women_3lists", "ntop=Inf")
    data = defaults("korea_comfort_women_3lists")
    assert data["settings"]["search"] == "exhaustive" and data["settings"]["criterion"] == "bic"
    assert within(data["lower"], ref["lower"], 0.10), data["lower"]
    assert within(data["upper"], ref["upper"], 0.10), data["upper"]


def test_defaults_reproduce_the_uk_home_office_figure():
    """Silverman (2014): 10,000-13,000, from the Bales-Hesketh-Silverman stepwise search and a
    profile-likelihood interval (point 11,409 reproduced with Rcapture). The default stepwise
    search selects the same seven interactions; its point within 2%, and with the published
    interval method (--interval profile) the ends within 10% of 10,000 and 13,000. The default
    BCa interval, which allows for the model choice, is wider: [9,345, 13,866] (seed 1234)."""
    point = published("uk_2013_6lists", "same BHS stepwise procedure")
    data = defaults("uk_2013_6lists")
    assert data["estimate"] == pytest.approx(point["estimate"], rel=0.02)
    ref = published("uk_2013_6lists", "Rcapture closedpCI.t")
    profile = defaults("uk_2013_6lists", "--interval", "profile")
    assert data["lower"] < profile["lower"] and data["upper"] > profile["upper"]
    terms = set(profile["details"]["model"].removeprefix("main effects + ").split(" + "))
    assert terms == {"PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"}
    assert within(profile["lower"], ref["lower"], 0.10), profile["lower"]
    assert within(profile["upper"], ref["upper"], 0.10), profile["upper"]
    assert profile["settings"]["bootstrap_replicates"] is None


def test_a_criterion_on_six_lists_is_refused_not_ignored():
    result = run("--histories", MSE / "uk_2013_6lists.csv", "--criterion", "bic")
    assert result.exit_code == 1
    assert "leave out --criterion" in " ".join(result.output.split())


# --- as a user runs it: a process of its own -----------------------------------------------


def test_the_command_estimates_a_database_in_a_process_of_its_own(demo_database):
    """Run as a program, not in this (already set-up) process: the command sets up Django
    before it reads the store's estimating module (it once failed there on every database)."""
    root, env = demo_database
    done = run_everyname("estimate", "--format", "json", cwd=root, env=env)
    data = json.loads(done.stdout)
    assert set(CONTRACT) <= set(data)
    assert data["lower"] <= data["estimate"] <= data["upper"] and data["observed"] > 0


def test_the_command_estimates_a_histories_file_without_any_database(tmp_path):
    """A histories file needs no database: none is opened, and no database file is made."""
    args = ["--histories", MSE / "kosovo_1999_4lists.csv", "--format", "json"]
    done = run_everyname("estimate", *args, cwd=tmp_path)
    in_process = as_json(run(*args))
    assert json.loads(done.stdout)["estimate"] == in_process["estimate"] > 0
    assert list(tmp_path.iterdir()) == []
