"""Choosing the page language (English or Arabic): Django's ``set_language``, open to anyone,
since the sign-in page is read before anyone is known."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from everyname.web.access import public


@public
def set_language(request: HttpRequest) -> HttpResponse:
    """POST ``language`` (and ``next``): remembered in this browser's language cookie, which
    Django's LocaleMiddleware reads before the browser's Accept-Language."""
    return django_set_language(request)
