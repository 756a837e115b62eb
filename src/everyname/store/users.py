"""Users as the store knows them: Django auth users, each with one role.

The acting user of every use case is an :class:`~everyname.store.permissions.Actor` built here
from the database, so a role changed or a user disabled takes effect on the next call.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from everyname.core.errors import PermissionDenied
from everyname.store.permissions import Actor, Role


def actor_for(user: User) -> Actor:
    """The plain actor of an active Django user; a user without a role may do nothing."""
    if not user.is_active:
        raise PermissionDenied(f"user {user.username!r} is disabled", field="user")
    try:
        assigned = user.everyname_role
    except User.everyname_role.RelatedObjectDoesNotExist:
        raise PermissionDenied(f"user {user.username!r} has no role", field="user") from None
    sources = frozenset(assigned.sources.values_list("code", flat=True))
    return Actor(user.username, Role(assigned.role), sources, user.pk)


def acting_user(username: str) -> Actor:
    """Who the command line acts for.

    On a laptop where nobody has created a user, the command line is the local administrator,
    named ``username`` in the audit log (as everyname always worked). Once users exist,
    ``username`` must name an active one: a shared server cannot be used anonymously.
    """
    if not User.objects.exists():
        return Actor.local_admin(username)
    user = User.objects.filter(username=username).first()
    if user is None:
        raise PermissionDenied(
            f"no user named {username!r}: once users exist, every command must name an active "
            "one (EVERYNAME_USER)",
            field="user",
        )
    return actor_for(user)
