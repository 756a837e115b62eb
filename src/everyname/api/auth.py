"""Who a request acts for, whether they may, and how often: Bearer tokens, the permission
module, a rate per token.

An API request is authenticated only by its ``Authorization: Bearer TOKEN`` header (no session
cookie, so a page elsewhere cannot make a signed-in browser call the API). The token's user's
role at the time of the request is the request's role (:func:`everyname.store.tokens.authenticate`);
each view names the :class:`~everyname.store.permissions.Permission` a method needs, checked
here before any store function runs, and the store function checks again (and narrows a
recorder to their sources) as it does for every front end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from everyname.store.permissions import Actor, Permission
from everyname.store.tokens import authenticate


@dataclass(frozen=True)
class TokenUser:
    """``request.user`` of an API request: the store's actor, and what DRF asks of a user."""

    actor: Actor
    token_id: int
    is_authenticated: bool = True

    @property
    def username(self) -> str:
        return self.actor.username

    def __str__(self) -> str:
        return self.actor.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer TOKEN``. No header: anonymous (then 401 from the permission
    check); a header that is wrong, unknown or revoked: 401 at once."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[TokenUser, int] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword.lower().encode() or len(header) != 2:
            raise exceptions.AuthenticationFailed("send the token as 'Authorization: Bearer TOKEN'")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("the token is not valid") from None
        found = authenticate(token)
        if found is None:
            raise exceptions.AuthenticationFailed("the token is not valid, or was revoked")
        actor, token_id = found
        return TokenUser(actor, token_id), token_id

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="everyname"'


class HasRole(permissions.BasePermission):
    """Signed in with a token, and holding the permission the view names for the method
    (``required``: method → Permission, or None for any user)."""

    message = "your role does not allow this"

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not isinstance(user, TokenUser):
            return False  # DRF answers 401 (the authenticator names the Bearer scheme)
        required: Permission | None = getattr(view, "required", {}).get(request.method)
        if required is None:
            return True
        if user.actor.can(required):
            return True
        self.message = (
            f"{user.actor.username} ({user.actor.role}) may not {required.value.replace('_', ' ')}"
        )
        return False


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """At most ``API_RATE_PER_TOKEN`` requests per token (settings: "600/minute"),
    counted in Django's cache. Anonymous requests are refused before they are counted."""

    scope = "token"

    def get_rate(self) -> str | None:
        return settings.API_RATE_PER_TOKEN

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        if not isinstance(user, TokenUser):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.token_id}


class BearerScheme(OpenApiAuthenticationExtension):
    """Names the Bearer scheme in the OpenAPI document (and Swagger UI's Authorize button)."""

    target_class = BearerTokenAuthentication
    name = "bearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "everyname token create USER"}
