"""``/accounts/tokens/``: a signed-in person makes their own token (shown once, then only its
first characters), uses it on the API, and revokes it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from everyname.store.models import UserRole

pytestmark = pytest.mark.django_db


def signed_in(client, name: str, role: str = "viewer") -> User:
    user = User.objects.create_user(name)
    UserRole.objects.create(user=user, role=role)
    client.force_login(user)
    return user


def test_make_use_and_revoke_a_token_in_the_web_app(client):
    signed_in(client, "farah")
    assert "You have no token yet" in client.get("/accounts/tokens/").content.decode()
    made = client.post("/accounts/tokens/", {"name": "my notebook"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token">([^<]+)<', made.content.decode()).group(1)
    api = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    page = client.get("/accounts/tokens/").content.decode()
    assert token not in page and token[:10] in page and "my notebook" in page
    token_id = re.search(r'name="revoke" value="(\d+)"', page).group(1)
    revoked = client.post("/accounts/tokens/", {"revoke": token_id})
    assert revoked.status_code == 302
    assert client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert "Revoke" not in client.get("/accounts/tokens/").content.decode()


def test_another_persons_token_cannot_be_revoked_here(client):
    from everyname.store.tokens import create_token
    from everyname.store.users import actor_for

    other = User.objects.create_user("basel")
    UserRole.objects.create(user=other, role="analyst")
    theirs = create_token(actor_for(other), "basel")
    signed_in(client, "farah")
    refused = client.post("/accounts/tokens/", {"revoke": str(theirs.info.id)})
    assert refused.status_code == 400 and "no token" in refused.content.decode()
    api = client.get("/api/v1/jobs", HTTP_AUTHORIZATION=f"Bearer {theirs.token}")
    assert api.status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
