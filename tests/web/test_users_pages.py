"""``/users/``: an admin adds users, changes roles and a recorder's sources, disables users and
resets second factors, through POST forms with CSRF tokens; each change audited by the store."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from everyname.store.models import AuditEvent, Source, UserRole
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet harbour lantern 42"


@pytest.fixture
def admin(client, sign_in):
    for code in ("src-a", "src-b"):
        Source.objects.get_or_create(code=code, defaults={"name": f"Source {code[-1].upper()}"})
    return sign_in(client, "admin")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_the_list_shows_role_sources_second_factor_and_state(client, admin, make_user):
    make_user("recorder", name="dina")
    farah = make_user("viewer", name="farah")
    farah.is_active = False
    farah.save()
    html = client.get("/users/").content.decode()
    row = {
        name: html.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0] for name in ("dina", "farah")
    }
    assert "recorder" in row["dina"] and "src-a" in row["dina"] and "not set up" in row["dina"]
    assert "active" in row["dina"] and "disabled" in row["farah"]
    admin_row = html.split(">admin-user</a>", 1)[1].split("</tr>", 1)[0]
    assert "<td>on</td>" in admin_row  # an admin signs in with a second factor
    for user in User.objects.all():
        assert user.password not in html


def test_an_admin_adds_a_recorder_with_a_typed_password(client, admin):
    response = client.post(
        "/users/",
        {"name": "dina", "role": "recorder", "sources": ["src-b"], "password": NEW_PASSWORD},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "can now sign in" in html and NEW_PASSWORD not in html
    assert response["Cache-Control"].count("no-store")
    dina = User.objects.get(username="dina")
    assert dina.check_password(NEW_PASSWORD)
    assert list(dina.everyname_role.sources.values_list("code", flat=True)) == ["src-b"]
    event = AuditEvent.objects.get(action="user.added")
    assert event.actor == "admin-user" and event.details["one_time_password"] is True
    assert NEW_PASSWORD not in str(event.details)


def test_a_generated_password_is_shown_once_and_signs_in(client, admin):
    response = client.post("/users/", {"name": "farah", "role": "viewer", "password": ""})
    html = response.content.decode()
    password = re.search(r'id="one-time-password">([^<]+)<', html).group(1)
    assert len(password) >= 20
    assert "no-store" in response["Cache-Control"]
    assert password not in client.get("/users/").content.decode()
    assert password not in client.get("/users/farah/").content.decode()
    assert password not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert User.objects.get(username="farah").check_password(password)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "admin-user", "role": "viewer"}, "already exists"),
        ({"name": "dina", "role": "recorder"}, "at least one assigned source"),
        ({"name": "dina", "role": "recorder", "sources": ["src-z"]}, "no source with code"),
        ({"name": "bad name!", "role": "viewer"}, "cannot be a user name"),
        ({"name": "x", "role": "viewer", "password": "123"}, "too short"),
        ({"name": "x", "role": "emperor"}, "Select a valid choice"),
    ],
)
def test_add_user_refusals_are_form_errors_and_add_nobody(client, admin, data, message):
    before = User.objects.count()
    response = client.post("/users/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == before
    assert "user.added" not in actions()


def test_forms_need_their_csrf_token(admin, make_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    from django_otp import DEVICE_ID_SESSION_KEY

    session = strict.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=admin).persistent_id
    session.save()
    make_user("viewer", name="farah")
    assert strict.get("/users/").status_code == 200
    assert strict.post("/users/", {"name": "x", "role": "viewer"}).status_code == 403
    assert strict.post("/users/farah/disable/").status_code == 403
    assert strict.post("/users/farah/role/", {"role": "analyst"}).status_code == 403
    assert User.objects.get(username="farah").is_active
    assert not User.objects.filter(username="x").exists()


def test_role_and_sources_are_changed_on_the_users_page(client, admin, make_user):
    make_user("viewer", name="farah")
    make_user("recorder", name="dina")
    page = client.get("/users/farah/").content.decode()
    assert 'action="/users/farah/role/"' in page and "csrfmiddlewaretoken" in page
    done = client.post("/users/farah/role/", {"role": "analyst", "current_role": "viewer"})
    assert done.status_code == 302 and done["Location"] == "/users/farah/"
    assert UserRole.objects.get(user__username="farah").role == "analyst"
    assert "Saved." in client.get("/users/farah/").content.decode()
    client.post(
        "/users/dina/role/",
        {"role": "recorder", "current_role": "recorder", "sources": ["src-a", "src-b"]},
    )
    assert sorted(
        UserRole.objects.get(user__username="dina").sources.values_list("code", flat=True)
    ) == ["src-a", "src-b"]
    assert actions()[-2:] == ["user.role_set", "user.sources_assigned"]
    # A recorder with no source is refused, said on the page, and nothing changes.
    client.post("/users/dina/role/", {"role": "recorder", "current_role": "recorder"})
    assert "at least one assigned source" in client.get("/users/dina/").content.decode()
    assert UserRole.objects.get(user__username="dina").sources.count() == 2
    assert client.post("/users/nobody/role/", {"role": "viewer"}).status_code == 404


def test_disabling_asks_first_then_disables(client, admin, make_user):
    make_user("viewer", name="farah")
    question = client.get("/users/farah/disable/")
    assert question.status_code == 200
    assert "Disable this user?" in question.content.decode()
    assert 'method="post"' in question.content.decode()
    assert User.objects.get(username="farah").is_active  # asking changes nothing
    done = client.post("/users/farah/disable/")
    assert done.status_code == 302
    assert not User.objects.get(username="farah").is_active
    assert actions()[-1] == "user.disabled"
    assert "disabled" in client.get("/users/farah/").content.decode()
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert fresh.get("/")["Location"].startswith("/accounts/login/")


def test_the_last_admin_is_not_disabled_and_the_page_says_why(client, admin):
    client.post("/users/admin-user/disable/")
    assert User.objects.get(username="admin-user").is_active
    assert "last active admin" in client.get("/users/admin-user/").content.decode()


def test_resetting_a_second_factor_asks_first_then_removes_it(client, admin, make_user):
    make_user("analyst", name="bob")
    assert TOTPDevice.objects.filter(user__username="bob").count() == 1
    question = client.get("/users/bob/second-factor/reset/")
    assert "Remove this user" in question.content.decode()
    assert TOTPDevice.objects.filter(user__username="bob").count() == 1
    client.post("/users/bob/second-factor/reset/")
    assert not TOTPDevice.objects.filter(user__username="bob").exists()
    assert actions()[-1] == "user.second_factor_reset"
    assert "not set up" in client.get("/users/bob/").content.decode()


def test_unknown_users_are_404(client, admin):
    assert client.get("/users/nobody/").status_code == 404
    assert client.get("/users/nobody/disable/").status_code == 404
    assert client.post("/users/nobody/disable/").status_code == 404


@pytest.mark.parametrize("role", ["analyst", "reviewer", "recorder", "viewer"])
def test_other_roles_change_nothing(client, sign_in, make_user, role):
    make_user("admin", name="amal")
    make_user("viewer", name="farah")
    sign_in(client, role)
    before = actions()
    assert client.post("/users/", {"name": "x", "role": "admin"}).status_code == 403
    assert client.post("/users/farah/role/", {"role": "admin"}).status_code == 403
    assert client.post("/users/farah/disable/").status_code == 403
    assert client.post("/users/amal/second-factor/reset/").status_code == 403
    assert actions() == before
    assert UserRole.objects.get(user__username="farah").role == "viewer"
    assert 'href="/users/"' not in client.get("/").content.decode()
