"""Log-linear models: published figures, existence checks, model choice, known truth.

Tolerances: point estimates within 2% of the published or reproduced figure; interval ends within
5% where the figure's interval is of the same kind (profile likelihood for Rcapture, the normal
interval on the intercept for SparseMSE). BCa bootstrap intervals are in test_bootstrap.py, and
the command's defaults against every published default analysis in tests/cli/test_estimate_cli.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from everyname.core.estimate import (
    CaptureHistories,
    EstimationError,
    Loglinear,
    LoglinearSettings,
    SettingsError,
    WarningCode,
)
from everyname.core.estimate.fitting import Table, check_model

BHS = {"search": "stepwise", "stepwise": "bhs", "interval": "profile"}
SCV = {"search": "stepwise", "stepwise": "scv", "interval": "wald-log"}
MAIN = {"main_effects_only": True, "interval": "profile"}
PROFILE = LoglinearSettings(interval="profile")
ROME_MODEL = {"model": (("c1", "c2"),), "interval": "profile"}  # Rcapture's Mt + c1:c2

# (file, settings, estimate, lower, upper, text that identifies the entry in published.json)
REPRODUCTIONS = [
    ("uk_2013_6lists", BHS, 11409, 9982, 13182, "same BHS stepwise procedure"),
    ("uk_2013_6lists", SCV, 11418, 9977, 13146, "estimatepopulation.0(method='stepwise'"),
    ("uk_2013_5lists", SCV, 11313, 9884, 13027, "SparseMSE stepwise pthresh=0.02"),
    ("kosovo_1999_4lists", SCV, 14342, 12541, 16540, "SparseMSE stepwise pthresh=0.02"),
    ("kosovo_1999_4lists", MAIN, 7393, 7148, 7656, "main effects only"),
    ("new_orleans_8lists", SCV, 1184, None, None, "SparseMSE stepwise, pthresh=0.02"),
    ("new_orleans_8lists", MAIN, 997, None, None, "main effects only"),
    ("new_orleans_5lists", SCV, 1034, None, None, "SparseMSE stepwise pthresh=0.02"),
    ("netherlands_6lists", MAIN, 52814, 48542, 57648, "main effects 52814 [48542,57648]"),
    ("netherlands_6lists", BHS, 60320, 53302, 68747, "BHS stepwise 60320 [53302,68747]"),
    ("netherlands_6lists", SCV, 111139, 92440, 133992, "stepwise 111139 [92440,133992]"),
    ("netherlands_5lists", SCV, 121522, 98675, 150139, "SparseMSE stepwise pthresh=0.02"),
    ("australia_4lists", SCV, 6496, 2882, 15401, "SparseMSE stepwise 0.02"),
    ("australia_4lists", MAIN, 825, 717, 968, "main effects 825 [717,968]"),
    ("rome_hiv_4lists", ROME_MODEL, 12308, 10266, 14992, "c1:c2"),
]


@pytest.mark.parametrize(
    "name, settings, est, lower, upper, label",
    REPRODUCTIONS,
    ids=[f"{r[0]}-{r[5][:20]}" for r in REPRODUCTIONS],
)
def test_reproduces_published_figures(
    mse, mse_dir, published, name, settings, est, lower, upper, label
):
    if name == "rome_hiv_4lists":  # reproduced figure given in SOURCES.md only
        assert "reproduced 12,308 [10,266, 14,992]" in (mse_dir / "SOURCES.md").read_text()
    else:
        entries = [e for e in published(name) if label in e["method"]]
        assert len(entries) == 1, f"table out of step with published.json: {name} {label}"
        entry = entries[0]
        assert est == entry["estimate"] or str(est) in entry["method"]
        if lower is not None:
            assert (lower, upper) == (entry["lower"], entry["upper"]) or (
                f"[{lower},{upper}]" in entry["method"]
            )
    r = Loglinear(LoglinearSettings(**settings)).fit(mse(name))
    assert r.estimate == pytest.approx(est, rel=0.02)
    if lower is not None:
        assert r.lower == pytest.approx(lower, rel=0.05)
        assert r.upper == pytest.approx(upper, rel=0.05)


def test_uk_home_office_range_and_the_bhs_model(mse):
    """Silverman (2014): 'between 10 thousand and 13 thousand'; the model BHS selected."""
    r = Loglinear(LoglinearSettings(**BHS)).fit(mse("uk_2013_6lists"))
    assert round(r.lower, -3) == 10_000 and round(r.upper, -3) == 13_000
    terms = set(r.details["model"].removeprefix("main effects + ").split(" + "))
    assert terms == {"PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"}


def test_default_for_four_or_more_lists_is_sparsemse_stepwise(mse):
    """SparseMSE::estimatepopulation's defaults: stepwise p < 0.02, BCa bootstrap of 1,000
    replicates repeating the search, seed 1234; the settings reported are those used."""
    r = Loglinear().fit(mse("kosovo_1999_4lists"))
    assert r.details["selection"] == "stepwise (Chan-Silverman-Vincent, p<0.02)"
    assert r.details["reference"].startswith("SparseMSE::estimatepopulation defaults")
    assert "changed here" not in r.details["reference"]
    assert r.estimate == pytest.approx(14342, rel=0.02)  # SparseMSE, reproduced (published.json)
    used = r.to_dict()["settings"]
    assert used["search"] == "stepwise" and used["stepwise"] == "scv"
    assert used["p_threshold"] == 0.02 and used["criterion"] is None
    assert used["max_models"] is None and used["bootstrap_top_models"] is None
    assert used["interval"] == "bootstrap" and used["bootstrap_replicates"] == 1000
    assert r.details["bootstrap"]["seed"] == 1234 and r.provenance["seed"] == 1234
    again = Loglinear().fit(mse("kosovo_1999_4lists"))
    assert (again.lower, again.upper) == (r.lower, r.upper)
    other = Loglinear().fit(mse("kosovo_1999_4lists"), seed=7)
    assert (other.lower, other.upper) != (r.lower, r.upper) and other.provenance["seed"] == 7


def test_default_for_three_lists_is_bic_over_every_model(mse):
    """MultipleSystemsEstimation::estimate_population for three lists: lowest BIC over all the
    pairwise models, the bootstrap re-choosing among all of them (ntopmodels = all)."""
    r = Loglinear().fit(mse("korea_comfort_women_3lists"))
    assert r.details["selection"] == "exhaustive search, lowest BIC"
    assert r.details["reference"].startswith("MultipleSystemsEstimation::estimate_population")
    used = r.to_dict()["settings"]
    assert used["search"] == "exhaustive" and used["criterion"] == "bic"
    assert used["stepwise"] is None and used["p_threshold"] is None
    assert used["bootstrap_top_models"] == r.details["models_fitted"] == 6


def test_settings_that_play_no_part_are_reported_as_none(mse):
    r = Loglinear(LoglinearSettings(interval="profile")).fit(mse("kosovo_1999_4lists"))
    used = r.to_dict()["settings"]
    assert used["interval"] == "profile" and used["criterion"] is None
    assert all(used[k] is None for k in ("bootstrap_replicates", "bootstrap_method",
                                         "bootstrap_kind", "reselect_model"))  # fmt: skip
    assert "changed here: interval='profile'" in r.details["reference"]
    assert r.provenance["seed"] is None and "bootstrap" not in r.details
    avg = Loglinear(LoglinearSettings(average=True)).fit(mse("kosovo_1999_4lists"))
    assert avg.to_dict()["settings"]["interval"] is None
    assert avg.to_dict()["settings"]["criterion"] == "bic"
    assert "Buckland" in avg.details["interval"]


def test_a_criterion_needs_a_search_over_every_model(mse):
    """--criterion asks for the lowest AIC/BIC over every model: up to five lists (1,024
    models); with six it is refused with advice instead of being silently ignored."""
    four = Loglinear(LoglinearSettings(criterion="aic", interval="profile"))
    assert four.fit(mse("kosovo_1999_4lists")).details["selection"].startswith("exhaustive")
    with pytest.raises(EstimationError, match="leave out --criterion"):
        Loglinear(LoglinearSettings(criterion="bic")).fit(mse("uk_2013_6lists"))
    avg = Loglinear(LoglinearSettings(average=True)).fit(mse("uk_2013_6lists"))
    assert avg.details["selection"].startswith("stepwise (Chan-Silverman-Vincent")


# Chan, Silverman & Vincent (2021) Tables 2-3 / SparseMSE man/Artificial_3.Rd (published.json)
IDENTIFIABILITY = [
    ((), 0),
    (((0, 2),), 0),
    (((1, 2),), 0),
    (((0, 2), (1, 2)), 0),
    (((0, 1),), 1),
    (((0, 1), (0, 2)), 1),
    (((0, 1), (1, 2)), 1),
    (((0, 1), (0, 2), (1, 2)), 2),
]


@pytest.mark.parametrize("pairs, code", IDENTIFIABILITY)
def test_existence_and_identifiability_codes(mse, pairs, code):
    assert check_model(Table(mse("artificial_3_identifiability")), pairs) == code


def test_models_whose_estimate_does_not_exist_are_refused(mse):
    h = mse("artificial_3_identifiability")
    with pytest.raises(EstimationError, match="does not exist"):
        Loglinear(LoglinearSettings(model=(("A", "B"),))).fit(h)
    with pytest.raises(EstimationError, match="not identifiable"):
        Loglinear(LoglinearSettings(model=(("A", "B"), ("A", "C"), ("B", "C")))).fit(h)
    r = Loglinear(PROFILE).fit(h)  # the search leaves the four bad models out
    assert r.details["models_refused"] == 4 and r.details["models_fitted"] == 4
    assert "A:B" not in r.details["model"]
    assert WarningCode.ESTIMATE_DOES_NOT_EXIST in {w.code for w in r.warnings}


def test_exhaustive_search_reports_aic_bic_and_average(mse):
    h = mse("kosovo_1999_4lists")
    r = Loglinear(LoglinearSettings(criterion="aic", interval="profile")).fit(h)
    d = r.details
    assert d["models_fitted"] + d["models_refused"] == 64
    assert r.estimate == pytest.approx(d["aic_choice"]["estimate"])
    weights = [m["weight"] for m in d["top_models"]]
    assert weights == sorted(weights, reverse=True) and 0 < sum(weights) <= 1 + 1e-9
    avg = Loglinear(LoglinearSettings(criterion="aic", average=True)).fit(h)
    assert avg.estimate == pytest.approx(d["average"]["estimate"])
    assert avg.lower < avg.estimate < avg.upper
    ests = [m["estimate"] for m in d["top_models"]]
    assert min(ests) * 0.5 < avg.estimate < max(ests) * 1.5


@pytest.mark.slow
def test_aic_and_bic_disagreement_is_warned_on_uk_five_lists(mse):
    """UK five lists: the exhaustive BIC choice (about 23,000, the second mode that dga and
    LCMCR also find) and the AIC choice (about 11,000) differ by a factor two."""
    r = Loglinear(LoglinearSettings(criterion="bic", interval="profile")).fit(mse("uk_2013_5lists"))
    assert r.details["models_fitted"] + r.details["models_refused"] == 1024
    assert WarningCode.MODELS_DISAGREE in {w.code for w in r.warnings}
    assert 20_000 < r.details["bic_choice"]["estimate"] < 26_000
    assert 10_000 < r.details["aic_choice"]["estimate"] < 13_000


def test_profile_and_wald_intervals_both_bracket_the_estimate(mse):
    h = mse("korea_comfort_women_3lists")
    for interval in ("profile", "wald-log"):
        r = Loglinear(LoglinearSettings(interval=interval)).fit(h)
        assert r.observed <= r.lower < r.estimate < r.upper


def test_settings_are_validated_when_fitting(mse):
    with pytest.raises(SettingsError):
        Loglinear(LoglinearSettings(criterion="cp")).fit(mse("korea_comfort_women_3lists"))  # type: ignore[arg-type]
    with pytest.raises(SettingsError):
        Loglinear(LoglinearSettings(model=(("b", "zz"),))).fit(mse("korea_comfort_women_3lists"))
    with pytest.raises(EstimationError, match="at least three"):
        Loglinear().fit(CaptureHistories.from_source_sets([{"A"}, {"B"}, {"A", "B"}]))


def loglinear_population(size: int, ab: float, rng: np.random.Generator) -> CaptureHistories:
    """Four lists with capture log-odds for 0.3/0.2/0.25/0.15 and an A:B interaction ``ab``
    (positive: being on A makes B likelier, e.g. B copies part of A)."""
    k = 4
    codes = np.arange(2**k)
    x = ((codes[:, None] >> np.arange(k - 1, -1, -1)) & 1).astype(float)
    p = np.array([0.3, 0.2, 0.25, 0.15])
    logit = np.log(p / (1 - p))
    eta = x @ logit + ab * x[:, 0] * x[:, 1]
    probs = np.exp(eta) / np.exp(eta).sum()
    counts = rng.multinomial(size, probs)
    return CaptureHistories(["A", "B", "C", "D"], x[1:].astype(int), counts[1:])


def test_known_truth_dependent_lists_are_recovered():
    """N = 6,000 with a strong A:B dependence (log odds ratio 1.2): in 5 seeded replicates BIC
    picks A:B and recovers N within 10%, while the independence model is at least 10% low.
    (The defaults: the stepwise search and a 1,000-replicate BCa interval.)"""
    rng = np.random.default_rng(7)
    for _ in range(5):
        h = loglinear_population(6000, 1.2, rng)
        r = Loglinear().fit(h)
        assert "A:B" in r.details["model"]
        assert abs(r.estimate - 6000) / 6000 < 0.10
        assert r.lower < 6000 * 1.1 and r.upper > 6000 * 0.9
        naive = Loglinear(LoglinearSettings(main_effects_only=True)).fit(h)
        assert naive.estimate < 0.9 * 6000


def test_known_truth_independent_lists_choose_main_effects():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(10):
        h = loglinear_population(6000, 0.0, rng)
        r = Loglinear(LoglinearSettings(criterion="bic", interval="profile")).fit(h)
        assert abs(r.estimate - 6000) / 6000 < 0.10
        covered += r.lower <= 6000 <= r.upper
    assert covered >= 8
    assert math.isfinite(r.upper)


def test_a_list_that_names_nobody_is_refused_with_advice():
    h = CaptureHistories.from_source_sets([{"A"}, {"B"}, {"A", "B"}] * 20, lists=["A", "B", "C"])
    with pytest.raises(EstimationError, match="C name nobody"):
        Loglinear().fit(h)


def test_a_model_averaged_in_with_an_undetermined_count_opens_the_interval_not_the_run():
    """A model whose undocumented count is all but undetermined (a standard error of its log
    in the thousands: seen on a stratum of nine persons, pairs awaiting review merged) made the
    model average overflow and ended the whole estimate; it opens the interval above."""
    from everyname.core.estimate.fitting import EXISTS, ModelFit
    from everyname.core.estimate.loglinear import averaged

    def fit(estimate: float, se_log_n0: float, bic: float) -> ModelFit:
        log_n0 = math.log(estimate - 9)
        return ModelFit((), "m", EXISTS, estimate, log_n0, se_log_n0, aic=bic, bic=bic)

    steady = [fit(14.0, 0.4, 10.0), fit(16.0, 0.5, 11.0)]
    mean, lower, upper, weights = averaged(9, steady, "bic")
    assert 9 < lower < mean < upper < math.inf and weights.sum() == pytest.approx(1)
    mean, lower, upper, _ = averaged(9, [*steady, fit(12.0, 1e5, 12.0)], "bic")
    assert math.isfinite(mean) and mean > 9
    assert (lower, upper) == (9, math.inf)


def test_a_model_average_whose_upper_limit_is_past_any_reason_is_open_above():
    """A spread short of overflowing still gave an "upper limit" of about 1e82 for nine persons
    documented; past the ratio where the profile interval stops looking, the interval is open."""
    from everyname.core.estimate.fitting import EXISTS, ModelFit
    from everyname.core.estimate.loglinear import OPEN_ABOVE_RATIO, averaged

    def fit(estimate: float, se_log_n0: float) -> ModelFit:
        log_n0 = math.log(estimate - 9)
        return ModelFit((), "m", EXISTS, estimate, log_n0, se_log_n0, aic=1.0, bic=1.0)

    mean, lower, upper, _ = averaged(9, [fit(14.0, 0.4), fit(16.0, 60.0)], "bic")
    assert 9 <= lower < mean and upper == math.inf
    # Just inside the ratio, the limit is kept as computed.
    mean, lower, upper, _ = averaged(9, [fit(14.0, 0.4), fit(16.0, 2.0)], "bic")
    assert mean < upper <= OPEN_ABOVE_RATIO * 9
