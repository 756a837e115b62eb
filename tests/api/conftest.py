"""Users of every role with API tokens, and a client that sends a token."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

ROLES = ("admin", "analyst", "reviewer", "recorder", "viewer")


@pytest.fixture(autouse=True)
def _secret_key_and_fresh_rates(settings):
    """A real secret key (the app refuses to serve without one) and no request counted from
    an earlier test (the rate limits live in Django's cache)."""
    from django.core.cache import cache

    settings.SECRET_KEY = secrets.token_urlsafe(50)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_for(db) -> Callable[..., str]:
    """``token_for(role, name=None)``: an active user of that role (a recorder assigned source
    ``src-a``) and a token they made for themselves."""
    from django.contrib.auth.models import User

    from everyname.store.models import Source, UserRole
    from everyname.store.tokens import create_token
    from everyname.store.users import actor_for

    def make(role: str, name: str | None = None) -> str:
        user = User.objects.create_user(name or f"{role}-user")
        assigned = UserRole.objects.create(user=user, role=role)
        if role == "recorder":
            source, _ = Source.objects.get_or_create(code="src-a", defaults={"name": "Source A"})
            assigned.sources.set([source])
        return create_token(actor_for(user), user.username).token

    return make


@pytest.fixture
def bearer() -> Callable[[str], dict[str, str]]:
    """``bearer(token)``: the test client's keyword for ``Authorization: Bearer TOKEN``."""
    return lambda token: {"HTTP_AUTHORIZATION": f"Bearer {token}"}
