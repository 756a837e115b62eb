"""The installed ``everyname`` program, run as a user would, in a folder of its own."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EVERYNAME = Path(sys.executable).with_name("everyname")


def everyname(*args, cwd: Path, env: dict[str, str] | None = None):
    environment = {**os.environ, **(env or {})}
    environment.pop("EVERYNAME_DATABASE_URL", None)
    environment.pop("EVERYNAME_KEY_FILE", None)
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [str(EVERYNAME), *map(str, args)], cwd=cwd, env=environment, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def test_commands_refuse_an_uninitialised_database(tmp_path):
    (tmp_path / "l.csv").write_text("name\nAhmad Khalil\n", encoding="utf-8")
    result = everyname("import", "l.csv", "--source", "lcc", cwd=tmp_path)
    assert result.returncode == 1
    assert "everyname init" in result.stderr


def test_init_import_sources_in_a_fresh_folder(tmp_path):
    (tmp_path / "l.csv").write_text("name,sex\nAhmad Khalil,m\n", encoding="utf-8")
    assert everyname("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "everyname.sqlite3").exists() and (tmp_path / "everyname.key").exists()
    imported = everyname("import", "l.csv", "--source", "lcc", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    again = everyname("import", "l.csv", "--source", "lcc", cwd=tmp_path)
    assert again.returncode == 1 and "already imported as batch 1" in again.stderr
    listing = everyname("sources", cwd=tmp_path)
    assert "lcc" in listing.stdout


@pytest.mark.slow
def test_demo_runs_the_pipeline_in_its_own_folder(tmp_path):
    result = everyname("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "everyname-demo"
    assert (folder / "everyname-demo.sqlite3").exists()
    assert not (tmp_path / "everyname.sqlite3").exists(), (
        "the demo must not touch the user's database"
    )
    assert "Imported lists" in result.stdout
    assert "reported killed in Homs by name" in result.stdout  # the headline
    assert "Estimated total" in result.stdout and "documented by name" in result.stdout
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "<svg" in html
    # It opens in the browser: a demo administrator and viewer, and how to serve it.
    assert "demo-admin (admin), one-time password:" in result.stdout
    assert "demo-viewer (viewer), one-time password:" in result.stdout
    assert "must be changed" in " ".join(result.stdout.split())
    with sqlite3.connect(folder / "everyname-demo.sqlite3") as db:
        added = db.execute(
            "SELECT details FROM store_auditevent WHERE action = 'user.added'"
        ).fetchall()
    assert [json.loads(d)["one_time_password"] for (d,) in added] == [True, True]
    assert "everyname serve" in result.stdout and (folder / "everyname.secret").exists()
    # and the worker that runs what the browser starts, on the same database
    worker = next(line for line in result.stdout.splitlines() if "everyname worker" in line)
    assert f"EVERYNAME_DATABASE_URL=sqlite:///{folder / 'everyname-demo.sqlite3'}" in worker
    # Splink's training chatter ("level ... not observed", "default max_pairs") is not shown
    assert "not observed in dataset" not in result.stdout + result.stderr
    assert "max_pairs" not in result.stdout + result.stderr
