"""Choosing the page language (English or Arabic): Django's ``set_language``, open to anyone,
since the sign-in page is read before anyone is known."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from everyname.web.access import public


@public
def set_language(request: HttpRequest) -> HttpResponse:
    """POST ``language`` (and ``next``): remembered in a cookie for this browser, and in the
    session so the choice holds for the signed-in user's visit."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.method == "POST" and language in ("en", "ar") and hasattr(request, "session"):
        request.session["everyname_language"] = language
    return response
