"""Test set-up shared by every test.

The store, CLI and web tests run against SQLite by default and against a real, throwaway
PostgreSQL 15 cluster with ``--db=postgres``; the cluster is started here (as the ``postgres``
system user when the tests run as root, since ``initdb`` refuses root) and removed afterwards.
Without PostgreSQL server binaries the PostgreSQL run says so and stops, unless
``EVERYNAME_REQUIRE_POSTGRES=1`` (CI), which turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# No time limit on one example: it would be a timing threshold in a unit test, and two cores
# shared by the parallel workers, Spark and a PostgreSQL cluster make any limit a matter of luck.
settings.register_profile("everyname", deadline=None)
settings.load_profile("everyname")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


EVERYNAME = Path(sys.executable).with_name("everyname")
"""The installed command line, run as a user runs it (a process of its own)."""


def run_everyname(
    *args: object, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``everyname ARGS`` in ``cwd`` with none of this process's ``EVERYNAME_*`` settings (nor
    its Django settings module), only ``env``'s; its output as text. ``check``: it must succeed
    (its output is the failure's message)."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EVERYNAME_") and k != "DJANGO_SETTINGS_MODULE"
    }
    result = subprocess.run(
        [str(EVERYNAME), *map(str, args)],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


DEMO_PASSPHRASE = "a long enough passphrase, 2026"


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The demo's database, made once by ``everyname demo`` as a user makes it (its lists
    imported and linked, an estimate and a report), and the settings that open it: for the
    tests that run the command line on a real database in a process of its own."""
    root = tmp_path_factory.mktemp("demo-database")
    run_everyname("demo", cwd=root)
    folder = root / "everyname-demo"
    return root, {
        "EVERYNAME_DATABASE_URL": f"sqlite:///{folder / 'everyname-demo.sqlite3'}",
        "EVERYNAME_KEY_FILE": str(folder / "everyname.key"),
        "EVERYNAME_BACKUP_PASSPHRASE": DEMO_PASSPHRASE,
        "EVERYNAME_USER": "demo-admin",
    }


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database for store/CLI/web tests (postgres starts a throwaway cluster)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"everyname database for this run: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's shared real data (read-only); see each folder's SOURCES.md."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; the repository expects ../shared")
    return SHARED_DATA


def shared_data_path(*parts: str) -> Path:
    return SHARED_DATA.joinpath(*parts)


# --- encryption key ---------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test process encrypts with a key of its own, never one in the working folder."""
    path = tmp_path_factory.mktemp("key") / "everyname.key"
    previous = os.environ.get("EVERYNAME_KEY_FILE")
    os.environ["EVERYNAME_KEY_FILE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("EVERYNAME_KEY_FILE", None)
    else:
        os.environ["EVERYNAME_KEY_FILE"] = previous


@pytest.fixture
def key_file(_key_file: Path) -> Path:
    from everyname.store import crypto

    crypto.create_key_file(_key_file)
    return _key_file


# --- PostgreSQL ---------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[dict[str, str]]:
    bindir = postgres_bindir()
    if bindir is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl) were not found, so the PostgreSQL half "
            "of the suite cannot run here. Install PostgreSQL 15 (Debian: postgresql-15) to run it."
        )
        if os.environ.get("EVERYNAME_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.exit(message + " The SQLite half ran.", returncode=0)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="everyname-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o755)
    port = _free_port()
    subprocess.run(
        [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
         "-l", str(root / "server.log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield {"HOST": str(sockets), "PORT": str(port), "USER": "postgres", "NAME": "postgres"}
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """Point Django at the throwaway PostgreSQL cluster before the test database is created.

    The audit table refuses DELETE and TRUNCATE, so store tests use the ``db`` fixture
    (each test rolled back), not ``transactional_db`` (which empties tables by deleting).
    """
    if request.config.getoption("--db") != "postgres":
        return
    cluster = request.getfixturevalue("postgres_cluster")
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"] = {
        **settings.DATABASES["default"],
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {},
        "PASSWORD": "",
        **cluster,
    }
    # Django may already hold a SQLite connection object made from the old settings: drop it
    # and the handler's cached settings so the next use connects to PostgreSQL.
    connections.__dict__.pop("settings", None)
    if "default" in connections:
        connections["default"].close()
        del connections["default"]


# --- the demo lists in the test database ---------------------------------------------------


@pytest.fixture
def demo_imported(tmp_path, key_file):
    """The demo's five Homs lists (and claims) imported into the test database."""
    from everyname.core.demo import generate_demo
    from everyname.store.counting import import_claims
    from everyname.store.imports import import_file

    manifest = generate_demo(tmp_path / "lists")
    for item in manifest.files:
        import_file(
            item.path,
            item.source_code,
            actor="tester",
            mapping_path=item.mapping,
            source_name=item.source_name,
            source_kind=item.source_kind,
            skip_invalid=True,
            defaults={"outcome": "killed"},
        )
    import_claims(manifest.claims, actor="tester")
    return manifest


@pytest.fixture
def demo_truth(demo_imported):
    """record pk → the generator's true person id."""
    import csv

    from everyname.store.models import Record

    with demo_imported.ground_truth.open(encoding="utf-8") as handle:
        truth = {
            (r["source"], r["source_record_id"]): r["person_id"] for r in csv.DictReader(handle)
        }
    return {
        pk: truth[(source, record_id)]
        for pk, source, record_id in Record.objects.values_list(
            "pk", "source__code", "source_record_id"
        )
    }


@pytest.fixture
def cast():
    """The fixed cast every permission test runs over: one actor per role, two recorders assigned
    to different sources (``src-a`` and ``src-b``)."""
    from everyname.store.permissions import Actor, Role

    return {
        "admin": Actor("alice", Role.ADMIN),
        "analyst": Actor("bob", Role.ANALYST),
        "reviewer": Actor("carol", Role.REVIEWER),
        "recorder_a": Actor("dina", Role.RECORDER, frozenset({"src-a"})),
        "recorder_b": Actor("emad", Role.RECORDER, frozenset({"src-b"})),
        "viewer": Actor("farah", Role.VIEWER),
    }
