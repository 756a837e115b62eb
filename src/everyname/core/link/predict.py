"""Scoring the blocked record pairs with a trained model.

Only pairs at or above a floor probability come back to Python (the lower end of the review
band, or the threshold if lower): the others can neither join a person nor need review, and
on a million records they are most of the pairs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_weight", "match_probability")


def score_pairs(linker: Any, floor: float) -> tuple[pd.DataFrame, int]:
    """Scored pairs with probability ≥ ``floor``, and how many pairs were compared in all."""
    blocked = linker.inference.compute_blocked_pairs_for_predict()  # cached for predict()
    counted = linker.misc.query_sql(
        f"select count(*) as n from {blocked.physical_name}", output_type="pandas"
    )
    compared = int(counted["n"].iloc[0])
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    pairs = linker.misc.query_sql(
        f"select {', '.join(PAIR_COLUMNS)} from {predictions.physical_name}",
        output_type="pandas",
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    # records are named by their rank in content order here (see records.content_order)
    pairs["record_id_l"] = pairs["record_id_l"].astype("int64")
    pairs["record_id_r"] = pairs["record_id_r"].astype("int64")
    pairs["match_probability"] = pairs["match_probability"].astype(float)
    pairs["match_weight"] = pairs["match_weight"].astype(float)
    return pairs.reset_index(drop=True), compared
