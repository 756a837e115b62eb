"""``/reports/``: stored reports with their SHA-256, downloaded byte for byte, and a form that
queues a new one (HTML or PDF) as a background job.

A report is built by the worker (a PDF with the estimate overall and by place takes a while);
the store keeps the file and its checksum, and the download is that file exactly as it was
built, with the checksum in the page and in the response's ``Repr-Digest`` header (RFC 9530),
so whoever passes it on can check it.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from everyname.core.errors import EverynameError, NotFound, PermissionDenied
from everyname.store.jobs import enqueue
from everyname.store.permissions import Permission
from everyname.store.reporting import get_report, list_reports
from everyname.web.access import requires
from everyname.web.views.estimates import (
    FILTER_FIELDS,
    FormError,
    error_of,
    filters_of,
    shown_filters,
    whole_number,
)

FORMAT_CHOICES = (("html", _("HTML (a web page)")), ("pdf", _("PDF")))


def report_params(form: Any) -> dict[str, Any]:
    """The report job's parameters from the form (what ``everyname report`` is given)."""
    params: dict[str, Any] = {
        "format": (form.get("format") or "html").strip(),
        "with_estimate": form.get("with_estimate") == "on",
        "filters": filters_of(form),
    }
    if (seed := whole_number(form, "seed")) is not None:
        params["seed"] = seed
    return params


def _form_context(form: Any) -> dict[str, Any]:
    names = (*FILTER_FIELDS, "format", "seed")
    values = {n: (form.get(n) or "") if form is not None else "" for n in names}
    values["with_estimate"] = form is None or form.get("with_estimate") == "on"
    return {"values": values, "format_choices": FORMAT_CHOICES}


@requires(Permission.VIEW_FIGURES)
def reports(request: HttpRequest) -> HttpResponse:
    """The list (GET) or a new report queued (POST, for those who may build one)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            job = enqueue(actor, "report", report_params(request.POST))
        except PermissionDenied:
            raise
        except (FormError, EverynameError) as exc:
            return render(
                request,
                "web/reports.html",
                {**_form_context(request.POST), "error": error_of(exc), "listed": False},
                status=400,
            )
        return redirect("job", job_id=job.id)
    rows = [{"report": r, "filters": shown_filters(dict(r.filters))} for r in list_reports(actor)]
    return render(
        request, "web/reports.html", {**_form_context(None), "rows": rows, "listed": True}
    )


def digest_header(sha256_hex: str) -> str:
    """``Repr-Digest`` (RFC 9530) for a SHA-256 given in hex."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii") + ":"


@requires(Permission.VIEW_FIGURES)
def download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The stored report's file, byte for byte."""
    try:
        stored = get_report(request.actor, report_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(stored.content, content_type=stored.media_type)
    name = f"everyname-report-{stored.id}.{stored.format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Repr-Digest"] = digest_header(stored.sha256)
    return response
