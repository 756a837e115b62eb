"""API tokens: created, listed and revoked as use cases, and read back for each API request.

A token is how a partner's script acts as one user: it carries no role of its own, so each
request acts with the user's role *as it is then* (a user given a lower role or disabled takes
their tokens down with them) and never with more. Only the token's SHA-256 is kept; the token
itself is shown once, when it is made. Anyone may make and revoke tokens for themselves; an
administrator (``MANAGE_USERS``) also for others, as the command line does for a team's
scripts. Creating and revoking are audited; the token never appears in the log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from everyname.api.models import ApiToken
from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.store.audit import Action, record_event
from everyname.store.permissions import Actor, Permission
from everyname.store.users import actor_for

TOKEN_PREFIX = "evn_"
"""Every token starts so, which lets secret scanners and people recognise one."""
SHOWN_PREFIX = 10
"""Characters of a token kept in the clear to tell tokens apart (``evn_`` and 6 more)."""
MAX_NAME = 100
LAST_USED_EVERY = 60
"""Seconds between two writes of a token's ``last_used_at``: not one write per request."""


def digest_of(token: str) -> str:
    """The SHA-256 a token is kept and found by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token as lists show it: never the token itself."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: str
    created_by: str
    last_used_at: str | None
    revoked_at: str | None
    revoked_by: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "active": self.active}


@dataclass(frozen=True)
class CreatedToken:
    """A new token: ``token`` is shown this once and kept nowhere."""

    info: TokenInfo
    token: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "token": self.token}


def _iso(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _info(token: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=token.pk,
        user=token.user.username,
        name=token.name,
        prefix=token.prefix,
        created_at=_iso(token.created_at) or "",
        created_by=token.created_by,
        last_used_at=_iso(token.last_used_at),
        revoked_at=_iso(token.revoked_at),
        revoked_by=token.revoked_by,
    )


def _require_self_or_admin(actor: Actor, username: str) -> None:
    if actor.username == username or actor.can(Permission.MANAGE_USERS):
        return
    raise PermissionDenied(
        f"{actor.username} ({actor.role}) may manage only their own tokens", field="user"
    )


def _user(username: str) -> User:
    user = User.objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise NotFound(f"no user named {username!r}", field="user")
    return user


def create_token(actor: Actor, username: str, name: str = "") -> CreatedToken:
    """Make a token for ``username`` (oneself, or anyone for an administrator).

    The user must be active and have a role: a token for a user who may do nothing would only
    fail later, at the first request.
    """
    _require_self_or_admin(actor, username)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a token's name has at most {MAX_NAME} characters", field="name")
    user = _user(username)
    actor_for(user)  # disabled or without a role: refused, naming the user
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        stored = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=token[:SHOWN_PREFIX],
            digest=digest_of(token),
            created_by=actor.username,
        )
        record_event(
            Action.TOKEN_CREATED, actor, stored, user=user.username, name=name, prefix=stored.prefix
        )
    return CreatedToken(_info(stored), token)


def list_tokens(actor: Actor, username: str | None = None) -> tuple[TokenInfo, ...]:
    """One user's tokens (default: the actor's own), active and revoked, oldest first."""
    username = (username or "").strip() or actor.username
    _require_self_or_admin(actor, username)
    tokens = ApiToken.objects.select_related("user").filter(user__username=username)
    return tuple(_info(t) for t in tokens.order_by("id"))


def revoke_token(actor: Actor, token_id: int | str) -> TokenInfo:
    """Revoke a token by its id: every later request with it gets 401. Revoking one already
    revoked is a conflict (it says when and by whom)."""
    try:
        key = int(str(token_id).strip())
    except ValueError:
        raise InvalidInput(f"a token id is a number, got {token_id!r}", field="token") from None
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=key).first()
        if token is None or not (
            token.user.username == actor.username or actor.can(Permission.MANAGE_USERS)
        ):
            # Another user's token is not found rather than forbidden: ids reveal nothing.
            raise NotFound(f"no token {key}", field="token")
        if token.revoked_at is not None:
            raise Conflict(
                f"token {key} was revoked already ({_iso(token.revoked_at)}, by "
                f"{token.revoked_by})",
                field="token",
            )
        token.revoked_at = timezone.now()
        token.revoked_by = actor.username
        token.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            Action.TOKEN_REVOKED, actor, token, user=token.user.username, prefix=token.prefix
        )
    return _info(token)


def authenticate(token: str) -> tuple[Actor, int] | None:
    """The actor a request's token acts for and the token's id (the key its requests are
    rate-limited by), or None when the token is unknown, revoked, or its user is disabled or
    has no role (all alike to the caller: 401)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    stored = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if stored is None:
        return None
    try:
        actor = actor_for(stored.user)
    except PermissionDenied:
        return None
    now = timezone.now()
    if stored.last_used_at is None or (now - stored.last_used_at).total_seconds() > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=stored.pk).update(last_used_at=now)
    return actor, stored.pk
