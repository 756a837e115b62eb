"""API tokens as use cases: one's own or (an administrator) anyone's, kept as a hash, audited
without the token, and read back as the user's actor only while token and user are active."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth.models import User

from everyname.api.models import ApiToken
from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.store.models import AuditEvent, UserRole
from everyname.store.permissions import Role
from everyname.store.tokens import authenticate, create_token, list_tokens, revoke_token
from everyname.store.users import actor_for

pytestmark = pytest.mark.django_db


def user(name: str, role: str) -> User:
    made = User.objects.create_user(name)
    UserRole.objects.create(user=made, role=role)
    return made


@pytest.fixture
def people():
    return {role: actor_for(user(f"{role}-1", role)) for role in ("admin", "analyst", "viewer")}


def test_a_token_is_kept_as_its_hash_and_acts_as_its_user(people):
    made = create_token(people["viewer"], "viewer-1", "notebook")
    assert made.token.startswith("evn_") and len(made.token) > 40
    stored = ApiToken.objects.get()
    assert stored.digest == hashlib.sha256(made.token.encode()).hexdigest()
    row = json.dumps(list(ApiToken.objects.values().get().values()), default=str)
    assert made.token not in row and made.token[10:] not in row
    actor, token_id = authenticate(made.token)
    assert (actor.username, actor.role, token_id) == ("viewer-1", Role.VIEWER, stored.pk)
    assert authenticate(made.token + "x") is None and authenticate("") is None
    assert authenticate(made.token.replace("evn_", "xyz_")) is None


def test_only_oneself_or_an_administrator(people):
    with pytest.raises(PermissionDenied) as refused:
        create_token(people["analyst"], "viewer-1")
    assert refused.value.field == "user"
    assert not ApiToken.objects.exists()
    made = create_token(people["admin"], "viewer-1", "for the team's script")
    assert made.info.user == "viewer-1" and made.info.created_by == "admin-1"
    assert list_tokens(people["viewer"]) == (made.info,)
    with pytest.raises(PermissionDenied):
        list_tokens(people["analyst"], "viewer-1")
    with pytest.raises(NotFound):  # another's token: not found, not forbidden
        revoke_token(people["analyst"], made.info.id)
    with pytest.raises(NotFound):
        create_token(people["admin"], "nobody")
    with pytest.raises(InvalidInput):
        create_token(people["viewer"], "viewer-1", "x" * 101)


def test_revoked_tokens_and_disabled_users_authenticate_no_more(people):
    made = create_token(people["analyst"], "analyst-1")
    other = create_token(people["viewer"], "viewer-1")
    revoked = revoke_token(people["admin"], made.info.id)
    assert revoked.revoked_by == "admin-1" and not revoked.active
    assert authenticate(made.token) is None
    with pytest.raises(Conflict):
        revoke_token(people["analyst"], made.info.id)
    User.objects.filter(username="viewer-1").update(is_active=False)
    assert authenticate(other.token) is None
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "actor"))
    assert actions == [
        ("token.created", "analyst-1"),
        ("token.created", "viewer-1"),
        ("token.revoked", "admin-1"),
    ]
    details = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert made.token not in details and other.token not in details


def test_no_token_for_a_user_who_may_do_nothing(people):
    User.objects.create_user("no-role")
    with pytest.raises(PermissionDenied):
        create_token(people["admin"], "no-role")
    User.objects.filter(username="viewer-1").update(is_active=False)
    with pytest.raises(PermissionDenied):
        create_token(people["admin"], "viewer-1")
    assert not ApiToken.objects.exists()
