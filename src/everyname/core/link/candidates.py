"""Who a new record might already be: the link model's own comparison of one record with the rest.

Before a recorder saves a typed-in victim, the existing records the latest link run's model
would pair with it are shown, best first, with what agrees and what differs. This is the
same evidence a link run weighs, not a second, looser matcher: the record is prepared as a link
run prepares records (name forms, place keys, partial dates as spans), the pairs are those the
model's own blocking rules find, and each pair is scored with the saved model by Splink's
``score_pairs``. Term frequencies come from every record given, so agreeing on "Mohammed"
counts for as little here as in a link run.

Pure: plain frames and dicts in, frozen results out; no database of ours is touched (DuckDB
runs in memory for the scoring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from everyname.core.link.names import link_input
from everyname.core.link.records import NUMBER_COLUMNS, TEXT_COLUMNS, prepare_records
from everyname.core.link.train import FALLBACKS_KEY

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


def find_candidates(
    new: Mapping[str, Any],
    records: pd.DataFrame,
    model: Mapping[str, Any],
    *,
    floor: float = DEFAULT_FLOOR,
    limit: int = DEFAULT_LIMIT,
) -> tuple[Candidate, ...]:
    """The records of ``records`` the ``model`` pairs with ``new``, most likely first.

    ``new`` is one record as ingest normalises it (``core.ingest.normalise``) with its
    ``source``; ``records`` are the existing records as a link run reads them (``record_id``,
    ``source`` and the normalised columns, name forms included); ``model`` is a link run's
    saved Splink model. At most ``limit`` candidates at or above ``floor`` come back; none when
    the model compares nothing (a run of a single record) or no blocking rule finds a pair.
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
    return _score(prepared, model, rules, floor, limit)


_WANTED = frozenset((*TEXT_COLUMNS, *NUMBER_COLUMNS, "full_key", "is_placeholder"))


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
        linker = Linker(db_api.register("everyname_records"), settings, log_level=None)
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
