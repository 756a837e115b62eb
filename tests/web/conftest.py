"""Users of every role for the web tests, signed in as a person would be (with their second
factor where the role requires one)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

PASSWORD = "a long test passphrase 7"
CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, driven by Playwright (never a browser build Playwright downloads)."""
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROLES = ("admin", "analyst", "reviewer", "recorder", "viewer")


@pytest.fixture(autouse=True)
def _secret_key(settings):
    """A real secret key for each test (the web app refuses to serve without one)."""
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    # Django's slow password hash is its own business; these tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    """``make_user(role, name=None, device=None)``: an active user with that role (a recorder
    is assigned source ``src-a``). ``device=True`` gives them a confirmed TOTP device; the
    default is a device exactly when the role requires two factors."""
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from everyname.store.models import Source, UserRole
    from everyname.store.permissions import requires_two_factor

    def make(role: str, name: str | None = None, device: bool | None = None):
        user = User.objects.create_user(name or f"{role}-user", password=PASSWORD)
        assigned = UserRole.objects.create(user=user, role=role)
        if role == "recorder":
            source, _ = Source.objects.get_or_create(code="src-a", defaults={"name": "Source A"})
            assigned.sources.set([source])
        if device if device is not None else requires_two_factor(role):
            TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        return user

    return make


@pytest.fixture
def sign_in(make_user) -> Callable[..., object]:
    """``sign_in(client, role)``: a user of ``role`` signed in on ``client``, past the second
    factor when they have a device (the session django-otp's verification leaves)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def sign(client, role: str, **options):
        user = make_user(role, **options)
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return user

    return sign


def totp_now(device) -> str:
    """The code an authenticator app would show now for ``device``."""
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def unthrottle(device) -> None:
    """Forget a device's wrong codes: django-otp makes each wrong code delay the next try (its
    own tested behaviour); a test that shows a wrong code refused then moves on at once."""
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a browser test file."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the browser tests save their screenshots (``EVERYNAME_SCREENSHOTS`` to keep them)."""
    folder = Path(os.environ.get("EVERYNAME_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
