"""Choosing the blocking rules for a given set of records, so the work grows with the records.

A rule on two name keys (given + family) is the right net for a few tens of thousands of
records, and a disaster for a million: common names make its blocks grow with the square of
the list ("Mohammed" + "Ahmad" + "al-Hassan" is thousands of records in a large conflict).
So before scoring, each rule's number of pairs is counted (in DuckDB, a group-by per rule),
and a rule that would give more than ``max_pairs_per_record`` pairs per record is replaced by
its refinements: the rule plus one more column, for each column of ``refine_with`` the records
have (given + family + date of death, given + family + locality, given + family + father ...).
A refinement still too loose is refined again, up to ``max_refinement_depth``. Pairs that
share the loose rule and any one further field are still compared, so recall drops little,
while the work stays proportional to the records. The rules actually used are saved with the
model (``blocking_rules_to_generate_predictions``).

On DuckDB the pairs to score are then generated here rather than by Splink
(``register_blocked_pairs``): Splink makes each rule exclude the pairs of every earlier rule,
a condition per earlier rule on every candidate pair, and with twenty refined rules on a
million records that took 8 s; joining rule by rule and keeping distinct pairs gives the same
pairs in under half the time. Splink then scores them (its documented
``register_blocked_pairs_for_predict``).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from everyname.core.link.model import usable_rules
from everyname.core.link.settings import LinkSettings


def count_pairs(
    con: duckdb.DuckDBPyConnection, rule: tuple[str, ...], table: str = "records"
) -> int:
    """Record pairs a rule of equal columns generates (nulls never agree)."""
    cols = ", ".join(f'"{c}"' for c in rule)
    present = " and ".join(f'"{c}" is not null' for c in rule)
    sql = (
        "select coalesce(sum(n * (n - 1) / 2), 0) from "
        f"(select count(*) as n from {table} where {present} group by {cols})"
    )
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def effective_rules(
    prepared: pd.DataFrame,
    columns: frozenset[str],
    settings: LinkSettings,
    records_in: tuple[duckdb.DuckDBPyConnection, str] | None = None,
) -> list[tuple[str, ...]]:
    """The blocking rules for these records: the settings' rules, loose ones refined.

    ``records_in`` names a DuckDB connection and table already holding the prepared records
    (the DuckDB backend's), so they are counted where they are rather than copied again."""
    b = settings.blocking
    rules = usable_rules(columns, b.rules)
    budget = b.max_pairs_per_record * max(len(prepared), 1)
    refiners = [c for c in b.refine_with if c in columns]
    if records_in is not None:
        con, table = records_in
        own = None
    else:
        needed = sorted({c for rule in rules for c in rule} | set(refiners))
        con = own = duckdb.connect()
        table = "records"
        con.register("records_frame", prepared[needed])
        con.execute("create table records as select * from records_frame")
    try:
        out: list[tuple[str, ...]] = []
        seen: set[frozenset[str]] = set()

        def add(rule: tuple[str, ...], depth: int) -> None:
            key = frozenset(rule)
            if key in seen:
                return
            seen.add(key)
            if depth >= b.max_refinement_depth or count_pairs(con, rule, table) <= budget:
                out.append(rule)
                return
            for extra in refiners:
                if extra not in rule:
                    add((*rule, extra), depth + 1)

        for rule in rules:
            add(rule, 0)
    finally:
        if own is not None:
            own.close()
    return _minimal(out)


def _minimal(rules: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Drop a rule implied by a looser one kept (its pairs are already compared)."""
    sets = [frozenset(r) for r in rules]
    return [r for r, s in zip(rules, sets, strict=True) if not any(o < s for o in sets)]


def saved_rules(model: dict) -> list[tuple[str, ...]] | None:
    """The equality rules a saved model was blocked with, when they were ours (``l.c = r.c``)."""
    import re

    out = []
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else str(rule)
        terms = [t.strip() for t in re.split(r"\s+and\s+", sql, flags=re.I)]
        cols = []
        for term in terms:
            m = re.fullmatch(r'\(?\s*l\."?(\w+)"?\s*=\s*r\."?(\w+)"?\s*\)?', term)
            if not m or m.group(1) != m.group(2):
                return None
            cols.append(m.group(1))
        out.append(tuple(cols))
    return out or None


def blocked_pairs_sql(rules: list[tuple[str, ...]], table: str, id_column: str) -> str:
    """SQL for the distinct record pairs sharing all columns of at least one rule, in Splink's
    blocked-pairs shape: ``match_key`` (the first rule that finds the pair), ``join_key_l`` <
    ``join_key_r`` (record ids, compared as Splink compares them for deduplication)."""
    joins = []
    for index, rule in enumerate(rules):
        on = " and ".join(f'l."{c}" = r."{c}"' for c in rule)
        joins.append(
            f'select {index} as rule, l."{id_column}" as join_key_l, '
            f'r."{id_column}" as join_key_r from {table} as l join {table} as r '
            f'on {on} where l."{id_column}" < r."{id_column}"'
        )
    union = "\nunion all\n".join(joins)
    return (
        "select cast(min(rule) as varchar) as match_key, join_key_l, join_key_r "
        f"from ({union}) group by join_key_l, join_key_r"
    )


def register_blocked_pairs(linker: Any, rules: list[tuple[str, ...]], table: str) -> None:
    """Compute the blocked pairs in the linker's DuckDB connection and hand them to Splink."""
    db_api = linker._db_api
    name = "everyname_blocked_pairs"
    db_api._con.execute(
        f"create or replace table {name} as {blocked_pairs_sql(rules, table, 'record_id')}"
    )
    linker.table_management.register_blocked_pairs_for_predict(db_api.register(name))
