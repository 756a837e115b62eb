"""``/records/`` and ``/records/<id>/``: search records, read one, correct it, reveal its reporter.

The search lives in the URL (a GET form), so it can be bookmarked and shared; the store decides
what a recorder may see (only their sources' records). A record page never holds a reporter's
identity: only the response to a permitted user's reveal (a POST with a reason, audited by the
store) shows it, once, and nothing keeps it. A correction is a POST with a required reason that
the store writes as a revision; the record's values as imported never change.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS, VOCABULARIES
from everyname.store.permissions import Permission
from everyname.store.records import RecordDetail, RecordFilters, correct_record, get_record
from everyname.store.records import list_records as search_records
from everyname.store.secrets import reveal_identity
from everyname.web.access import forbidden, requires
from everyname.web.views.figures import VALUE_NAMES

PAGE_SIZE = 50

FIELD_LABELS: dict[str, Any] = {
    "source_record_id": _("Record id at the source"),
    "full_name": _("Full name"),
    "given_name": _("Given name"),
    "father_name": _("Father's name"),
    "grandfather_name": _("Grandfather's name"),
    "family_name": _("Family name"),
    "mother_name": _("Mother's name"),
    "nickname": _("Nickname"),
    "sex": _("Sex"),
    "age": _("Age"),
    "age_group": _("Age group"),
    "date_of_birth": _("Date of birth"),
    "national_id": _("National id"),
    "date_of_death": _("Date of death"),
    "place": _("Place"),
    "governorate": _("Governorate"),
    "district": _("District"),
    "locality": _("Locality"),
    "neighbourhood": _("Neighbourhood"),
    "cause": _("Cause"),
    "status": _("Status"),
    "outcome": _("Outcome"),
    "perpetrator": _("Perpetrator"),
    "notes": _("Notes"),
    "reporter_name": _("Reporter's name"),
    "reporter_contact": _("Reporter's contact"),
}
"""Every canonical field in the page's language (the store names them in English codes)."""

EDITABLE_FIELDS = tuple(f for f in CANONICAL_FIELDS if f not in SENSITIVE_FIELDS)
"""What the correction form offers: every field but the reporter's identity, which a form
filled with the current values would put in the page."""

FILTERS = ("name", "since", "until", "place", "status", "sex", "age_group", "source", "batch")
"""The search form's fields, named as ``RecordFilters`` names them."""

SHOWN_CODES = ("status", "sex", "age_group")
"""Category values a list shows in the page's language (and the search offers as choices)."""


def choices(field: str) -> list[tuple[str, Any]]:
    """A vocabulary's values with their names in the page's language, for a select."""
    return [(v.value, VALUE_NAMES.get(v.value, v.value)) for v in VOCABULARIES[field]]


def page_number(query: QueryDict) -> int:
    """``?page=``, where a value that is not a number is the store's to refuse (as page 0)."""
    text = (query.get("page") or "1").strip()
    return int(text) if text.isdigit() else 0


def without_page(query: QueryDict) -> str:
    """The query string of the search, for the pager's links."""
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


@requires(Permission.VIEW_RECORDS)
def list_records(request: HttpRequest) -> HttpResponse:
    query = {name: (request.GET.get(name) or "").strip() for name in FILTERS}
    error, found = None, None
    try:
        found = search_records(
            request.actor,  # type: ignore[attr-defined]
            RecordFilters.of(query),
            page=page_number(request.GET),
            page_size=PAGE_SIZE,
        )
    except (InvalidInput, NotFound) as exc:
        error = exc
    return render(
        request,
        "web/records.html",
        {
            "query": query,
            "searched": any(query.values()),
            "error": error,
            "found": found,
            "rows": [
                {
                    "record": r,
                    **{k: VALUE_NAMES.get(getattr(r, k), getattr(r, k)) for k in SHOWN_CODES},
                }
                for r in (found.items if found is not None else ())
            ],
            "pager_query": without_page(request.GET),
            "choices": {name: choices(name) for name in SHOWN_CODES},
        },
        status=400 if error is not None else 200,
    )


READINGS = {"age": "age_years", "date_of_death": "date_of_death", "date_of_birth": "date_of_birth"}
"""Fields whose reading is stored under another name, or is worth showing beside the text."""


def reading(detail: RecordDetail, name: str) -> Any:
    """What the import made of a field's text (a category in the page's language, an age in
    years, an ISO date), or None where the text is the value (a name, a place, a note)."""
    if name in VOCABULARIES:
        value = detail.normalised.get(name, "unknown")
        return VALUE_NAMES.get(value, value)
    if name in READINGS:
        value = detail.normalised.get(READINGS[name])
        if isinstance(value, float) and value.is_integer():
            return int(value)  # 30, not 30.0 (or 30,0 in Arabic)
        return value
    return None


def fields_of(detail: RecordDetail) -> list[dict[str, Any]]:
    """The record's fields in canonical order, each with its current text, the text as imported
    (when a correction changed it) and its reading, for the page's table and the form."""
    flagged = {flag.get("field") for flag in detail.unreadable}
    rows = []
    for name in EDITABLE_FIELDS:
        now = detail.as_written.get(name)
        imported = detail.as_imported.get(name)
        if now is None and imported is None:
            continue
        rows.append(
            {
                "name": name,
                "label": FIELD_LABELS[name],
                "value": now,
                "imported": imported,
                "corrected": now != imported,
                "unreadable": name in flagged,
                "reading": reading(detail, name),
            }
        )
    return rows


def form_fields(detail: RecordDetail, posted: QueryDict | None = None) -> list[dict[str, Any]]:
    """The correction form's inputs, filled with what was posted or the current values."""
    return [
        {
            "name": name,
            "label": FIELD_LABELS[name],
            "value": posted.get(name, "")
            if posted is not None
            else detail.as_written.get(name, ""),
        }
        for name in EDITABLE_FIELDS
    ]


def revisions_of(detail: RecordDetail) -> list[dict[str, Any]]:
    """Each revision with its changes as (field, before, after) rows; an identity change is
    named by its fields only."""
    out = []
    for revision in reversed(detail.revisions):
        changes = [
            {
                "label": FIELD_LABELS.get(name, name),
                "before": revision.as_written_before.get(name),
                "after": value,
            }
            for name, value in revision.as_written_after.items()
        ]
        out.append(
            {
                "revision": revision,
                "changes": changes,
                "identity": [FIELD_LABELS.get(n, n) for n in revision.sensitive_fields],
            }
        )
    return out


def _page(
    request: HttpRequest,
    detail: RecordDetail,
    *,
    posted: QueryDict | None = None,
    error: object = None,
    revealed: Any = None,
    reveal_error: Exception | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    return render(
        request,
        "web/records_detail.html",
        {
            "record": detail,
            "fields": fields_of(detail),
            "raw": list(detail.raw.items()),
            "revisions": revisions_of(detail),
            "may_correct": actor.can(Permission.CORRECT_RECORD, detail.source),
            "may_reveal": actor.can(Permission.REVEAL_IDENTITY),
            "form_fields": form_fields(detail, posted),
            "reason": posted.get("reason", "") if posted is not None else "",
            "error": error,
            "revealed": revealed,
            "reveal_error": reveal_error,
        },
        status=status,
    )


def _detail(request: HttpRequest, record_id: int) -> RecordDetail:
    try:
        return get_record(request.actor, record_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None


@requires(Permission.VIEW_RECORDS)
@require_http_methods(["GET", "HEAD", "POST"])
def record(request: HttpRequest, record_id: int) -> HttpResponse:
    """A record; a POST is a correction (the form's own fields, a reason, and the number of
    revisions the form was filled from, so a correction made meanwhile is not undone)."""
    detail = _detail(request, record_id)
    if request.method != "POST":
        return _page(request, detail)
    if not request.actor.can(Permission.CORRECT_RECORD, detail.source):  # type: ignore[attr-defined]
        return forbidden(request)
    seen = (request.POST.get("revisions") or "").strip()
    if seen != str(len(detail.revisions)):
        error = _(
            "The record was corrected by someone else since the form was opened: look at its "
            "current values and correct it again."
        )
        return _page(request, detail, posted=request.POST, error=error, status=409)
    current = detail.as_written
    changes = {
        name: request.POST.get(name, "").strip() or None
        for name in EDITABLE_FIELDS
        if (request.POST.get(name, "").strip() or None) != (current.get(name) or None)
    }
    try:
        correct_record(
            request.actor,  # type: ignore[attr-defined]
            detail.id,
            changes,
            request.POST.get("reason", ""),
        )
    except InvalidInput as exc:
        return _page(request, detail, posted=request.POST, error=exc, status=400)
    return redirect(reverse("record", args=[detail.id]) + "#revisions")


@requires(Permission.REVEAL_IDENTITY)
@require_http_methods(["POST"])
def reveal(request: HttpRequest, record_id: int) -> HttpResponse:
    """The record page with its reporter's identity, for this response only (audited by the
    store with the reason given). Never cached."""
    detail = _detail(request, record_id)
    try:
        revealed = reveal_identity(
            request.actor,  # type: ignore[attr-defined]
            detail.id,
            request.POST.get("reason", ""),
        )
    except InvalidInput as exc:
        return _page(request, detail, reveal_error=exc, status=400)
    response = _page(request, detail, revealed=revealed)
    response["Cache-Control"] = "no-store"
    return response
