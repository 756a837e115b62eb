"""The immutable result every estimator returns, and its JSON form (a stable contract).

``to_dict()`` follows the design's ``estimate --format json`` contract::

    {"method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings"}

and extends it (never renames) with ``settings``, ``details`` and ``provenance`` (input
fingerprint, seed, library versions) so that a published figure can be reproduced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from everyname.core import provenance
from everyname.core.errors import EverynameError
from everyname.core.estimate.cautions import EstimateWarning
from everyname.core.provenance import json_safe


class EstimationError(EverynameError):
    """The data cannot support the estimate that was asked for (the message says why;
    ``params`` holds its figures, for a warning made from it to carry them)."""

    def __init__(
        self, *args: object, field: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(*args, field=field)
        self.params: dict[str, Any] = dict(params or {})


class SettingsError(EverynameError, ValueError):
    """An estimator setting is out of range; raised when the estimator validates its settings."""


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


ESTIMATE_LIBRARIES = ("everyname", "numpy", "scipy", "statsmodels", "numba")
"""The libraries whose versions can change an estimate; saved with every result."""


def library_versions() -> dict[str, str]:
    """Versions that can change a number; saved with every result."""
    return provenance.library_versions(*ESTIMATE_LIBRARIES)


@dataclass(frozen=True)
class EstimateResult:
    """One population estimate with its interval, observed count, lists, settings and warnings.

    ``estimate`` is the total population (documented + undocumented), not the undocumented part;
    ``lower``/``upper`` bound the same quantity at ``level``. ``upper`` may be ``inf`` when the
    data put no upper limit on it (then the JSON shows ``null``).
    """

    method: str
    observed: int
    estimate: float
    lower: float
    upper: float
    lists: tuple[str, ...]
    settings: Any
    level: float = 0.95
    warnings: tuple[EstimateWarning, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lists", tuple(self.lists))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "details", _freeze(dict(self.details)))
        object.__setattr__(self, "provenance", _freeze(dict(self.provenance)))

    @property
    def undocumented(self) -> float:
        """Estimated persons named by no list."""
        return self.estimate - self.observed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "observed": int(self.observed),
            "estimate": json_safe(float(self.estimate)),
            "lower": json_safe(float(self.lower)),
            "upper": json_safe(float(self.upper)),
            "level": float(self.level),
            "lists": list(self.lists),
            "warnings": [w.to_dict() for w in self.warnings],
            "settings": json_safe(self.settings),
            "details": json_safe(self.details),
            "provenance": json_safe(self.provenance),
        }
        return out

    def summary(self) -> str:
        up = "no upper limit" if not math.isfinite(self.upper) else f"{self.upper:,.0f}"
        lines = [
            f"{self.method}: estimated total {self.estimate:,.0f} "
            f"({self.level:.0%} interval {self.lower:,.0f} to {up})",
            f"  documented {self.observed:,} on {len(self.lists)} lists "
            f"({', '.join(self.lists)}); undocumented about {self.undocumented:,.0f}",
        ]
        model = self.details.get("model")
        if model is not None:
            lines.append(f"  model: {model}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
