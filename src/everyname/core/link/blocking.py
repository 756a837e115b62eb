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
"""

from __future__ import annotations

import duckdb
import pandas as pd

from everyname.core.link.model import usable_rules
from everyname.core.link.settings import LinkSettings


def count_pairs(con: duckdb.DuckDBPyConnection, rule: tuple[str, ...]) -> int:
    """Record pairs a rule of equal columns generates (nulls never agree)."""
    cols = ", ".join(f'"{c}"' for c in rule)
    present = " and ".join(f'"{c}" is not null' for c in rule)
    sql = (
        "select coalesce(sum(n * (n - 1) / 2), 0) from "
        f"(select count(*) as n from records where {present} group by {cols})"
    )
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def effective_rules(
    prepared: pd.DataFrame, columns: frozenset[str], settings: LinkSettings
) -> list[tuple[str, ...]]:
    """The blocking rules for these records: the settings' rules, loose ones refined."""
    b = settings.blocking
    rules = usable_rules(columns, b.rules)
    budget = b.max_pairs_per_record * max(len(prepared), 1)
    refiners = [c for c in b.refine_with if c in columns]
    needed = sorted({c for rule in rules for c in rule} | set(refiners))
    con = duckdb.connect()
    try:
        con.register("records_frame", prepared[needed])
        con.execute("create table records as select * from records_frame")
        out: list[tuple[str, ...]] = []
        seen: set[frozenset[str]] = set()

        def add(rule: tuple[str, ...], depth: int) -> None:
            key = frozenset(rule)
            if key in seen:
                return
            seen.add(key)
            if depth >= b.max_refinement_depth or count_pairs(con, rule) <= budget:
                out.append(rule)
                return
            for extra in refiners:
                if extra not in rule:
                    add((*rule, extra), depth + 1)

        for rule in rules:
            add(rule, 0)
    finally:
        con.close()
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
