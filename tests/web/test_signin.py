"""Signing in: the password step, the dashboard behind it, signing out."""

from __future__ import annotations

from tests.web.conftest import PASSWORD


def test_sign_in_with_a_password_reaches_the_dashboard(client, make_user):
    make_user("viewer", name="farah")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post("/accounts/login/", {"username": "farah", "password": PASSWORD})
    assert response.status_code == 302
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert b"everyname" in dashboard.content
    assert b"viewer" in dashboard.content
    assert b"farah" in dashboard.content


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_sign_out_is_a_post(client, sign_in):
    sign_in(client, "viewer")
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
