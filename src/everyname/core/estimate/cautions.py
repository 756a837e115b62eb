"""What a statistician would say before anyone quotes an estimate.

Each warning has a stable ``code`` (tests, the web page and translations key on it), a message
written for the analyst, and the figures the message is made from (``params``), so that a page in
another language can say the same thing without parsing English. Warnings never change a number;
they travel with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from everyname.core.estimate.histories import CaptureHistories


class WarningCode(StrEnum):
    FEWER_THAN_THREE_LISTS = "fewer_than_three_lists"
    FEW_OBSERVATIONS = "few_observations"
    LIST_COVERS_ALMOST_ALL = "list_covers_almost_all"
    LIST_COVERS_ALMOST_NONE = "list_covers_almost_none"
    NO_OVERLAP = "no_overlap"
    ESTIMATE_FAR_ABOVE_OBSERVED = "estimate_far_above_observed"
    MODELS_DISAGREE = "models_disagree"
    ESTIMATE_DOES_NOT_EXIST = "estimate_does_not_exist"
    NOT_IDENTIFIABLE = "not_identifiable"
    INTERVAL_OPEN = "interval_open"
    NOT_CONVERGED = "not_converged"
    SELECTION_UNCERTAIN = "selection_uncertain"
    BOOTSTRAP_NOT_POSSIBLE = "bootstrap_not_possible"


@dataclass(frozen=True)
class EstimateWarning:
    """A caution with its English ``message`` (the CLI, reports and the API print it as is) and
    the ``params`` it was written from: plain JSON values (numbers, list codes, lists of them)
    named as in the message. Only the message takes part in :func:`dedupe`."""

    code: WarningCode
    message: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """``{code, message}``, and ``params`` when there are any (a warning stored before they
        existed reads back without them)."""
        out: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.params:
            out["params"] = dict(self.params)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateWarning:
        """The warning :meth:`to_dict` wrote (``params`` empty for an older one)."""
        return cls(WarningCode(data["code"]), str(data["message"]), dict(data.get("params") or {}))

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


# Thresholds, in one place so that the report can quote them.
FEW_OBSERVATIONS = 50
ALMOST_ALL_SHARE = 0.9
ALMOST_NONE_SHARE = 0.02
ALMOST_NONE_COUNT = 5
FAR_ABOVE_RATIO = 10.0
DISAGREE_RATIO = 1.5


def data_warnings(histories: CaptureHistories) -> list[EstimateWarning]:
    """Warnings about the capture histories themselves, whatever the method."""
    out: list[EstimateWarning] = []
    n = histories.observed
    if histories.n_lists < 3:
        out.append(
            EstimateWarning(
                WarningCode.FEWER_THAN_THREE_LISTS,
                f"only {histories.n_lists} list(s): whether the lists are independent cannot be "
                "tested, and the estimate assumes they are (lists that share informants or copy "
                "each other make it too low).",
                {"lists": int(histories.n_lists)},
            )
        )
    if n < FEW_OBSERVATIONS:
        out.append(
            EstimateWarning(
                WarningCode.FEW_OBSERVATIONS,
                f"only {n} documented persons (fewer than {FEW_OBSERVATIONS}): the estimate and "
                "its interval rest on very little data.",
                {"observed": int(n), "threshold": FEW_OBSERVATIONS},
            )
        )
    for name, total in histories.list_totals().items():
        share = total / n if n else 0.0
        if share >= ALMOST_ALL_SHARE and histories.n_lists > 1:
            out.append(
                EstimateWarning(
                    WarningCode.LIST_COVERS_ALMOST_ALL,
                    f"list {name!r} names {share:.0%} of documented persons: the other lists add "
                    "little, and the estimate depends mostly on how that one list was made.",
                    {"list": name, "share": float(share)},
                )
            )
        elif share < ALMOST_NONE_SHARE or total < ALMOST_NONE_COUNT:
            out.append(
                EstimateWarning(
                    WarningCode.LIST_COVERS_ALMOST_NONE,
                    f"list {name!r} names only {total} person(s) ({share:.1%}): it carries almost "
                    "no information; consider merging it with a similar list.",
                    {"list": name, "persons": int(total), "share": float(share)},
                )
            )
    return out


def far_above(observed: int, estimate: float) -> list[EstimateWarning]:
    if observed > 0 and estimate > FAR_ABOVE_RATIO * observed:
        return [
            EstimateWarning(
                WarningCode.ESTIMATE_FAR_ABOVE_OBSERVED,
                f"the estimate ({estimate:,.0f}) is more than {FAR_ABOVE_RATIO:.0f} times the "
                f"documented count ({observed:,}): such extrapolation is usually a sign of "
                "sparse overlaps or a model that does not fit, not of hidden deaths.",
                {"estimate": float(estimate), "ratio": FAR_ABOVE_RATIO, "observed": int(observed)},
            )
        ]
    return []


def disagreement(
    labelled: Sequence[tuple[str, float]],
    ratio: float = DISAGREE_RATIO,
    *,
    parts: Sequence[Mapping[str, Any]] | None = None,
) -> list[EstimateWarning]:
    """Warn when estimates from different models differ by more than ``ratio``. ``parts``
    (one per label) say what a label is made of, for a page that shows it in another language
    (e.g. ``{"criterion": "AIC", "terms": [...]}``); without them the label is kept as a code."""
    given = parts if parts is not None else [{} for _ in labelled]
    vals = [(label, v) for label, v in labelled if v is not None and v > 0]
    made = {label: dict(part) for (label, _), part in zip(labelled, given, strict=True)}
    if len(vals) < 2:
        return []
    lo = min(vals, key=lambda kv: kv[1])
    hi = max(vals, key=lambda kv: kv[1])
    if hi[1] > ratio * lo[1]:
        shown = ", ".join(f"{label} {v:,.0f}" for label, v in vals)
        return [
            EstimateWarning(
                WarningCode.MODELS_DISAGREE,
                f"models disagree strongly ({shown}): the data cannot tell these assumptions "
                "apart, so the uncertainty is larger than any single interval shows.",
                {
                    "estimates": [
                        {"label": label, **made[label], "estimate": float(v)} for label, v in vals
                    ]
                },
            )
        ]
    return []


def compare_results(results: Iterable[object]) -> list[EstimateWarning]:
    """Warnings from setting several estimates of the same data side by side (e.g. log-linear
    vs LCMCR). Takes :class:`~everyname.core.estimate.result.EstimateResult` objects."""
    labelled = [(str(r.method), float(r.estimate)) for r in results]  # type: ignore[attr-defined]
    return disagreement(labelled)


def dedupe(warnings: Iterable[EstimateWarning]) -> tuple[EstimateWarning, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for w in warnings:
        key = (str(w.code), w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return tuple(out)
