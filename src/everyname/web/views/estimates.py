"""``/estimates/``: stored estimates with their settings, seed, lists and warnings, and a form
that queues a new one as a background job (``everyname worker`` fits it).

An estimate is fitted by the worker, not in the request: a log-linear bootstrap or an LCMCR
chain takes from seconds to hours. The form posts to the same page; the job is queued through
:func:`everyname.store.jobs.enqueue` (which checks the permission and the settings at once, so a
mistake is a form error, not a failed job) and the browser is sent to the job's page.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from everyname.core.errors import EverynameError, NotFound, PermissionDenied
from everyname.store.estimating import get_estimate, list_estimates
from everyname.store.jobs import enqueue
from everyname.store.permissions import Permission
from everyname.web.access import requires
from everyname.web.estimate_text import description, failure, stratum_name, warning_detail

METHOD_CHOICES = (
    ("", _("Automatic (Chapman for two lists, log-linear for more)")),
    ("chapman", _("Chapman (two lists)")),
    ("loglinear", _("Log-linear")),
    ("lcmcr", _("LCMCR (Bayesian latent classes)")),
)
BY_CHOICES = (
    ("", _("Overall")),
    ("places", _("By place")),
    ("sex", _("By sex")),
    ("age_group", _("By age group")),
    ("status", _("By status")),
    ("cause", _("By cause")),
    ("governorate", _("By governorate")),
)
INTERVAL_CHOICES = (
    ("", _("Default (bootstrap)")),
    ("bootstrap", _("Bootstrap (BCa)")),
    ("profile", _("Profile likelihood")),
    ("wald-log", _("Wald (log scale)")),
)
CRITERION_CHOICES = (("", _("Default")), ("aic", "AIC"), ("bic", "BIC"))
FILTER_FIELDS = ("since", "until", "place")
OPTION_FIELDS = ("method", "lists", "criterion", "interval", "bootstrap_replicates")


def filters_of(form: QueryDict) -> dict[str, str]:
    """The count filters a form gives (``since``, ``until``, ``place``), the empty ones left out:
    the same filters as ``/figures/`` and ``everyname count``."""
    return {k: v for k in FILTER_FIELDS if (v := (form.get(k) or "").strip())}


def whole_number(form: QueryDict, name: str) -> int | None:
    """A whole number from the form, or None when left empty."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise FormError(_("expected a whole number"), name) from None


class FormError(Exception):
    """A field of the form that cannot be read (before any store function is asked)."""

    def __init__(self, message: Any, field: str) -> None:
        super().__init__(str(message))
        self.field = field


def estimate_params(form: QueryDict) -> dict[str, Any]:
    """The estimate job's parameters from the form (the job runs what ``everyname estimate``
    runs, with the same option names)."""
    options: dict[str, Any] = {}
    for name in ("method", "criterion", "interval"):
        if value := (form.get(name) or "").strip():
            options[name] = value
    lists = [x.strip() for x in (form.get("lists") or "").split(",") if x.strip()]
    if lists:
        options["lists"] = lists
    if (replicates := whole_number(form, "bootstrap_replicates")) is not None:
        options["bootstrap_replicates"] = replicates
    params: dict[str, Any] = {"options": options, "filters": filters_of(form)}
    if by := (form.get("by") or "").strip():
        params["by"] = by
    if (seed := whole_number(form, "seed")) is not None:
        params["seed"] = seed
    return params


def form_values(form: QueryDict | None) -> dict[str, str]:
    """What the form shows again after a refusal (empty the first time)."""
    names = (*FILTER_FIELDS, *OPTION_FIELDS, "by", "seed")
    return {name: (form.get(name) or "") if form is not None else "" for name in names}


def error_of(exc: Exception) -> dict[str, str]:
    """An error a form shows: its message and the field it names."""
    return {"message": str(exc), "field": getattr(exc, "field", None) or ""}


WARNING_TITLES = {
    "fewer_than_three_lists": _("Fewer than three lists: their independence cannot be tested"),
    "few_observations": _("Few documented persons: the estimate rests on little data"),
    "list_covers_almost_all": _("One list names almost everyone: the others add little"),
    "list_covers_almost_none": _("One list names almost no one: it carries little information"),
    "no_overlap": _("Lists that do not overlap: nothing links them"),
    "estimate_far_above_observed": _("The estimate is far above the documented count"),
    "models_disagree": _("The models disagree: the uncertainty is larger than any interval"),
    "estimate_does_not_exist": _("No finite estimate exists for these data"),
    "not_identifiable": _("The model cannot be estimated from these data"),
    "interval_open": _("The interval has no upper end"),
    "not_converged": _("The fit did not converge"),
    "selection_uncertain": _("The choice of model is uncertain"),
    "bootstrap_not_possible": _("The interval could not be computed by resampling"),
    "linkage_doubt": _("Pairs awaiting review change the estimate: review them before publishing"),
}
"""A headline per warning code (``core.estimate.cautions.WarningCode`` and the linkage doubt),
translated; the sentence with its figures follows it (``web.estimate_text``)."""


def warnings_of(stratum: dict[str, Any]) -> list[dict[str, Any]]:
    """A stratum's warnings and cautions: the translated headline of each code (none for a
    code this page does not know) and its sentence in the page's language, made from the
    figures the store keeps with it (``{code, message, params}``), else the core's English
    ``message`` (``english`` says which, for the page to mark its language)."""
    out = []
    for w in stratum.get("warnings") or []:
        known = isinstance(w, dict)
        title = WARNING_TITLES.get(str(w.get("code"))) if known else None
        message = w.get("message", str(w)) if known else str(w)
        detail = warning_detail(w) if known else message
        out.append(
            {"title": str(title) if title else "", "message": detail, "english": detail == message}
        )
    return out


def described(details: dict[str, Any]) -> dict[str, Any]:
    """The fit's model, interval and reference in the page's language, each with whether it is
    the core's English (for the page to mark its language and direction)."""
    out: dict[str, Any] = {}
    for key in ("model", "interval", "reference"):
        text = description(details, key)
        out[key] = text
        out[f"{key}_english"] = text == details.get(key)
    return out


def shown_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that were set (the store keeps every filter, the unset ones as null)."""
    return {k: v for k, v in (filters or {}).items() if v not in (None, [], (), "")}


def summary(stored: Any) -> dict[str, Any]:
    """One stored estimate as a row of the list."""
    strata = [dict(s) for s in stored.strata]
    first = strata[0] if strata else {}
    return {
        "id": stored.stored_id,
        "created_at": stored.created_at,
        "created_by": stored.created_by,
        "link_run": stored.link_run,
        "by": stored.by,
        "method": stored.options.method or first.get("method") or "",
        "seed": stored.seed,
        "filters": shown_filters(dict(stored.filters)),
        "lists": first.get("lists") or [],
        "overall": first if stored.by is None else None,
        "strata": len(strata),
        "failed": sum(1 for s in strata if s.get("estimate") is None),
        "warnings": sum(len(s.get("warnings") or []) for s in strata),
    }


@requires(Permission.VIEW_FIGURES)
def estimates(request: HttpRequest) -> HttpResponse:
    """The list (GET) or a new estimate queued (POST, for those who may run one)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            job = enqueue(actor, "estimate", estimate_params(request.POST))
        except PermissionDenied:
            raise
        except (FormError, EverynameError) as exc:
            return render(
                request,
                "web/estimates.html",
                {**_form_context(request.POST), "error": error_of(exc), "listed": False},
                status=400,
            )
        return redirect("job", job_id=job.id)
    rows = [summary(e) for e in list_estimates(actor)]
    return render(
        request, "web/estimates.html", {**_form_context(None), "rows": rows, "listed": True}
    )


def _form_context(form: QueryDict | None) -> dict[str, Any]:
    return {
        "values": form_values(form),
        "method_choices": METHOD_CHOICES,
        "by_choices": BY_CHOICES,
        "interval_choices": INTERVAL_CHOICES,
        "criterion_choices": CRITERION_CHOICES,
    }


@requires(Permission.VIEW_FIGURES)
def estimate(request: HttpRequest, estimate_id: int) -> HttpResponse:
    """One stored estimate: every stratum with its interval and warnings, and everything stored
    to reproduce it (settings, seed, input fingerprint, library versions)."""
    try:
        stored = get_estimate(request.actor, estimate_id)  # type: ignore[attr-defined]
    except NotFound as exc:
        raise Http404(str(exc)) from None
    strata = [
        {
            **dict(s),
            "shown_value": stratum_name(s.get("value"), stored.by),
            "shown_warnings": warnings_of(dict(s)),
            "said": described(dict(s.get("details") or {})),
            "shown_error": failure(dict(s)),
            "shown_merged_error": failure(dict(s.get("pending_merged") or {})),
        }
        for s in stored.strata
    ]
    settings = {
        k: ", ".join(v) if isinstance(v, list) else v
        for k, v in stored.options.to_dict().items()
        if v not in (None, False, {}, [])
    }
    return render(
        request,
        "web/estimates_detail.html",
        {
            "stored": stored,
            "row": summary(stored),
            "strata": strata,
            "settings": settings,
            "filters": shown_filters(dict(stored.filters)),
        },
    )
