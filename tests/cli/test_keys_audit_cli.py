"""``everyname key rotate``, ``everyname audit verify`` and what ``init`` and ``import`` say about
keys and triggers, through the command line."""

from __future__ import annotations

import csv
import json
import stat

import pytest
from django.contrib.auth.models import User
from django.db import connection
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import COMMAND_ORDER, app
from everyname.store import crypto, protection
from everyname.store.models import AuditEvent, Batch, Record, UserRole

pytestmark = pytest.mark.django_db
runner = CliRunner()


def flat(result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def run(*args, user=None):
    env = {"EVERYNAME_USER": user} if user else {}
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def own_key(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "everyname.key"
    crypto.create_key_file(path)
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(path))
    monkeypatch.delenv("EVERYNAME_USER", raising=False)
    crypto.forget_checks()
    return path


@pytest.fixture
def imported(tmp_path, own_key):
    path = tmp_path / "lcc.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["name", "reporter"], ["Ahmad Khalil", "Umm Khaled"], ["Huda Ali", "Abu Samir"]]
        )
    result = run("import", path, "--source", "lcc-homs")
    assert result.exit_code == 0, result.output
    return path


def test_key_and_audit_are_listed_after_user_and_their_tokens():
    order = list(COMMAND_ORDER)
    start = order.index("user")
    assert order[start : start + 4] == ["user", "token", "key", "audit"]


def test_key_rotate_reencrypts_and_keeps_the_old_key(imported, own_key):
    old = own_key.read_bytes()
    tokens = sorted(bytes(t) for t in Record.objects.values_list("sensitive_encrypted", flat=True))
    result = run("key", "rotate")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted" in flat(result) and "Record.sensitive_encrypted: 2" in flat(result)
    kept = [p for p in own_key.parent.iterdir() if p.name.startswith("everyname.key.old-")]
    assert len(kept) == 1 and kept[0].read_bytes() == old
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert str(kept[0]) in result.output.replace("\n", "")
    assert own_key.read_bytes() != old
    after = sorted(bytes(t) for t in Record.objects.values_list("sensitive_encrypted", flat=True))
    assert set(after).isdisjoint(tokens)
    # the database goes on working with the new key
    listing = run("sources")
    assert listing.exit_code == 0, listing.output
    assert AuditEvent.objects.filter(action="key.rotated").count() == 1


def test_key_rotate_is_for_admins(imported, own_key):
    User.objects.create_user("amira")
    UserRole.objects.create(user=User.objects.get(username="amira"), role="admin")
    User.objects.create_user("farah")
    UserRole.objects.create(user=User.objects.get(username="farah"), role="viewer")
    old = own_key.read_bytes()
    result = run("key", "rotate", user="farah")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert own_key.read_bytes() == old
    assert not AuditEvent.objects.filter(action="key.rotated").exists()


def test_key_rotate_to_a_new_file(imported, own_key, tmp_path):
    target = tmp_path / "next.key"
    result = run("key", "rotate", "--new-key-file", target)
    assert result.exit_code == 0, result.output
    assert target.exists() and "EVERYNAME_KEY_FILE=" in flat(result)
    again = run("key", "rotate", "--new-key-file", target)
    assert again.exit_code == 1 and "already exists" in flat(again)


def test_audit_verify_says_intact_and_names_a_tampered_entry(imported):
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    count = AuditEvent.objects.count()
    assert f"{count} entries, chain intact." in flat(result)
    data = run("audit", "verify", "--format", "json")
    assert json.loads(data.stdout)["entries"] == count

    protection.uninstall()
    victim = AuditEvent.objects.order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE store_auditevent SET actor = 'mallory' WHERE id = %s", [victim.pk])
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert f"entry {victim.pk}" in flat(broken) and "altered" in flat(broken)
    assert "Protective triggers missing" in flat(broken)
    as_json = json.loads(run("audit", "verify", "--format", "json").stdout)
    assert as_json["first_bad_id"] == victim.pk and not as_json["intact"]


def test_init_reports_a_dropped_trigger_and_restores_it(imported):
    trigger = next(t for t in protection.triggers(connection.vendor) if t.table == "store_record")
    with connection.cursor() as cursor:
        suffix = "" if connection.vendor == "sqlite" else " ON store_record"
        cursor.execute(f"DROP TRIGGER {trigger.name}{suffix}")
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "had been dropped" in flat(result) and trigger.name in result.output.replace("\n", "")
    assert protection.check().intact
    assert run("audit", "verify").exit_code == 0


def test_init_and_import_without_the_key_of_a_populated_database(imported, own_key, tmp_path):
    key = own_key.read_bytes()
    own_key.unlink()
    result = run("init")
    assert result.exit_code == 1
    assert not own_key.exists()
    assert "does not create a new key" in flat(result)
    other = tmp_path / "other.csv"
    other.write_text("name\nSamir Nasr\n", encoding="utf-8")
    refused = run("import", other, "--source", "lcc-homs")
    assert refused.exit_code == 1
    assert "already holds data encrypted" in flat(refused)
    assert "everyname init" not in flat(refused)
    assert Batch.objects.count() == 1
    own_key.write_bytes(key)
    own_key.chmod(0o600)


def test_import_with_another_key_is_refused(imported, own_key, tmp_path, monkeypatch):
    other_key = tmp_path / "other.key"
    crypto.create_key_file(other_key)
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(other_key))
    other = tmp_path / "other.csv"
    other.write_text("name,reporter\nSamir Nasr,Abu Hani\n", encoding="utf-8")
    refused = run("import", other, "--source", "lcc-homs")
    assert refused.exit_code == 1
    assert str(other_key) in refused.output.replace("\n", "")
    assert "does not match the key this database" in flat(refused)
    assert Batch.objects.count() == 1
