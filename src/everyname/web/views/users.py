"""``/users/``: user administration for admins: the team with each one's role, sources, second
factor and state; adding a user; and a page per user to change the role or a recorder's
sources, disable them, or reset their second factor (a lost phone).

Every change is a POST form with its CSRF token and goes through one store function, which
checks ``MANAGE_USERS``, keeps the rules (the first user an admin, never the last admin
disabled, a recorder with a source) and writes the audit entry. Disabling and resetting the
second factor are asked for on a page of their own first: both lock someone out of their work.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from everyname.core.errors import EverynameError, NotFound
from everyname.store.permissions import Permission, Role
from everyname.store.users import (
    add_user,
    assign_sources,
    disable_user,
    get_user,
    list_users,
    one_time_password,
    reset_second_factor,
    set_role,
)
from everyname.web.access import requires

ROLE_NAMES = {
    Role.ADMIN: _("admin"),
    Role.ANALYST: _("analyst"),
    Role.REVIEWER: _("reviewer"),
    Role.RECORDER: _("recorder"),
    Role.VIEWER: _("viewer"),
}
"""Roles as the pages name them (the form posts the stable role code)."""

ROLE_CHOICES = [(role.value, label) for role, label in ROLE_NAMES.items()]


class AddUserForm(forms.Form):
    name = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.VIEWER.value)
    password = forms.CharField(
        label=_("Initial password (leave empty to generate one)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _error_field(form: forms.Form, field: str | None) -> str | None:
    """The form field a store error names, or None (an error of the whole form)."""
    return field if field in form.fields else None


@requires(Permission.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    """The team, and the form to add someone. A generated password is shown once, on the
    answer to the POST itself (never stored, never in a redirect's URL, never cached)."""
    form = AddUserForm(request.POST or None)
    chosen = request.POST.getlist("sources") if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["password"]
        password = typed or one_time_password()
        try:
            info = add_user(
                request.actor,  # type: ignore[attr-defined]
                form.cleaned_data["name"],
                form.cleaned_data["role"],
                chosen if form.cleaned_data["role"] == Role.RECORDER else (),
                password=password,
                one_time=True,
            )
        except EverynameError as exc:
            form.add_error(_error_field(form, exc.field), str(exc))
        else:
            response = render(
                request,
                "web/users_added.html",
                {"info": info, "password": None if typed else password, "roles": ROLE_NAMES},
            )
            add_never_cache_headers(response)
            return response
    listing = list_users(request.actor)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "listing": listing,
        "form": form,
        "chosen": chosen,
        "roles": ROLE_NAMES,
    }
    return render(request, "web/users.html", context, status=400 if form.errors else 200)


def _detail(request: HttpRequest, name: str) -> Any:
    try:
        return get_user(request.actor, name)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404(name) from None


@requires(Permission.MANAGE_USERS)
def user(request: HttpRequest, name: str) -> HttpResponse:
    """One user: their state, and the forms that change it."""
    detail = _detail(request, name)
    context = {
        "detail": detail,
        "shown": detail.user,
        "role_choices": ROLE_CHOICES,
        "roles": ROLE_NAMES,
    }
    return render(request, "web/users_detail.html", context)


def _back(name: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("user", args=[name]))


@require_POST
@requires(Permission.MANAGE_USERS)
def user_role(request: HttpRequest, name: str) -> HttpResponse:
    """A new role, or a recorder's new sources. A recorder who stays a recorder is assigned
    the sources (audited as such); any other change is a change of role."""
    role = request.POST.get("role", "")
    sources = request.POST.getlist("sources")
    stays_recorder = role == Role.RECORDER and request.POST.get("current_role") == Role.RECORDER
    try:
        if stays_recorder:
            assign_sources(request.actor, name, sources)  # type: ignore[attr-defined]
        else:
            set_role(
                request.actor,  # type: ignore[attr-defined]
                name,
                role,
                sources if role == Role.RECORDER else None,
            )
    except NotFound as exc:
        if exc.field == "name":
            raise Http404(name) from None
        messages.error(request, str(exc))
    except EverynameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Saved."))
    return _back(name)


def _confirmed(
    request: HttpRequest, name: str, what: str, act: Any, done: str, question: str
) -> HttpResponse:
    """GET asks (a page of its own, with the consequence spelled out); POST does it."""
    if request.method != "POST":
        detail = _detail(request, name)
        return render(
            request,
            "web/users_confirm.html",
            {"shown": detail.user, "what": what, "question": question},
        )
    try:
        act(request.actor, name)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404(name) from None
    except EverynameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(name)


@requires(Permission.MANAGE_USERS)
def user_disable(request: HttpRequest, name: str) -> HttpResponse:
    return _confirmed(
        request,
        name,
        "disable",
        disable_user,
        gettext(
            "The user is disabled: they can no longer sign in. Their past acts stay in the log."
        ),
        gettext(
            "Disable this user? They can no longer sign in or act. The user is kept, so the "
            "audit log still names them."
        ),
    )


@requires(Permission.MANAGE_USERS)
def user_reset_second_factor(request: HttpRequest, name: str) -> HttpResponse:
    return _confirmed(
        request,
        name,
        "reset",
        reset_second_factor,
        gettext("The second factor is removed: the user sets up a new one at their next sign-in."),
        gettext(
            "Remove this user's second factor (a lost or replaced phone)? At their next sign-in "
            "they set up a new one before they can reach any page."
        ),
    )
