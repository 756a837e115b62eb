"""The command line over a linked database: link, export, review, count, estimate, report."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store.models import Claim, MatchDecision, Record, Source

pytestmark = pytest.mark.django_db
runner = CliRunner()
WINDOW = ["--since", "2012-02-03", "--until", "2012-02-09", "--place", "Homs"]


def run(*args, input=None):
    result = runner.invoke(app, [str(a) for a in args], input=input)
    return result


@pytest.fixture
def linked(demo_imported):
    result = run("link")
    assert result.exit_code == 0, result.output
    assert "persons" in result.output and "pairs awaiting review" in result.output
    return demo_imported


def test_count_json_follows_the_contract_with_unknowns_everywhere(linked):
    result = run("count", *WINDOW, "--by", "sex,age_group,status,cause", "--format", "json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {"link_run", "filters", "total", "by"} <= set(figures)
    assert figures["filters"]["place"] == "Homs"
    for field, rows in figures["by"].items():
        values = [r["value"] for r in rows]
        assert "unknown" in values, field
        assert sum(r["count"] for r in rows) == figures["total"], field
    everyone = json.loads(run("count", "--format", "json").output)["total"]
    assert 0 < figures["total"] <= everyone
    assert everyone < Record.objects.count(), "persons, never records"


def test_claims_are_shown_never_added(linked):
    before = json.loads(run("count", *WINDOW, "--format", "json").output)["total"]
    assert Claim.objects.exists()
    extra = linked.out_dir / "more_claims.csv"
    extra.write_text("source,date,place,category,count,text\nSANA,2012-02-05,Homs,killed,99,x\n")
    assert run("claims", "import", extra).exit_code == 0
    after = json.loads(run("count", *WINDOW, "--format", "json").output)["total"]
    assert after == before


def test_count_usage_errors_exit_2(linked):
    assert run("count", "--since", "yesterday").exit_code == 2
    assert run("count", "--by", "shoe_size").exit_code == 2
    assert run("count", "--since", "2012-02-09", "--until", "2012-02-03").exit_code == 2


def test_export_persons_csv_and_json(linked, tmp_path):
    out = tmp_path / "persons.csv"
    assert run("export", "persons", "--format", "csv", "--out", out).exit_code == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == Record.objects.count()
    assert list(rows[0]) == ["record_id", "source", "source_record_id", "person_id"]
    out_json = tmp_path / "persons.json"
    assert run("export", "persons", "--format", "json", "--out", out_json).exit_code == 0
    assert len(json.loads(out_json.read_text())["records"]) == len(rows)


def test_estimate_from_the_link_run(linked):
    result = run("estimate", "--format", "json", "--seed", "1")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["observed"] > 0 and figures["estimate"] >= figures["observed"]
    assert sorted(figures["lists"]) == sorted(Source.objects.values_list("code", flat=True))
    by = json.loads(run("estimate", "--format", "json", "--by", "sex").output)
    assert {s["value"] for s in by["strata"]} >= {"male", "female"}


def test_report_is_one_self_contained_file(linked, tmp_path):
    out = tmp_path / "report.html"
    result = run("report", *WINDOW, "--out", out, "--tables", tmp_path / "tables")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and 'dir="rtl"' in html
    assert "Estimates by stratum" in html and "neighbourhood: Baba Amr" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert any((tmp_path / "tables").glob("*.csv"))


def test_review_in_the_terminal_records_a_decision(linked):
    result = run("review", "--limit", "1", input="d\n")
    assert result.exit_code == 0, result.output
    assert "record" in result.output and "match probability" in result.output
    decision = MatchDecision.objects.get()
    assert decision.verdict == "different"


def test_group_marks_copying_sources(linked):
    assert run("group", "lcc_homs", "ngo_national", "--name", "lcc-family").exit_code == 0
    assert set(Source.objects.filter(copy_group="lcc-family").values_list("code", flat=True)) == {
        "lcc_homs",
        "ngo_national",
    }
    assert run("group", "nope", "--name", "x").exit_code == 1


def test_public_release_is_versioned_checksummed_and_withholds(linked, tmp_path):
    out = tmp_path / "releases"
    first = run("export", "public", "--out", out, "--withhold", "children", "--format", "csv")
    assert first.exit_code == 0, first.output
    v1 = out / "v1"
    for name in ("persons.csv", "METHODOLOGY.md", "SHA256SUMS", "CHANGES.md", "manifest.json"):
        assert (v1 / name).exists(), name
    import hashlib

    for line in (v1 / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((v1 / name.lstrip("*")).read_bytes()).hexdigest() == digest
    with (v1 / "persons.csv").open(encoding="utf-8-sig") as handle:
        persons = list(csv.DictReader(handle))
    assert not {"national_id", "reporter_name", "reporter_contact"} & set(persons[0])
    children = [p for p in persons if p.get("age_group") == "child"]
    assert children and all(not p.get("full_name") for p in children)
    assert run("export", "public", "--out", out).exit_code == 0
    assert (out / "v2" / "CHANGES.md").exists() and (out / "v1").exists()
