"""``everyname user``: the first admin made by the local administrator, then every command run
as a named, active user; passwords from a file or asked for twice, never shown."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store.models import AuditEvent, Source

pytestmark = pytest.mark.django_db
runner = CliRunner()
PASSWORD = "lantern-orchard-91-quietly"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sources():
    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code.upper(), created_by="t")


def run(*args, user=None, input=None):
    env = {"EVERYNAME_USER": user} if user else {}
    return runner.invoke(app, [str(a) for a in args], env=env, input=input)


@pytest.fixture
def team(monkeypatch, key_file, sources, password_file):
    """The laptop owner makes themself the first admin, then adds a recorder and a viewer."""
    monkeypatch.delenv("EVERYNAME_USER", raising=False)
    first = run("user", "add", "amira", "--role", "admin", "--password-file", password_file,
                user="laptop-owner")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "Added user amira (admin)" in first.output
    assert "EVERYNAME_USER=amira" in first.output  # the local administrator is gone now
    for args in (
        ("dina", "--role", "recorder", "--sources", "src-a,src-b"),
        ("farah", "--role", "viewer"),
    ):
        result = run("user", "add", *args, "--password-file", password_file, user="amira")
        assert result.exit_code == 0, result.output
    return password_file


def test_user_add_with_a_password_file_and_list(team):
    assert User.objects.get(username="dina").check_password(PASSWORD)
    listing = run("user", "list", "--format", "json", user="amira")
    assert listing.exit_code == 0, listing.output
    assert json.loads(listing.stdout) == {
        "users": [
            {"name": "amira", "role": "admin", "sources": [], "active": True},
            {"name": "dina", "role": "recorder", "sources": ["src-a", "src-b"], "active": True},
            {"name": "farah", "role": "viewer", "sources": [], "active": True},
        ]
    }
    table = run("user", "list", user="amira")
    assert table.exit_code == 0, table.output
    assert "dina" in table.output and "src-a, src-b" in table.output
    assert PASSWORD not in table.output + listing.output


def test_the_password_is_asked_for_twice_and_not_echoed(team):
    result = run("user", "add", "hana", "--role", "analyst", user="amira",
                 input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert User.objects.get(username="hana").check_password(PASSWORD)
    mismatch = run("user", "add", "issa", "--role", "viewer", user="amira",
                   input=f"{PASSWORD}\nsomething-else-2\n{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output
    assert User.objects.get(username="issa").check_password(PASSWORD)


def test_set_role_assign_and_disable(team):
    promoted = run("user", "set-role", "farah", "recorder", "--sources", "src-b", user="amira")
    assert promoted.exit_code == 0, promoted.output
    assert "farah (recorder; sources src-b)" in promoted.output
    assigned = run("user", "assign", "dina", "--sources", "src-a", user="amira")
    assert assigned.exit_code == 0, assigned.output
    assert "dina (recorder; sources src-a)" in assigned.output
    disabled = run("user", "disable", "dina", user="amira")
    assert disabled.exit_code == 0, disabled.output
    assert "disabled" in disabled.output
    actions = list(AuditEvent.objects.filter(actor="amira").values_list("action", flat=True))
    assert actions[-3:] == ["user.role_set", "user.sources_assigned", "user.disabled"]
    # a disabled user can no longer run commands
    refused = run("user", "list", user="dina")
    assert refused.exit_code == 1 and "disabled" in refused.output


def test_refusals_exit_1_and_write_nothing(team):
    count = AuditEvent.objects.count()
    for args, message in [
        (("user", "disable", "amira"), "last active admin"),
        (("user", "set-role", "farah", "recorder"), "at least one assigned source"),
        (("user", "assign", "farah", "--sources", "src-a"), "only a recorder"),
        (("user", "add", "dina", "--role", "viewer", "--password-file", team), "already exists"),
        (("user", "add", "zed", "--role", "recorder", "--sources", "nope",
          "--password-file", team), "no source with code 'nope'"),
        (("user", "set-role", "nobody", "viewer"), "no user named 'nobody'"),
    ]:  # fmt: skip
        result = run(*args, user="amira")
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, args
    assert AuditEvent.objects.count() == count
    bad_role = run("user", "add", "zed", "--role", "owner", "--password-file", team, user="amira")
    assert bad_role.exit_code == 2


def test_only_an_admin_may_administer_users(team):
    for who in ("dina", "farah"):
        result = run("user", "add", "zed", "--role", "viewer", "--password-file", team, user=who)
        assert result.exit_code == 1 and "may not manage users" in result.output
        listing = run("user", "list", user=who)
        assert listing.exit_code == 1
    assert not User.objects.filter(username="zed").exists()


def test_once_users_exist_a_command_must_name_an_active_user(team, monkeypatch):
    monkeypatch.delenv("EVERYNAME_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "laptop-owner")
    for args in (("user", "list"), ("sources",)):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "no user named 'laptop-owner'" in result.output
        assert "EVERYNAME_USER" in result.output
    named = run("user", "list", user="nobody-here")
    assert named.exit_code == 1 and "no user named 'nobody-here'" in named.output


def test_on_a_fresh_laptop_the_first_user_must_be_an_admin(key_file, sources, password_file):
    result = run("user", "add", "dina", "--role", "recorder", "--sources", "src-a",
                 "--password-file", password_file, user="laptop-owner")  # fmt: skip
    assert result.exit_code == 1
    assert "first user must be an admin" in result.output
    assert not User.objects.exists()
    empty = run("user", "list", user="laptop-owner")
    assert empty.exit_code == 0 and "No users yet" in empty.output


def test_init_tells_the_laptop_owner_to_create_their_own_admin_first(key_file, team):
    assert "create your own admin first" not in run("init", user="amira").output
    User.objects.all().delete()
    fresh = run("init", user="laptop-owner")
    assert fresh.exit_code == 0, fresh.output
    assert "create your own admin first: everyname user add NAME --role admin" in fresh.output


def test_a_one_time_password_must_be_changed_at_first_sign_in(team):
    """``--one-time``: the admin gave the password, so the user is asked to change it."""
    from everyname.store.users import acting_user, password_change_due

    result = run("user", "add", "hana", "--role", "viewer", "--one-time",
                 "--password-file", team, user="amira")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert password_change_due(acting_user("hana"))
    assert not password_change_due(acting_user("farah"))  # chose her own
