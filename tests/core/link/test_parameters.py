"""Trained parameters made sane: no vetoes, no certainty from unobserved levels, levels in order."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from everyname.core.link.parameters import sane_parameters, sane_prior

LABELS = ["same name", "close name", "name elsewhere", "else"]


def model(m: list[float | None], u: list[float | None], name: str = "given_name") -> dict:
    levels: list[dict] = [{"sql_condition": "a is null", "is_null_level": True}]
    for label, mi, ui in zip([*LABELS[: len(m) - 1], "ELSE"], m, u, strict=True):
        level: dict = {"sql_condition": label if label == "ELSE" else f"{label} sql"}
        level["label_for_charts"] = label
        if mi is not None:
            level["m_probability"] = mi
        if ui is not None:
            level["u_probability"] = ui
        levels.append(level)
    return {
        "probability_two_random_records_match": 0.001,
        "comparisons": [{"output_column_name": name, "comparison_levels": levels}],
    }


def weights(result: dict) -> list[float]:
    levels = result["comparisons"][0]["comparison_levels"][1:]
    return [math.log2(lv["m_probability"] / lv["u_probability"]) for lv in levels]


def ms(result: dict) -> list[float]:
    return [lv["m_probability"] for lv in result["comparisons"][0]["comparison_levels"][1:]]


def test_a_level_em_drove_to_zero_is_no_longer_a_veto():
    trained = model([0.7, 1e-32, 0.1, 0.2], [0.01, 0.01, 0.1, 0.88])
    sane, adjustments = sane_parameters(trained, u_pairs=1e6, match_pairs=800)
    close = weights(sane)[1]
    # one pseudo-observation among ~800 matching pairs: about 1/800, not 1e-32
    assert close > -10 and close >= weights(sane)[3] - 1e-6
    assert any(a.level == "close name" for a in adjustments)


def test_large_inputs_barely_move():
    trained = model([0.7, 0.05, 0.05, 0.2], [0.01, 0.02, 0.07, 0.9])
    sane, _ = sane_parameters(trained, u_pairs=1e6, match_pairs=1e6)
    for before, after in zip(weights(trained), weights(sane), strict=True):
        assert abs(before - after) < 0.01


def test_unobserved_level_counts_no_more_than_the_strongest_observed():
    # Splink's placeholder u of 1e-6 and a starting m of 0.02: 14 bits on no data
    trained = model([0.7, 0.02, 0.1, 0.18], [0.01, None, 0.1, 0.89])
    sane, adjustments = sane_parameters(
        trained,
        u_pairs=1e6,
        match_pairs=800,
        m_untrained={("given_name", 1)},
        u_untrained={("given_name", 1)},
    )
    w = weights(sane)
    assert w[1] <= w[0] + 1e-9
    assert [a.rule for a in adjustments if a.level == "close name"] == [
        "not observed in training: no stronger than the strongest observed"
    ]


def test_unobserved_level_without_a_starting_m_counts_for_nothing():
    trained = model([0.7, 0.1, 0.2, None], [0.01, 0.1, 0.5, 0.39])
    sane, _ = sane_parameters(
        trained, u_pairs=1e6, match_pairs=800, m_untrained={("given_name", 3)}
    )
    assert abs(weights(sane)[3]) < 0.05


def test_agreement_is_never_evidence_against_and_disagreement_never_for():
    # a household taken for the match class: agreeing on the given name learnt as against
    trained = model([0.01, 0.05, 0.3, 0.64], [0.05, 0.05, 0.1, 0.8])
    sane, adjustments = sane_parameters(trained, u_pairs=1e6, match_pairs=1e5)
    w = weights(sane)
    assert w[0] >= -1e-6
    assert w[3] <= 1e-6
    rules = {a.level: a.rule for a in adjustments}
    assert rules["same name"] == "strongest agreement never counts against a match"


def test_no_level_counts_for_less_than_nothing_agreeing():
    trained = model([0.8, 0.001, 0.05, 0.149], [0.01, 0.01, 0.08, 0.9])
    sane, _ = sane_parameters(trained, u_pairs=1e6, match_pairs=1e5)
    w = weights(sane)
    assert min(w[1:3]) >= w[3] - 1e-6


def test_input_model_is_not_changed():
    trained = model([0.7, 1e-32, 0.1, 0.2], [0.01, 0.01, 0.1, 0.88])
    copy = repr(trained)
    sane_parameters(trained, u_pairs=1e6, match_pairs=800)
    assert repr(trained) == copy


probability = st.one_of(st.none(), st.floats(0.0, 1.0))


@settings(max_examples=300, deadline=None)
@given(
    m=st.lists(probability, min_size=4, max_size=4),
    u=st.lists(probability, min_size=4, max_size=4),
    match_pairs=st.floats(1.0, 1e7),
    untrained=st.sets(st.integers(0, 3)),
)
def test_every_result_is_a_proper_ordered_model(m, u, match_pairs, untrained):
    keys = {("given_name", i) for i in untrained}
    sane, _ = sane_parameters(
        model(m, u), u_pairs=1e6, match_pairs=match_pairs, m_untrained=keys, u_untrained=keys
    )
    values = ms(sane)
    assert all(0 < x < 1 for x in values)
    assert math.isclose(sum(values), 1.0, rel_tol=1e-9)
    w = weights(sane)
    assert all(math.isfinite(x) for x in w)
    assert w[0] >= -0.01  # the strongest agreement: never against
    assert w[3] <= 0.01  # nothing agreeing: never for


@given(
    prior=st.one_of(st.floats(0.0, 1.0), st.just(float("nan")), st.none()),
    pairs=st.floats(0.0, 1e12),
)
@settings(max_examples=300, deadline=None)
def test_the_prior_is_always_a_probability_strictly_inside_0_1(prior, pairs):
    """A prior of 0 or 1 made scoring stop on log2(0): whatever training leaves, the prior
    Splink scores with is strictly between 0 and 1, and a default is reported as one."""
    value, adjustment = sane_prior(prior, pairs)
    assert 0 < value < 1 and math.isfinite(math.log2(value / (1 - value)))
    if prior is None or not 0 < prior < 1:
        assert adjustment is not None and adjustment.weight_before is None
        assert adjustment.rule.startswith("default")


def test_the_prior_of_a_list_without_duplicates_is_one_pseudo_pair():
    pairs = 300 * 299 / 2
    assert sane_prior(0.0, pairs)[0] == 1 / (pairs + 2)
    # a prior trained on many pairs barely moves and is not reported
    value, adjustment = sane_prior(0.002, 2e5)
    assert abs(value - 0.002) < 1e-5 and adjustment is None
