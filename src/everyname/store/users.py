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
from everyname.store.models import AuditEvent, Source, UserRole
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
    #: Whether they sign in with a confirmed second-factor device (the administration pages
    #: show it; the command line's listing keeps its shape without it).
    second_factor: bool = False
    #: Their page language ("en", "ar"), or "" to follow the browser.
    language: str = ""

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
    #: Every source as (code, name), for assigning them to a recorder.
    source_choices: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"users": [user.to_dict() for user in self.users]}


def add_user(
    actor: Actor,
    name: str,
    role: Role | str,
    sources: Iterable[str] = (),
    *,
    password: str,
    one_time: bool = False,
) -> UserInfo:
    """Create a user with one role (and a recorder's sources) and a password for signing in.

    ``one_time``: the password is one the administrator knows (typed for them or generated and
    shown once), so the user is asked to change it after signing in (:func:`password_change_due`).
    """
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
        details: dict[str, Any] = {"name": name, "role": str(role), "sources": _codes(assigned)}
        if one_time:
            details["one_time_password"] = True
        record_event(Action.USER_ADDED, actor, user, **details)
        return _info(user)


def list_users(actor: Actor) -> UserList:
    """Every user, active or not, by name."""
    require(actor, Permission.MANAGE_USERS)
    users = User.objects.order_by("username")
    roles = {
        assigned.user_id: assigned
        for assigned in UserRole.objects.prefetch_related("sources").filter(user__in=users)
    }
    enrolled = _enrolled(users)
    return UserList(
        tuple(_info(user, roles.get(user.pk), enrolled) for user in users), _source_choices()
    )


@dataclass(frozen=True)
class UserDetail:
    """One user for their administration page, with the sources a recorder may be given."""

    user: UserInfo
    source_choices: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.user.to_dict(), "source_choices": [list(c) for c in self.source_choices]}


def get_user(actor: Actor, name: str) -> UserDetail:
    """One user as administration shows them (their own page)."""
    require(actor, Permission.MANAGE_USERS)
    user = User.objects.filter(username=name).first()
    if user is None:
        raise NotFound(f"no user named {name!r}", field="name")
    return UserDetail(_info(user, None, _enrolled([user])), _source_choices())


def _source_choices() -> tuple[tuple[str, str], ...]:
    return tuple(Source.objects.order_by("code").values_list("code", "name"))


def one_time_password() -> str:
    """A random password for a new user, shown once to the administrator who made it; long
    enough for every password validator, and free of characters easily misread aloud."""
    import secrets

    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)


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


# --- a user's own account: language and password ---------------------------------------------


def set_language(actor: Actor, language: str) -> str:
    """Remember ``actor``'s page language ("" to follow the browser again), applied at each
    sign-in from any browser. Anyone signed in may choose their own; it is a preference, not an
    act on data or on access, so it is not audited."""
    from django.conf import settings

    language = (language or "").strip()
    known = [code for code, _ in settings.LANGUAGES]
    if language and language not in known:
        raise InvalidInput(
            f"unknown language {language!r}; languages: {', '.join(known)}", field="language"
        )
    assigned = _own_role(actor)
    if assigned.language != language:
        assigned.language = language
        assigned.save(update_fields=["language"])
    return language


def language_of(actor: Actor) -> str:
    """``actor``'s remembered page language, or "" (the browser decides)."""
    if actor.user_id is None:
        return ""
    return (
        UserRole.objects.filter(user_id=actor.user_id).values_list("language", flat=True).first()
        or ""
    )


def change_password(actor: Actor, current: str, new: str) -> None:
    """Change ``actor``'s own password: the current one proves it is them (a session left open
    is not enough), the new one passes the validators. Audited, without either password."""
    if actor.user_id is None:
        raise InvalidInput("the local administrator has no password", field="user")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=actor.user_id, is_active=True).first()
        if user is None:
            raise PermissionDenied(f"user {actor.username!r} is disabled", field="user")
        if not user.check_password(current or ""):
            raise InvalidInput("the current password is not right", field="current")
        if new == current:
            raise InvalidInput("the new password must differ from the current one", field="new")
        try:
            _set_password(user, new)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field="new") from None
        user.save(update_fields=["password"])
        record_event(Action.USER_PASSWORD_CHANGED, actor, user, name=user.username)


def password_change_due(actor: Actor) -> bool:
    """Whether ``actor`` still signs in with a one-time password: the last time their password
    was set, an administrator set it (``add_user(one_time=True)``) and they have not changed it
    since. Read from the audit log, which keeps both acts in order and cannot be rewritten."""
    if actor.user_id is None:
        return False
    last = (
        AuditEvent.objects.filter(
            object_type="User",
            object_id=str(actor.user_id),
            action__in=[Action.USER_ADDED, Action.USER_PASSWORD_CHANGED],
        )
        .order_by("-id")
        .values_list("action", "details")
        .first()
    )
    if last is None:
        return False
    action, details = last
    return action == Action.USER_ADDED and bool((details or {}).get("one_time_password"))


def _own_role(actor: Actor) -> UserRole:
    assigned = (
        None
        if actor.user_id is None
        else UserRole.objects.filter(user_id=actor.user_id, user__is_active=True).first()
    )
    if assigned is None:
        raise InvalidInput(f"{actor.username!r} is not a user of this database", field="user")
    return assigned


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


def _enrolled(users: Iterable[User]) -> set[int]:
    """The ids of those among ``users`` with a confirmed second-factor device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )


def _info(
    user: User, assigned: UserRole | None = None, enrolled: set[int] | None = None
) -> UserInfo:
    """``assigned`` is the user's role when the caller has it at hand (a listing), and
    ``enrolled`` the ids of users with a second factor (computed here when not given)."""
    assigned = assigned or _role_of(user)
    enrolled = _enrolled([user]) if enrolled is None else enrolled
    second = user.pk in enrolled
    if assigned is None:
        return UserInfo(user.username, None, (), user.is_active, second)
    codes = tuple(_codes(assigned.sources.all()))
    return UserInfo(
        user.username, Role(assigned.role), codes, user.is_active, second, assigned.language
    )
