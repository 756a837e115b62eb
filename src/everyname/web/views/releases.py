"""``/releases/``: the public releases published from this database, each file downloadable
with its SHA-256, and a form that publishes the next one as a background job.

A release from the web app is written to the server's own releases folder
(:func:`everyname.store.releases.releases_folder`): no page names a path on the server. A
file is served only if the release's record names it and its checksum is still the one
recorded when it was published (the store checks both).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from everyname.core.errors import Conflict, EverynameError, NotFound, PermissionDenied
from everyname.store.jobs import enqueue
from everyname.store.permissions import Permission
from everyname.store.releases import list_releases, release_file, releases_folder
from everyname.web.access import requires
from everyname.web.views.estimates import error_of
from everyname.web.views.reports import digest_header

WITHHOLD_CHOICES = (
    ("none", _("No names withheld")),
    ("children", _("Withhold the names of children")),
    ("all", _("Withhold every name")),
)

CHANGE_NAMES = {
    "added": _("added"),
    "removed": _("removed"),
    "merged": _("merged"),
    "split": _("split"),
    "corrected": _("corrected"),
}
"""The change log's kinds (core.release) in the page's language."""


def shown_changes(changes: dict[str, int]) -> list[tuple[str, int]]:
    return [(CHANGE_NAMES.get(k, k), v) for k, v in changes.items()]


@requires(Permission.VIEW_RELEASES)
def releases(request: HttpRequest) -> HttpResponse:
    """The list, newest first (GET), or the next release queued (POST, for publishers)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST":
        withhold = (request.POST.get("withhold") or "none").strip()
        try:
            job = enqueue(actor, "release", {"out": str(releases_folder()), "withhold": withhold})
        except PermissionDenied:
            raise
        except EverynameError as exc:
            return render(
                request,
                "web/releases.html",
                {
                    "withhold_choices": WITHHOLD_CHOICES,
                    "withhold": withhold,
                    "error": error_of(exc),
                    "listed": False,
                },
                status=400,
            )
        return redirect("job", job_id=job.id)
    published = [
        {"release": r, "changes": shown_changes(r.changes)} for r in reversed(list_releases(actor))
    ]
    return render(
        request,
        "web/releases.html",
        {
            "releases": published,
            "withhold_choices": WITHHOLD_CHOICES,
            "withhold": "none",
            "listed": True,
        },
    )


@requires(Permission.VIEW_RELEASES)
def release_download(request: HttpRequest, release_id: int, name: str) -> HttpResponse:
    """One file of a release, as published."""
    try:
        found = release_file(request.actor, release_id, name)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    except Conflict as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        found.handle,
        as_attachment=True,
        filename=f"everyname-v{found.version}-{found.name}",
        content_type="application/octet-stream",
    )
    response["Repr-Digest"] = digest_header(found.sha256)
    return response
