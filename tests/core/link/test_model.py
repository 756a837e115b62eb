"""The model's comparisons: which level a pair of real name spellings reaches."""

from __future__ import annotations

import duckdb
import pandas as pd

from everyname.core.link import LinkSettings
from everyname.core.link.model import settings_creator
from everyname.core.link.names import with_name_forms
from everyname.core.link.records import available_columns, prepare_records


def _levels_reached(left: str, right: str) -> dict[str, str]:
    """Comparison → label of the first level whose SQL holds for the two names (in DuckDB)."""
    frame = with_name_forms(
        pd.DataFrame({"record_id": ["l", "r"], "source": ["a", "b"], "full_name": [left, right]})
    )
    prepared = prepare_records(frame)
    settings = settings_creator(available_columns(prepared), LinkSettings())
    comparisons = settings.create_settings_dict("duckdb")["comparisons"]
    pair = {}
    for side, row in zip(("l", "r"), prepared.to_dict("records"), strict=True):
        pair.update({f"{column}_{side}": [value] for column, value in row.items()})
    con = duckdb.connect()
    con.register("pair_frame", pd.DataFrame(pair))
    con.execute(
        "create table pair as select *, string_split(full_key_l, ' ') as full_keys_l, "
        "string_split(full_key_r, ' ') as full_keys_r from pair_frame"
    )
    out = {}
    for comparison in comparisons:
        for level in comparison["comparison_levels"]:
            sql = f"select coalesce({level['sql_condition']}, false) from pair"
            if con.execute(sql).fetchone()[0]:
                out[comparison["output_column_name"]] = level.get("label_for_charts")
                break
    return out


def test_a_bare_abd_meets_an_abd_compound_on_its_own_level():
    # Tech For Palestine romanises عبدالكريم as "Abd"; IBC writes "Abdel Karim"
    reached = _levels_reached("Yousef Abd Hassan Safa", "Yousef Abdel Karim Hassan Safi")
    assert reached["father_name"] == "father name: a bare Abd beside an Abd compound"
    assert reached["grandfather_name"] == "same romanised form"
    assert reached["family_name"] == "same cross-script key"


def test_two_different_abd_compounds_do_not_reach_the_abd_level():
    reached = _levels_reached("Yousef Abdel Rahman Hassan Ali", "Yousef Abdel Karim Hassan Ali")
    assert "bare Abd" not in reached["father_name"]
    assert reached["given_name"] == "same romanised form"
