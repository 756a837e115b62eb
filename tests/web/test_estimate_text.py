"""The estimate page's sentences in Arabic, from what real fits store: every warning code the
estimators give and every model, interval and reference description, said from its figures
(never the English fallback), and in English the core's own words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from django.utils import translation

from everyname.core.estimate import CaptureHistories, WarningCode, compare_results, estimate
from everyname.core.estimate import cautions as w
from everyname.core.estimate.lcmcr import Lcmcr, LcmcrSettings
from everyname.core.estimate.loglinear import Loglinear, LoglinearSettings
from everyname.web.estimate_text import (
    WARNING_DETAILS,
    description,
    failure,
    stratum_name,
    warning_detail,
)

MSE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mse"
ARABIC = re.compile("[\u0600-\u06ff]")


def mse(name: str) -> CaptureHistories:
    return CaptureHistories.from_csv(MSE / f"{name}.csv")


@pytest.fixture(scope="module")
def fits() -> list[dict]:
    """Fits (as stored: through JSON) whose warnings and descriptions cover every form."""
    sparse = CaptureHistories.from_source_sets(
        [{"A"}] * 20 + [{"B"}] * 20 + [{"C"}] * 20 + [{"A", "B", "C"}]
    )
    apart = CaptureHistories(["A", "B", "C"], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [500, 400, 300])
    kosovo = mse("kosovo_1999_4lists")
    results = [
        estimate(mse("korea_comfort_women_3lists"), method="loglinear"),  # IC in replicates
        Loglinear().fit(kosovo),  # stepwise in every replicate
        Loglinear(LoglinearSettings(main_effects_only=True, interval="bootstrap")).fit(kosovo),
        Loglinear(LoglinearSettings(average=True)).fit(kosovo),  # an average, Buckland
        Loglinear(LoglinearSettings(interval="wald-log", search="exhaustive")).fit(kosovo),
        Loglinear(LoglinearSettings(interval="profile")).fit(mse("artificial_3_identifiability")),
        Loglinear().fit(sparse),  # the default bootstrap falls back to the profile
        Loglinear(LoglinearSettings(interval="bootstrap")).fit(sparse),
        estimate(CaptureHistories.from_source_sets([{"A"}] * 5 + [{"B"}] * 5), method="chapman"),
        Lcmcr(LcmcrSettings(burn_in=0, warmup=0, samples=30, thinning=1, chains=2)).fit(
            mse("uk_2013_6lists"), seed=1
        ),
        Lcmcr(LcmcrSettings(burn_in=2000, samples=200, thinning=5)).fit(apart, seed=1),
    ]
    stored = [json.loads(json.dumps(r.to_dict())) for r in results]
    few = CaptureHistories.from_source_sets([{"A"}, {"A", "B"}] * 10 + [{"A", "C"}])
    extra = [*w.data_warnings(few), *compare_results(results[1:3])]
    extra += w.disagreement(
        [("AIC (main effects + A:B)", 100.0), ("BIC (main effects)", 200.0)],
        parts=[{"criterion": "AIC", "terms": ["A:B"]}, {"criterion": "BIC", "terms": []}],
    )
    stored.append({"warnings": [x.to_dict() for x in extra], "details": {}})
    return stored


def test_every_warning_the_estimators_give_is_said_in_arabic_from_its_figures(fits):
    warnings = [x for fit in fits for x in fit["warnings"]]
    given = {x["code"] for x in warnings}
    made = {str(c) for c in WarningCode} - {"not_identifiable", "selection_uncertain"}
    assert given == made and made <= set(WARNING_DETAILS)  # every code, from a real fit
    with translation.override("ar"):
        for warning in warnings:
            said = warning_detail(warning)
            assert said != warning["message"], warning  # made from its figures
            assert ARABIC.search(re.sub(r"<code[^>]*>.*?</code>", "", said)), said
            assert not re.search(r"\b(the|list|persons|estimate)\b", said), said
    with translation.override("en"):
        assert all(warning_detail(x) == x["message"] for x in warnings)


def test_the_figures_are_those_of_the_fit(fits):
    doubtful = next(x for f in fits for x in f["warnings"] if x["code"] == "not_converged")
    with translation.override("ar"):
        said = warning_detail(doubtful)
    assert f"{doubtful['params']['ess']:.0f}" in said
    assert f"{doubtful['params']['rhat']:.3f}" in said  # a decimal point, as every figure
    few = next(x for f in fits for x in f["warnings"] if x["code"] == "few_observations")
    with translation.override("ar"):
        n = few["params"]["observed"]
        assert f"عدد الأشخاص الموثَّقين {n} فقط (أقل من 50)" in warning_detail(few)


def test_every_description_of_a_fit_is_said_in_arabic(fits):
    seen = set()
    for fit in fits:
        details = fit["details"]
        for key in ("model", "interval", "reference"):
            if not details.get(key):
                continue
            with translation.override("ar"):
                said = description(details, key)
            assert said != details[key] and ARABIC.search(said), (key, details[key])
            for english in ("main effects", "bootstrap (", "replicates", "conditional", "defaults"):
                assert english not in said
            with translation.override("en"):
                assert description(details, key) == details[key]
            seen.add((key, details["said"][key]["code"]))
    assert seen >= {
        ("model", "loglinear"),
        ("model", "average"),
        ("model", "latent_classes"),
        ("interval", "bootstrap"),
        ("interval", "buckland"),
        ("interval", "profile"),
        ("interval", "wald_log"),
        ("interval", "chao"),
        ("reference", "sparsemse"),
        ("reference", "mse_three_lists"),
        ("reference", "chapman"),
    }
    rules = {
        f["details"]["said"]["interval"]["rule"]["code"]
        for f in fits
        if f["details"].get("said", {}).get("interval", {}).get("code") == "bootstrap"
    }
    assert rules == {"ic", "stepwise", "fixed"}


def test_a_place_stratum_is_named_by_its_field_and_place():
    with translation.override("ar"):
        assert stratum_name("neighbourhood: Baba Amr", "places") == "الحي: Baba Amr"
        assert stratum_name("neighbourhood: other places", "places") == "الحي: أماكن أخرى"
        assert stratum_name("locality: unknown", "places").endswith(": غير معروف")
        assert stratum_name("male", "sex") != "male"
    with translation.override("en"):
        assert stratum_name("neighbourhood: Baba Amr", "places") == "Neighbourhood: Baba Amr"
        assert stratum_name("male", "sex") == "male" and stratum_name(None, None) is None


def test_a_model_the_core_refuses_is_said_in_arabic_from_its_figures():
    """The core's refusal of a log-linear model (here on lists that share nobody) keeps its
    figures, and a page in Arabic says it from them; in English, the core's own sentence."""
    from everyname.core.estimate import EstimationError

    rows = {"a": [1, 0, 0, 0], "b": [0, 1, 0, 0], "c": [0, 0, 1, 0], "d": [0, 0, 0, 1]}
    frame = pd.DataFrame({**rows, "count": [3, 2, 2, 2]})
    with pytest.raises(EstimationError) as refused:
        Loglinear().fit(CaptureHistories.from_frame(frame))
    stratum = {"error": str(refused.value), "error_params": refused.value.params}
    assert stratum["error_params"]["code"] == "lists_share_too_few"
    with translation.override("ar"):
        said = str(failure(stratum))
    assert ARABIC.search(said) and "cannot be used" not in said
    with translation.override("en"):
        assert failure(stratum) == stratum["error"]


def test_a_stratum_where_no_model_exists_is_said_in_arabic_too():
    """Three lists that share nobody: every model of the exhaustive search is refused."""
    from everyname.core.estimate import EstimationError

    apart = CaptureHistories.from_source_sets([{"A"}] * 3 + [{"B"}] * 2 + [{"C"}] * 2)
    with pytest.raises(EstimationError) as refused:
        Loglinear().fit(apart)
    stratum = {"error": str(refused.value), "error_params": refused.value.params}
    assert stratum["error_params"]["code"] == "no_model_exists"
    with translation.override("ar"):
        said = str(failure(stratum))
    assert ARABIC.search(said) and not re.search("[a-z]{4}", said)
    with translation.override("en"):
        assert failure(stratum) == stratum["error"]
