"""Keeping trained parameters sane, so no single comparison decides a pair by itself.

Unsupervised training can go wrong in ways that matter more here than in most linkage:

- EM on a few hundred records drives a level's m towards 0 (1e-30 has been seen): one close
  spelling of a given name then outweighs every other agreement, a veto nobody chose;
- on one list whose true duplicates are rare, EM's "match" class can become a household,
  and agreeing on a given name is learnt as evidence *against* being the same person;
- a level never seen in random sampling keeps Splink's placeholder u of 1e-6, and a level EM
  never saw keeps its starting m: together they make a rare level worth 14 bits, on no data.

So after training, and before anything is scored, the parameters go through three steps,
each recorded (``Adjustment``) and saved with the run:

1. **Pseudo-counts.** m and u become posterior means under a uniform Dirichlet prior: one
   pseudo-observation per level, added to the pairs each estimate stands for (the pairs
   sampled for u; the expected number of matching pairs for m). Large inputs barely move;
   a level that EM drove to 1e-30 on 800 matching pairs ends near 1/800.
2. **No evidence, no extra weight.** A level whose m or u no training observed keeps its
   starting m (a declared prior, ``model.START_M``; none: m = u, no weight), but never counts
   for more than the strongest level the comparison did observe.
3. **Order.** Three facts true of any record linkage, enforced by raising or lowering m:
   the strongest agreement of a comparison is never evidence against a match (weight ≥ 0);
   its "nothing agrees" level is never evidence for one (weight ≤ 0); and no level counts
   for less than nothing agreeing (when that level was observed). Then m is renormalised.

The prior (how often two random records are the same person) gets the same treatment: a
posterior mean with one pseudo-pair matching and one not (``sane_prior``). A list where no
pair meets the strict rules that estimate it would otherwise have a prior of 0, and no
evidence could ever link two of its records.

When there is too little to train on (two records, a handful of pairs, a training block with
no pair), what was used instead is a ``Fallback``, saved with the model and shown in the
run's summary: a figure from a run on defaults must say so.

Why by hand: Splink estimates m and u but has no prior or constraint on them (its own advice
is to fix suspicious values by hand); these rules are small, and their effect is measured in
``benchmarks/link_accuracy.py``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

PSEUDO_COUNT = 1.0
"""Pseudo-observations per level (a uniform Dirichlet prior)."""

NO_WEIGHT = "not observed in training, no starting m: no weight"
STARTING_M = "not observed in training: its starting m (a declared default)"
PRIOR = "prior"
"""The ``comparison`` of the prior's adjustment."""
PRIOR_LEVEL = "probability two random records match"

LevelKey = tuple[str, int]
"""(comparison output column name, position among the comparison's non-null levels)."""


@dataclass(frozen=True)
class Adjustment:
    """One change made to a trained level, with its match weight (log2 m/u) before and after."""

    comparison: str
    level: str
    rule: str
    weight_before: float | None
    """None when training left the level without an m or u (or with one of 0)."""
    weight_after: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fallback:
    """A stage of a link run that could not learn from the records, and what it used instead.

    ``stage``: "prior", "u", "m" (the model's parameters) or "scoring" (no pair could be
    compared at all)."""

    stage: str
    reason: str
    default: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fallback:
        return cls(stage=data["stage"], reason=data["reason"], default=data["default"])

    def describe(self) -> str:
        return f"{self.stage}: {self.reason}; {self.default}"


def sane_prior(prior: float | None, all_pairs: float) -> tuple[float, Adjustment | None]:
    """The prior as a posterior mean: (λ·N + 1) / (N + 2) over the N pairs of the input, and
    its adjustment when that moves it by 0.01 bits or more (always when λ was 0 or 1).

    On a list of thousands with duplicates this changes nothing that shows; on a list where
    training found no duplicate it is one matching pair among all pairs, not none."""
    n = max(float(all_pairs), 1.0)
    p = float(prior) if isinstance(prior, int | float) and math.isfinite(prior) else 0.0
    p = min(max(p, 0.0), 1.0)
    after = (p * n + PSEUDO_COUNT) / (n + 2 * PSEUDO_COUNT)
    before_w = _log_odds(p)
    after_w = _log_odds(after)
    if before_w is not None and abs(after_w - before_w) < 0.01:
        return after, None
    rule = (
        "pseudo-count"
        if before_w is not None
        else f"default: training left it at {p:g}; one pseudo-pair matching among all pairs"
    )
    return after, Adjustment(PRIOR, PRIOR_LEVEL, rule, before_w, after_w)


def _log_odds(p: float) -> float | None:
    return math.log2(p / (1 - p)) if 0 < p < 1 else None


def sane_parameters(
    model: dict[str, Any],
    *,
    u_pairs: float,
    match_pairs: float,
    m_untrained: Collection[LevelKey] = (),
    u_untrained: Collection[LevelKey] = (),
) -> tuple[dict[str, Any], list[Adjustment]]:
    """The model with every level's m and u set and sane (see the module docstring).

    ``u_pairs``: the record pairs u was estimated from; ``match_pairs``: the expected number
    of matching pairs in the input (prior × all pairs), what m stands for. ``m_untrained`` /
    ``u_untrained``: levels no training observed. Adjustments smaller than 0.01 bits are not
    reported. The input model is not changed.
    """
    out = copy.deepcopy(model)
    adjustments: list[Adjustment] = []
    for comp in out["comparisons"]:
        name = comp["output_column_name"]
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        if not levels:
            continue
        before = [_weight(lv.get("m_probability"), lv.get("u_probability")) for lv in levels]
        k = len(levels)
        rules = ["pseudo-count"] * k
        u = [_smoothed(_probability(lv.get("u_probability")), u_pairs, k) for lv in levels]
        m = [_smoothed(_probability(lv.get("m_probability")), match_pairs, k) for lv in levels]
        unseen = [(name, i) in m_untrained or (name, i) in u_untrained for i in range(k)]
        for i in range(k):
            if (name, i) not in m_untrained:
                continue
            if isinstance(levels[i].get("m_probability"), int | float):
                rules[i] = STARTING_M
            else:
                m[i], rules[i] = u[i], NO_WEIGHT
        seen_weights = [math.log2(m[i] / u[i]) for i in range(k) if not unseen[i]]
        if seen_weights:
            cap = 2.0 ** max(seen_weights)
            for i in range(k):
                if unseen[i] and m[i] > u[i] * cap:
                    m[i] = u[i] * cap
                    rules[i] = "not observed in training: no stronger than the strongest observed"
        else_index = k - 1 if _is_else(levels[-1]) and k > 1 else None
        else_observed = else_index is not None and not unseen[else_index]
        m = _ordered(m, u, rules, else_index, else_observed, [r == NO_WEIGHT for r in rules])
        for i, lv in enumerate(levels):
            lv["m_probability"], lv["u_probability"] = m[i], u[i]
            after = math.log2(m[i] / u[i])
            if before[i] is None or abs(after - before[i]) >= 0.01:
                adjustments.append(
                    Adjustment(
                        comparison=name,
                        level=str(lv.get("label_for_charts") or lv.get("sql_condition")),
                        rule=rules[i],
                        weight_before=before[i],
                        weight_after=after,
                    )
                )
    return out, adjustments


def _ordered(
    m: list[float],
    u: list[float],
    rules: list[str],
    else_index: int | None,
    else_observed: bool,
    pinned: list[bool],
) -> list[float]:
    """m with the order rules applied, summing to 1 (rules names the rule each level met).

    Exact, in an order where no step undoes an earlier one: raising the levels below "nothing
    agrees" and renormalising keeps every ratio between levels; lowering "nothing agrees" to
    weight 0 hands its excess to the other levels in proportion (raising them only helps);
    raising the strongest level to weight 0 takes its share from the others in proportion
    (they all scale alike, so the rules among them still hold)."""
    m = list(m)
    if len(m) < 2:
        return [1.0] * len(m)
    if else_index is not None and else_observed:
        floor = m[else_index] / u[else_index]
        for i in range(1, else_index):
            if m[i] < u[i] * floor * (1 - 1e-9):
                m[i] = u[i] * floor
                rules[i] = "never counts for less than nothing agreeing"
    free = sum(x for x, p in zip(m, pinned, strict=True) if not p)
    share = 1.0 - sum(x for x, p in zip(m, pinned, strict=True) if p)
    if free > 0 and share > 0:  # levels with no weight keep it; the others share the rest
        m = [x if p else x * share / free for x, p in zip(m, pinned, strict=True)]
    total = sum(m)
    m = [x / total for x in m]
    if else_index is not None and m[else_index] > u[else_index] * (1 + 1e-9):
        scale = (1.0 - u[else_index]) / (1.0 - m[else_index])
        m = [x * scale for x in m]
        m[else_index] = u[else_index]
        rules[else_index] = "nothing agreeing never counts for a match"
    if m[0] < u[0] * (1 - 1e-9):
        scale = (1.0 - u[0]) / (1.0 - m[0])
        m = [u[0], *(x * scale for x in m[1:])]
        rules[0] = "strongest agreement never counts against a match"
    return m


def _probability(value: Any) -> float:
    """A saved probability, or 0 for a level Splink left without one ("not observed")."""
    return float(value) if isinstance(value, int | float) else 0.0


def _smoothed(p: float, n: float, levels: int) -> float:
    n = max(float(n), 1.0)
    return (p * n + PSEUDO_COUNT) / (n + PSEUDO_COUNT * levels)


def _weight(m: Any, u: Any) -> float | None:
    if not isinstance(m, int | float) or not isinstance(u, int | float) or m <= 0 or u <= 0:
        return None
    return math.log2(m / u)


def _is_else(level: dict[str, Any]) -> bool:
    return str(level.get("sql_condition", "")).strip().upper() == "ELSE"


def untrained_levels(linker: Any) -> tuple[set[LevelKey], set[LevelKey]]:
    """Levels of a trained Splink linker whose m, and whose u, no training observed."""
    m_untrained: set[LevelKey] = set()
    u_untrained: set[LevelKey] = set()
    for comp in linker._settings_obj.comparisons:
        for i, level in enumerate(comp._comparison_levels_excluding_null):
            key = (comp.output_column_name, i)
            if not level._has_estimated_m_values:
                m_untrained.add(key)
            if not level._has_estimated_u_values:
                u_untrained.add(key)
    return m_untrained, u_untrained
