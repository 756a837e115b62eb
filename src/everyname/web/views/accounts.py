"""Signing in and out, and the second factor: enrolment and the code after the password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from everyname.web.access import public, requires
from everyname.web.middleware import before_second_factor, second_factor_required

ENROLMENT_DEVICE = "authenticator"

login = before_second_factor(
    public(
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        )
    )
)
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
