"""``everyname token``: a token printed once and working at once; listed without the token;
revoked, refused by the API."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store.models import UserRole

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture(autouse=True)
def secret_key(settings):
    settings.SECRET_KEY = "a test secret key that is long enough for the app 12345"


def run(*args: str, user: str):
    return runner.invoke(app, list(args), env={"EVERYNAME_USER": user})


@pytest.fixture
def team():
    for name, role in (("amal", "admin"), ("basel", "analyst"), ("farah", "viewer")):
        UserRole.objects.create(user=User.objects.create_user(name), role=role)


def test_create_list_and_revoke(client, team):
    made = run("token", "create", "farah", "--name", "dashboard", user="amal")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("evn_")
    answer = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    listed = run("token", "list", "farah", "--format", "json", user="amal")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["active"]) for r in rows] == [("dashboard", True)]
    assert token not in listed.stdout
    revoked = run("token", "revoke", str(rows[0]["id"]), user="farah")
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_only_an_administrator_makes_tokens_for_others(team):
    refused = run("token", "create", "amal", user="basel")
    assert refused.exit_code != 0
    assert "own tokens" in refused.output and "evn_" not in refused.output
    mine = run("token", "create", "basel", user="basel")
    assert mine.exit_code == 0 and "evn_" in mine.stdout
