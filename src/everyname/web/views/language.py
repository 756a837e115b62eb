"""Choosing the page language (English or Arabic): Django's ``set_language``, open to anyone,
since the sign-in page is read before anyone is known.

For a signed-in user the choice is also kept on their account (``store.users.set_language``),
and the sign-in puts it back in the language cookie, so Arabic follows an Arabic-reading user
to any browser, whatever that browser's own language.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language
from django_otp import user_has_device

from everyname.core.errors import EverynameError
from everyname.store.users import set_language as remember_language
from everyname.web.access import actor_of, public
from everyname.web.middleware import second_factor_required


@public
def set_language(request: HttpRequest) -> HttpResponse:
    """POST ``language`` (and ``next``): remembered in this browser's language cookie, which
    Django's LocaleMiddleware reads before the browser's Accept-Language, and on the account
    of a user who is fully signed in (past the second factor where they have or need one)."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if language in dict(settings.LANGUAGES) and _fully_signed_in(request):
        actor = actor_of(request)
        if actor is not None:
            # Should the account refuse it, the cookie still holds the choice for this browser.
            with contextlib.suppress(EverynameError):
                remember_language(actor, language)
    return response


def _fully_signed_in(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_verified():  # type: ignore[union-attr]
        return True
    return not user_has_device(user, confirmed=True) and not second_factor_required(user)
