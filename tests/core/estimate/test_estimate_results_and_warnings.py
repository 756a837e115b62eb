"""The result contract (JSON keys, immutability), warning triggers and MCMC diagnostics."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from everyname.core.estimate import (
    CaptureHistories,
    EstimateResult,
    SettingsError,
    WarningCode,
    compare_results,
    estimate,
    make_estimator,
)
from everyname.core.estimate import cautions as w
from everyname.core.estimate.diagnostics import effective_sample_size, geweke_z, split_rhat

CONTRACT = ["method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings"]


def test_to_dict_has_the_contract_keys_and_is_json(mse):
    r = estimate(mse("korea_comfort_women_3lists"), method="loglinear")
    d = r.to_dict()
    assert list(d)[: len(CONTRACT)] == CONTRACT
    assert d["observed"] == 123 and d["lists"] == ["b", "c", "d"] and d["level"] == 0.95
    assert all(
        {"code", "message"} <= set(x) <= {"code", "message", "params"} for x in d["warnings"]
    )
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["settings"]["criterion"] == "bic"
    assert d["provenance"]["histories_fingerprint"] == mse("korea_comfort_women_3lists").fingerprint
    assert "statsmodels" in d["provenance"]["versions"]


def test_results_are_immutable_and_infinite_bounds_become_null():
    r = EstimateResult(
        method="x", observed=10, estimate=20.0, lower=12.0, upper=math.inf, lists=("A", "B"),
        settings={"a": 1}, details={"model": "m", "nested": {"k": [1, 2]}},
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.details["model"] = "other"  # type: ignore[index]
    assert r.to_dict()["upper"] is None
    assert "no upper limit" in r.summary() and "model: m" in r.summary()
    assert r.undocumented == 10


def test_make_estimator_rejects_unknown_methods_and_settings():
    with pytest.raises(SettingsError, match="unknown method"):
        make_estimator("petersen")
    with pytest.raises(SettingsError, match="bad setting"):
        make_estimator("chapman", burn_in=3)


def test_data_warnings_fire_on_their_conditions():
    few = CaptureHistories.from_source_sets([{"A"}, {"A", "B"}] * 10 + [{"A", "C"}])
    codes = {x.code for x in w.data_warnings(few)}
    assert WarningCode.FEW_OBSERVATIONS in codes  # 21 persons
    assert WarningCode.LIST_COVERS_ALMOST_ALL in codes  # A names everyone
    assert WarningCode.LIST_COVERS_ALMOST_NONE in codes  # C names one person
    ok = CaptureHistories.from_source_sets(
        [{"A"}] * 40 + [{"B"}] * 40 + [{"C"}] * 40 + [{"A", "B"}] * 10 + [{"B", "C"}] * 10
    )
    assert w.data_warnings(ok) == []
    assert w.far_above(100, 1001.0)[0].code == WarningCode.ESTIMATE_FAR_ABOVE_OBSERVED
    assert w.far_above(100, 999.0) == []
    assert w.disagreement([("a", 100.0), ("b", 149.0)]) == []
    assert w.disagreement([("a", 100.0), ("b", 151.0)])[0].code == WarningCode.MODELS_DISAGREE


def test_every_warning_carries_the_figures_of_its_message_through_json():
    few = CaptureHistories.from_source_sets([{"A"}, {"A", "B"}] * 10 + [{"A", "C"}])
    made = [
        *w.data_warnings(few),
        *w.far_above(100, 1234.0),
        *w.disagreement([("a", 100.0), ("b", 151.0)], parts=[{"criterion": "AIC"}, {}]),
    ]
    by_code = {}
    for warning in made:
        back = w.EstimateWarning.from_dict(json.loads(json.dumps(warning.to_dict())))
        assert back == warning and back.params  # message and figures, read back alike
        by_code.setdefault(warning.code, []).append(warning.params)
    assert by_code[WarningCode.FEW_OBSERVATIONS] == [{"observed": 21, "threshold": 50}]
    assert by_code[WarningCode.LIST_COVERS_ALMOST_ALL] == [{"list": "A", "share": 1.0}]
    assert by_code[WarningCode.LIST_COVERS_ALMOST_NONE] == [
        {"list": "C", "persons": 1, "share": 1 / 21}
    ]
    assert by_code[WarningCode.ESTIMATE_FAR_ABOVE_OBSERVED] == [
        {"estimate": 1234.0, "ratio": 10.0, "observed": 100}
    ]
    assert by_code[WarningCode.MODELS_DISAGREE] == [
        {
            "estimates": [
                {"label": "a", "criterion": "AIC", "estimate": 100.0},
                {"label": "b", "estimate": 151.0},
            ]
        }
    ]
    # The English sentence is the one it always was (the CLI, reports and the API print it).
    assert made[0].message == (
        "only 21 documented persons (fewer than 50): the estimate and its interval rest on "
        "very little data."
    )
    # A warning stored before the figures were kept reads back without them.
    old = w.EstimateWarning.from_dict({"code": "no_overlap", "message": "lists do not overlap"})
    assert old.params == {} and old.to_dict() == {
        "code": "no_overlap",
        "message": "lists do not overlap",
    }


def test_fits_keep_what_their_model_and_interval_descriptions_are_made_of(mse):
    r = estimate(mse("korea_comfort_women_3lists"), method="loglinear")
    said = r.to_dict()["details"]["said"]
    terms = said["model"]["terms"]
    assert said["model"]["code"] == "loglinear"
    assert r.details["model"] == (
        "main effects + " + " + ".join(terms) if terms else "main effects"
    )
    assert said["reference"] == {"code": "mse_three_lists", "changed": []}
    interval = said["interval"]
    assert (interval["code"], interval["method"], interval["kind"]) == (
        "bootstrap",
        "bca",
        "nonparametric",
    )
    assert f"{interval['replicates']} replicates, seed {interval['seed']}" in r.details["interval"]
    two = estimate(CaptureHistories.from_source_sets([{"A"}] * 5 + [{"B"}] * 5), method="chapman")
    assert two.details["said"] == {"interval": {"code": "chao"}, "reference": {"code": "chapman"}}
    assert [x.params for x in two.warnings if x.code == WarningCode.NO_OVERLAP] == [
        {"lists": ["A", "B"]}
    ]


def test_compare_results_flags_methods_that_disagree(mse):
    h = mse("kosovo_1999_4lists")
    main = estimate(h, method="loglinear", main_effects_only=True)
    step = estimate(h, method="loglinear", search="stepwise", stepwise="scv")
    assert compare_results([main, step])[0].code == WarningCode.MODELS_DISAGREE
    assert compare_results([step, step]) == []


def test_rhat_and_ess_tell_mixed_from_stuck_chains():
    rng = np.random.default_rng(3)
    iid = rng.normal(size=(2, 2000))
    assert split_rhat(iid) == pytest.approx(1.0, abs=0.01)
    assert effective_sample_size(iid) == pytest.approx(4000, rel=0.15)
    stuck = iid + np.array([[0.0], [3.0]])
    assert split_rhat(stuck) > 1.5
    rho = 0.9
    ar = np.zeros((2, 4000))
    for t in range(1, 4000):
        ar[:, t] = rho * ar[:, t - 1] + rng.normal(size=2)
    expected = 8000 * (1 - rho) / (1 + rho)
    assert effective_sample_size(ar) == pytest.approx(expected, rel=0.35)
    assert abs(geweke_z(iid[0])) < 3
    assert abs(geweke_z(np.linspace(0, 10, 2000) + rng.normal(size=2000))) > 5
