"""The estimate page's sentences in the page's language.

The core writes every warning and every description of a fit (model, interval, reference) in
English, for the CLI, reports and the API, and stores beside it the code and figures it was made
from (a warning's ``params``, a stratum's ``details["said"]``). A page in another language says
the same thing from those: one translatable template per code, the figures formatted as the page
formats numbers, list codes kept as codes. A page in English shows the core's own sentence, so
that the page, the CLI and a report read word for word alike; so does any page for an estimate
stored before the figures were kept (nothing to translate from: the English stays).

Every function returns HTML (the figures escaped) or None when there is nothing to say it from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    get_language,
    gettext_lazy,
    ngettext,
    pgettext,
    pgettext_lazy,
)
from django.utils.translation import gettext as _

from everyname.web.views.figures import VALUE_NAMES
from everyname.web.views.records import FIELD_LABELS

Params = Mapping[str, Any]


def in_english() -> bool:
    """Whether the page is in the language the core writes in."""
    return (get_language() or "en").split("-")[0] == "en"


def say(template: str, **values: Any) -> SafeString:
    """``template`` (a translation, with ``%(name)s`` placeholders) filled with ``values``,
    each escaped unless already HTML."""
    escaped = {k: conditional_escape(v) for k, v in values.items()}
    return mark_safe(conditional_escape(template) % escaped)


def number(value: Any, digits: int = 0) -> str:
    """A figure as the page's template writes one (``floatformat``); an unbounded end is
    said so."""
    if value is None or not math.isfinite(float(value)):
        return _("unbounded")
    return str(floatformat(value, digits))


def code(value: Any) -> SafeString:
    return format_html('<code dir="ltr">{}</code>', value)


def joined(items: Sequence[Any], between: str | None = None) -> SafeString:
    """Items one after the other, with the language's comma unless ``between`` is given."""
    sep = pgettext("between items of a list", ", ") if between is None else between
    return mark_safe(conditional_escape(sep).join(conditional_escape(i) for i in items))


# --- warnings ------------------------------------------------------------------------------


def _fewer_than_three_lists(p: Params) -> SafeString:
    n = int(p["lists"])
    return say(
        ngettext(
            "only %(n)s list: whether the lists are independent cannot be tested, and the "
            "estimate assumes they are (lists that share informants or copy each other make it "
            "too low).",
            "only %(n)s lists: whether the lists are independent cannot be tested, and the "
            "estimate assumes they are (lists that share informants or copy each other make it "
            "too low).",
            n,
        ),
        n=number(n),
    )


def _few_observations(p: Params) -> SafeString:
    n = int(p["observed"])
    return say(
        ngettext(
            "only %(n)s documented person (fewer than %(threshold)s): the estimate and its "
            "interval rest on very little data.",
            "only %(n)s documented persons (fewer than %(threshold)s): the estimate and its "
            "interval rest on very little data.",
            n,
        ),
        n=number(n),
        threshold=number(p["threshold"]),
    )


def _list_covers_almost_all(p: Params) -> SafeString:
    return say(
        _(
            "list %(list)s names %(share)s%% of documented persons: the other lists add little, "
            "and the estimate depends mostly on how that one list was made."
        ),
        list=code(p["list"]),
        share=number(100 * float(p["share"])),
    )


def _list_covers_almost_none(p: Params) -> SafeString:
    if "left_out" in p:
        left_out = list(p["left_out"])
        return say(
            ngettext(
                "list %(lists)s names nobody in this stratum and was left out",
                "lists %(lists)s name nobody in this stratum and were left out",
                len(left_out),
            ),
            lists=joined([code(x) for x in left_out]),
        )
    n = int(p["persons"])
    return say(
        ngettext(
            "list %(list)s names only %(n)s person (%(share)s%%): it carries almost no "
            "information; consider merging it with a similar list.",
            "list %(list)s names only %(n)s persons (%(share)s%%): it carries almost no "
            "information; consider merging it with a similar list.",
            n,
        ),
        list=code(p["list"]),
        n=number(n),
        share=number(100 * float(p["share"]), 1),
    )


def _no_overlap(p: Params) -> SafeString:
    a, b = p["lists"]
    return say(
        _(
            "lists %(a)s and %(b)s have nobody in common: two-list estimation has nothing to go "
            "on, and Chapman's figure is little more than n1 × n2."
        ),
        a=code(a),
        b=code(b),
    )


def _far_above(p: Params) -> SafeString:
    return say(
        _(
            "the estimate (%(estimate)s) is more than %(ratio)s times the documented count "
            "(%(observed)s): such extrapolation is usually a sign of sparse overlaps or a model "
            "that does not fit, not of hidden deaths."
        ),
        estimate=number(p["estimate"]),
        ratio=number(p["ratio"]),
        observed=number(p["observed"]),
    )


def _models_disagree(p: Params) -> SafeString:
    shown = []
    for e in p["estimates"]:
        if "criterion" in e:
            what = say(
                _("%(criterion)s (%(model)s)"),
                criterion=str(e["criterion"]),
                model=model_name(e["terms"]),
            )
        else:
            what = code(e["label"])
        shown.append(format_html("{} {}", what, number(e["estimate"])))
    return say(
        _(
            "models disagree strongly (%(estimates)s): the data cannot tell these assumptions "
            "apart, so the uncertainty is larger than any single interval shows."
        ),
        estimates=joined(shown),
    )


def _does_not_exist(p: Params) -> SafeString:
    n = int(p["models"])
    return say(
        ngettext(
            "%(n)s model was left out because its estimate does not exist or is not "
            "identifiable on these sparse overlaps (Chan, Silverman & Vincent 2021).",
            "%(n)s models were left out because their estimate does not exist or is not "
            "identifiable on these sparse overlaps (Chan, Silverman & Vincent 2021).",
            n,
        ),
        n=number(n),
    )


def _interval_open(p: Params) -> SafeString | None:
    if p.get("reason") == "data":
        return say(_("the data set no upper limit on the estimate: the interval is open above."))
    if p.get("reason") == "cap":
        return say(
            _(
                "the posterior reaches the sampler's cap (the unobserved count is truncated at "
                "%(cap)s times the documented count, as in the R package): the data put no real "
                "upper limit on the estimate."
            ),
            cap=number(p["cap"]),
        )
    return None


def _not_converged(p: Params) -> SafeString:
    return say(
        _(
            "the sampler may not have converged (split R-hat %(rhat)s, effective sample size "
            "%(ess)s); run longer (more burn-in, samples or thinning)."
        ),
        rhat=number(p["rhat"], 3),
        ess=number(p["ess"]),
    )


def _bootstrap_not_possible(p: Params) -> SafeString | None:
    if "without_estimate" in p:
        why = say(
            _(
                "%(missing)s of %(replicates)s bootstrap replicates have no estimate (the lists' "
                "overlaps are too sparse), so an interval from the others would be far too "
                "narrow."
            ),
            missing=number(p["without_estimate"]),
            replicates=number(p["replicates"]),
        )
    elif "with_estimate" in p:
        why = say(
            _(
                "only %(usable)s of %(replicates)s bootstrap replicates have an estimate: the "
                "data are too sparse for a bootstrap interval."
            ),
            usable=number(p["with_estimate"]),
            replicates=number(p["replicates"]),
        )
    else:
        return None
    if p.get("fallback") != "profile":
        return why
    instead = _(
        "The profile-likelihood interval is given instead; it does not allow for the "
        "uncertainty of choosing the model."
    )
    return joined([why, instead], " ")


def _linkage_doubt(p: Params) -> SafeString:
    pairs = int(p["pairs"])
    merged, linked = p["merged"], p["linked"]
    if not pairs:
        what = _("with the decisions made since the link run applied")
    else:
        what = say(
            ngettext(
                "with the %(pairs)s pair awaiting review merged",
                "with the %(pairs)s pairs awaiting review merged",
                pairs,
            ),
            pairs=number(pairs),
        )
    return say(
        _(
            "Linkage doubt changes the estimate: %(merged_what)s, %(merged_observed)s persons "
            "give %(merged_estimate)s [%(merged_lower)s, %(merged_upper)s], against "
            "%(estimate)s [%(lower)s, %(upper)s] from the %(observed)s persons as linked. "
            "Unresolved duplicates look like persons named by one list only and inflate an "
            "estimate: review the pairs (%(command)s) and link again before publishing either "
            "figure."
        ),
        merged_what=what,
        merged_observed=number(merged["observed"]),
        merged_estimate=number(merged["estimate"]),
        merged_lower=number(merged["lower"]),
        merged_upper=number(merged["upper"]),
        estimate=number(linked["estimate"]),
        lower=number(linked["lower"]),
        upper=number(linked["upper"]),
        observed=number(linked["observed"]),
        command=code("everyname review"),
    )


WARNING_DETAILS: dict[str, Callable[[Params], SafeString | None]] = {
    "fewer_than_three_lists": _fewer_than_three_lists,
    "few_observations": _few_observations,
    "list_covers_almost_all": _list_covers_almost_all,
    "list_covers_almost_none": _list_covers_almost_none,
    "no_overlap": _no_overlap,
    "estimate_far_above_observed": _far_above,
    "models_disagree": _models_disagree,
    "estimate_does_not_exist": _does_not_exist,
    "interval_open": _interval_open,
    "not_converged": _not_converged,
    "bootstrap_not_possible": _bootstrap_not_possible,
    "linkage_doubt": _linkage_doubt,
}
"""A sentence per warning code that the core makes with figures (``not_identifiable`` and
``selection_uncertain`` are named in the core but no estimator gives them yet)."""


def warning_detail(warning: Mapping[str, Any]) -> SafeString | str:
    """A stored warning's sentence in the page's language: made from its ``params``, or its
    English ``message`` (a page in English, a warning stored without figures, a form this page
    does not know)."""
    return in_page_language(
        str(warning.get("message", "")),
        WARNING_DETAILS.get(str(warning.get("code"))),
        warning.get("params"),
    )


def in_page_language(
    english: Any, say_it: Callable[[Params], SafeString | None] | None, params: Params | None
) -> Any:
    """``say_it(params)`` on a page in another language than English, else (a page in English,
    nothing to say it with or from, figures of a form it does not know) ``english``, as the
    core stored it."""
    if in_english() or say_it is None or not params:
        return english
    try:
        text = say_it(params)
    except (KeyError, TypeError, ValueError):
        return english
    return english if text is None else text


# --- the fit's descriptions ----------------------------------------------------------------


def model_name(terms: Sequence[str]) -> SafeString:
    """A log-linear model: its main effects and its two-list interactions as ``a:b`` codes."""
    if not terms:
        return say(_("main effects"))
    return say(_("main effects + %(terms)s"), terms=joined([code(t) for t in terms], " + "))


def _model(p: Params) -> SafeString | None:
    if p["code"] == "loglinear":
        return model_name(p["terms"])
    if p["code"] == "average":
        n = int(p["models"])
        return say(
            ngettext(
                "average of %(n)s model (%(criterion)s weights)",
                "average of %(n)s models (%(criterion)s weights)",
                n,
            ),
            n=number(n),
            criterion=str(p["criterion"]).upper(),
        )
    if p["code"] == "latent_classes":
        return say(_("Dirichlet-process latent classes, K*=%(k)s"), k=number(p["k_star"]))
    return None


def _rule(p: Params) -> SafeString | None:
    if p["code"] == "fixed":
        return say(_("the chosen model refitted (model choice not repeated)"))
    if p["code"] == "ic":
        n = int(p["models"])
        return say(
            ngettext(
                "lowest %(criterion)s re-chosen in every replicate among the %(n)s best model "
                "on the data",
                "lowest %(criterion)s re-chosen in every replicate among the %(n)s best models "
                "on the data",
                n,
            ),
            criterion=str(p["criterion"]).upper(),
            n=number(n),
        )
    if p["code"] == "stepwise":
        return say(
            _("stepwise (%(stepwise)s, p<%(threshold)s) repeated in every replicate"),
            stepwise=str(p["stepwise"]).upper(),
            threshold=str(p["threshold"]),
        )
    return None


def _interval(p: Params) -> SafeString | None:
    fixed = {
        "buckland": lambda: _("Buckland et al. (1997) unconditional, log scale"),
        "profile": lambda: _("profile likelihood (multinomial), conditional on the model"),
        "wald_log": lambda: _("normal on the intercept (log scale), conditional on the model"),
        "chao": lambda: _("Chao (1987) log-normal on the undocumented count; Seber variance"),
    }
    if p["code"] in fixed:
        return say(fixed[p["code"]]())
    if p["code"] != "bootstrap":
        return None
    rule = _rule(p["rule"])
    kinds = {"nonparametric": _("nonparametric"), "parametric": _("parametric")}
    if rule is None or p["kind"] not in kinds:
        return None
    return say(
        _("%(method)s bootstrap (%(kind)s, %(replicates)s replicates, seed %(seed)s); %(rule)s"),
        method="BCa" if p["method"] == "bca" else _("percentile"),
        kind=kinds[p["kind"]],
        replicates=number(p["replicates"]),
        seed=str(p["seed"]),
        rule=rule,
    )


def _reference(p: Params) -> SafeString | None:
    texts = {
        "sparsemse": lambda: _(
            "SparseMSE::estimatepopulation defaults (Chan, Silverman & Vincent 2021): stepwise "
            "search p<0.02, BCa bootstrap repeating it (1,000 replicates, seed 1234)"
        ),
        "mse_three_lists": lambda: _(
            "MultipleSystemsEstimation::estimate_population default for three lists (Silverman, "
            "Chan & Vincent 2024): lowest BIC over every pairwise log-linear model, with a BCa "
            "bootstrap re-choosing among all of them (1,000 replicates, seed 1234)"
        ),
        "chapman": lambda: _(
            "Chapman (1951), Seber (1970) variance, Chao (1987) log-normal interval; the two "
            "lists are assumed independent (two lists cannot test it)"
        ),
    }
    if p["code"] not in texts:
        return None
    text = say(texts[p["code"]]())
    if not p.get("changed"):
        return text
    return say(
        _("%(reference)s; changed here: %(changed)s"),
        reference=text,
        changed=joined([code(c) for c in p["changed"]]),
    )


DESCRIPTIONS: dict[str, Callable[[Params], SafeString | None]] = {
    "model": _model,
    "interval": _interval,
    "reference": _reference,
}


def description(details: Mapping[str, Any], key: str) -> SafeString | str | None:
    """A fit's ``model``, ``interval`` or ``reference`` in the page's language (the English
    the core stored on a page in English or when nothing else was stored; None: none)."""
    said = (details.get("said") or {}).get(key)
    return in_page_language(details.get(key), DESCRIPTIONS.get(key), said)


def _nobody_named(p: Params) -> SafeString:
    return say(_("nobody is named here: nothing to estimate from"))


def _fewer_than_two_lists(p: Params) -> SafeString | None:
    if not p["lists"]:
        return None
    return say(
        _("fewer than two lists name persons here (%(lists)s)"),
        lists=joined([code(x) for x in p["lists"]]),
    )


REFUSED_WHY = {
    1: gettext_lazy("its estimate does not exist (a parameter goes to infinity)"),
    2: gettext_lazy("it is not identifiable on these data"),
    3: gettext_lazy("its estimate neither exists nor is identifiable"),
}
"""Why the core refuses a log-linear model (core.estimate.fitting's codes, as SparseMSE's)."""


def _lists_share_too_few(p: Params) -> SafeString:
    return say(
        _(
            "the model %(model)s cannot be used: %(why)s; the lists share too few persons for "
            "any log-linear model (none names a person another list names, or almost none): "
            "merge lists, or estimate a wider stratum"
        ),
        model=model_name(p["terms"]),
        why=REFUSED_WHY[int(p["why"])],
    )


def _model_refused(p: Params) -> SafeString:
    return say(
        _("the model %(model)s cannot be used: %(why)s; choose a smaller model"),
        model=model_name(p["terms"]),
        why=REFUSED_WHY[int(p["why"])],
    )


def _no_model_exists(p: Params) -> SafeString:
    return say(_("no log-linear model has an estimate that exists"))


FAILURES: dict[str, Callable[[Params], SafeString | None]] = {
    "nobody_named": _nobody_named,
    "fewer_than_two_lists": _fewer_than_two_lists,
    "lists_share_too_few": _lists_share_too_few,
    "model_refused": _model_refused,
    "no_model_exists": _no_model_exists,
}
"""Why a stratum was not fitted, for the reasons the store gives with their figures."""


def failure(stratum: Mapping[str, Any]) -> SafeString | str | None:
    """Why a stratum has no estimate, in the page's language (the stored English ``error`` on
    a page in English or for a reason without a code)."""
    params = stratum.get("error_params") or {}
    return in_page_language(stratum.get("error"), FAILURES.get(str(params.get("code"))), params)


# --- strata --------------------------------------------------------------------------------

PLACE_STRATUM_VALUES = {"other places": pgettext_lazy("estimate stratum", "other places")}


def stratum_name(value: str | None, by: str | None) -> Any:
    """A stratum's value in the page's language: a category through ``VALUE_NAMES``; a place
    stratum (``"neighbourhood: Baba Amr"``) as its level's field name and the place as stored
    ("other places", "unknown" translated)."""
    if by == "places" and isinstance(value, str) and ": " in value:
        level, place = value.split(": ", 1)
        if level in FIELD_LABELS:
            shown = PLACE_STRATUM_VALUES.get(place) or VALUE_NAMES.get(place, place)
            return format_html("{}: {}", FIELD_LABELS[level], shown)
    return VALUE_NAMES.get(value, value)
