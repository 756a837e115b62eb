"""``everyname backup``, ``restore`` and ``originals`` as a user runs them: the installed program,
real databases of its own (SQLite files, or databases made in the throwaway PostgreSQL cluster
with ``--db=postgres``), a real import writing while a backup is made, and the move of a linked
SQLite database to PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import stat
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from everyname.cli.app import app
from everyname.store.backup import SKIPPED_MODELS
from tests.conftest import EVERYNAME, run_everyname

PASSPHRASE = "a long enough passphrase, 2026"


def everyname(*args: object, env: dict[str, str], cwd: Path, check: bool = True):
    return run_everyname(*args, cwd=cwd, env={"COLUMNS": "400", **env}, check=check)


class Database:
    """A new, empty database: a SQLite file, or a database in the PostgreSQL cluster."""

    def __init__(self, url: str, cluster: dict[str, str] | None, name: str, path: Path | None):
        self.url, self.cluster, self.name, self.path = url, cluster, name, path

    def rows(self, sql: str) -> list[tuple]:
        if self.cluster is None:
            with sqlite3.connect(self.path) as db:
                return db.execute(sql).fetchall()
        import psycopg

        c = self.cluster
        with psycopg.connect(
            host=c["HOST"], port=c["PORT"], user=c["USER"], dbname=self.name
        ) as db:
            return db.execute(sql).fetchall()


def new_database(tmp_path: Path, cluster: dict[str, str] | None) -> Database:
    name = f"b{uuid.uuid4().hex[:12]}"
    if cluster is None:
        path = tmp_path / f"{name}.sqlite3"
        return Database(f"sqlite:///{path}", None, name, path)
    import psycopg

    with psycopg.connect(
        host=cluster["HOST"], port=cluster["PORT"], user=cluster["USER"], dbname="postgres",
        autocommit=True,
    ) as db:  # fmt: skip
        db.execute(f'CREATE DATABASE "{name}"')
    host = urllib.parse.quote(cluster["HOST"], safe="")
    return Database(f"postgresql://{cluster['USER']}@{host}:{cluster['PORT']}/{name}", cluster,
                    name, None)  # fmt: skip


@pytest.fixture
def cluster(request):
    """The PostgreSQL cluster when the run is ``--db=postgres``, else None (SQLite files)."""
    if request.config.getoption("--db") != "postgres":
        return None
    return request.getfixturevalue("postgres_cluster")


def environment(db: Database, key: Path) -> dict[str, str]:
    return {
        "EVERYNAME_DATABASE_URL": db.url,
        "EVERYNAME_KEY_FILE": str(key),
        "EVERYNAME_BACKUP_PASSPHRASE": PASSPHRASE,
    }


def write_list(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    given = ["Ahmad", "Huda", "Omar", "Rania", "Khaled", "Samer", "Lina", "محمد", "فاطمة", "علي"]
    family = ["Khalil", "Ali", "Haddad", "al-Homsi", "Darwish", "الخالدي", "السيد", "النجار"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "sex", "age", "date of death"])
        for i in range(rows):
            writer.writerow([
                f"{seed}-{i}", f"{rng.choice(given)} {rng.choice(family)}", rng.choice("mf"),
                rng.randint(1, 90), f"2012-02-{rng.randint(1, 28):02d}",
            ])  # fmt: skip
    return path


def writer_holds_the_database(db: Database, importer: subprocess.Popen) -> bool:
    """Whether the import is inside its transaction (it has written but not committed)."""
    if db.cluster is None:
        probe = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return importer.poll() is None
        finally:
            probe.close()
    held = db.rows(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'store_record' AND l.mode = 'RowExclusiveLock' AND NOT l.granted = false"
    )
    return held[0][0] > 0 and importer.poll() is None


@pytest.mark.slow
def test_a_backup_made_while_an_import_writes_restores_to_before_or_after_it(tmp_path, cluster):
    """A real second process imports 30,000 rows; the backup starts while that import holds its
    transaction. Restored, the database is the state before the import or after it, never one
    in between: every batch has all its records and its audit entry, and nothing else is there."""
    db, key = new_database(tmp_path, cluster), tmp_path / "everyname.key"
    env = environment(db, key)
    everyname("init", env=env, cwd=tmp_path)
    everyname("import", write_list(tmp_path / "small.csv", 3, 1), "--source", "small",
              env=env, cwd=tmp_path)  # fmt: skip
    big = write_list(tmp_path / "big.csv", 30_000, 2)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")}
    importer = subprocess.Popen(
        [str(EVERYNAME), "import", str(big), "--source", "big"],
        cwd=tmp_path, env={**environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        while not writer_holds_the_database(db, importer):
            assert importer.poll() is None, "the import ended before it was seen writing"
            time.sleep(0.05)
        made = everyname("backup", tmp_path / "during.enb", env=env, cwd=tmp_path)
        assert "Wrote" in made.stdout
    finally:
        out, err = importer.communicate(timeout=600)
    assert importer.returncode == 0, out + err  # the backup did not disturb the writer

    restored = new_database(tmp_path, cluster)
    back = everyname("restore", tmp_path / "during.enb", env=environment(restored, key),
                     cwd=tmp_path)  # fmt: skip
    assert "Restored" in back.stdout
    batches = dict(restored.rows("SELECT id, records_imported FROM store_batch"))
    assert set(batches) in ({1}, {1, 2})
    assert batches[1] == 3 and batches.get(2, 30_000) == 30_000
    per_batch = dict(restored.rows("SELECT batch_id, count(*) FROM store_record GROUP BY batch_id"))
    assert per_batch == batches
    audited = restored.rows(
        "SELECT object_id FROM store_auditevent WHERE action = 'batch.imported'"
    )
    assert sorted(int(i) for (i,) in audited) == sorted(batches)
    chunks = restored.rows("SELECT DISTINCT batch_id FROM store_batchfilechunk")
    assert {b for (b,) in chunks} == set(batches)
    # After the import, the live database holds both batches: the backup is not the only state.
    assert {b for (b,) in db.rows("SELECT id FROM store_batch")} == {1, 2}


@pytest.mark.slow
def test_a_linked_sqlite_database_moves_to_postgresql(tmp_path, postgres_cluster):
    """The laptop-to-server move: the demo's SQLite database (five lists imported and linked),
    backed up with its key, restored by `everyname restore` into a new PostgreSQL database that
    has no tables yet; the same rows, the same `export persons` and `count`, and the server
    goes on importing."""
    everyname("demo", env={}, cwd=tmp_path)
    folder = tmp_path / "everyname-demo"
    laptop = Database(f"sqlite:///{folder / 'everyname-demo.sqlite3'}", None, "demo",
                      folder / "everyname-demo.sqlite3")  # fmt: skip
    # The demo adds users: from then on (and in the restored copy) commands name one.
    laptop_env = {**environment(laptop, folder / "everyname.key"), "EVERYNAME_USER": "demo-admin"}
    everyname("export", "persons", "--format", "csv", "--out", tmp_path / "laptop.csv",
              env=laptop_env, cwd=tmp_path)  # fmt: skip
    laptop_count = everyname("count", "--by", "sex,status", "--format", "json",
                             env=laptop_env, cwd=tmp_path).stdout  # fmt: skip
    everyname("backup", tmp_path / "move.enb", "--include-key", env=laptop_env, cwd=tmp_path)

    server = new_database(tmp_path, postgres_cluster)
    server_key = tmp_path / "server" / "everyname.key"
    server_env = {**environment(server, server_key), "EVERYNAME_USER": "demo-admin"}
    restored = everyname("restore", tmp_path / "move.enb", env=server_env, cwd=tmp_path)
    assert "Wrote the backup's encryption key" in restored.stdout
    assert server_key.read_bytes() == (folder / "everyname.key").read_bytes()
    assert stat.S_IMODE(server_key.stat().st_mode) == 0o600

    tables = [
        name
        for (name,) in laptop.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name.startswith(("store_", "auth_user", "auth_group", "django_tasks"))
        and name != "store_auditevent"
        # not backed up (derived, or the server's own: backup.SKIPPED_MODELS), nor SQLite's
        # name index, FTS5 tables (PostgreSQL's is an index of the records table)
        and name not in {label.replace(".", "_") for label in SKIPPED_MODELS}
        and not name.startswith("store_record_names")
    ]
    assert "store_record" in tables and "store_membership" in tables
    for table in tables:
        assert laptop.rows(f"SELECT count(*) FROM {table}") == server.rows(
            f"SELECT count(*) FROM {table}"
        ), table
    laptop_log = [a for (a,) in laptop.rows("SELECT action FROM store_auditevent ORDER BY id")]
    server_log = [a for (a,) in server.rows("SELECT action FROM store_auditevent ORDER BY id")]
    assert laptop_log[-1] == "backup.written"
    assert server_log == [*laptop_log[:-1], "database.restored"]
    verified = everyname("audit", "verify", env=server_env, cwd=tmp_path)
    assert "chain intact" in verified.stdout  # the restore chained after the restored entries

    everyname("export", "persons", "--format", "csv", "--out", tmp_path / "server.csv",
              env=server_env, cwd=tmp_path)  # fmt: skip
    assert (tmp_path / "server.csv").read_bytes() == (tmp_path / "laptop.csv").read_bytes()
    server_count = everyname("count", "--by", "sex,status", "--format", "json",
                             env=server_env, cwd=tmp_path).stdout  # fmt: skip
    assert json.loads(server_count) == json.loads(laptop_count)
    more = everyname("import", write_list(tmp_path / "more.csv", 5, 3), "--source", "more",
                     env=server_env, cwd=tmp_path)  # fmt: skip
    assert "5 records" in more.stdout


@pytest.fixture
def small(tmp_path, cluster):
    """A database with one small list imported, and its backup."""
    db, key = new_database(tmp_path, cluster), tmp_path / "everyname.key"
    env = environment(db, key)
    everyname("init", env=env, cwd=tmp_path)
    listed = write_list(tmp_path / "list.csv", 4, 7)
    everyname("import", listed, "--source", "lcc", env=env, cwd=tmp_path)
    everyname("backup", tmp_path / "small.enb", env=env, cwd=tmp_path)
    return {"db": db, "env": env, "list": listed, "backup": tmp_path / "small.enb", "key": key}


def test_restore_refuses_what_it_cannot_verify_and_writes_nothing(tmp_path, cluster, small):
    target = new_database(tmp_path, cluster)
    env = environment(target, small["key"])
    data = bytearray(small["backup"].read_bytes())
    data[len(data) // 2] ^= 0x04
    (tmp_path / "tampered.enb").write_bytes(bytes(data))
    tampered = everyname("restore", tmp_path / "tampered.enb", env=env, cwd=tmp_path, check=False)
    assert tampered.returncode == 1 and "altered or damaged" in tampered.stderr
    wrong = everyname("restore", small["backup"], cwd=tmp_path, check=False,
                      env={**env, "EVERYNAME_BACKUP_PASSPHRASE": PASSPHRASE[::-1]})  # fmt: skip
    assert wrong.returncode == 1 and "passphrase does not open" in wrong.stderr
    assert "Traceback" not in tampered.stderr + wrong.stderr
    # Nothing was written: the new database did not even get its tables.
    untouched = everyname("sources", env=env, cwd=tmp_path, check=False)
    assert untouched.returncode == 1 and "not been initialised" in untouched.stderr
    checked = everyname("restore", small["backup"], "--check", env=env, cwd=tmp_path)
    assert "every checksum matches" in checked.stdout


def test_restore_refuses_a_database_that_holds_data(tmp_path, small):
    refused = everyname("restore", small["backup"], env=small["env"], cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "store_record (4 rows)" in refused.stderr


def test_originals_gives_the_file_back_byte_for_byte(tmp_path, small):
    out = tmp_path / "back" / "original.csv"
    given = everyname("originals", "1", "--out", out, env=small["env"], cwd=tmp_path)
    assert out.read_bytes() == small["list"].read_bytes() and "list.csv" in given.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = everyname("originals", "1", "--out", out, env=small["env"], cwd=tmp_path, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    everyname("originals", "1", "--out", out, "--force", env=small["env"], cwd=tmp_path)
    onto_key = everyname("originals", "1", "--out", small["key"], "--force", env=small["env"],
                         cwd=tmp_path, check=False)  # fmt: skip
    assert onto_key.returncode == 1 and small["key"].read_bytes() != small["list"].read_bytes()
    log = small["db"].rows(
        "SELECT count(*) FROM store_auditevent WHERE action = 'batch.original_downloaded'"
    )
    assert log == [(2,)]


@pytest.mark.django_db
def test_the_passphrase_is_asked_twice_or_read_from_a_file(tmp_path, key_file, monkeypatch):
    runner = CliRunner()
    monkeypatch.delenv("EVERYNAME_BACKUP_PASSPHRASE", raising=False)
    out = tmp_path / "b.enb"
    asked = runner.invoke(app, ["backup", str(out)], input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert asked.exit_code == 0, asked.output
    assert asked.output.count("passphrase") >= 2 and PASSPHRASE not in asked.output
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    monkeypatch.setenv("EVERYNAME_BACKUP_PASSPHRASE_FILE", str(secret))
    checked = runner.invoke(app, ["restore", str(out), "--check"])
    assert checked.exit_code == 0, checked.output
    assert "every checksum matches" in " ".join(checked.output.split())
    short = runner.invoke(app, ["backup", str(tmp_path / "c.enb")], input="short\nshort\n",
                          env={"EVERYNAME_BACKUP_PASSPHRASE_FILE": ""})  # fmt: skip
    assert short.exit_code == 1 and "at least 12 characters" in " ".join(short.output.split())
    assert not (tmp_path / "c.enb").exists()
