"""Who the command line acts for: the local administrator until users exist, then a named one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.store.audit import Action
from everyname.store.models import AuditEvent, Source, UserRole
from everyname.store.permissions import Actor, Permission, Role
from everyname.store.users import (
    acting_user,
    actor_for,
    add_user,
    assign_sources,
    disable_user,
    list_users,
    set_role,
)

pytestmark = pytest.mark.django_db


def test_no_users_means_the_local_administrator():
    actor = acting_user("laptop-owner")
    assert actor.role is Role.ADMIN and actor.user_id is None
    assert actor.username == "laptop-owner"


def test_once_users_exist_the_name_must_be_an_active_user():
    source = Source.objects.create(code="src-a", name="A", created_by="t")
    dina = User.objects.create_user("dina")
    UserRole.objects.create(user=dina, role=Role.RECORDER).sources.add(source)
    actor = acting_user("dina")
    assert actor.role is Role.RECORDER and actor.sources == {"src-a"}
    assert actor.user_id == dina.pk
    with pytest.raises(PermissionDenied) as info:
        acting_user("laptop-owner")
    assert info.value.field == "user"
    dina.is_active = False
    dina.save()
    with pytest.raises(PermissionDenied, match="disabled"):
        acting_user("dina")


def test_a_user_without_a_role_may_do_nothing():
    nobody = User.objects.create_user("nobody")
    with pytest.raises(PermissionDenied, match="no role"):
        actor_for(nobody)


# --- administration: add, list, set a role, assign sources, disable -------------------------

PASSWORD = "lantern-orchard-91-quietly"
ALLOWED = {"admin"}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Hashing with the production hasher takes a second a password; the tests prove that a
    password is hashed and checked, not how slowly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sources():
    return {
        code: Source.objects.create(code=code, name=code.upper(), created_by="t")
        for code in ("src-a", "src-b")
    }


@pytest.fixture
def team(cast, sources):
    """An admin (the first user), a recorder of src-a and a viewer, as users in the database."""
    add_user(cast["admin"], "alice", "admin", password=PASSWORD)
    add_user(cast["admin"], "dina", "recorder", ["src-a"], password=PASSWORD)
    add_user(cast["admin"], "farah", "viewer", password=PASSWORD)
    return cast


def events(action):
    return list(AuditEvent.objects.filter(action=str(action)).order_by("id"))


def test_add_user_hashes_the_password_and_audits_without_it(cast, sources):
    info = add_user(cast["admin"], "alice", "admin", password=PASSWORD)
    assert info.to_dict() == {"name": "alice", "role": "admin", "sources": [], "active": True}
    user = User.objects.get(username="alice")
    assert user.password != PASSWORD and user.check_password(PASSWORD)
    recorder = add_user(cast["admin"], "dina", Role.RECORDER, ["src-b", "src-a"], password=PASSWORD)
    assert recorder.sources == ("src-a", "src-b")
    assert acting_user("dina").sources == {"src-a", "src-b"}
    added = events(Action.USER_ADDED)
    assert [(e.actor, e.object_type, e.details["name"], e.details["role"]) for e in added] == [
        ("alice", "User", "alice", "admin"),
        ("alice", "User", "dina", "recorder"),
    ]
    assert added[1].details["sources"] == ["src-a", "src-b"]
    for row in AuditEvent.objects.values_list("actor", "details"):
        assert PASSWORD not in str(row)
        assert user.password not in str(row)


@pytest.mark.parametrize(
    "who", ["admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer"]
)
def test_every_administration_use_case_for_every_cast_member(who, team, snapshot):
    actor = team[who]
    calls = {
        "add": lambda: add_user(actor, "gamal", "viewer", password=PASSWORD),
        "list": lambda: list_users(actor),
        "set_role": lambda: set_role(actor, "farah", "analyst"),
        "assign": lambda: assign_sources(actor, "dina", ["src-b"]),
        "disable": lambda: disable_user(actor, "farah"),
    }
    if who not in ALLOWED:
        before = snapshot()
        for name, call in calls.items():
            with pytest.raises(PermissionDenied) as info:
                call()
            assert info.value.kind == "permission_denied", name
        assert snapshot() == before
        return
    assert calls["add"]().name == "gamal"
    assert "gamal" in [u.name for u in calls["list"]().users]
    assert calls["set_role"]().role is Role.ANALYST
    assert calls["assign"]().sources == ("src-b",)
    assert calls["disable"]().active is False
    actions = [e.action for e in AuditEvent.objects.order_by("id")][-4:]
    assert actions == ["user.added", "user.role_set", "user.sources_assigned", "user.disabled"]


def test_list_users_shows_everyone_by_name_without_passwords(team):
    disable_user(team["admin"], "farah")
    listing = list_users(team["admin"]).to_dict()
    assert listing == {
        "users": [
            {"name": "alice", "role": "admin", "sources": [], "active": True},
            {"name": "dina", "role": "recorder", "sources": ["src-a"], "active": True},
            {"name": "farah", "role": "viewer", "sources": [], "active": False},
        ]
    }
    assert PASSWORD not in str(listing)


def test_the_first_user_must_be_an_admin(cast, sources, snapshot):
    before = snapshot()
    with pytest.raises(InvalidInput, match="first user must be an admin") as info:
        add_user(cast["admin"], "dina", "recorder", ["src-a"], password=PASSWORD)
    assert info.value.field == "role"
    assert snapshot() == before
    # and once it exists, the local administrator is gone: commands must name a user
    add_user(Actor.local_admin("laptop-owner"), "alice", "admin", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        acting_user("laptop-owner")
    assert acting_user("alice").role is Role.ADMIN


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"name": "gamal", "role": "recorder", "sources": []}, InvalidInput, "sources"),
        ({"name": "gamal", "role": "recorder", "sources": ["nope"]}, NotFound, "sources"),
        ({"name": "bob", "role": "analyst", "sources": ["src-a"]}, InvalidInput, "sources"),
        ({"name": "bob", "role": "owner"}, InvalidInput, "role"),
        ({"name": "bob smith", "role": "viewer"}, InvalidInput, "name"),
        ({"name": "", "role": "viewer"}, InvalidInput, "name"),
        ({"name": "alice", "role": "viewer"}, Conflict, "name"),
        ({"name": "bob", "role": "viewer", "password": "12345678"}, InvalidInput, "password"),
        ({"name": "bob", "role": "viewer", "password": "bob"}, InvalidInput, "password"),
        ({"name": "bob", "role": "viewer", "password": ""}, InvalidInput, "password"),
    ],
)
def test_add_user_refusals_name_the_field_and_write_nothing(team, snapshot, kwargs, error, field):
    kwargs = {"password": PASSWORD, **kwargs}
    before = snapshot()
    with pytest.raises(error) as info:
        add_user(team["admin"], **kwargs)
    assert info.value.field == field
    assert snapshot() == before
    if "password" in str(kwargs) and kwargs["password"]:
        assert kwargs["password"] not in str(info.value)


def test_set_role_to_recorder_needs_sources_and_leaving_it_clears_them(team, snapshot):
    before = snapshot()
    with pytest.raises(InvalidInput) as info:
        set_role(team["admin"], "farah", "recorder")
    assert info.value.field == "sources"
    assert snapshot() == before
    assert set_role(team["admin"], "farah", "recorder", ["src-b"]).sources == ("src-b",)
    assert acting_user("farah").can(Permission.IMPORT, "src-b")
    assert not acting_user("farah").can(Permission.IMPORT, "src-a")
    # a recorder keeps their sources when the role is set again without any
    assert set_role(team["admin"], "dina", "recorder").sources == ("src-a",)
    analyst = set_role(team["admin"], "dina", "analyst")
    assert (analyst.role, analyst.sources) == (Role.ANALYST, ())
    event = events(Action.USER_ROLE_SET)[-1]
    assert event.details == {
        "name": "dina",
        "role": "analyst",
        "previous_role": "recorder",
        "sources": [],
    }
    count = AuditEvent.objects.count()
    set_role(team["admin"], "dina", "analyst")  # no change, no event
    assert AuditEvent.objects.count() == count
    with pytest.raises(NotFound):
        set_role(team["admin"], "nobody", "viewer")


def test_assign_sources_replaces_a_recorders_sources(team, snapshot):
    assert assign_sources(team["admin"], "dina", ["src-b", "src-a"]).sources == ("src-a", "src-b")
    assert assign_sources(team["admin"], "dina", ["src-b"]).sources == ("src-b",)
    assert acting_user("dina").sources == {"src-b"}
    assert events(Action.USER_SOURCES_ASSIGNED)[-1].details == {
        "name": "dina",
        "sources": ["src-b"],
        "previous_sources": ["src-a", "src-b"],
    }
    before = snapshot()
    for name, codes, error in [
        ("dina", [], InvalidInput),
        ("dina", ["src-z"], NotFound),
        ("farah", ["src-a"], InvalidInput),
    ]:
        with pytest.raises(error) as info:
            assign_sources(team["admin"], name, codes)
        assert info.value.field == "sources"
    assert snapshot() == before


def test_the_last_active_admin_cannot_be_disabled_or_demoted(team, snapshot):
    before = snapshot()
    with pytest.raises(Conflict, match="last active admin") as info:
        disable_user(team["admin"], "alice")
    assert info.value.field == "name"
    with pytest.raises(Conflict, match="last active admin"):
        set_role(team["admin"], "alice", "analyst")
    assert snapshot() == before
    # a second admin who is disabled does not count
    add_user(team["admin"], "hana", "admin", password=PASSWORD)
    disable_user(team["admin"], "hana")
    with pytest.raises(Conflict):
        disable_user(team["admin"], "alice")
    set_role(team["admin"], "farah", "admin")
    assert disable_user(acting_user("farah"), "alice").active is False
    with pytest.raises(PermissionDenied, match="disabled"):
        acting_user("alice")


def test_disabling_keeps_the_user_and_is_audited_once(team):
    assert disable_user(team["admin"], "dina").to_dict()["active"] is False
    assert disable_user(team["admin"], "dina").active is False
    assert User.objects.filter(username="dina").exists()
    assert [e.details for e in events(Action.USER_DISABLED)] == [{"name": "dina"}]
    with pytest.raises(NotFound) as info:
        disable_user(team["admin"], "nobody")
    assert info.value.field == "name"
