"""``everyname export public --site OUT``: the release and its static site, from a linked database.

A list with distinctive values in every withheld field (a national id, a reporter's name and
contact, notes, a child's name withheld by ``--withhold children``, and its source's contact) is
imported beside the demo's lists; no file of the site may hold any of them.
"""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app

pytestmark = pytest.mark.django_db
runner = CliRunner()

PLANTED = {
    "national_id": "NID-ZZ-80417",
    "reporter_name": "ZZReporter Thaqib Warraq",
    "reporter_contact": "+963 955 804 170",
    "notes": "ZZNOTE told by his cousin",
}
CHILD = "Yaqzan Zzubhani Qarqashi"
SOURCE_CONTACT = "zz-source-contact@example.org"
ADULT = "Zubayr Qutaybah Zzarnuqi"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def linked(demo_imported, tmp_path):
    from everyname.store.imports import import_file
    from everyname.store.sources import get_or_create_source

    get_or_create_source("planted", "tester", contact=SOURCE_CONTACT)
    path = tmp_path / "planted.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["full_name", "age", "sex", "date_of_death", "governorate", *PLANTED])
        writer.writerow([ADULT, "41", "male", "2012-02-06", "Homs", *PLANTED.values()])
        writer.writerow([CHILD, "7", "male", "2012-02-07", "Homs", "NID-ZZ-CHILD-1", "", "", ""])
    import_file(path, "planted", actor="tester", defaults={"outcome": "killed"})
    result = run("link")
    assert result.exit_code == 0, result.output
    return demo_imported


def test_the_site_is_written_beside_the_release_and_holds_no_withheld_value(linked, tmp_path):
    out, site = tmp_path / "releases", tmp_path / "site"
    result = run("export", "public", "--out", out, "--site", site, "--withhold", "children")
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output
    release = out / "v1"
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    figures = json.loads((site / "figures.json").read_text("utf-8"))
    counted = json.loads(run("count", "--format", "json").output)
    assert figures["total"] == manifest["persons"] == counted["total"]
    assert figures["total_range"] == counted["total_range"]
    assert figures["total_range"]["pairs_awaiting_review"] > 0  # the demo leaves pairs to review
    by = json.loads(run("count", "--by", "sex,age_group,status", "--format", "json").output)
    for field in ("sex", "age_group", "status"):
        assert {r["value"]: r["count"] for r in figures["by"][field]} == {
            r["value"]: r["count"] for r in by["by"][field]
        }
    for line in (site / "release" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((site / "release" / name).read_bytes()).hexdigest() == digest

    index = "".join(p.read_text("utf-8") for p in (site / "data" / "p").iterdir())
    assert ADULT in index  # the planted list reached the site: its absences below mean something
    planted = {**PLANTED, "child": CHILD, "child id": "NID-ZZ-CHILD-1", "contact": SOURCE_CONTACT}
    planted |= {f"child word {w}": w for w in CHILD.split()}
    for path in (p for p in site.rglob("*") if p.is_file()):
        content = path.read_bytes().lower()
        for what, value in planted.items():
            for form in {value, json.dumps(value)[1:-1]}:
                assert form.lower().encode() not in content, f"{what} in {path}"


def test_a_site_folder_that_exists_publishes_nothing(linked, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    result = run("export", "public", "--out", tmp_path / "releases", "--site", site)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert not (tmp_path / "releases").exists()


def test_only_a_public_export_has_a_site(linked, tmp_path):
    result = run("export", "persons", "--out", tmp_path / "p.csv", "--site", tmp_path / "s")
    assert result.exit_code == 2
    assert not (tmp_path / "s").exists()


def test_a_viewer_may_not_publish_a_site(linked, tmp_path, monkeypatch):
    from everyname.store.permissions import Actor
    from everyname.store.users import add_user

    admin = Actor.local_admin("tester")
    add_user(admin, "amira", "admin", password="a long admin phrase 41")  # the first is an admin
    add_user(admin, "vera", "viewer", password="a long viewer phrase 41")
    monkeypatch.setenv("EVERYNAME_USER", "vera")
    result = run("export", "public", "--out", tmp_path / "r", "--site", tmp_path / "s")
    assert result.exit_code == 1
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()
