"""Who a new record might already be: the link model's own comparison of one record with the rest.

Before a recorder saves a typed-in victim, the existing records the latest link run's model
would pair with it are shown, best first, with what agrees and what differs. This is the
same evidence a link run weighs, not a second, looser matcher: the record is prepared as a link
run prepares records (name forms, place keys, partial dates as spans), the pairs are those the
model's own blocking rules find, and each pair is scored with the saved model by Splink's
``score_pairs``. Term frequencies come from every record, so agreeing on "Mohammed" counts
for as little here as in a link run.

A check must not read every record: a recorder waits for it, and a list grows to a million.
So :func:`blocks` says which stored records a blocking rule of the model can pair with the new
one (those holding the same name keys, the same span of the date of death), for the store to
fetch only those; and :func:`term_frequencies` counts each value once for all records, for
the store to keep between checks. Given both, :func:`find_candidates` scores the fetched
records alone, with the kept counts (plus the new record, as a scan of every record would
count it): the same candidates and the same scores as reading every record.

Pure: plain frames and dicts in, frozen results out; no database of ours is touched (DuckDB
runs in memory for the scoring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from everyname.core.link.blocking import saved_rules
from everyname.core.link.names import link_input
from everyname.core.link.records import NUMBER_COLUMNS, TEXT_COLUMNS, prepare_records
from everyname.core.link.train import FALLBACKS_KEY
from everyname.core.schema import NAME_PARTS

OWN_KEYS_PREFIX = FALLBACKS_KEY.split("_")[0] + "_"
"""The prefix of the keys everyname adds to a saved Splink model (``everyname_fallbacks``)."""
NEW_RECORD_ID = "everyname-new-record"
"""The id the record being entered carries while it is compared (it has no id yet)."""
DEFAULT_FLOOR = 0.01
"""Pairs less likely than this are not shown: they would bury the few that matter."""
DEFAULT_LIMIT = 10

Verdict = Literal["agrees", "differs", "missing"]


@dataclass(frozen=True)
class Evidence:
    """One comparison of the model for one pair: the level the pair fell in and its weight.

    ``weight`` is the log2 Bayes factor the model gives that level (term-frequency adjusted):
    above zero it speaks for one person ("agrees"), below it against ("differs");
    ``missing`` is a field absent on one side, which the model does not weigh.
    """

    comparison: str
    level: str
    weight: float
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Candidate:
    """An existing record the new one may be the same person as."""

    record_id: str
    match_probability: float
    match_weight: float
    evidence: tuple[Evidence, ...]

    @property
    def agrees(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.verdict == "agrees")

    @property
    def differs(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.verdict == "differs")

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "match_probability": self.match_probability,
            "match_weight": self.match_weight,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class TermFrequencies:
    """How many records hold each value of each column the model adjusts for its frequency
    (``counts``), and how many hold any value of it (``totals``): what a link run's term
    frequency tables are made of, kept so that a check need not count every record again."""

    counts: Mapping[str, Mapping[str, int]]
    totals: Mapping[str, int]

    def plus(self, other: TermFrequencies) -> TermFrequencies:
        """These counts and ``other``'s together (records added since these were counted)."""
        counts = {}
        for column in {*self.counts, *other.counts}:
            merged = dict(self.counts.get(column, {}))
            for value, n in other.counts.get(column, {}).items():
                merged[value] = merged.get(value, 0) + n
            counts[column] = merged
        totals = {
            c: self.totals.get(c, 0) + other.totals.get(c, 0) for c in {*self.totals, *other.totals}
        }
        return TermFrequencies(counts, totals)


def term_frequencies(records: pd.DataFrame, model: Mapping[str, Any]) -> TermFrequencies:
    """Count the values of ``records`` (as :func:`find_candidates` takes them) in each column
    the ``model`` adjusts for frequency, as Splink counts them (present values only)."""
    columns = tf_columns(model)
    if records.empty or not columns:
        return TermFrequencies({c: {} for c in columns}, {c: 0 for c in columns})
    frame = records.astype(object).copy()
    frame["record_id"] = frame["record_id"].astype(str)
    prepared = _complete(prepare_records(link_input(frame)))
    counts, totals = {}, {}
    for column in columns:
        values = prepared[column].dropna()
        counts[column] = {str(k): int(n) for k, n in values.value_counts(sort=False).items()}
        totals[column] = len(values)
    return TermFrequencies(counts, totals)


def tf_columns(model: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns the model's comparison levels adjust for how common a value is."""
    out: list[str] = []
    for comparison in model.get("comparisons") or []:
        for level in comparison.get("comparison_levels") or []:
            column = level.get("tf_adjustment_column")
            if column and column not in out:
                out.append(str(column))
    return tuple(out)


NAME_KEY_COLUMNS = tuple(f"{part}_key" for part in NAME_PARTS)
"""The name part keys a stored record's name key (``full_key``) holds, each as whole parts."""


@dataclass(frozen=True)
class Block:
    """What a stored record must hold for one blocking rule to pair it with the new record:
    the keys of the name parts the rule compares, as whole parts of its name key
    (``full_key``), and, when the rule asks for the same date of death, ``death``, the first
    and last day of its date's span. A looser test than the rule (its other columns are left
    out): the rule itself is applied to the records fetched.

    ``parts`` runs from the first name part the rule compares to the last, in the order of a
    name, None for a part between them it does not compare: "Mohammed son of Mohammed" must
    find the key twice, given and father name side by side, not any Mohammed."""

    parts: tuple[str | None, ...]
    death: tuple[str, str] | None

    @property
    def name_keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.parts if key is not None)


def blocks(new: Mapping[str, Any], model: Mapping[str, Any]) -> tuple[Block, ...] | None:
    """For each blocking rule of ``model`` that can pair ``new`` with anything, what a stored
    record must hold to be paired by it; records holding none of these need not be read.

    None when some rule could pair ``new`` with a record whatever its name and date (a rule
    on other columns only, or a rule that is not a list of equal columns): then every record
    must be read. An empty tuple when no rule can pair it (a value a rule needs is missing)."""
    rules = saved_rules(dict(model))
    if rules is None:
        return None
    row = prepared_new(new)
    out = []
    for rule in rules:
        values = [row.get(column) for column in rule]
        if any(_absent(v) for v in values):
            continue  # missing never equals anything
        compared = [n for n, c in enumerate(NAME_KEY_COLUMNS) if c in rule]
        keys: tuple[str | None, ...] = ()
        if compared:
            span = NAME_KEY_COLUMNS[compared[0] : compared[-1] + 1]
            keys = tuple(str(row[c]) if c in rule else None for c in span)
        death = None
        if "date_of_death" in rule:
            start, end = row.get("date_of_death_start"), row.get("date_of_death_end")
            if not _absent(start) and not _absent(end):
                death = (str(start), str(end))
        if not keys and death is None:
            return None
        block = Block(keys, death)
        if block not in out:
            out.append(block)
    return tuple(out)


def prepared_new(new: Mapping[str, Any]) -> dict[str, Any]:
    """The new record as a link run compares it (cleaned, place names keyed)."""
    row = {k: v for k, v in new.items() if k in _WANTED}
    row["record_id"] = NEW_RECORD_ID
    row["source"] = str(new.get("source") or NEW_RECORD_ID)
    prepared = _complete(prepare_records(link_input(pd.DataFrame([row]).astype(object))))
    return prepared.iloc[0].to_dict()


def _absent(value: Any) -> bool:
    return value is None or value is pd.NA or _is_nan(value)


def find_candidates(
    new: Mapping[str, Any],
    records: pd.DataFrame,
    model: Mapping[str, Any],
    *,
    floor: float = DEFAULT_FLOOR,
    limit: int = DEFAULT_LIMIT,
    frequencies: TermFrequencies | None = None,
) -> tuple[Candidate, ...]:
    """The records of ``records`` the ``model`` pairs with ``new``, most likely first.

    ``new`` is one record as ingest normalises it (``core.ingest.normalise``) with its
    ``source``; ``records`` are the existing records as a link run reads them (``record_id``,
    ``source`` and the normalised columns, name forms included); ``model`` is a link run's
    saved Splink model. At most ``limit`` candidates at or above ``floor`` come back; none when
    the model compares nothing (a run of a single record) or no blocking rule finds a pair.

    Without ``frequencies``, ``records`` are all the records and how common a value is is
    counted among them. With ``frequencies`` (:func:`term_frequencies` of all the records),
    ``records`` need only be those :func:`blocks` lets through: the result is the same.
    """
    comparisons = model.get("comparisons") or []
    rules = model.get("blocking_rules_to_generate_predictions") or []
    if not comparisons or not rules or records.empty:
        return ()
    row = {k: v for k, v in new.items() if k in records.columns or k in _WANTED}
    row["record_id"] = NEW_RECORD_ID
    row["source"] = str(new.get("source") or NEW_RECORD_ID)
    frame = pd.concat(
        [records.astype(object), pd.DataFrame([row]).astype(object)], ignore_index=True
    )
    frame["record_id"] = frame["record_id"].astype(str)
    prepared = _complete(prepare_records(link_input(frame)))
    lookups = None if frequencies is None else _lookups(prepared, model, frequencies)
    return _score(prepared, model, rules, floor, limit, lookups)


_WANTED = frozenset((*TEXT_COLUMNS, *NUMBER_COLUMNS, "full_key", "is_placeholder"))


def _lookups(
    prepared: pd.DataFrame, model: Mapping[str, Any], frequencies: TermFrequencies
) -> dict[str, pd.DataFrame]:
    """Splink's term frequency table of each column for the values of ``prepared``, from the
    kept counts with the new record added, as Splink would count them among every record and
    the new one (a value of a record added since the counts were kept counts at least as
    often as it is seen here)."""
    prefix = str(model.get("term_frequency_adjustment_column_prefix") or "tf_")
    is_new = prepared["record_id"] == NEW_RECORD_ID
    out = {}
    for column in tf_columns(model):
        kept = frequencies.counts.get(column, {})
        values = prepared[column]
        new_value = values[is_new].dropna()
        mine = str(new_value.iloc[0]) if len(new_value) else None
        seen = values.dropna().astype(str).value_counts(sort=False)
        total = max(frequencies.totals.get(column, 0) + (mine is not None), int(seen.sum()))
        rows = []
        for value, n in seen.items():
            count = max(kept.get(value, 0) + (value == mine), int(n))
            rows.append((value, float(count) / float(total)))
        out[column] = pd.DataFrame(
            {
                column: pd.array([v for v, _ in rows], dtype="string"),
                f"{prefix}{column}": [f for _, f in rows],
            }
        )
    return out


def _complete(prepared: pd.DataFrame) -> pd.DataFrame:
    """Every column a model may name, empty where the records hold none (``prepare_records``
    drops empty columns; the saved model still compares them, and finds them missing)."""
    out = prepared.copy()
    for column in (*TEXT_COLUMNS, "full_key"):
        if column not in out.columns:
            out[column] = pd.Series([None] * len(out), dtype="string")
    for column in NUMBER_COLUMNS:
        if column not in out.columns:
            out[column] = pd.Series([math.nan] * len(out), dtype=float)
    return out


def _score(
    prepared: pd.DataFrame,
    model: Mapping[str, Any],
    rules: list[Any],
    floor: float,
    limit: int,
    lookups: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[Candidate, ...]:
    import duckdb
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    con = duckdb.connect(":memory:")
    try:
        con.register("everyname_prepared", prepared)
        con.execute(
            "create table everyname_records as select *, "
            "string_split(full_key, ' ') as full_keys from everyname_prepared"
        )
        con.unregister("everyname_prepared")
        # the pairs the model's own blocking rules find between the new record and the rest
        found = " or ".join(f"({_rule_sql(rule)})" for rule in rules)
        con.execute(
            "create table everyname_new as select * from everyname_records "
            f"where record_id = '{NEW_RECORD_ID}'"
        )
        con.execute(
            "create table everyname_found as select r.* from everyname_new as l, "
            f"everyname_records as r where r.record_id <> '{NEW_RECORD_ID}' and ({found})"
        )
        if con.execute("select count(*) from everyname_found").fetchall()[0][0] == 0:
            return ()
        db_api = DuckDBAPI(connection=con)
        # what everyname keeps in a saved model beside Splink's settings (the fallbacks, ...)
        # is named everyname_*; Splink refuses keys it does not know
        settings = {k: v for k, v in model.items() if not k.startswith(OWN_KEYS_PREFIX)}
        # validation only logs columns the settings name that the records lack (a saved model
        # was checked when it was trained, and _complete gives every column): skipped, it
        # parses every comparison's SQL again and was half of a check's time
        linker = Linker(
            db_api.register("everyname_records"),
            settings,
            log_level=None,
            validate_settings=False,
        )
        for n, (column, table) in enumerate((lookups or {}).items()):
            # the kept counts stand for Splink's own count among the records registered
            con.register("everyname_tf_frame", table)
            con.execute(f"create table everyname_tf_{n} as select * from everyname_tf_frame")
            con.unregister("everyname_tf_frame")
            linker.table_management.register_term_frequency_lookup(
                db_api.register(f"everyname_tf_{n}"), column
            )
        scored = linker.inference.score_pairs(
            db_api.register("everyname_new"), db_api.register("everyname_found")
        ).as_pandas_dataframe()
    finally:
        con.close()
    scored = scored[scored["match_probability"] >= floor]
    scored = scored.sort_values(
        ["match_weight", "record_id_r"], ascending=[False, True], kind="stable"
    ).head(limit)
    return tuple(
        Candidate(
            record_id=str(pair["record_id_r"]),
            match_probability=float(pair["match_probability"]),
            match_weight=float(pair["match_weight"]),
            evidence=_evidence(pair, comparisons=model["comparisons"]),
        )
        for pair in scored.to_dict("records")
    )


def _rule_sql(rule: Any) -> str:
    return str(rule["blocking_rule"] if isinstance(rule, Mapping) else rule)


def _evidence(
    pair: Mapping[str, Any], comparisons: list[Mapping[str, Any]]
) -> tuple[Evidence, ...]:
    """Each comparison's level and weight for one scored pair, in the model's order."""
    out = []
    for comparison in comparisons:
        name = comparison["output_column_name"]
        gamma = pair.get(f"gamma_{name}")
        if gamma is None or _is_nan(gamma):
            continue
        gamma = int(gamma)
        label = _level_label(comparison, gamma)
        if gamma == -1:
            out.append(Evidence(name, label, 0.0, "missing"))
            continue
        # Splink gives each comparison's weight as a match weight (log2 Bayes factor) and,
        # for a term-frequency adjusted level, the adjustment's weight beside it
        weight = _number(pair.get(f"mw_{name}")) + _number(pair.get(f"mw_tf_adj_{name}"))
        out.append(Evidence(name, label, round(weight, 3), "agrees" if weight > 0 else "differs"))
    return tuple(out)


def _level_label(comparison: Mapping[str, Any], gamma: int) -> str:
    """The label of the level a comparison vector value names: Splink numbers the levels
    that are not a null level from the strongest (highest) down to the else level (0)."""
    levels = comparison["comparison_levels"]
    if gamma == -1:
        nulls = [lvl for lvl in levels if lvl.get("is_null_level")]
        return str(nulls[0].get("label_for_charts", "missing")) if nulls else "missing"
    ordered = [lvl for lvl in levels if not lvl.get("is_null_level")]
    index = len(ordered) - 1 - gamma
    if 0 <= index < len(ordered):
        return str(ordered[index].get("label_for_charts") or ordered[index]["sql_condition"])
    return str(gamma)


def _number(value: Any) -> float:
    """A weight column's value; absent or NaN (no adjustment at this level) is 0."""
    if value is None or _is_nan(value):
        return 0.0
    return float(value)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
