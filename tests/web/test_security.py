"""Throttled sign-in and the headers every page carries."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD

LOCKED_WORDS = b"Too many failed sign-ins"


def fail(client, name: str, address: str = "10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": name, "password": "wrong"}, REMOTE_ADDR=address
    )


@pytest.mark.parametrize("exists", [True, False], ids=["known user", "unknown user"])
def test_ten_wrong_passwords_lock_the_name_and_say_nothing_about_existence(
    client, make_user, exists
):
    make_user("viewer", name="other")
    if exists:
        make_user("viewer", name="farah")
    pages = [fail(client, "farah", address=f"10.0.0.{i}") for i in range(1, 11)]
    for page in pages[:9]:
        assert page.status_code == 200
        assert b"correct" in page.content  # Django's one message for name or password
        assert LOCKED_WORDS not in page.content
    assert pages[9].status_code == 429
    assert LOCKED_WORDS in pages[9].content
    # Locked, even with the right password, from yet another address.
    right = client.post(
        "/accounts/login/", {"username": "farah", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1"
    )
    assert right.status_code == 429
    assert client.get("/").status_code == 302
    # Another user from a fresh address is not locked.
    other = client.post(
        "/accounts/login/", {"username": "other", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1"
    )
    assert other.status_code == 302


def test_the_lockout_page_is_the_same_for_a_known_and_an_unknown_user(client, make_user):
    from axes.utils import reset

    make_user("viewer", name="farah")
    pages = {}
    for name in ("farah", "nobody"):
        reset()
        for i in range(10):
            page = fail(client, name, address=f"10.1.0.{i}")
        pages[name] = page
    assert pages["farah"].status_code == pages["nobody"].status_code == 429

    def strip(page):  # the form tokens differ from page to page, whoever asks
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page.content)

    assert strip(pages["farah"]) == strip(pages["nobody"])


def test_ten_failures_from_one_address_lock_that_address(client, make_user):
    make_user("viewer", name="farah")
    for i in range(10):
        fail(client, f"guess{i}", address="10.9.9.9")
    locked = client.post(
        "/accounts/login/", {"username": "farah", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert locked.status_code == 429
    elsewhere = client.post(
        "/accounts/login/", {"username": "farah", "password": PASSWORD}, REMOTE_ADDR="10.9.9.8"
    )
    assert elsewhere.status_code == 302


def test_security_headers_on_a_page(client, sign_in):
    sign_in(client, "viewer")
    for path in ("/accounts/login/", "/"):
        response = client.get(path, follow=False)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
        policy = response["Content-Security-Policy"]
        directives = {
            part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
            for part in policy.split(";")
            if part.strip()
        }
        assert directives["default-src"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "Strict-Transport-Security" not in response  # plain HTTP: no HSTS promised


def test_pages_have_no_inline_script(client, sign_in):
    sign_in(client, "viewer")
    for path in ("/", "/accounts/two-factor/"):
        html = client.get(path).content.decode()
        assert "<script>" not in html and " onclick=" not in html


def test_session_cookie_is_httponly_and_lax(client, make_user):
    make_user("viewer", name="farah")
    response = client.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # EVERYNAME_HTTPS unset


def test_forms_need_the_csrf_token(make_user):
    from django.test import Client

    make_user("viewer", name="farah")
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert refused.status_code == 403


def test_no_request_is_served_without_a_real_secret_key(client, settings, db):
    from everyname.settings import NO_SECRET_KEY

    settings.SECRET_KEY = NO_SECRET_KEY
    response = client.get("/accounts/login/")
    assert response.status_code == 503
    assert b"secret key" in response.content


HTTPS_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
)


def settings_with(environment: dict[str, str]) -> dict:
    """everyname's settings as a fresh process reads them with ``environment``."""
    import json
    import os
    import subprocess
    import sys

    names = json.dumps(HTTPS_SETTINGS)
    code = (
        "import json, everyname.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names}}}))"
    )
    env = {**os.environ, **environment}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_https_turns_on_hsts_and_secure_cookies(client, make_user, settings):
    plain = settings_with({"EVERYNAME_HTTPS": "0"})
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["SECURE_HSTS_SECONDS"]
    https = settings_with({"EVERYNAME_HTTPS": "1"})
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_HSTS_SECONDS"] >= 180 * 24 * 60 * 60
    for name, value in https.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    make_user("viewer", name="farah")
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get("/accounts/login/", **forwarded)
    assert page["Strict-Transport-Security"].startswith("max-age=")
    signed_in = client.post(
        "/accounts/login/",
        {"username": "farah", "password": PASSWORD},
        HTTP_REFERER="https://testserver/accounts/login/",
        **forwarded,
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies["sessionid"]["secure"]
