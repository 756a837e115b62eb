"""The second factor: required roles enrol before any page, enrolled users enter a code, an
admin resets a lost one (audited)."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from everyname.core.errors import PermissionDenied
from everyname.store.permissions import Role, requires_two_factor
from tests.web.conftest import PASSWORD, totp_now, unthrottle

REQUIRED = [r.value for r in Role if requires_two_factor(r)]
OPTIONAL = [r.value for r in Role if not requires_two_factor(r)]


def password_step(client, name: str):
    response = client.post("/accounts/login/", {"username": name, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


@pytest.mark.parametrize("role", REQUIRED)
def test_a_required_role_without_a_device_enrols_before_any_page(client, make_user, role):
    user = make_user(role, name="newcomer", device=False)
    password_step(client, "newcomer")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, drawn by the app
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    refused = client.post("/accounts/two-factor/", {"code": wrong, "next": "/"})
    assert refused.status_code == 200
    assert client.get("/").status_code == 302
    unthrottle(device)
    done = client.post("/accounts/two-factor/", {"code": totp_now(device), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    home = client.get("/")
    assert home.status_code == 200
    assert role.encode() in home.content


@pytest.mark.parametrize("role", OPTIONAL)
def test_other_roles_may_skip_the_second_factor_and_may_enrol(client, make_user, role):
    make_user(role, name="someone", device=False)
    password_step(client, "someone")
    assert client.get("/").status_code == 200
    assert client.get("/accounts/two-factor/").status_code == 200


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_an_enrolled_user_enters_a_code_after_the_password(client, make_user, role):
    user = make_user(role, name="enrolled", device=True)
    password_step(client, "enrolled")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/?next=")
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    assert client.post("/accounts/two-factor/verify/", {"code": wrong}).status_code == 200
    assert client.get("/").status_code == 302
    unthrottle(device)
    ok = client.post("/accounts/two-factor/verify/", {"code": totp_now(device), "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_verification_page_sends_nowhere_but_this_site(client, make_user):
    user = make_user("viewer", name="enrolled", device=True)
    password_step(client, "enrolled")
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        "/accounts/two-factor/verify/",
        {"code": totp_now(device), "next": "https://elsewhere.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_admin_resets_a_second_factor_and_the_user_enrols_again(client, make_user, cast):
    from everyname.store.models import AuditEvent
    from everyname.store.users import reset_second_factor

    user = make_user("analyst", name="lostphone")
    for member, actor in cast.items():
        if member == "admin":
            continue
        with pytest.raises(PermissionDenied):
            reset_second_factor(actor, "lostphone")
        assert TOTPDevice.objects.filter(user=user).count() == 1
    assert not AuditEvent.objects.filter(action="user.second_factor_reset").exists()
    info = reset_second_factor(cast["admin"], "lostphone")
    assert info.name == "lostphone"
    assert not TOTPDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="user.second_factor_reset")
    assert event.details == {"name": "lostphone", "devices_removed": 1}
    password_step(client, "lostphone")
    response = client.get("/")
    assert response["Location"].startswith("/accounts/two-factor/?next=")


def test_a_session_verified_with_a_removed_device_is_no_longer_verified(client, sign_in, cast):
    from everyname.store.users import reset_second_factor

    sign_in(client, "admin")
    assert client.get("/").status_code == 200
    reset_second_factor(cast["admin"], "admin-user")
    assert client.get("/")["Location"].startswith("/accounts/two-factor/?next=")


def test_the_language_can_be_chosen_before_the_second_factor(client, make_user):
    make_user("admin", name="newcomer", device=False)
    password_step(client, "newcomer")
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/accounts/two-factor/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/")["Location"].startswith("/accounts/two-factor/?next=")
