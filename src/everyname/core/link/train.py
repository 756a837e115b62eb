"""Estimating the model's parameters without labels, then with the reviewers' labels.

Order, all seeded by ``LinkSettings.seed``:

1. the prior (how often two random records are the same person), from strict deterministic
   rules whose recall is assumed (``training.prior_rules``, ``training.prior_recall``);
2. u probabilities by random sampling of record pairs (nearly all of them different people);
3. m probabilities by expectation maximisation, one session per training block. Blocks are
   chosen not to be full of siblings (family name + age, not father + grandfather), since EM
   on sibling-rich blocks learns that agreeing father names mean little;
4. when reviewers have said "same" often enough, m is re-estimated from those labelled pairs
   and blended with the EM estimate, weighting the labels by their number
   (``w = n / (n + 1000)``): a handful of decisions nudges the model, thousands steer it.
   Reviewed pairs are the uncertain ones, so they are not a random sample of matches; that is
   why the labels are blended rather than substituted. "Different" decisions are not used for
   training (u is already estimated from a large random sample of non-matches); every decision
   is enforced in clustering whatever the model says;
5. the parameters are made sane (``parameters.py``): pseudo-counts, a level no training
   observed counts no more than the strongest one it did, and the order every comparison's
   levels must keep.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd
from splink import block_on

from everyname.core.link.model import usable_rules
from everyname.core.link.parameters import Adjustment, sane_parameters, untrained_levels
from everyname.core.link.settings import NAME_PARTS, LinkSettings

LABEL_PSEUDO_COUNT = 1000.0
"""EM's estimate counts as this many labelled pairs when blending with reviewers' labels."""

logger = logging.getLogger(__name__)


def em_blocks(
    columns: frozenset[str], settings: LinkSettings, comparison_names: Sequence[str]
) -> list[tuple[str, ...]]:
    """The EM training blocks for records with these columns.

    Splink cannot estimate m for a comparison on a column the training block fixes, so blocks
    are taken in the order given, skipping a block that would train nothing new, until every
    comparison has been trained by some block (or ``max_em_blocks`` is reached).
    """
    untrained = set(comparison_names)
    chosen: list[tuple[str, ...]] = []
    for block in usable_rules(columns, settings.training.em_blocks):
        fixed = {COMPARISON_OF_COLUMN.get(c, c) for c in block}
        trains = untrained - fixed
        if not trains:
            continue
        chosen.append(block)
        untrained = untrained & fixed
        if not untrained or len(chosen) >= settings.training.max_em_blocks:
            break
    return chosen


COMPARISON_OF_COLUMN = {
    **{f"{p}_{f}": f"{p}_name" for p in NAME_PARTS for f in ("key", "lat", "ar")},
    "age_years": "birth",
    "age_group": "birth",
    "date_of_birth": "birth",
    "date_of_death_start": "date_of_death",
    "date_of_death_end": "date_of_death",
    "neighbourhood": "place",
    "locality": "place",
    "district": "place",
    "governorate": "place",
}
"""Which comparison a column feeds (columns not listed feed the comparison of their name)."""


def train(
    linker: Any,
    columns: frozenset[str],
    settings: LinkSettings,
    n_records: int,
    same_pairs: Sequence[tuple[int, int]] = (),
) -> tuple[dict[str, Any], list[Adjustment]]:
    """Train ``linker`` and return the trained model as Splink's JSON dict, made sane, with
    the adjustments that made it so. Score with the returned model, not with ``linker``."""
    t = settings.training
    prior_rules = usable_rules(columns, t.prior_rules)
    if prior_rules:
        try:
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*r) for r in prior_rules], recall=t.prior_recall
            )
        except ValueError as err:  # rules matched more than the recall allows: keep default
            logger.warning("prior not estimated: %s", err)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=t.u_max_pairs, seed=settings.seed, min_count_per_level=None, num_chunks=1
    )
    names = [c.output_column_name for c in linker._settings_obj.comparisons]
    untrained = set(names)
    sessions = 0
    for block in usable_rules(columns, t.em_blocks):
        fixed = {COMPARISON_OF_COLUMN.get(c, c) for c in block}
        if not untrained - fixed:
            continue
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*block),
                estimate_without_term_frequencies=True,
                max_pairs=t.em_max_pairs,
            )
        except ValueError as err:
            # On a small input EM can drive a level's m towards 0 until Splink refuses the
            # value; that block then teaches nothing, the model keeps what it had, and the
            # next block is tried.
            logger.warning("EM on block %s skipped: %s", block, err)
            linker = _restore(linker, before)
            continue
        untrained &= fixed
        sessions += 1
        if not untrained or sessions >= t.max_em_blocks:
            break
    model = linker.misc.save_model_to_json()
    m_untrained, u_untrained = untrained_levels(linker)
    if len(same_pairs) >= t.min_decisions_for_m:
        labelled = _m_from_labels(linker, same_pairs)
        model = blend_m(model, labelled, len(same_pairs))
        m_untrained = m_untrained & untrained_levels(linker)[0]
    all_pairs = n_records * (n_records - 1) / 2
    return sane_parameters(
        model,
        u_pairs=min(t.u_max_pairs, all_pairs),
        match_pairs=model["probability_two_random_records_match"] * all_pairs,
        m_untrained=m_untrained,
        u_untrained=u_untrained,
    )


def _restore(linker: Any, model: dict[str, Any]) -> Any:
    """Put a saved model's parameters back into ``linker`` (after a failed EM session)."""
    from splink.internals.settings_creator import SettingsCreator

    settings = SettingsCreator.from_path_or_dict(model).get_settings(
        linker._db_api.sql_dialect.sql_dialect_str
    )
    linker._settings_obj.core_model_settings = settings.core_model_settings
    return linker


def _m_from_labels(linker: Any, same_pairs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    labels = pd.DataFrame(
        {
            "record_id_l": [a for a, _ in same_pairs],
            "record_id_r": [b for _, b in same_pairs],
        }
    )
    table = linker.table_management.register_table(
        labels, "__everyname_decision_labels", overwrite=True
    )
    linker.training.estimate_m_from_pairwise_labels(table)
    return linker.misc.save_model_to_json()


def blend_m(em: dict[str, Any], labelled: dict[str, Any], n_labels: int) -> dict[str, Any]:
    """m = (1 - w) m_EM + w m_labels with w = n / (n + LABEL_PSEUDO_COUNT), level by level."""
    w = n_labels / (n_labels + LABEL_PSEUDO_COUNT)
    out = copy.deepcopy(em)
    by_name = {c["output_column_name"]: c for c in labelled["comparisons"]}
    for comp in out["comparisons"]:
        other = by_name[comp["output_column_name"]]
        for level, lab in zip(comp["comparison_levels"], other["comparison_levels"], strict=True):
            m_em, m_lab = level.get("m_probability"), lab.get("m_probability")
            if m_em is None or m_lab is None:
                continue
            level["m_probability"] = (1 - w) * m_em + w * m_lab
        _renormalise(comp)
    return out


def _renormalise(comp: dict[str, Any]) -> None:
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    total = sum(lv.get("m_probability") or 0.0 for lv in levels)
    if total > 0:
        for lv in levels:
            if lv.get("m_probability") is not None:
                lv["m_probability"] = lv["m_probability"] / total
