"""Two writers at once, as two real ``everyname`` processes on one database (the one the suite
runs on: SQLite by default, the throwaway PostgreSQL cluster with ``--db=postgres``).

Seen before: on SQLite the second import failed after about 5 s with a "database is locked"
traceback; on PostgreSQL two imports creating the same source, or importing the same file,
ended in an ``IntegrityError`` traceback. Now writers wait their turn; the same file twice gives
the clean "already imported" message to one of them; no traceback either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from everyname.core.demo.large import write_large_csv

EVERYNAME = Path(sys.executable).with_name("everyname")
ROWS = 20_000  # long enough (seconds) that the two imports overlap


@pytest.fixture
def database(request, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for a fresh, initialised database of the kind this run tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVERYNAME_", "DJANGO_"))}
    env["EVERYNAME_KEY_FILE"] = str(tmp_path / "everyname.key")
    if request.config.getoption("--db") == "postgres":
        import psycopg

        cluster = request.getfixturevalue("postgres_cluster")
        name = f"concurrency_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(
            host=cluster["HOST"], port=cluster["PORT"], user="postgres", dbname="postgres",
            autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(f'CREATE DATABASE "{name}"')
        host = quote(cluster["HOST"], safe="")
        env["EVERYNAME_DATABASE_URL"] = f"postgresql://postgres@{host}:{cluster['PORT']}/{name}"
    else:
        env["EVERYNAME_DATABASE_URL"] = f"sqlite:///{tmp_path / 'everyname.sqlite3'}"
    init = subprocess.run(
        [str(EVERYNAME), "init"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    return env


def together(
    env: dict[str, str], cwd: Path, *commands: list[str]
) -> list[subprocess.CompletedProcess]:
    """Start every command at once and wait for all of them."""
    started = [
        subprocess.Popen(
            [str(EVERYNAME), *command],
            cwd=cwd,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for command in commands
    ]
    done = []
    for process, command in zip(started, commands, strict=True):
        out, err = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


def test_two_imports_into_one_new_source_both_succeed(database, tmp_path):  # type: ignore[no-untyped-def]
    first = write_large_csv(tmp_path / "first.csv", ROWS, seed=1)
    second = write_large_csv(tmp_path / "second.csv", ROWS, seed=2)
    results = together(
        database,
        tmp_path,
        ["import", str(first), "--source", "shared"],
        ["import", str(second), "--source", "shared"],
    )
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert f"{ROWS} records" in result.stdout
    created = [r for r in results if "Created source 'shared'" in r.stdout]
    assert len(created) == 1, "the source is created once, and the other import uses it"
    listing = subprocess.run(
        [str(EVERYNAME), "sources"], cwd=tmp_path, env=database, capture_output=True, text=True
    )
    assert listing.stdout.count("first.csv") == 1 and listing.stdout.count("second.csv") == 1


def test_the_same_file_twice_at_once_is_imported_once_with_a_clean_message(database, tmp_path):  # type: ignore[no-untyped-def]
    path = write_large_csv(tmp_path / "list.csv", ROWS, seed=3)
    results = together(
        database,
        tmp_path,
        ["import", str(path), "--source", "one"],
        ["import", str(path), "--source", "two"],
    )
    for result in results:
        assert "Traceback" not in result.stderr, result.stderr
    assert sorted(r.returncode for r in results) == [0, 1]
    refused = " ".join(next(r for r in results if r.returncode == 1).stderr.split())
    assert "already imported as batch" in refused
    assert "Nothing was imported" in refused


def test_a_writer_that_cannot_wait_longer_gets_a_message_not_a_traceback(database, tmp_path):  # type: ignore[no-untyped-def]
    """SQLite only lets one writer in; with no wait at all the second is told why it stopped.
    (PostgreSQL writers to different rows never wait for each other: both succeed.)"""
    first = write_large_csv(tmp_path / "first.csv", ROWS, seed=4)
    second = write_large_csv(tmp_path / "second.csv", ROWS, seed=5)
    impatient = {**database, "EVERYNAME_SQLITE_WAIT": "0"}
    url = database["EVERYNAME_DATABASE_URL"]
    long = subprocess.Popen(
        [str(EVERYNAME), "import", str(first), "--source", "a"], cwd=tmp_path, env=database,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        if url.startswith("sqlite"):
            wait_for_write_lock(Path(url.removeprefix("sqlite:///")), long)
        second_import = subprocess.run(
            [str(EVERYNAME), "import", str(second), "--source", "b"], cwd=tmp_path,
            env=impatient, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        _out, err = long.communicate(timeout=600)
    assert long.returncode == 0, err
    assert "Traceback" not in second_import.stderr, second_import.stderr
    if url.startswith("sqlite"):
        assert second_import.returncode == 1
        said = " ".join(second_import.stderr.split())
        assert "database is busy" in said and "EVERYNAME_SQLITE_WAIT" in said
        assert "has not been initialised" not in said
    else:
        assert second_import.returncode == 0, second_import.stderr


def wait_for_write_lock(path: Path, writer: subprocess.Popen) -> None:
    """Return once another process holds SQLite's write lock on ``path`` (the import began)."""
    import sqlite3

    while writer.poll() is None:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                return
            raise
        finally:
            probe.close()
    raise AssertionError("the first import ended before it was seen writing")
