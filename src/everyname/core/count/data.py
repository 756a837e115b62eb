"""The plain data every count, report and release is computed from.

The store builds a :class:`CountInput` from the latest accepted link run; tests build one from
small tables. Keeping it plain (data frames, dicts) keeps counting testable without a database
and lets a published figure be recomputed from an exported run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from everyname.core.errors import EverynameError
from everyname.core.schema import PLACE_FIELDS, UNKNOWN

PERSON_COLUMNS: tuple[str, ...] = (
    "person_id",
    "full_name",
    "sex",
    "age_years",
    "age_group",
    "date_of_death",
    "date_of_death_precision",
    "date_of_death_start",
    "date_of_death_end",
    *PLACE_FIELDS,
    "place_id",
    "cause",
    "status",
    "outcome",
)
MEMBERSHIP_COLUMNS = ("person_id", "record_id", "source")
CLAIM_COLUMNS = ("source", "date", "place", "category", "count", "text")
VOCABULARY_COLUMNS = ("sex", "age_group", "cause", "status", "outcome")


class CountInputError(EverynameError):
    """The persons, memberships or claims handed to counting are not in the expected shape."""


Conflict = Mapping[str, Any]
"""One contested field of a person: ``{"field": "status", "values": {value: [record_ids]}}``."""


def clean(value: Any) -> Any:
    """``None`` for every spelling of "no value" a data frame produces (NaN, NaT, None, "")."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def isin(series: pd.Series, values: Iterable[Any]) -> pd.Series:
    """``series.isin(values)`` through a hash table (pandas' Arrow-backed strings compare a
    large set element by element, which is slow on hundreds of thousands of persons)."""
    return series.astype(object).isin(pd.Index(list(values), dtype=object))


def vocab(value: Any) -> str:
    """A vocabulary value, with every missing value read as ``unknown`` (never guessed)."""
    value = clean(value)
    return UNKNOWN if value is None else str(value)


def parse_day(value: Any) -> date | None:
    """An ISO day (``2012-02-03``) or a date/timestamp, else ``None``."""
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class CountInput:
    """Persons of one link run, which records and sources name them, conflicts and claims.

    ``copy_groups`` maps a source code to a group name for sources a user marks as copying one
    another: sources in one group count once when corroborating (a list re-published by
    another organisation is not a second witness).

    Linkage doubt travels with the persons so that no figure hides it: ``pending_pairs`` are
    the run's pairs still awaiting review (``record_id_l``, ``record_id_r``,
    ``match_probability``), ``decisions`` the reviewers' decisions in force (core
    ``MatchDecision``), and ``records_not_linked`` the records imported since the run, which
    no figure of this run can include.
    """

    persons: pd.DataFrame
    memberships: pd.DataFrame
    link_run: str
    conflicts: Mapping[str, Sequence[Conflict]] = field(default_factory=dict)
    claims: pd.DataFrame | None = None
    copy_groups: Mapping[str, str] = field(default_factory=dict)
    pending_pairs: pd.DataFrame | None = None
    decisions: Sequence[Any] = ()
    records_not_linked: int = 0
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """What counts of this input worked out and may reuse (see ``compute._remember``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "persons", _conform(self.persons, PERSON_COLUMNS, "persons"))
        object.__setattr__(
            self, "memberships", _conform(self.memberships, MEMBERSHIP_COLUMNS, "memberships")
        )
        claims = self.claims if self.claims is not None else pd.DataFrame()
        object.__setattr__(self, "claims", _conform(claims, CLAIM_COLUMNS, "claims", strict=False))
        ids = self.persons["person_id"]
        if ids.isna().any():
            raise CountInputError("persons: every person needs a person_id")
        duplicated = ids[ids.duplicated()].unique().tolist()
        if duplicated:
            raise CountInputError(
                "persons: person_id must be unique; repeated: "
                + ", ".join(map(str, duplicated[:5]))
            )
        unknown = set(self.memberships["person_id"]) - set(ids)
        if unknown:
            shown = ", ".join(sorted(map(str, unknown))[:5])
            raise CountInputError(f"memberships name persons that are not in persons: {shown}")

    @classmethod
    def from_link(
        cls,
        resolved: pd.DataFrame,
        records: pd.DataFrame,
        link_run: str,
        *,
        claims: pd.DataFrame | None = None,
        copy_groups: Mapping[str, str] | None = None,
    ) -> CountInput:
        """From linkage output: ``resolved`` as :func:`everyname.core.link.resolve.
        resolve_persons` returns it (``person_id``, ``record_ids``, ``name``, resolved fields,
        ``conflicts``) and ``records`` with at least ``record_id`` and ``source``."""
        persons = resolved.rename(columns={"name": "full_name"})
        if "full_name" in resolved.columns and "name" in resolved.columns:
            persons = resolved
        members = persons[["person_id", "record_ids"]].explode("record_ids")
        members = members.rename(columns={"record_ids": "record_id"}).dropna()
        members["record_id"] = members["record_id"].astype(str)
        sources = records[["record_id", "source"]].astype({"record_id": str})
        memberships = members.merge(sources, on="record_id", how="left")
        if memberships["source"].isna().any():
            missing = memberships.loc[memberships["source"].isna(), "record_id"].head(5)
            raise CountInputError(
                "records: no source for record(s) " + ", ".join(missing) + " named by persons"
            )
        conflicts = (
            dict(zip(persons["person_id"].astype(str), persons["conflicts"], strict=True))
            if "conflicts" in persons.columns
            else {}
        )
        return cls(
            persons.drop(columns=["record_ids", "sources", "conflicts"], errors="ignore"),
            memberships,
            link_run=link_run,
            conflicts={k: list(v) for k, v in conflicts.items() if isinstance(v, list) and v},
            claims=claims,
            copy_groups=dict(copy_groups or {}),
        )

    @property
    def pairs_awaiting_review(self) -> int:
        return 0 if self.pending_pairs is None else len(self.pending_pairs)

    @cached_property
    def merged_groups(self) -> dict[str, str] | None:
        """Person id → the person group it would be in if every pair awaiting review (and
        every "same" decision made since the run) were applied; ``None`` when that changes
        nothing, so the count's range is a single number. Computed once per input."""
        if not self.pairs_awaiting_review and not any(
            getattr(d, "verdict", None) == "same" for d in self.decisions
        ):
            return None
        from everyname.core.link.cluster import merge_pending  # only when there is doubt

        pending = self.pending_pairs if self.pending_pairs is not None else pd.DataFrame()
        groups = merge_pending(self.memberships, pending, self.decisions)
        if all(person == group for person, group in groups.items()):
            return None
        return groups

    @cached_property
    def group_codes(self) -> np.ndarray | None:
        """Each person's merged group (see :attr:`merged_groups`) as an integer code, aligned
        with ``persons``; ``None`` when nothing is in doubt. What every figure's low end
        counts, computed once per input."""
        groups = self.merged_groups
        if groups is None:
            return None
        merged = [groups.get(p, p) for p in self.persons["person_id"].tolist()]
        return pd.factorize(np.array(merged, dtype=object))[0].astype(np.int64)

    @cached_property
    def shares_group(self) -> np.ndarray | None:
        """Whether each person's merged group holds another person (aligned with
        ``persons``): only those can make a figure's low end lower than the figure."""
        codes = self.group_codes
        if codes is None:
            return None
        return np.bincount(codes)[codes] > 1

    @cached_property
    def spans(self) -> pd.DataFrame:
        """Each person's date of death as a span: ``start`` and ``end`` (datetime64, NaT when
        unknown), aligned with ``persons``. Computed once, vectorised, for every count."""
        return death_spans(self.persons)

    def sources_by_person(self) -> dict[str, frozenset[str]]:
        """Person id → the source codes whose records name that person."""
        out: dict[str, set[str]] = {str(p): set() for p in self.persons["person_id"]}
        for person_id, source in zip(
            self.memberships["person_id"], self.memberships["source"], strict=True
        ):
            out[str(person_id)].add(str(source))
        return {k: frozenset(v) for k, v in out.items()}


def _conform(frame: pd.DataFrame, columns: Sequence[str], what: str, strict: bool = True):
    """Check the identifying columns exist and add the optional ones as empty columns."""
    required = {"persons": ("person_id",), "memberships": columns, "claims": ("count",)}[what]
    if strict or len(frame.columns):
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise CountInputError(
                f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
            )
    frame = frame.copy()
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    if "person_id" in frame.columns:
        # plain Python strings: every count turns the ids it keeps into tuples of them
        ids = frame["person_id"].map(lambda v: None if clean(v) is None else str(v))
        frame["person_id"] = ids.astype(object)
    for column in VOCABULARY_COLUMNS:
        if what == "persons" and column in frame.columns:
            frame[column] = frame[column].map(vocab)
    return frame.reset_index(drop=True)


def _iso_days(values: pd.Series) -> pd.Series:
    text = values.map(lambda v: None if clean(v) is None else str(v)[:10]).astype("string")
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def death_spans(persons: pd.DataFrame) -> pd.DataFrame:
    """First and last possible day of each person's death (see :attr:`CountInput.spans`).

    Uses ``date_of_death_start``/``_end`` where the store gives both; otherwise reads the ISO
    partial date (``2012``, ``2012-02``, ``2012-02-07``): a year spans the year, a month the
    month. A date that is neither is an input error naming the persons.
    """
    given_start = _iso_days(persons["date_of_death_start"])
    given_end = _iso_days(persons["date_of_death_end"])
    text = persons["date_of_death"].map(lambda v: None if clean(v) is None else str(v).strip())
    text = text.astype("string").str[:10]
    length = text.str.len()
    year = pd.to_datetime(text.where(length == 4) + "-01-01", format="%Y-%m-%d", errors="coerce")
    month = pd.to_datetime(text.where(length == 7) + "-01", format="%Y-%m-%d", errors="coerce")
    day = pd.to_datetime(text.where(length == 10), format="%Y-%m-%d", errors="coerce")
    start = day.fillna(month).fillna(year)
    end = day.fillna(month + pd.offsets.MonthEnd(0)).fillna(year + pd.offsets.YearEnd(0))
    both = given_start.notna() & given_end.notna()
    bad = text.notna() & start.isna() & ~both
    if bad.any():
        shown = ", ".join(
            f"{pid} ({value!r})"
            for pid, value in zip(persons.loc[bad, "person_id"][:5], text[bad][:5], strict=False)
        )
        raise CountInputError(
            f"persons: date_of_death must be an ISO date or partial date (2012-02-07, 2012-02, "
            f"2012); not readable for {shown}"
        )
    return pd.DataFrame(
        {"start": given_start.where(both, start), "end": given_end.where(both, end)},
        index=persons.index,
    )
