"""Backups, restores and originals through the services.

The backup restored here is made by the installed program from a database of its own (the
demo's: five lists imported and linked, in SQLite), so a restore into this test database is the
move a team makes from a laptop to a server: SQLite to SQLite, and with ``--db=postgres`` SQLite
to PostgreSQL. Every row of every table must come back equal.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.core.sealed import MAGIC
from everyname.store import backup as service
from everyname.store.audit import Action
from everyname.store.backup import BackupUnreadable
from everyname.store.imports import import_file
from everyname.store.models import AuditEvent, Batch, Record
from tests.conftest import run_everyname

pytestmark = pytest.mark.django_db
PASSPHRASE = "a long enough passphrase, 2026"
SOURCE_ALIAS = "backup_test_source"


def run(*args: object, cwd: Path, env: dict[str, str] | None = None):
    return run_everyname(*args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's database (made by ``everyname demo``), its backups with and without the key,
    and its persons export."""
    root = tmp_path_factory.mktemp("demo-backup")
    run("demo", cwd=root)
    folder = root / "everyname-demo"
    env = {
        "EVERYNAME_DATABASE_URL": f"sqlite:///{folder / 'everyname-demo.sqlite3'}",
        "EVERYNAME_KEY_FILE": str(folder / "everyname.key"),
        "EVERYNAME_BACKUP_PASSPHRASE": PASSPHRASE,
        "EVERYNAME_USER": "demo-admin",  # the demo adds users: commands then name one
    }
    run("backup", root / "plain.enb", cwd=root, env=env)
    run("backup", root / "keyed.enb", "--include-key", cwd=root, env=env)
    run("export", "persons", "--format", "csv", "--out", root / "persons.csv", cwd=root, env=env)
    return {
        "root": root,
        "database": folder / "everyname-demo.sqlite3",
        "key": folder / "everyname.key",
        "plain": root / "plain.enb",
        "keyed": root / "keyed.enb",
        "persons": (root / "persons.csv").read_bytes(),
    }


def rows_of(model, alias: str) -> list[tuple]:
    """Every row, in id order, values as Python sees them (bytes for binary on both databases)."""
    fields = [f.attname for f in model._meta.concrete_fields]
    return [
        tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
        for row in model._base_manager.using(alias).order_by("pk").values_list(*fields)
    ]


@pytest.fixture
def source_database(demo):
    """The demo's database opened beside the test database, to compare rows with."""
    with service._opened(demo["database"], SOURCE_ALIAS):
        yield SOURCE_ALIAS


# --- restore ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_sqlite_backup_restores_here_row_for_row(
    demo, source_database, cast, monkeypatch, key_file
):
    """Every table equal to the demo's, row by row (ids, datetimes, JSON, encrypted bytes), one
    audit entry more (the restore, chained after the restored ones), and ``export persons`` byte
    for byte what the demo's database gave."""
    from everyname.store.linking import export_persons

    result = service.restore(cast["admin"], demo["plain"], PASSPHRASE)
    assert not result.checked_only and not result.key_written and not result.key_included
    assert result.database == "sqlite" and result.rows > 1000
    assert result.key_matches is False  # the test's own key is not the demo's: said, not hidden
    for model in service._models_in_order():
        if model._meta.label_lower in service.MIGRATE_MADE:
            continue
        here, there = rows_of(model, "default"), rows_of(model, source_database)
        if model is AuditEvent:
            # The demo's database has since recorded its two backups; here the restore follows.
            restored, later = there[: len(here) - 1], there[len(here) - 1 :]
            assert here[:-1] == restored
            action = [f.attname for f in AuditEvent._meta.concrete_fields].index("action")
            assert [row[action] for row in later] == [Action.BACKUP_WRITTEN] * 2
            continue
        assert here == there, model._meta.db_table
    assert AuditEvent.objects.order_by("-id").first().action == Action.DATABASE_RESTORED
    counts = {t.table: t.rows for t in result.tables}
    assert counts["store_record"] == Record.objects.count() > 0
    assert export_persons(cast["admin"]).content() == demo["persons"]
    # New rows follow the restored ids (PostgreSQL's sequences were reset), under the demo's key
    # (the database records its fingerprint, restored with the rest).
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(demo["key"]))
    batch_ids = list(Batch.objects.values_list("pk", flat=True))
    extra = demo["root"] / "extra.csv"
    extra.write_text("name,sex\nAhmad Khalil,m\n", encoding="utf-8")
    report = import_file(extra, "extra", actor=cast["admin"])
    assert report.batch_id > max(batch_ids)


def test_check_only_verifies_and_writes_nothing(demo, cast, snapshot):
    before = snapshot()
    result = service.restore(cast["admin"], demo["keyed"], PASSPHRASE, check_only=True)
    assert result.checked_only and result.key_included and not result.key_written
    assert {t.table for t in result.tables} >= {"store_record", "store_auditevent", "auth_user"}
    assert "store_dataversion" not in {t.table for t in result.tables}
    assert snapshot() == before


@pytest.mark.parametrize(
    "damage",
    ["flip a byte in the middle", "flip the last byte", "cut the end", "flip a header byte"],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(demo, cast, snapshot, tmp_path, damage):
    data = bytearray(demo["plain"].read_bytes())
    if damage == "flip a byte in the middle":
        data[len(data) // 2] ^= 0x01
    elif damage == "flip the last byte":
        data[-1] ^= 0x80
    elif damage == "cut the end":
        data = data[: len(data) - 100]
    else:
        data[len(MAGIC) + 10] ^= 0x01
    damaged = tmp_path / "damaged.enb"
    damaged.write_bytes(bytes(data))
    before = snapshot()
    with pytest.raises(BackupUnreadable) as info:
        service.restore(cast["admin"], damaged, PASSPHRASE)
    assert "nothing was restored" in str(info.value) or "altered" in str(info.value)
    assert info.value.to_dict()["kind"] == "invalid"
    assert snapshot() == before


def test_a_wrong_passphrase_is_refused_as_such(demo, cast, snapshot):
    before = snapshot()
    with pytest.raises(BackupUnreadable) as info:
        service.restore(cast["admin"], demo["plain"], PASSPHRASE + "!")
    assert info.value.field == "passphrase" and "passphrase does not open" in str(info.value)
    assert snapshot() == before


def test_not_a_backup_is_refused(cast, tmp_path):
    other = tmp_path / "list.csv"
    other.write_text("name\nAhmad\n", encoding="utf-8")
    with pytest.raises(BackupUnreadable, match="not an everyname backup"):
        service.restore(cast["admin"], other, PASSPHRASE)
    with pytest.raises(NotFound):
        service.restore(cast["admin"], tmp_path / "missing.enb", PASSPHRASE)


def test_restore_refuses_a_database_with_data_naming_it(demo, cast, snapshot, tmp_path, key_file):
    path = tmp_path / "l.csv"
    path.write_text("name,sex\nAhmad Khalil,m\nHuda Ali,f\n", encoding="utf-8")
    import_file(path, "lcc", actor=cast["admin"])
    before = snapshot()
    with pytest.raises(Conflict) as info:
        service.restore(cast["admin"], demo["plain"], PASSPHRASE)
    message = str(info.value)
    assert info.value.field == "database"
    assert "store_record (2 rows)" in message and "store_source (1 row)" in message
    assert snapshot() == before


def test_the_backups_key_is_written_only_where_no_other_key_is(demo, cast, snapshot, tmp_path,
                                                             key_file, monkeypatch):  # fmt: skip
    before = snapshot()
    with pytest.raises(Conflict) as info:  # the test's own key is there, and it is another
        service.restore(cast["admin"], demo["keyed"], PASSPHRASE)
    assert info.value.field == "key_file"
    assert snapshot() == before
    target = tmp_path / "server" / "everyname.key"
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(target))
    result = service.restore(cast["admin"], demo["keyed"], PASSPHRASE)
    assert result.key_written and target.read_bytes() == demo["key"].read_bytes()
    assert result.key_matches is True
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("role", ["analyst", "reviewer", "recorder_a", "recorder_b", "viewer"])
def test_only_key_managers_restore(demo, cast, snapshot, role):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service.restore(cast[role], demo["plain"], PASSPHRASE)
    with pytest.raises(PermissionDenied):
        service.restore(cast[role], demo["plain"], PASSPHRASE, check_only=True)
    assert snapshot() == before


# --- backup ----------------------------------------------------------------------------------


@pytest.fixture
def imported(tmp_path, key_file, cast):
    path = tmp_path / "lcc.csv"
    path.write_bytes("name,sex,age\r\nأحمد خليل,ذكر,40\r\nHuda Ali,f,\r\n".encode("utf-8-sig"))
    report = import_file(path, "lcc", actor=cast["admin"])
    return path, report.batch_id


@pytest.mark.parametrize("role", ["admin", "analyst", "reviewer", "recorder_a", "viewer"])
def test_backup_over_the_cast(imported, cast, snapshot, tmp_path, role):
    out = tmp_path / "out" / "b.enb"
    before = snapshot()
    if role != "admin":
        with pytest.raises(PermissionDenied):
            service.backup(cast[role], out, PASSPHRASE)
        assert not out.exists() and snapshot() == before
        return
    result = service.backup(cast[role], out, PASSPHRASE)
    assert out.is_file() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in out.parent.iterdir() if p != out], "no temporary file left"
    counts = {t.table: t.rows for t in result.tables}
    assert counts["store_record"] == 2 and counts["store_batch"] == 1
    assert not result.key_included
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == Action.BACKUP_WRITTEN and event.actor == "alice"
    assert event.details["sha256"] == result.sha256
    # What is inside is what the database holds: checked by reading it back.
    checked = service.restore(cast["admin"], out, PASSPHRASE, check_only=True)
    assert {t.table: t.rows for t in checked.tables} == counts
    # Names are not readable in the file (it is encrypted as a whole).
    assert b"Huda" not in out.read_bytes()
    assert "أحمد".encode() not in out.read_bytes()


def test_sessions_and_sign_in_attempts_stay_behind_users_and_devices_go(imported, cast, tmp_path):
    """A session restored on another server would sign its holder in there without a password,
    and the sign-in attempts hold staff's addresses: neither is in a backup. The users, their
    roles and their second-factor devices are, so the team signs in on the new server as before."""
    from axes.models import AccessAttempt
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = SessionStore()
    session["_auth_user_id"] = "1"
    session.create()
    AccessAttempt.objects.create(
        username="mallory", ip_address="192.0.2.7", user_agent="x", failures_since_start=3
    )
    user = User.objects.create_user("with-device", password="a long test passphrase 7")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    out = tmp_path / "b.enb"
    tables = {t.table: t.rows for t in service.backup(cast["admin"], out, PASSPHRASE).tables}
    assert "django_session" not in tables
    assert not [t for t in tables if t.startswith("axes_")]
    assert tables["otp_totp_totpdevice"] == 1 and tables["auth_user"] >= 1
    checked = service.restore(cast["admin"], out, PASSPHRASE, check_only=True)
    assert {t.table: t.rows for t in checked.tables} == tables


def test_backup_refuses_a_short_passphrase_an_existing_file_and_its_own_files(
    imported, cast, tmp_path, key_file
):
    with pytest.raises(InvalidInput) as info:
        service.backup(cast["admin"], tmp_path / "b.enb", "short")
    assert info.value.field == "passphrase" and not (tmp_path / "b.enb").exists()
    existing = tmp_path / "existing.enb"
    existing.write_bytes(b"keep me")
    with pytest.raises(Conflict) as info:
        service.backup(cast["admin"], existing, PASSPHRASE)
    assert info.value.field == "output" and existing.read_bytes() == b"keep me"
    service.backup(cast["admin"], existing, PASSPHRASE, overwrite=True)
    assert existing.read_bytes().startswith(MAGIC)
    with pytest.raises(InvalidInput) as info:
        service.backup(cast["admin"], key_file, PASSPHRASE, overwrite=True)
    assert info.value.field == "output"


def test_the_key_goes_in_only_when_asked(imported, cast, tmp_path, key_file):
    plain = service.backup(cast["admin"], tmp_path / "plain.enb", PASSPHRASE)
    keyed = service.backup(cast["admin"], tmp_path / "keyed.enb", PASSPHRASE, include_key=True)
    assert not plain.key_included and keyed.key_included
    key = key_file.read_bytes().strip()
    assert key not in plain.file.read_bytes() and key not in keyed.file.read_bytes()
    assert service.restore(cast["admin"], keyed.file, PASSPHRASE, check_only=True).key_included


# --- originals -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "analyst", "reviewer", "recorder_a", "viewer"])
def test_originals_byte_for_byte_over_the_cast(imported, cast, snapshot, tmp_path, role):
    path, batch = imported
    out = tmp_path / "back" / "lcc-original.csv"
    before = snapshot()
    if not cast[role].can(service.Permission.DOWNLOAD_ORIGINAL):
        with pytest.raises(PermissionDenied):
            service.write_original(cast[role], batch, out)
        assert not out.exists() and snapshot() == before
        return
    result = service.write_original(cast[role], batch, out)
    assert out.read_bytes() == path.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert result.file_name == "lcc.csv" and result.size_bytes == path.stat().st_size
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == Action.ORIGINAL_DOWNLOADED and event.object_id == str(batch)
    assert event.actor == cast[role].username


def test_originals_never_overwrite_without_asking(imported, cast, tmp_path, key_file):
    path, batch = imported
    out = tmp_path / "taken.csv"
    out.write_bytes(b"someone's file")
    with pytest.raises(Conflict) as info:
        service.write_original(cast["admin"], batch, out)
    assert info.value.field == "output" and out.read_bytes() == b"someone's file"
    service.write_original(cast["admin"], batch, out, overwrite=True)
    assert out.read_bytes() == path.read_bytes()
    with pytest.raises(InvalidInput):
        service.write_original(cast["admin"], batch, key_file, overwrite=True)
    with pytest.raises(NotFound) as info:
        service.write_original(cast["admin"], batch + 100, tmp_path / "x.csv")
    assert info.value.field == "batch"
