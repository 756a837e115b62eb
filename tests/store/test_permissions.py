"""The permission table itself: every role against every permission, and the source scope."""

from __future__ import annotations

import pytest

from everyname.core.errors import ErrorKind, PermissionDenied
from everyname.store.permissions import (
    ROLE_PERMISSIONS,
    SOURCE_SCOPED,
    Actor,
    Permission,
    Role,
    require,
    requires_two_factor,
)

# Written out by hand, apart from the table in the code, so a change to either is noticed.
EXPECTED = {
    "admin": set(Permission),
    "analyst": set(Permission) - {Permission.MANAGE_USERS, Permission.MANAGE_KEYS},
    "reviewer": {
        Permission.VIEW_FIGURES,
        Permission.VIEW_RELEASES,
        Permission.VIEW_RECORDS,
        Permission.REVIEW,
    },
    "recorder_a": {
        Permission.VIEW_FIGURES,
        Permission.VIEW_RELEASES,
        Permission.VIEW_RECORDS,
        Permission.IMPORT,
        Permission.ENTER_RECORD,
        Permission.CORRECT_RECORD,
    },
    "viewer": {Permission.VIEW_FIGURES, Permission.VIEW_RELEASES},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize("permission", list(Permission))
def test_every_role_against_every_permission(cast, who, permission):
    actor = cast[who]
    allowed = permission in EXPECTED[who]
    source = "src-a" if permission in SOURCE_SCOPED else None
    assert actor.can(permission, source) is allowed
    if allowed:
        require(actor, permission, source)
    else:
        with pytest.raises(PermissionDenied) as info:
            require(actor, permission, source)
        assert info.value.kind is ErrorKind.PERMISSION_DENIED


@pytest.mark.parametrize("permission", sorted(SOURCE_SCOPED))
def test_a_recorder_acts_only_on_assigned_sources(cast, permission):
    require(cast["recorder_a"], permission, "src-a")
    with pytest.raises(PermissionDenied) as info:
        require(cast["recorder_a"], permission, "src-b")
    assert info.value.field == "source"
    assert "src-b" in str(info.value)
    require(cast["recorder_b"], permission, "src-b")
    # Other roles are not scoped.
    require(cast["analyst"], permission, "src-b")
    assert cast["recorder_a"].source_scope() == {"src-a"}
    assert cast["analyst"].source_scope() is None


def test_two_factor_roles_are_admins_and_those_who_may_reveal():
    assert {r for r in Role if requires_two_factor(r)} == {Role.ADMIN, Role.ANALYST}
    for role in Role:
        assert requires_two_factor(role) == (
            Permission.REVEAL_IDENTITY in ROLE_PERMISSIONS[role]
            or Permission.MANAGE_USERS in ROLE_PERMISSIONS[role]
        )


def test_local_admin_and_plain_strings_refused():
    assert Actor.local_admin("laptop").can(Permission.MANAGE_USERS)
    with pytest.raises(TypeError):
        require("alice", Permission.VIEW_FIGURES)  # type: ignore[arg-type]
