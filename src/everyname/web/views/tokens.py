"""``/accounts/tokens/``: one's own API tokens in the web app: make one (shown once), see them,
revoke one. The same store functions as ``everyname token`` and ``/api/v1/tokens/``, so the
checks and the audit entries are theirs; a signed-in person needs no token to get their first.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from everyname.core.errors import EverynameError, PermissionDenied
from everyname.store.tokens import create_token, list_tokens, revoke_token
from everyname.web.access import requires


@requires()
def tokens(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    made, error, status = None, None, 200
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                info = revoke_token(actor, request.POST["revoke"])
                messages.success(
                    request, _("Token %(prefix)s… is revoked.") % {"prefix": info.prefix}
                )
                return HttpResponseRedirect(reverse("api-tokens-page"))
            made = create_token(actor, actor.username, request.POST.get("name", ""))
        except PermissionDenied:
            raise
        except EverynameError as exc:
            error, status = str(exc), 400
    response = render(
        request,
        "web/tokens.html",
        {"made": made, "error": error, "tokens": list_tokens(actor)},
        status=status,
    )
    if made is not None:
        response["Cache-Control"] = "no-store"  # the page shows the token: never cached
    return response
