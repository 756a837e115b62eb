"""The dashboard at ``/``: what everyone with a role sees first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from everyname.store.dashboard import dashboard as read_dashboard
from everyname.store.permissions import Permission
from everyname.web.access import requires
from everyname.web.views.figures import breakdown_tables


@requires(Permission.VIEW_FIGURES)
def dashboard(request: HttpRequest) -> HttpResponse:
    shown = read_dashboard(request.actor)  # type: ignore[attr-defined]
    return render(
        request,
        "web/dashboard.html",
        {
            "board": shown,
            "tables": breakdown_tables(shown.count) if shown.count is not None else [],
        },
    )
