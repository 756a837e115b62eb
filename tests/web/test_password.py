"""``/accounts/password/``: every signed-in user changes their own password (the current one
first), audited without either password; a user given a one-time password by an admin is sent
there right after signing in until they have changed it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from everyname.store.models import AuditEvent
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "cedar window morning 58"


def change(client: Client, current: str, new: str = NEW, again: str | None = None, **extra):
    data = {"current": current, "new": new, "again": new if again is None else again, **extra}
    return client.post("/accounts/password/", data)


def test_a_user_changes_their_password_and_stays_signed_in(client, sign_in):
    user = sign_in(client, "viewer")
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    done = change(client, PASSWORD)
    assert done.status_code == 302 and done["Location"] == "/"
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    after = client.get("/")
    assert after.status_code == 200  # this browser is still signed in
    assert "Your password is changed." in after.content.decode()
    event = AuditEvent.objects.get(action="user.password_changed")
    assert event.actor == "viewer-user" and event.details == {"name": "viewer-user"}
    assert NEW not in str(event.details) and PASSWORD not in str(event.details)
    fresh = Client()
    assert (
        fresh.post("/accounts/login/", {"username": "viewer-user", "password": NEW})["Location"]
        == "/"
    )


def test_other_sessions_of_the_user_end(client, sign_in):
    sign_in(client, "viewer")
    other = Client()
    other.post("/accounts/login/", {"username": "viewer-user", "password": PASSWORD})
    assert other.get("/").status_code == 200
    change(client, PASSWORD)
    assert other.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("not my password", NEW, None, "The current password is not right."),
        (PASSWORD, NEW, NEW + "x", "The two new passwords differ."),
        (PASSWORD, "short", None, "too short"),
        (PASSWORD, "12345678901234", None, "entirely numeric"),
        (PASSWORD, PASSWORD, None, "must differ from the current one"),
    ],
)
def test_refusals_are_form_errors_and_change_nothing(client, sign_in, current, new, again, message):
    user = sign_in(client, "viewer")
    response = change(client, current, new, again)
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_changed").exists()


def test_the_refusal_is_in_arabic_on_an_arabic_page(client, sign_in):
    sign_in(client, "viewer")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    html = change(client, "not my password").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "The current password is not right." not in html


def test_next_is_followed_only_within_the_site(client, sign_in):
    sign_in(client, "viewer")
    assert change(client, PASSWORD, next="/figures/")["Location"] == "/figures/"
    assert (
        change(client, NEW, "another fine passphrase 3", next="https://evil.example/")["Location"]
        == "/"
    )


def test_a_one_time_password_leads_to_the_password_page_until_changed(client, sign_in):
    sign_in(client, "admin")
    added = client.post("/users/", {"name": "farah", "role": "viewer", "password": ""})
    one_time = re.search(r'id="one-time-password">([^<]+)<', added.content.decode()).group(1)

    farah = Client()
    signed = farah.post(
        "/accounts/login/?next=/figures/", {"username": "farah", "password": one_time}
    )
    assert signed["Location"] == "/accounts/password/?next=%2Ffigures%2F"
    page = farah.get(signed["Location"]).content.decode()
    assert "You signed in with a one-time password." in page
    assert 'name="next" value="/figures/"' in page
    assert change(farah, one_time, next="/figures/")["Location"] == "/figures/"

    again = Client()
    signed = again.post("/accounts/login/", {"username": "farah", "password": NEW})
    assert signed["Location"] == "/"
    assert "one-time password" not in again.get("/accounts/password/").content.decode()
    assert User.objects.get(username="farah").check_password(NEW)


def test_an_admin_with_a_one_time_password_passes_the_second_factor_first(client, sign_in):
    """The change of password comes after the second factor, not instead of it."""
    sign_in(client, "admin")
    client.post("/users/", {"name": "amal", "role": "admin", "password": "harbour stone 77 x"})
    amal = Client()
    signed = amal.post("/accounts/login/", {"username": "amal", "password": "harbour stone 77 x"})
    assert signed["Location"].startswith("/accounts/password/")
    assert amal.get(signed["Location"])["Location"].startswith("/accounts/two-factor/?next=")
