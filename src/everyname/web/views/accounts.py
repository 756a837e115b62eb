"""Signing in and out, the second factor (enrolment and the code after the password), and a
user's own password.

At sign-in the user's remembered page language (chosen with the language switch, kept on their
account) is put in the language cookie, so it follows them to any browser; before sign-in the
cookie or the browser's Accept-Language decides. A user still holding a one-time password (made
by an administrator or the demo) is sent to change it right after signing in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from everyname.core.errors import EverynameError
from everyname.store.users import actor_for, change_password, language_of, password_change_due
from everyname.web.access import public, requires
from everyname.web.middleware import before_second_factor, second_factor_required

ENROLMENT_DEVICE = "authenticator"


class LoginView(auth_views.LoginView):
    """Django's sign-in, then the user's own language and, for a one-time password, the way
    to change it (the second factor, when due, still comes first: the middleware sees to it)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        try:
            actor = actor_for(form.get_user())
        except EverynameError:
            return response  # no role: the pages will refuse them anyway
        language = language_of(actor)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        if password_change_due(actor):
            target = f"{reverse('password-change')}?{urlencode({'next': self.get_success_url()})}"
            response["Location"] = target
        return response


login = before_second_factor(public(LoginView.as_view()))
# POST only (Django's LogoutView refuses GET): a link or image elsewhere cannot sign anyone out.
logout = before_second_factor(public(auth_views.LogoutView.as_view()))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@before_second_factor
@requires()
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password, for a user with a confirmed device."""
    if request.user.is_verified():
        return HttpResponseRedirect(_next(request))
    if not user_has_device(request.user, confirmed=True):
        return HttpResponseRedirect("/")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Each device throttles wrong codes itself (django-otp's growing delay).
        device = match_token(request.user, form.cleaned_data["code"].strip())
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", _("That code is not right, or came too soon after a wrong one."))
    return render(request, "web/two_factor_verify.html", {"form": form, "next": _next(request)})


@before_second_factor
@requires()
def enrol(request: HttpRequest) -> HttpResponse:
    """Turn on two-factor sign-in: scan the code (or type the secret) into an authenticator
    app, then confirm with one code from it. Offline: the QR code is drawn here."""
    if user_has_device(request.user, confirmed=True):
        return render(request, "web/two_factor_enrolled.html")
    device = _unconfirmed_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    context: dict[str, Any] = {
        "form": form,
        "next": _next(request),
        "secret": _base32(device),
        "qr_svg": _qr_svg(device.config_url),
        "required": second_factor_required(request.user),
    }
    return render(request, "web/two_factor_enrol.html", context)


def _unconfirmed_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=ENROLMENT_DEVICE, confirmed=False)
    return device


def _base32(device: TOTPDevice) -> str:
    import base64

    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_svg(data: str) -> str:
    """The enrolment QR code as an inline SVG (presentation attributes only, no style)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


# --- a user's own password -------------------------------------------------------------------


class PasswordForm(forms.Form):
    current = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new") and data.get("again") and data["new"] != data["again"]:
            self.add_error("again", _("The two new passwords differ."))
        elif data.get("new") and data.get("new") == data.get("current"):
            self.add_error("new", _("The new password must differ from the current one."))
        return data


@requires()
def password(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the store checks the current one, validates the new one
    and audits the change). This browser stays signed in; other sessions of the user end, as
    Django's session hash makes them."""
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_password(
                request.actor,  # type: ignore[attr-defined]
                form.cleaned_data["current"],
                form.cleaned_data["new"],
            )
        except EverynameError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, _PASSWORD_ERRORS.get(exc.field or "", str(exc)))
        else:
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)
            messages.success(request, gettext("Your password is changed."))
            return HttpResponseRedirect(_next(request))
    due = password_change_due(request.actor)  # type: ignore[attr-defined]
    return render(
        request,
        "web/password.html",
        {
            "form": form,
            "next": _next(request),
            "due": due,
            "rules": password_validators_help_texts(),
        },
        status=400 if form.errors else 200,
    )


_PASSWORD_ERRORS = {"current": _("The current password is not right.")}
"""Store errors shown in the page's language; the new password's own problems come from
Django's validators, which are translated already."""
