"""Who the command line acts for: the local administrator until users exist, then a named one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from everyname.core.errors import PermissionDenied
from everyname.store.models import Source, UserRole
from everyname.store.permissions import Role
from everyname.store.users import acting_user, actor_for

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
