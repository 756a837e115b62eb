"""``/review/``: the review queue, one pair at a time in the store's order.

A GET shows the next pair (``store.review.review_queue``): both records side by side, the
names split into parts and aligned, every field marked as agreeing or differing, the match
score, how many pairs wait and the count's range. A POST (with its CSRF token) records the
verdict (``store.linking.decide``, audited), withdraws the reviewer's own latest one
(``store.linking.withdraw_last_decision``: an undo, itself a decision record) or passes the
pair over for this session, then sends the reviewer back to the queue for the next pair
(post/redirect/get, so a reload never decides twice).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from everyname.core.errors import InvalidInput, NotFound
from everyname.store.jobs import enqueue
from everyname.store.linking import decide, withdraw_last_decision
from everyname.store.permissions import Permission
from everyname.store.review import CLOSE, DIFFERENT, SAME, review_queue
from everyname.web.access import requires
from everyname.web.views.persons import FIELD_LABELS, shown_field

SKIPPED = "everyname_review_skipped"
"""Session key: the pair ids this reviewer passed over ("not sure") in this session."""

NAME_FIELDS = {"full_name", "given_name", "father_name", "grandfather_name", "family_name"}
"""Shown in the aligned name table, not again among the other fields."""

PART_LABELS = {
    "given": _("Given name"),
    "father": _("Father's name"),
    "grandfather": _("Grandfather's name"),
    "others": _("Other parts"),
    "family": _("Family name"),
}

LEVELS = {
    SAME: ("agrees", _("same name")),
    CLOSE: ("close", _("another spelling")),
    DIFFERENT: ("differs", _("differs")),
    None: ("missing", _("only one record gives it")),
}
"""How a name part compares: (CSS class, what the page says)."""

VERDICTS = {"same": _("same person"), "different": _("different persons")}


@requires(Permission.REVIEW)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _act(request)
    skipped = [int(pk) for pk in request.session.get(SKIPPED, [])]
    queue = review_queue(request.actor, skip=skipped)  # type: ignore[attr-defined]
    pair = queue.pair
    return render(
        request,
        "web/review.html",
        {
            "queue": queue,
            "pair": pair,
            "names": [
                {
                    "label": PART_LABELS.get(n.part, n.part),
                    "n": n,
                    "class": LEVELS[n.level][0],
                    "says": LEVELS[n.level][1],
                }
                for n in queue.names
            ],
            "full_names": queue.written,
            "fields": [_field(f) for f in queue.fields if f.field not in NAME_FIELDS]
            if pair
            else [],
            "in_doubt": queue.count_range is not None
            and queue.count_range.low < queue.count_range.high,
            "verdicts": VERDICTS,
        },
    )


def _field(comparison: Any) -> dict[str, Any]:
    agrees = comparison.agrees
    return {
        "field": comparison.field,
        "label": FIELD_LABELS.get(comparison.field, comparison.label),
        "left": _side(comparison.field, comparison.left, comparison.left_unread),
        "right": _side(comparison.field, comparison.right, comparison.right_unread),
        "left_unread": comparison.left_unread,
        "right_unread": comparison.right_unread,
        "class": "missing" if agrees is None else ("agrees" if agrees else "differs"),
        "says": LEVELS[None][1]
        if agrees is None
        else (_("agrees") if agrees else LEVELS[DIFFERENT][1]),
    }


def _side(field: str, value: str, unread: bool) -> str:
    """A value that could not be read is its text as written (flagged on the page as such);
    another is shown as the record page shows it."""
    return value if unread else shown_field(field, value)


def _act(request: HttpRequest) -> HttpResponse:
    """Record a verdict, pass a pair over, or bring the skipped pairs back."""
    action = request.POST.get("action", "")
    back = HttpResponseRedirect(reverse("review"))
    if action == "restore":
        request.session[SKIPPED] = []
        return back
    if action == "undo":
        return _undo(request, back)
    pair_id = request.POST.get("pair", "")
    if action == "skip":
        if pair_id.isdigit():
            request.session[SKIPPED] = [*request.session.get(SKIPPED, []), int(pair_id)]
            messages.info(request, gettext("Passed over for now: it stays in the queue."))
        return back
    try:
        left, right, run = (_number(request.POST.get(k), k) for k in ("left", "right", "run"))
        decision = decide(
            request.actor,  # type: ignore[attr-defined]
            left,
            right,
            action,
            run,
            note=(request.POST.get("note") or "").strip(),
        )
    except (InvalidInput, NotFound) as exc:
        messages.error(request, gettext("Not recorded: %(why)s") % {"why": exc})
        return back
    messages.success(
        request,
        gettext("Recorded: records %(left)s and %(right)s are %(verdict)s.")
        % {
            "left": decision.left_record_id,
            "right": decision.right_record_id,
            "verdict": VERDICTS[decision.verdict],
        },
    )
    return back


def _undo(request: HttpRequest, back: HttpResponse) -> HttpResponse:
    """Withdraw the reviewer's own latest decision (a new, audited decision record; nothing is
    deleted): the pair comes back to the queue unless an earlier decision still settles it."""
    try:
        withdrawn = withdraw_last_decision(request.actor)  # type: ignore[attr-defined]
    except InvalidInput as exc:
        messages.error(request, gettext("Not undone: %(why)s") % {"why": exc})
        return back
    messages.success(
        request,
        gettext("Undone: your decision on records %(left)s and %(right)s is withdrawn.")
        % {"left": withdrawn.left_record_id, "right": withdrawn.right_record_id},
    )
    return back


@requires(Permission.LINK)
@require_http_methods(["POST"])
def link(request: HttpRequest) -> HttpResponse:
    """Start a link run that applies the decisions so far, as a background job (the store
    checks the permission again when it queues it); the job's page follows its progress."""
    job = enqueue(request.actor, "link", {})  # type: ignore[attr-defined]
    return redirect("job", job_id=job.id)


def _number(text: str | None, field: str) -> int:
    if not text or not text.strip().isdigit():
        raise InvalidInput(f"{field} is a number, got {text!r}", field=field)
    return int(text)
