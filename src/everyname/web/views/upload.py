"""``/imports/new/``: uploading a list, its preview and mapping, and the import as a job.

The flow a recorder follows: choose the source and the file (``new``); look at the preview
(``preview``: the columns and the field each feeds and the first rows as they will be stored,
answered at once from the start of the file; then the counts, every unreadable value and
rejected row and the import button, once the whole file has been read) and change the mapping
there (a choice per column, the date order, or the TOML itself; a saved mapping to start from;
the mapping saved or downloaded as TOML); commit (``commit``), which queues the import as a
background job; watch it (``progress``, which reloads itself by ``<meta http-equiv="refresh">``,
no script, and survives a reload) and follow the link to the batch's page when it is done.

Reading the whole file takes minutes for a large list (``store.previews.run_scan``): the page
shows its progress in a small block (``scan``) that htmx asks for again every few seconds, as a
job's page does, until the result is there (without scripts the page reloads itself); every
problem is downloadable as CSV (``problems_csv``). The page, the block, the CSV and the import
button all carry the mapping's scan key, so a result is never shown for another mapping than
the one it was read with.

Each view parses the request and calls the store (``store.previews``), which checks the
permission (importing, a recorder only into their sources) and does the work.

The size limit (``UPLOAD_LIMIT_BYTES`` in settings, from ``EVERYNAME_UPLOAD_LIMIT_MB``) is
enforced while the body is read (:class:`LimitedUpload`), so a file over it is never kept
whole on disk; the page says so in words.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from everyname.core.dates import DATE_ORDERS
from everyname.core.errors import EverynameError, InputRejected, NotFound, Problem
from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS
from everyname.store import previews
from everyname.store.jobs import job_status
from everyname.store.permissions import Permission
from everyname.web.access import requires

LISTED = previews.SCAN_LISTED
"""How many unreadable values and rejected rows the preview lists in the page."""
REFRESH_SECONDS = 2
"""How often an import's progress page reloads itself while the job waits or runs."""
STATE_NAMES = {
    "queued": gettext_lazy("queued, waiting for a worker"),
    "running": gettext_lazy("running"),
    "done": gettext_lazy("done"),
    "failed": gettext_lazy("failed"),
}


def upload_limit() -> int:
    return int(getattr(settings, "UPLOAD_LIMIT_BYTES", previews.DEFAULT_LIMIT))


def scan_inline_bytes() -> int:
    """Uploads up to this size are read whole in the request (``UPLOAD_SCAN_INLINE_BYTES``;
    ``store.previews.INLINE_SCAN_BYTES`` says why 1 MiB), larger ones by the worker."""
    return int(getattr(settings, "UPLOAD_SCAN_INLINE_BYTES", previews.INLINE_SCAN_BYTES))


class LimitedUpload(FileUploadHandler):
    """Stops reading an upload once it passes the limit: the rest of the body is read and
    dropped (so the browser gets the page that says why), nothing of it kept."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _problem_lines(error: EverynameError) -> list[str]:
    if isinstance(error, InputRejected):
        return [error.summary, *(str(p) for p in error.problems)]
    return [str(error)]


@requires(Permission.IMPORT)
@csrf_exempt  # checked below, once the upload handler that enforces the limit is in place
def new(request: HttpRequest) -> HttpResponse:
    handler = None
    if request.method == "POST":
        handler = LimitedUpload(request, upload_limit())
        request.upload_handlers.insert(0, handler)
    return _new(request, handler)


@csrf_protect
def _new(request: HttpRequest, handler: LimitedUpload | None) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    sources = previews.importable_sources(actor)
    limit = upload_limit()
    context: dict[str, Any] = {
        "sources": sources,
        "may_create": actor.can(Permission.MANAGE_SOURCES),
        "limit": previews.limit_text(limit),
        "chosen": request.GET.get("source", ""),
        "errors": [],
    }
    if request.method != "POST":
        return render(request, "web/upload.html", context)
    source = (request.POST.get("new_source") or request.POST.get("source") or "").strip()
    context["chosen"] = source
    file = request.FILES.get("file")
    if handler is not None and handler.exceeded:
        context["errors"] = [str(previews.too_large(limit))]
        return render(request, "web/upload.html", context, status=413)
    if file is None:
        context["errors"] = [_("Choose a file to upload (CSV, XLSX or JSON).")]
        return render(request, "web/upload.html", context, status=400)
    mapping_file = request.FILES.get("mapping")
    mapping_text, mapping_name = "", ""
    try:
        if mapping_file is not None:
            mapping_name = previews.upload_name(mapping_file)
            mapping_text = mapping_file.read().decode("utf-8-sig")
        staged = previews.stage_upload(
            actor,
            file,
            source,
            limit=limit,
            mapping_text=mapping_text,
            mapping_name=mapping_name,
        )
    except UnicodeDecodeError:
        context["errors"] = [_("The mapping must be a UTF-8 TOML file.")]
        return render(request, "web/upload.html", context, status=400)
    except EverynameError as error:
        if error.kind == "permission_denied":
            raise
        context["errors"] = _problem_lines(error)
        return render(request, "web/upload.html", context, status=400)
    return redirect("upload-preview", token=staged.token)


def _field_options(plan: previews.ColumnPlan) -> list[tuple[str, str]]:
    """The choices a column's menu offers: a column that looks like a witness's identity may
    feed only the encrypted fields (the mapping refuses anything else)."""
    options = [
        (previews.AUTOMATIC, _("recognised by its header")),
        (previews.IGNORE, _("not used")),
    ]
    if plan.how == "mapped" and len(plan.fields) > 1:
        options.append((previews.KEEP, _("as the TOML says: %s") % ", ".join(plan.fields)))
    names = SENSITIVE_FIELDS if plan.looks_like_identity else CANONICAL_FIELDS
    return options + [(name, name) for name in names]


def _preview_context(
    request: HttpRequest, token: str, errors: list[str] | None = None
) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    staged = previews.staged_upload(actor, token)
    preview = previews.preview_staged(actor, token, inline_bytes=scan_inline_bytes())
    choices = previews.mapping_choices(preview)
    columns = [
        {"plan": c, "choice": choices[c.column], "options": _field_options(c), "index": i}
        for i, c in enumerate(preview.columns)
    ]
    return {
        "token": token,
        "staged": staged,
        "preview": preview,
        "columns": columns,
        "date_orders": DATE_ORDERS,
        "saved": previews.saved_mappings(actor, staged.source),
        "errors": errors or [],
        **_scan_context(preview.scan),
    }


def _scan_context(scan: previews.ScanState) -> dict[str, Any]:
    """What the scan's block shows (the page includes it; ``scan`` serves it alone)."""
    result = scan.result
    return {
        "scan": scan,
        "result": result,
        "unreadable": result.unreadable if result else (),
        "rejected": result.rejected if result else (),
        "listed": LISTED,
        "refresh": REFRESH_SECONDS,
        "state_name": STATE_NAMES.get(scan.state, scan.state),
    }


def _choices(request: HttpRequest) -> dict[str, str]:
    found = {}
    index = 0
    while f"name-{index}" in request.POST:
        found[request.POST[f"name-{index}"]] = request.POST.get(f"col-{index}", previews.KEEP)
        index += 1
    return found


@requires(Permission.IMPORT)
def preview(request: HttpRequest, token: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        staged = previews.staged_upload(actor, token)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "apply":
                text = previews.adjust_mapping(
                    staged.mapping_text,
                    _choices(request),
                    date_order=request.POST.get("date_order") or None,
                    name=staged.mapping_name or "mapping.toml",
                )
                previews.set_staged_mapping(actor, token, text)
            elif action == "toml":
                text = request.POST.get("toml", "").replace("\r\n", "\n")
                previews.set_staged_mapping(actor, token, text)
            elif action == "load":
                key = request.POST.get("saved", "")
                chosen = [m for m in previews.saved_mappings(actor, staged.source) if m.key == key]
                if not chosen:
                    raise NotFound(_("That mapping is no longer there."), field="saved")
                name = chosen[0].label.split(" (", 1)[0]
                name = name if name.endswith(".toml") else f"{name}.toml"
                previews.set_staged_mapping(actor, token, chosen[0].text, name)
            elif action == "save":
                saved = previews.save_mapping(
                    actor, staged.source, request.POST.get("name", ""), staged.mapping_text
                )
                previews.set_staged_mapping(
                    actor, token, staged.mapping_text, f"{saved.label}.toml"
                )
                messages.success(
                    request, _("The mapping was saved as “%(name)s”.") % {"name": saved.label}
                )
            elif action == "discard":
                previews.discard_staged(actor, token)
                messages.info(request, _("The upload was dropped; nothing was imported."))
                return redirect("upload")
        except EverynameError as error:
            if error.kind == "permission_denied":
                raise
            context = _preview_context(request, token, _problem_lines(error))
            return render(request, "web/upload_preview.html", context, status=400)
        return redirect("upload-preview", token=token)
    return render(request, "web/upload_preview.html", _preview_context(request, token))


@requires(Permission.IMPORT)
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The block of the preview that says how far the reading of the whole file has come, and
    what it found; asked for again by htmx while it runs. ``key`` is the scan key of the page
    that asks: a page showing another mapping is told to reload, never given this result."""
    try:
        state = previews.scan_status(
            request.actor,  # type: ignore[attr-defined]
            token,
            request.GET.get("key", ""),
            inline_bytes=scan_inline_bytes(),
        )
    except NotFound as exc:
        raise Http404(str(exc)) from None
    # The page's line about the whole file (at its top) is updated with the block (out of band).
    context = {"token": token, "oob": True, **_scan_context(state)}
    return render(request, "web/upload_scan.html", context)


@requires(Permission.IMPORT)
def problems_csv(request: HttpRequest, token: str) -> HttpResponse:
    """Every unreadable value and rejected row of the upload with the mapping ``key``, as CSV
    (never a witness's identity: see ``store.previews.scan_problems_csv``)."""
    try:
        path, name = previews.scan_problems_csv(
            request.actor,  # type: ignore[attr-defined]
            token,
            request.GET.get("key", ""),
        )
    except NotFound as exc:
        raise Http404(str(exc)) from None
    from everyname.web.views.imports import attachment

    response = FileResponse(path.open("rb"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(name)
    response["Cache-Control"] = "no-store"
    return response


@requires(Permission.IMPORT)
def mapping_toml(request: HttpRequest, token: str) -> HttpResponse:
    """The mapping as it stands, a TOML file for ``everyname import --mapping``."""
    try:
        staged = previews.staged_upload(request.actor, token)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(staged.mapping_text, content_type="application/toml; charset=utf-8")
    name = staged.mapping_name or f"{staged.source}-mapping.toml"
    from everyname.web.views.imports import attachment

    response["Content-Disposition"] = attachment(name)
    return response


@requires(Permission.IMPORT)
@require_POST
def commit(request: HttpRequest, token: str) -> HttpResponse:
    """Queue the import; the job's page follows it."""
    actor = request.actor  # type: ignore[attr-defined]
    try:
        status = previews.commit_staged(
            actor,
            token,
            skip_invalid=request.POST.get("skip_invalid") == "on",
            key=request.POST.get("key") or None,
        )
    except NotFound as exc:
        raise Http404(str(exc)) from None
    except EverynameError as error:
        if error.kind == "permission_denied":
            raise
        context = _preview_context(request, token, _problem_lines(error))
        return render(request, "web/upload_preview.html", context, status=400)
    return redirect("upload-job", job_id=status.id)


@requires(Permission.IMPORT)
def progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """An import job's progress, reloading itself until it is done; then the batch's link."""
    try:
        status = job_status(request.actor, job_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    if status.kind != "import":
        raise Http404("not an import job")
    result = status.result if isinstance(status.result, dict) else {}
    batch_id = result.get("batch_id") if status.state == "done" else None
    percent = None
    if status.total:
        percent = max(0, min(100, round(100 * status.done / status.total)))
    context = {
        "job": status,
        "state_name": STATE_NAMES.get(status.state, status.state),
        "percent": percent,
        "active": status.state in ("queued", "running"),
        "refresh": REFRESH_SECONDS,
        "result": result,
        "batch_url": reverse("batch", args=[batch_id]) if batch_id else None,
        "unreadable_count": len(result.get("unreadable") or ()),
        "problems": [Problem(**p) for p in (result.get("problems") or ())][:LISTED],
    }
    return render(request, "web/upload_job.html", context)
