"""``/jobs/`` and ``/jobs/<id>/``: one's background jobs, and one job's state and progress.

While the job is queued or running its status block asks for itself again every few seconds
(htmx, served by the app: the ``HX-Request`` header gets the block alone), and without scripts
the page reloads itself (a ``<meta http-equiv="refresh">`` inside ``<noscript>``): no inline
script either way, so the Content-Security-Policy needs no exception. Once done, the block
links to what the job made (the stored estimate, the report, the releases). The store shows a
user their own jobs only (an administrator everyone's).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from everyname.core.errors import NotFound
from everyname.store.jobs import JobStatus, job_status, list_jobs
from everyname.web.access import requires

REFRESH_SECONDS = 2
"""How often a job's page reloads while the job is queued or running."""

KIND_NAMES = {
    "import": _("Import"),
    "preview": _("Reading an uploaded list"),
    "link": _("Link run"),
    "estimate": _("Estimate"),
    "report": _("Report"),
    "release": _("Release"),
}
STATE_NAMES = {
    "queued": _("queued, waiting for a worker"),
    "running": _("running"),
    "done": _("done"),
    "failed": _("failed"),
}

PROGRESS_NAMES = {
    "fitting": _("fitting"),
    "fitted and stored": _("fitted and stored"),
    "building": _("building"),
    "built and stored": _("built and stored"),
    "writing": _("writing"),
    "written": _("written"),
}
"""The progress messages of the estimate, report and release jobs (store/jobs.py) in the page's
language; any other (a link run's stages) is shown as the store wrote it, in English."""


def made_by(job: JobStatus) -> dict[str, Any] | None:
    """Where the result of a finished job is shown (a link and its words), or None."""
    result = job.result if isinstance(job.result, dict) else {}
    if job.state != "done":
        return None
    if job.kind == "estimate" and result.get("estimate_id"):
        return {
            "url": reverse("estimate", args=[result["estimate_id"]]),
            "text": _("See the estimate"),
        }
    if job.kind == "report" and result.get("id"):
        return {"url": reverse("reports") + f"#report-{result['id']}", "text": _("See the report")}
    if job.kind == "release":
        return {"url": reverse("releases"), "text": _("See the releases")}
    if job.kind == "import" and result.get("batch_id"):
        return {"url": reverse("batch", args=[result["batch_id"]]), "text": _("See the import")}
    if job.kind == "link":
        return {"url": reverse("dashboard"), "text": _("See the figures")}
    return None


def shown(job: JobStatus) -> dict[str, Any]:
    """A job as the templates show it."""
    percent = None
    if job.total:
        percent = max(0, min(100, round(100 * job.done / job.total)))
    return {
        "job": job,
        "kind_name": KIND_NAMES.get(job.kind, job.kind),
        "state_name": STATE_NAMES.get(job.state, job.state),
        "percent": percent,
        "message": PROGRESS_NAMES.get(job.message),
        "active": job.state in ("queued", "running"),
        "made": made_by(job),
    }


@requires()
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        status = job_status(request.actor, job_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    context = {**shown(status), "refresh": REFRESH_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "web/job_status.html", context)
    return render(request, "web/job.html", context)


@requires()
def jobs(request: HttpRequest) -> HttpResponse:
    listed = list_jobs(request.actor, limit=50)  # type: ignore[attr-defined]
    return render(request, "web/jobs.html", {"jobs": [shown(j) for j in listed]})
