"""``/audit/``: the audit log for admins, filtered by user, action and object, a page at a time.

The query lives in the URL (a GET form), so a filtered view of the log can be bookmarked and
handed to a colleague. The page also says whether the log's hash chain holds (``everyname
audit verify``): a reader of the log should know whether it was rewritten before trusting it.
Events carry no identities (``record_event`` refuses them), so every detail may be shown.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from everyname.core.errors import InvalidInput
from everyname.store.audit import Action, list_events, verify_chain
from everyname.store.permissions import Permission
from everyname.web.access import requires

PAGE_SIZE = 50
LONG_DETAILS = 240  # characters of JSON shown unfolded
FILTERS = ("actor", "action", "object_type", "object_id")


def _page_number(text: str | None) -> int:
    """The page asked for; anything but a whole number from 1 is the first page."""
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


@requires(Permission.VIEW_AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    query = {name: (request.GET.get(name) or "").strip() for name in FILTERS}
    number = _page_number(request.GET.get("page"))
    error, page = None, None
    try:
        page = list_events(
            request.actor,  # type: ignore[attr-defined]
            page=number,
            page_size=PAGE_SIZE,
            action=query["action"] or None,
            actor_name=query["actor"] or None,
            object_type=query["object_type"] or None,
            object_id=query["object_id"] or None,
        )
    except InvalidInput as exc:
        error = exc
    chain = verify_chain(request.actor)  # type: ignore[attr-defined]
    kept = request.GET.copy()
    kept.pop("page", None)
    context: dict[str, Any] = {
        "query": query,
        "actions": [a.value for a in Action],
        "error": error,
        "page": page,
        "events": [_shown(event) for event in page.items] if page else [],
        "chain": chain,
        "page_query": kept.urlencode(),
    }
    return render(request, "web/audit.html", context, status=400 if error else 200)


def _shown(event: Any) -> dict[str, Any]:
    """An event for the table: its details as JSON, written as stored; a long one (the
    migrations of ``database.initialised``) folded so that one entry does not fill the page."""
    details = json.dumps(event.details, ensure_ascii=False, sort_keys=True)
    return {"entry": event, "details": details, "long": len(details) > LONG_DETAILS}
