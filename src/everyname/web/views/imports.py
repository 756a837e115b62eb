"""``/imports/`` and ``/imports/<id>/``: the lists imported, and one import's result.

A batch's page says what was read and kept, every value that could not be read (row, column,
what was expected) and the rows skipped, with those rows as a CSV to fix and import again and,
for the roles that may, the original file exactly as imported (audited by the store). The upload
with its preview and mapping is to come on ``/imports/`` (the page keeps a place for it).
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from everyname.core.errors import Conflict, InvalidInput, NotFound
from everyname.store.browsing import list_batches, original_download
from everyname.store.imports import rejected_rows_csv
from everyname.store.permissions import Permission
from everyname.store.sources import batch as read_batch
from everyname.web.access import requires
from everyname.web.views.records import page_number, without_page

PAGE_SIZE = 50


def attachment(name: str) -> str:
    """A Content-Disposition naming a file in any script (RFC 6266: an ASCII fallback and the
    UTF-8 name), with nothing in the name able to end the header's quotes."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@requires(Permission.VIEW_RECORDS)
def imports(request: HttpRequest) -> HttpResponse:
    source = (request.GET.get("source") or "").strip()
    error, found = None, None
    try:
        found = list_batches(
            request.actor,  # type: ignore[attr-defined]
            source=source or None,
            page=page_number(request.GET),
            page_size=PAGE_SIZE,
        )
    except InvalidInput as exc:
        error = exc
    return render(
        request,
        "web/imports.html",
        {
            "source": source,
            "found": found,
            "error": error,
            "pager_query": without_page(request.GET),
        },
        status=400 if error is not None else 200,
    )


def rejected_rows(csv_bytes: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """The rejected rows' CSV (the store's download) for the page: the file's own column names,
    and each row as its number, its cells and why it was skipped (the CSV's first and last
    columns)."""
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    if not rows:
        return [], []
    return rows[0][1:-1], [{"row": r[0], "cells": r[1:-1], "reason": r[-1]} for r in rows[1:]]


@requires(Permission.VIEW_RECORDS)
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        shown = read_batch(actor, batch_id)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    may_fix = actor.can(Permission.IMPORT, shown.source)
    header, rows = [], []
    if may_fix and shown.rejected_rows_kept:
        header, rows = rejected_rows(rejected_rows_csv(actor, shown.id))
    return render(
        request,
        "web/imports_batch.html",
        {
            "batch": shown,
            "may_fix": may_fix,
            "may_download_original": actor.can(Permission.DOWNLOAD_ORIGINAL),
            "rejected_header": header,
            "rejected_rows": rows,
        },
    )


@requires(Permission.IMPORT)
def rejected_csv(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The rows the batch skipped, as a CSV to fix and import again."""
    try:
        body = rejected_rows_csv(request.actor, batch_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(f"batch-{batch_id}-rejected-rows.csv")
    return response


@requires(Permission.DOWNLOAD_ORIGINAL)
@require_POST
def original(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The original file, byte for byte (the store checks it and audits the download). A POST
    (the page's button): a download that is audited is an act, never a link a browser may
    fetch ahead."""
    try:
        found = original_download(request.actor, batch_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    except Conflict as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(found.chunks, content_type="application/octet-stream")
    response["Content-Length"] = str(found.size_bytes)
    response["Content-Disposition"] = attachment(found.file_name)
    response["Cache-Control"] = "no-store"
    return response
