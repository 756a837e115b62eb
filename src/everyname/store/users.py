"""Users as the store knows them: Django auth users, each with one role.

The acting user of every use case is an :class:`~everyname.store.permissions.Actor` built here
from the database, so a role changed or a user disabled takes effect on the next call.

User administration (add, list, set a role, assign sources, disable) needs ``MANAGE_USERS``
and is audited. Three rules keep a database administrable:

- the first user must be an admin: once any user exists the command line no longer acts as
  the local administrator, so a first user of another role would lock everyone out;
- the last active admin cannot be disabled or given another role, for the same reason;
- a recorder is assigned at least one source: a recorder may enter, import and correct only
  for their sources, so one without any could do nothing a viewer cannot, which is a mistake
  better caught when it is made than when they first try to work.

Passwords go through Django's validators and hashers and appear in no result, log or event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction

from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.store.audit import Action, record_event
from everyname.store.models import Source, UserRole
from everyname.store.permissions import Actor, Permission, Role, require


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


def users_exist() -> bool:
    """Whether anyone has been made a user; until then the command line is the local admin."""
    return User.objects.exists()


# --- administration --------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    """A user as administration shows them: never a password or its hash."""

    name: str
    role: Role | None
    sources: tuple[str, ...]
    active: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": None if self.role is None else str(self.role),
            "sources": list(self.sources),
            "active": self.active,
        }


@dataclass(frozen=True)
class UserList:
    users: tuple[UserInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"users": [user.to_dict() for user in self.users]}


def add_user(
    actor: Actor,
    name: str,
    role: Role | str,
    sources: Iterable[str] = (),
    *,
    password: str,
) -> UserInfo:
    """Create a user with one role (and a recorder's sources) and a password for signing in."""
    require(actor, Permission.MANAGE_USERS)
    role = _role(role)
    name = (name or "").strip()
    _check_name(name)
    with transaction.atomic():
        if User.objects.filter(username=name).exists():
            raise Conflict(f"a user named {name!r} already exists", field="name")
        if role is not Role.ADMIN and not User.objects.exists():
            raise InvalidInput(
                "the first user must be an admin: once a user exists, the local administrator "
                "no longer does, and only an admin can add or change users",
                field="role",
            )
        assigned = _sources_for(role, sources)
        user = User(username=name)
        _set_password(user, password)
        user.save()
        _assign(UserRole.objects.create(user=user, role=role), assigned)
        record_event(
            Action.USER_ADDED, actor, user, name=name, role=str(role), sources=_codes(assigned)
        )
        return _info(user)


def list_users(actor: Actor) -> UserList:
    """Every user, active or not, by name."""
    require(actor, Permission.MANAGE_USERS)
    users = User.objects.order_by("username")
    roles = {
        assigned.user_id: assigned
        for assigned in UserRole.objects.prefetch_related("sources").filter(user__in=users)
    }
    return UserList(tuple(_info(user, roles.get(user.pk)) for user in users))


def set_role(
    actor: Actor, name: str, role: Role | str, sources: Iterable[str] | None = None
) -> UserInfo:
    """Give a user another role. Making someone a recorder needs their sources (``sources``, or
    those already assigned); leaving the recorder role clears them."""
    require(actor, Permission.MANAGE_USERS)
    role = _role(role)
    with transaction.atomic():
        user = _user(name)
        assigned = _role_of(user)
        before = None if assigned is None else Role(assigned.role)
        current = [] if assigned is None else list(assigned.sources.order_by("code"))
        if sources is not None:
            new_sources = _sources_for(role, sources)
        elif role is Role.RECORDER:
            new_sources = _sources_for(role, (s.code for s in current))
        else:
            new_sources = []
        if before is Role.ADMIN and role is not Role.ADMIN and user.is_active:
            _refuse_last_admin(user, "given another role")
        if before is role and _codes(current) == _codes(new_sources):
            return _info(user)
        if assigned is None:
            assigned = UserRole.objects.create(user=user, role=role)
        else:
            assigned.role = role
            assigned.save(update_fields=["role"])
        _assign(assigned, new_sources)
        record_event(
            Action.USER_ROLE_SET,
            actor,
            user,
            name=user.username,
            role=str(role),
            previous_role=None if before is None else str(before),
            sources=_codes(new_sources),
        )
        return _info(user)


def assign_sources(actor: Actor, name: str, sources: Iterable[str]) -> UserInfo:
    """Replace a recorder's sources (at least one). Other roles see every source already."""
    require(actor, Permission.MANAGE_USERS)
    with transaction.atomic():
        user = _user(name)
        assigned = _role_of(user)
        if assigned is None or assigned.role != Role.RECORDER:
            role = "no role" if assigned is None else f"the role {assigned.role}"
            raise InvalidInput(
                f"{name!r} has {role}: only a recorder is assigned sources (every other role "
                "works on every source)",
                field="sources",
            )
        before = _codes(assigned.sources.all())
        new_sources = _sources_for(Role.RECORDER, sources)
        if _codes(new_sources) != before:
            _assign(assigned, new_sources)
            record_event(
                Action.USER_SOURCES_ASSIGNED,
                actor,
                user,
                name=user.username,
                sources=_codes(new_sources),
                previous_sources=before,
            )
        return _info(user)


def disable_user(actor: Actor, name: str) -> UserInfo:
    """Stop a user from acting (signing in, or being named by ``EVERYNAME_USER``). The user is
    kept: the audit log names them, and their past acts stay attributable."""
    require(actor, Permission.MANAGE_USERS)
    with transaction.atomic():
        user = _user(name)
        if not user.is_active:
            return _info(user)
        assigned = _role_of(user)
        if assigned is not None and assigned.role == Role.ADMIN:
            _refuse_last_admin(user, "disabled")
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_event(Action.USER_DISABLED, actor, user, name=user.username)
        return _info(user)


def reset_second_factor(actor: Actor, name: str) -> UserInfo:
    """Remove a user's second-factor devices (a lost phone). At their next sign-in they set one
    up again; a role that requires two factors reaches no page until they have, and a session
    verified with a removed device is no longer verified."""
    require(actor, Permission.MANAGE_USERS)
    from django_otp import devices_for_user

    with transaction.atomic():
        user = _user(name)
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        record_event(
            Action.USER_SECOND_FACTOR_RESET,
            actor,
            user,
            name=user.username,
            devices_removed=len(devices),
        )
        return _info(user)


# --- pieces ----------------------------------------------------------------------------------


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {role!r}; roles: {known}", field="role") from None


def _check_name(name: str) -> None:
    if not name:
        raise InvalidInput("a user needs a name", field="name")
    max_length = User._meta.get_field("username").max_length
    if len(name) > max_length:
        raise InvalidInput(f"a user name has at most {max_length} characters", field="name")
    try:
        UnicodeUsernameValidator()(name)
    except ValidationError:
        raise InvalidInput(
            f"{name!r} cannot be a user name: use letters, digits and @ . + - _ only", field="name"
        ) from None


def _set_password(user: User, password: str) -> None:
    if not password:
        raise InvalidInput("a user needs a password", field="password")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    user.set_password(password)


def _user(name: str) -> User:
    user = User.objects.select_for_update().filter(username=name).first()
    if user is None:
        raise NotFound(f"no user named {name!r}", field="name")
    return user


def _role_of(user: User) -> UserRole | None:
    return UserRole.objects.filter(user=user).first()


def _sources_for(role: Role, codes: Iterable[str]) -> list[Source]:
    """The sources a user of ``role`` is assigned; refuses unknown codes, a recorder without
    any, and sources given for a role that sees every source."""
    wanted = sorted({code.strip() for code in codes if code and code.strip()})
    if role is not Role.RECORDER:
        if wanted:
            raise InvalidInput(
                f"only a recorder is assigned sources; {role} works on every source",
                field="sources",
            )
        return []
    if not wanted:
        raise InvalidInput("a recorder needs at least one assigned source", field="sources")
    found = list(Source.objects.filter(code__in=wanted).order_by("code"))
    missing = sorted(set(wanted) - {s.code for s in found})
    if missing:
        raise NotFound(f"no source with code {', '.join(map(repr, missing))}", field="sources")
    return found


def _assign(assigned: UserRole, sources: list[Source]) -> None:
    assigned.sources.set(sources)


def _codes(sources: Iterable[Source]) -> list[str]:
    return sorted(source.code for source in sources)


def _refuse_last_admin(user: User, what: str) -> None:
    others = (
        User.objects.select_for_update()
        .filter(is_active=True, everyname_role__role=Role.ADMIN)
        .exclude(pk=user.pk)
    )
    if not others.exists():
        raise Conflict(
            f"{user.username!r} is the last active admin and cannot be {what}: add or promote "
            "another admin first",
            field="name",
        )


def _info(user: User, assigned: UserRole | None = None) -> UserInfo:
    """``assigned`` is the user's role when the caller has it at hand (a listing)."""
    assigned = assigned or _role_of(user)
    if assigned is None:
        return UserInfo(user.username, None, (), user.is_active)
    codes = tuple(_codes(assigned.sources.all()))
    return UserInfo(user.username, Role(assigned.role), codes, user.is_active)
