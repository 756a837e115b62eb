"""A page language per user: chosen with the language switch, kept on the account, applied at
every sign-in from any browser; before sign-in the cookie or Accept-Language decides."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from everyname.store.models import UserRole
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def stored(name: str) -> str:
    return UserRole.objects.get(user__username=name).language


def html_of(client: Client, path: str = "/", **headers: str) -> str:
    return client.get(path, **headers).content.decode()


def test_arabic_follows_the_user_to_a_fresh_english_browser(make_user):
    make_user("viewer", name="amal")
    first = Client(HTTP_ACCEPT_LANGUAGE="en")
    first.post("/accounts/login/", {"username": "amal", "password": PASSWORD})
    assert '<html lang="en" dir="ltr">' in html_of(first)
    first.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert stored("amal") == "ar"
    first.post("/accounts/logout/")

    fresh = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<html lang="en" dir="ltr">' in html_of(fresh, "/accounts/login/")  # not known yet
    signed = fresh.post("/accounts/login/", {"username": "amal", "password": PASSWORD})
    assert signed.status_code == 302 and signed.cookies[COOKIE].value == "ar"
    page = html_of(fresh)
    assert '<html lang="ar" dir="rtl">' in page and "لوحة المتابعة" in page


def test_english_chosen_by_an_arabic_browser_user_stays_english(make_user):
    make_user("viewer", name="farah")
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar")
    arabic.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert '<html lang="ar" dir="rtl">' in html_of(arabic)
    arabic.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert stored("farah") == "en"
    other = Client(HTTP_ACCEPT_LANGUAGE="ar")
    other.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert '<html lang="en" dir="ltr">' in html_of(other)


def test_without_a_choice_the_browser_decides_after_sign_in_too(make_user):
    make_user("viewer", name="farah")
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar")
    signed = arabic.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert COOKIE not in signed.cookies
    assert '<html lang="ar" dir="rtl">' in html_of(arabic)
    assert stored("farah") == ""


def test_a_choice_before_sign_in_stays_in_the_browser_only(client, make_user):
    make_user("viewer", name="farah")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/accounts/login/"})
    assert '<html lang="ar" dir="rtl">' in html_of(client, "/accounts/login/")
    client.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert '<html lang="ar" dir="rtl">' in html_of(client)  # the cookie still decides
    assert stored("farah") == ""  # chosen by whoever held the browser, not by farah


def test_before_the_second_factor_the_choice_is_not_kept(client, make_user):
    """After the password step only, the person is not yet known to be the user."""
    make_user("admin", name="amal")
    client.post("/accounts/login/", {"username": "amal", "password": PASSWORD})
    assert client.get("/")["Location"].startswith("/accounts/two-factor/verify/")
    switched = client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert switched.status_code == 302 and switched.cookies[COOKIE].value == "ar"
    assert stored("amal") == ""


def test_a_verified_user_keeps_their_choice_and_an_unknown_one_changes_nothing(client, sign_in):
    sign_in(client, "admin")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert stored("admin-user") == "ar"
    client.post("/i18n/setlang/", {"language": "klingon", "next": "/"})
    assert stored("admin-user") == "ar"
    assert '<html lang="ar" dir="rtl">' in html_of(client)
