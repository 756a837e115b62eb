"""Who may see a page: the store's permission module decides, through one decorator.

Every view is wrapped in :func:`requires` (or is one of the few sign-in pages marked public):
an anonymous visitor is sent to sign in, a signed-in user whose role lacks the permission gets
the 403 page, and a :class:`~everyname.core.errors.PermissionDenied` raised by a store function
(a recorder asking for another source's record) is the same 403. The role-matrix test walks
every URL and checks the marks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from everyname.core.errors import PermissionDenied
from everyname.store.permissions import Actor, Permission
from everyname.store.users import actor_for

View = Callable[..., HttpResponse]


def requires(permission: Permission | None = None) -> Callable[[View], View]:
    """Wrap a view: signed in (with a role) and, when given, holding ``permission``.

    ``permission=None`` is any signed-in user with a role (their own account pages). The view
    finds the acting user as ``request.actor``.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_of(request)
            if actor is None or (permission is not None and not actor.can(permission)):
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                return forbidden(request)

        wrapped.everyname_permission = permission  # type: ignore[attr-defined]
        wrapped.everyname_checked = True  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view: View) -> View:
    """Mark a view anyone may open (the sign-in page): the role-matrix test accepts no view
    that is neither :func:`requires` nor public."""
    view.everyname_checked = True  # type: ignore[attr-defined]
    view.everyname_public = True  # type: ignore[attr-defined]
    return view


def actor_of(request: HttpRequest) -> Actor | None:
    """The signed-in user as the store's actor, or None (anonymous, disabled, no role)."""
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "_everyname_actor"):
        try:
            request._everyname_actor = actor_for(request.user)  # type: ignore[attr-defined]
        except PermissionDenied:
            request._everyname_actor = None  # type: ignore[attr-defined]
    actor = request._everyname_actor  # type: ignore[attr-defined]
    request.actor = actor  # type: ignore[attr-defined]
    return actor


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page (also Django's ``handler403``)."""
    return render(request, "web/403.html", status=403)


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``everyname_actor`` (or None) and what the navigation may show."""
    from everyname.web.views.users import ROLE_NAMES

    actor = actor_of(request)
    return {
        "everyname_actor": actor,
        "everyname_role": ROLE_NAMES.get(actor.role, actor.role) if actor else "",
        "everyname_can": {p.value: actor.can(p) for p in Permission} if actor else {},
    }
