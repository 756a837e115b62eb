"""A user's own account (page language, password) and what administration pages read (one
user, second-factor state, sources to choose from, one-time passwords)."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from everyname.core.errors import InvalidInput, NotFound, PermissionDenied
from everyname.store.models import AuditEvent, Source, UserRole
from everyname.store.permissions import Actor, Role
from everyname.store.users import (
    actor_for,
    add_user,
    change_password,
    get_user,
    language_of,
    list_users,
    one_time_password,
    password_change_due,
    set_language,
)

pytestmark = pytest.mark.django_db

PASSWORD = "lantern-orchard-91-quietly"
NEW = "cedar-window-morning-58"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(cast):
    Source.objects.create(code="src-a", name="Source A", created_by="t")
    Source.objects.create(code="src-b", name="Source B", created_by="t")
    add_user(cast["admin"], "alice", "admin", password=PASSWORD)
    add_user(cast["admin"], "farah", "viewer", password=PASSWORD, one_time=True)
    return {name: actor_for(User.objects.get(username=name)) for name in ("alice", "farah")}


def test_a_user_sets_their_own_language_and_reads_it_back(team):
    farah = team["farah"]
    assert language_of(farah) == ""
    assert set_language(farah, "ar") == "ar"
    assert language_of(farah) == "ar" and language_of(team["alice"]) == ""
    assert UserRole.objects.get(user__username="farah").language == "ar"
    assert set_language(farah, "") == ""  # back to the browser's choice
    assert language_of(farah) == ""


def test_an_unknown_language_is_refused_naming_the_field(team, snapshot):
    before = snapshot()
    with pytest.raises(InvalidInput) as info:
        set_language(team["farah"], "fr")
    assert info.value.field == "language" and "ar" in str(info.value)
    assert snapshot() == before


def test_the_local_administrator_has_no_account_to_keep_a_language(team):
    with pytest.raises(InvalidInput):
        set_language(Actor.local_admin("laptop"), "ar")
    assert language_of(Actor.local_admin("laptop")) == ""


def test_a_user_changes_their_password_with_the_current_one(team):
    change_password(team["farah"], PASSWORD, NEW)
    user = User.objects.get(username="farah")
    assert user.check_password(NEW)
    event = AuditEvent.objects.filter(action="user.password_changed").get()
    assert (event.actor, event.object_id, event.details) == (
        "farah",
        str(user.pk),
        {"name": "farah"},
    )
    assert PASSWORD not in str(event.details) and NEW not in str(event.details)


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        ("wrong", NEW, "current"),
        (PASSWORD, PASSWORD, "new"),
        (PASSWORD, "short", "new"),
        (PASSWORD, "", "new"),
    ],
)
def test_password_refusals_name_the_field_and_change_nothing(team, snapshot, current, new, field):
    before = snapshot()
    hashed = User.objects.get(username="farah").password
    with pytest.raises(InvalidInput) as info:
        change_password(team["farah"], current, new)
    assert info.value.field == field
    assert User.objects.get(username="farah").password == hashed
    assert snapshot() == before


def test_a_disabled_user_cannot_change_a_password(team):
    actor = team["farah"]
    User.objects.filter(username="farah").update(is_active=False)
    with pytest.raises(PermissionDenied):
        change_password(actor, PASSWORD, NEW)


def test_a_one_time_password_is_due_for_change_until_changed(team):
    assert password_change_due(team["farah"]) is True
    assert password_change_due(team["alice"]) is False  # chose their own (one_time not set)
    assert password_change_due(Actor.local_admin("laptop")) is False
    change_password(team["farah"], PASSWORD, NEW)
    assert password_change_due(team["farah"]) is False
    added = AuditEvent.objects.get(action="user.added", details__name="farah")
    assert added.details["one_time_password"] is True


def test_a_user_made_outside_the_store_owes_no_change(db):
    user = User.objects.create_user("nadia", password=PASSWORD)
    UserRole.objects.create(user=user, role=Role.VIEWER)
    assert password_change_due(actor_for(user)) is False


def test_one_time_passwords_are_random_and_pass_the_validators(team):
    made = {one_time_password() for _ in range(20)}
    assert len(made) == 20
    for password in made:
        password_validation.validate_password(password, User(username="farah"))


def test_administration_reads_the_second_factor_and_the_sources_to_choose(team, cast):
    alice = User.objects.get(username="alice")
    TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)
    TOTPDevice.objects.create(
        user=User.objects.get(username="farah"), name="authenticator", confirmed=False
    )
    listing = list_users(team["alice"])
    assert [(u.name, u.second_factor) for u in listing.users] == [
        ("alice", True),
        ("farah", False),  # an enrolment never confirmed is no second factor
    ]
    assert listing.source_choices == (("src-a", "Source A"), ("src-b", "Source B"))
    detail = get_user(team["alice"], "alice")
    assert detail.user.second_factor and detail.user.role is Role.ADMIN
    assert detail.source_choices == listing.source_choices
    assert "password" not in str(detail.to_dict())
    with pytest.raises(NotFound):
        get_user(team["alice"], "nobody")
    for member in ("analyst", "reviewer", "recorder_a", "viewer"):
        with pytest.raises(PermissionDenied):
            get_user(cast[member], "alice")
