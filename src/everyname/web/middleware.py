"""Two gates every request passes before any page: a real secret key, and the second factor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device

from everyname.core.errors import PermissionDenied
from everyname.store.permissions import requires_two_factor
from everyname.store.users import actor_for


def secret_key_configured() -> bool:
    from everyname.settings import NO_SECRET_KEY

    return bool(settings.SECRET_KEY) and settings.SECRET_KEY != NO_SECRET_KEY


class RequireSecretKey:
    """Refuse every request while no secret key is configured: sessions, CSRF tokens and
    second-factor state signed with a key anyone can read would be forgeable. ``everyname
    serve`` refuses to start in that case already; this covers any other WSGI server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not secret_key_configured():
            return HttpResponse(
                "everyname has no secret key: run `everyname init` (or set "
                "EVERYNAME_SECRET_KEY_FILE) and restart the server.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def before_second_factor(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view a signed-in user may reach before their second factor (sign-in, sign-out,
    enrolment, verification, the language switch)."""
    view.everyname_before_second_factor = True  # type: ignore[attr-defined]
    return view


class RequireSecondFactor:
    """After the password step, a user with a confirmed device must enter a code, and a user
    whose role requires two factors but who has none must enrol, before reaching any page.

    Runs after django-otp's ``OTPMiddleware`` (which gives ``request.user.is_verified()``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if getattr(view, "everyname_before_second_factor", False) or getattr(
            view, "everyname_public", False
        ):
            return None  # a page anyone may open (sign-in, the language) needs no second factor
        query = urlencode({"next": request.get_full_path()})
        if user_has_device(user, confirmed=True):
            return HttpResponseRedirect(f"{reverse('two-factor-verify')}?{query}")
        if second_factor_required(user):
            return HttpResponseRedirect(f"{reverse('two-factor-enrol')}?{query}")
        return None


def second_factor_required(user: Any) -> bool:
    """Whether the user's role requires two factors (a user without a role may do nothing,
    so nothing more is asked of them)."""
    try:
        actor = actor_for(user)
    except PermissionDenied:
        return False
    return requires_two_factor(actor.role)
