"""Estimating the model's parameters without labels, then with the reviewers' labels.

Order, all seeded by ``LinkSettings.seed``:

1. the prior (how often two random records are the same person), from strict deterministic
   rules whose recall is assumed (``training.prior_rules``, ``training.prior_recall``);
2. u probabilities by random sampling of record pairs (nearly all of them different people);
3. m probabilities by expectation maximisation, one session per training block. Blocks are
   chosen not to be full of siblings (family name + age, not father + grandfather), since EM
   on sibling-rich blocks learns that agreeing father names mean little;
4. reviewers' decisions are labels. With at least ``training.min_decisions_for_m`` "same"
   decisions, m is estimated from those pairs alone (Splink's
   ``estimate_m_from_pairwise_labels``: the share of labelled matches at each level of each
   comparison) and blended with the EM estimate level by level,
   ``m = (1 - w)·m_EM + w·m_labels`` with ``w = n / (n + 1000)`` for n "same" decisions: a
   handful of decisions nudges the model, thousands steer it. Why a blend and not the labels
   alone: reviewers see the uncertain pairs (``review.py``), so labelled matches over-represent
   disagreeing names, and m from them alone would make agreement count for less than it
   does among all matches. "Different" decisions do not train (Splink estimates m from
   matches only, and u is already estimated from a large random sample of non-matches, which
   a few hundred hard cases would bias). Every decision, either way, keeps overriding its own
   pair in clustering whatever the model says. The saved model says what it learnt from:
   ``everyname_labels`` (``labels_record``) lists the "same" decisions used, the number of
   "different" ones, the weight w and whether m was updated;
5. the parameters are made sane (``parameters.py``): pseudo-counts (the prior's too), a
   level no training observed counts no more than the strongest one it did, and the order
   every comparison's levels must keep.

A step with nothing to learn from (two records, a list where no pair meets the prior rules,
a training block without pairs) never stops the run: it keeps a default and says so in a
``Fallback``, which the model saves and the run's summary prints.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from splink import block_on
from splink.internals.exceptions import SplinkException

from everyname.core.link.model import usable_rules
from everyname.core.link.parameters import (
    Adjustment,
    Fallback,
    sane_parameters,
    sane_prior,
    untrained_levels,
)
from everyname.core.link.settings import LinkSettings
from everyname.core.schema import NAME_PARTS

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


FEW_PAIRS = 1000
"""Fewer record pairs than this (about 45 records) say little about how often levels occur
among random pairs: a run with so few says its u is mostly pseudo-counts."""

TRAINING_ERRORS = (ValueError, ZeroDivisionError, SplinkException)
"""What Splink raises when a training step has nothing to learn from: no pair in a block
(``EMTrainingException``), no pair at all, a probability driven to 0 or 1 (``log2``)."""


@dataclass(frozen=True)
class Trained:
    """A trained model (Splink's JSON dict, made sane, naming its fallbacks under
    ``everyname_fallbacks``), how it was made sane, and what could not be learnt."""

    model: dict[str, Any]
    adjustments: list[Adjustment]
    fallbacks: list[Fallback]
    label_weight: float = 0.0
    """The share w of the reviewers' labels in m (0 when they were too few to use)."""


def train(
    linker: Any,
    columns: frozenset[str],
    settings: LinkSettings,
    n_records: int,
    same_pairs: Sequence[tuple[int, int]] = (),
) -> Trained:
    """Train ``linker``; score with the returned model, not with ``linker``.

    Never fails for want of data: a step with nothing to learn from keeps a default (the
    declared starting m, pseudo-counts, one pseudo-pair for the prior) and is named in
    ``fallbacks``."""
    t = settings.training
    all_pairs = n_records * (n_records - 1) / 2
    fallbacks: list[Fallback] = []
    prior_rules = usable_rules(columns, t.prior_rules)
    if prior_rules:
        try:
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*r) for r in prior_rules], recall=t.prior_recall
            )
        except TRAINING_ERRORS as err:  # e.g. rules matched more than the recall allows
            logger.info("prior not estimated: %s", err)
            fallbacks.append(
                Fallback(
                    "prior",
                    "not estimated from the strict rules: "
                    + (
                        "they match more pairs than their assumed recall allows"
                        if "recall" in str(err)
                        else _first_sentence(err)
                    ),
                    f"Splink's default ({_prior(linker):g}), made sane",
                )
            )
    estimated = started = _prior(linker)
    if not 0 < estimated < 1:
        fallbacks.append(
            Fallback(
                "prior",
                f"no pair of records meets the strict rules that estimate it "
                f"(estimate {estimated:g})",
                "one pseudo-pair matching among all pairs",
            )
        )
        started = sane_prior(estimated, all_pairs)[0]
        _set_prior(linker, started)  # EM cannot start from 0
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=t.u_max_pairs, seed=settings.seed, min_count_per_level=None, num_chunks=1
        )
    except TRAINING_ERRORS as err:
        logger.info("u not estimated: %s", err)
        fallbacks.append(
            Fallback("u", f"random sampling of pairs failed ({err})", "pseudo-counts only")
        )
    else:
        if all_pairs < FEW_PAIRS:
            fallbacks.append(
                Fallback(
                    "u",
                    f"only {_pairs(all_pairs)} to sample (fewer than {FEW_PAIRS:,})",
                    "pseudo-counts: agreement counts for little, so every compared pair "
                    "awaits review",
                )
            )
    names = [c.output_column_name for c in linker._settings_obj.comparisons]
    untrained = set(names)
    sessions = 0
    failed: list[str] = []
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
        except TRAINING_ERRORS as err:
            # A block with no pair, or one where EM drives a level's m towards 0 until Splink
            # refuses the value, teaches nothing: the model keeps what it had, and the next
            # block is tried.
            logger.info("EM on block %s skipped: %s", block, err)
            failed.append(" + ".join(block) + (": no pairs" if _no_pairs(err) else ": collapsed"))
            linker = _restore(linker, before)
            continue
        untrained &= fixed
        sessions += 1
        if not untrained or sessions >= t.max_em_blocks:
            break
    if sessions == 0:
        fallbacks.append(
            Fallback(
                "m",
                "EM could not train on any block"
                + (f" ({'; '.join(failed)})" if failed else " (no training block's columns)"),
                "each level's declared starting m, made sane",
            )
        )
    elif all_pairs < FEW_PAIRS:
        fallbacks.append(
            Fallback(
                "m",
                f"EM learnt from at most {_pairs(all_pairs)}",
                "pseudo-counts weigh as much as what it learnt",
            )
        )
    trained_prior = _prior(linker)
    if trained_prior == started:  # EM did not move it: smooth the estimate once, not twice
        trained_prior = estimated
    elif not 0 < trained_prior < 1:  # EM's match class collapsed: keep the prior before EM
        fallbacks.append(
            Fallback("prior", "EM drove it to 0 or 1", "the estimate before EM, made sane")
        )
        trained_prior = estimated
    model = linker.misc.save_model_to_json()
    m_untrained, u_untrained = untrained_levels(linker)
    label_weight = 0.0
    if len(same_pairs) >= t.min_decisions_for_m:
        labelled = _m_from_labels(linker, same_pairs)
        model = blend_m(model, labelled, len(same_pairs))
        label_weight = label_share(len(same_pairs))
        m_untrained = m_untrained & untrained_levels(linker)[0]
    prior, prior_adjustment = sane_prior(trained_prior, all_pairs)
    model["probability_two_random_records_match"] = prior
    model, adjustments = sane_parameters(
        model,
        u_pairs=min(t.u_max_pairs, all_pairs),
        match_pairs=prior * all_pairs,
        m_untrained=m_untrained,
        u_untrained=u_untrained,
    )
    if prior_adjustment is not None:
        adjustments.insert(0, prior_adjustment)
    model[FALLBACKS_KEY] = [f.to_dict() for f in fallbacks]
    return Trained(model, adjustments, fallbacks, label_weight)


FALLBACKS_KEY = "everyname_fallbacks"
"""Where a saved model names its fallbacks (Splink ignores the key)."""

LABELS_KEY = "everyname_labels"
"""Where a saved model says which reviewers' decisions it learnt from (``labels_record``)."""


def label_share(n_labels: int) -> float:
    """w, the labels' share of m: n / (n + LABEL_PSEUDO_COUNT)."""
    return n_labels / (n_labels + LABEL_PSEUDO_COUNT) if n_labels > 0 else 0.0


def labels_record(
    same: Sequence[tuple[str, str]], n_different: int, weight: float, min_decisions: int
) -> dict[str, Any]:
    """What a model learnt from reviewers' decisions, as stored beside it (plain JSON).

    ``same``: the "same" decisions (record id pairs, the caller's ids) whose records were in
    the run; ``weight``: their share of m (0: not used, fewer than ``min_decisions``)."""
    used = weight > 0
    return {
        "same_decisions": [[str(a), str(b)] for a, b in same],
        "different_decisions": int(n_different),
        "m_from_labels": used,
        "label_weight": float(weight),
        "min_decisions_for_m": int(min_decisions),
        "how": (
            f"m = (1 - w)·m_EM + w·m_labels, w = n / (n + {LABEL_PSEUDO_COUNT:g}) = {weight:.4f} "
            f"for n = {len(same)} 'same' decisions"
            if used
            else f"m from EM only: {len(same)} 'same' decisions, fewer than {min_decisions}"
        )
        + "; 'different' decisions do not train; every decision overrides its own pair",
    }


def model_fallbacks(model: dict[str, Any]) -> list[Fallback]:
    """The fallbacks a saved model was trained with."""
    return [Fallback.from_dict(f) for f in model.get(FALLBACKS_KEY) or []]


def _prior(linker: Any) -> float:
    value = linker._settings_obj._probability_two_random_records_match
    return float(value) if value is not None else 0.0


def _set_prior(linker: Any, value: float) -> None:
    linker._settings_obj._probability_two_random_records_match = value


def _pairs(n: float) -> str:
    return "1 record pair" if n == 1 else f"{n:,.0f} record pairs"


def _first_sentence(err: Exception) -> str:
    text = " ".join(str(err).split())
    return text.split(". ")[0].rstrip(".") or type(err).__name__


def _no_pairs(err: Exception) -> bool:
    return "resulted in no record pairs" in str(err)


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
    w = label_share(n_labels)
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
