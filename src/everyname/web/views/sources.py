"""``/sources/``: who the lists came from, with their batches, record counts and last import.

The store decides which sources a user sees (a recorder: the ones assigned to them)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from everyname.store.permissions import Permission
from everyname.store.sources import sources as read_sources
from everyname.web.access import requires

KIND_NAMES = {
    "local_committee": _("local coordination committee"),
    "field_hospital": _("field hospital"),
    "family": _("family"),
    "neighbourhood_list": _("neighbourhood list"),
    "ngo": _("NGO list"),
    "state_media": _("state media"),
    "ministry": _("ministry or official register"),
    "other": _("other"),
}
"""Source kinds (``store.models.SourceKind``) in the page's language."""


@requires(Permission.VIEW_RECORDS)
def sources(request: HttpRequest) -> HttpResponse:
    shown = read_sources(request.actor)  # type: ignore[attr-defined]
    return render(
        request,
        "web/sources.html",
        {
            "sources": [
                # Batches come oldest first: the last is the latest import.
                {
                    "source": s,
                    "kind": KIND_NAMES.get(s.kind, s.kind),
                    "last": s.batches[-1] if s.batches else None,
                }
                for s in shown
            ],
        },
    )
