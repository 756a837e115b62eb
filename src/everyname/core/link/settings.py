"""One settings object for a link run, validated in one place and saved with every result.

Every figure a casualty recorder publishes must be reproducible from a named link run, so
everything that changes the persons a run produces lives here: the threshold, the blocking
rules, which comparisons are made and how finely, how the model is trained, the seed, and the
"a list rarely names the same person twice" rule. ``LinkSettings.to_dict()`` is what a run
stores; ``LinkSettings.from_dict()`` reads it back.

The defaults are declared before any scoring against ground truth (the benchmarks use them
as they are): a user who never touches a setting gets the figures in
``benchmarks/results/link.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from everyname.core.errors import EverynameError
from everyname.core.provenance import json_safe


class InvalidLinkSettings(EverynameError):
    """Settings that cannot produce a meaningful link run; the message lists every problem."""


@dataclass(frozen=True)
class BlockingSettings:
    """Which record pairs are scored at all.

    Each rule is a tuple of columns that must all be equal (and not null) for a pair to be
    scored; a pair is scored when any rule holds. Rules naming a column the input lacks are
    skipped, so the same settings serve a list with dates of death and one without.
    The name rules pair the cross-script part keys, so an Arabic spelling and its
    romanisation meet; the date/place rules recover pairs whose names were badly mangled.
    """

    rules: tuple[tuple[str, ...], ...] = (
        ("given_key", "family_key"),
        ("father_key", "family_key"),
        ("given_key", "father_key"),
        ("grandfather_key", "family_key"),
        ("given_key", "date_of_death"),
        ("family_key", "date_of_death", "locality"),
        ("given_key", "date_of_birth"),
        ("family_key", "date_of_birth"),
        ("national_id",),
    )
    max_pairs_per_record: float = 2.0
    """A rule giving more pairs than this per record is replaced by its refinements (see
    blocking.py): keeps a million records tractable; a few thousand are never affected."""
    refine_with: tuple[str, ...] = (
        "date_of_death",
        "locality",
        "grandfather_key",
        "father_key",
        "given_key",
        "family_key",
        "date_of_birth",
        "age_years",
    )
    max_refinement_depth: int = 2


@dataclass(frozen=True)
class ComparisonSettings:
    """How finely each field is compared. Thresholds are similarities in [0, 1] or distances."""

    name_similarity_levels: tuple[float, ...] = (0.9,)
    """Jaro-Winkler levels on the romanised form of each name part (after exact matches)."""
    key_similarity_level: float | None = 0.88
    """Jaro-Winkler level on the cross-script key (a letter apart across scripts); None: off."""
    name_part_elsewhere: bool = True
    """A level for a part found at another place of the other name (dropped/reordered parts)."""
    age_year_differences: tuple[int, ...] = (0, 1, 3, 8)
    """Age levels: at most this many years apart (lists are made months apart; ages round)."""
    death_date_day_differences: tuple[int, ...] = (3, 31)
    """Date of death levels beyond an exact or overlapping date: at most this many days apart."""
    birth_date: bool = True
    national_id: bool = True
    place: bool = True
    cause: bool = True
    status: bool = False
    """Status is off by default: two sources often disagree on it for the same person, which is
    a conflict to show, not evidence of two different people."""
    term_frequency_adjustments: bool = True
    """Down-weight agreement on common names (Mohammed, Ahmad, al-Najjar) by their frequency."""


@dataclass(frozen=True)
class TrainingSettings:
    """How the model's parameters are estimated without labels, and with reviewers' labels.

    u (how often levels occur among non-matches) comes from random sampling; m (among
    matches) from expectation maximisation on training blocks chosen not to be full of
    siblings: a family name with an age keeps brothers apart, father + grandfather would not.
    Each block is tried in order; a block naming a column the input lacks is skipped.
    """

    u_max_pairs: float = 1e6
    em_blocks: tuple[tuple[str, ...], ...] = (
        ("family_key", "age_years"),
        ("family_key", "date_of_birth"),
        ("given_key", "father_key"),
        ("given_key", "family_key"),
        ("date_of_birth",),
        ("date_of_death", "locality"),
        ("family_key", "date_of_death"),
        ("family_key",),
    )
    max_em_blocks: int = 4
    em_convergence: float = 0.001
    """EM stops when no parameter moves by more than this between iterations."""
    em_max_iterations: int = 15
    """Use at most this many EM sessions (the first ones whose columns exist)."""
    em_max_pairs: float | None = 5e5
    """Sample EM pairs down to about this many (None: all pairs of a training block)."""
    prior_rules: tuple[tuple[str, ...], ...] = (
        ("given_key", "father_key", "grandfather_key", "family_key"),
        ("given_key", "family_key", "date_of_birth"),
        ("given_key", "family_key", "date_of_death"),
        ("national_id",),
    )
    prior_recall: float = 0.6
    """Assumed recall of the prior rules, used to estimate how often two records match."""
    min_decisions_for_m: int = 50
    """With at least this many "same" decisions, their comparison vectors update m: the labelled
    m is blended with the EM one in proportion to the number of labels (see train.py)."""


@dataclass(frozen=True)
class LinkSettings:
    """Everything that decides which records become one person. Immutable; saved with a run."""

    threshold: float = 0.99
    """Two records are joined when their match probability is at least this."""
    review_floor: float = 0.5
    """Undecided pairs with probability in [review_floor, threshold) await review: changing
    the threshold moves the top of the review band with it."""
    one_record_per_source: bool = True
    """A list rarely names the same person twice: a person holds at most one record per source,
    unless a pair of records of the same source is linked directly at ``same_source_threshold``."""
    same_source_threshold: float = 0.99999
    """Why 0.99999: a list names a person twice far less often than two lists share one, about
    a thousand times less (our assumption), so a same-source pair needs ~10 bits (2^10) more
    evidence than the threshold's 0.99 (6.6 bits): 16.6 bits, p = 0.99999. Twins and siblings
    in one list, who agree on father, grandfather, family and often birth date, stay apart.
    Records of ONE source linked against themselves (a list's own duplicates) link at
    ``threshold`` instead: the comparison with other lists means nothing there, the prior is
    the list's own, and siblings are held apart by ``siblings_apart``."""
    siblings_apart: bool = True
    """Two records of one source with the same father's and family name and different given
    names are held apart unless a reviewer says "same" (a declared prior: see siblings.py)."""
    seed: int = 42
    blocking: BlockingSettings = field(default_factory=BlockingSettings)
    comparisons: ComparisonSettings = field(default_factory=ComparisonSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidLinkSettings(
                "invalid link settings:\n" + "\n".join(f"  - {p}" for p in problems)
            )

    def problems(self) -> list[str]:
        """Every reason these settings cannot work (empty when they are valid)."""
        out: list[str] = []

        def prob(name: str, value: float) -> None:
            if not 0.0 < value < 1.0:
                out.append(f"{name} must be a probability strictly between 0 and 1, got {value!r}")

        prob("threshold", self.threshold)
        prob("same_source_threshold", self.same_source_threshold)
        prob("review_floor", self.review_floor)
        if self.review_floor > self.threshold:
            out.append(
                f"review_floor must not exceed threshold ({self.review_floor} > {self.threshold})"
            )
        if self.same_source_threshold < self.threshold:
            out.append(
                "same_source_threshold must be at least threshold "
                f"({self.same_source_threshold} < {self.threshold})"
            )
        if not self.blocking.rules:
            out.append("blocking.rules is empty: no pair would ever be scored")
        if self.blocking.max_pairs_per_record <= 0:
            out.append("blocking.max_pairs_per_record must be positive")
        for rule in self.blocking.rules:
            if not rule or not all(isinstance(c, str) and c for c in rule):
                out.append(f"blocking rule {rule!r} must be a non-empty tuple of column names")
        c = self.comparisons
        if any(not 0 < t <= 1 for t in c.name_similarity_levels):
            out.append("comparisons.name_similarity_levels must lie in (0, 1]")
        if list(c.name_similarity_levels) != sorted(c.name_similarity_levels, reverse=True):
            out.append("comparisons.name_similarity_levels must be in decreasing order")
        for name in ("age_year_differences", "death_date_day_differences"):
            values = list(getattr(c, name))
            if any(v < 0 for v in values):
                out.append(f"comparisons.{name} must not be negative")
            ordered = sorted(values)
            if values != ordered or len(set(values)) != len(values):
                out.append(f"comparisons.{name} must be strictly ordered")
        t = self.training
        if t.u_max_pairs < 1000:
            out.append("training.u_max_pairs must be at least 1000")
        if t.max_em_blocks < 1 or not t.em_blocks:
            out.append("training needs at least one EM block")
        if not 0.0 < t.prior_recall <= 1.0:
            out.append("training.prior_recall must be in (0, 1]")
        if t.min_decisions_for_m < 1:
            out.append("training.min_decisions_for_m must be at least 1")
        return out

    def with_changes(self, **changes: Any) -> LinkSettings:
        """A copy with some top-level values changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists): what a link run stores."""
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkSettings:
        """Read settings saved by ``to_dict``; unknown keys are an error, missing ones default."""
        sections = {
            "blocking": BlockingSettings,
            "comparisons": ComparisonSettings,
            "training": TrainingSettings,
        }
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidLinkSettings(f"unknown link settings: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in sections:
                kwargs[key] = _section_from_dict(sections[key], value)
            else:
                kwargs[key] = value
        return cls(**kwargs)


def _section_from_dict(kind: type, data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidLinkSettings(f"unknown {kind.__name__} settings: {', '.join(unknown)}")
    return kind(**{k: _tuplify(v) for k, v in data.items()})


def _tuplify(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value
