"""Resolved values and conflicts per person, as a casualty recorder would read the records.

Rules:

- unknown never outvotes known: missing values, "unknown" and empty text are left out before
  anything is counted, so one list saying "male" and two saying nothing gives "male";
- a categorical field (sex, age group, status, cause, each place level) takes the value most
  records give; a tie between known values resolves to unknown (we never pick a side for the
  user) and is listed as a conflict;
- place texts that name one place (``place_key``: "Homs" and "حمص", "Baba Amr" and "حي بابا
  عمرو" name one gazetteer entry) are one value, not a conflict: the place is the text most of
  its records give (a tie: the first in alphabetical order);
- the name is the one most records give; a tie goes to the most complete (more parts, then
  longer), then the first in alphabetical order, so the choice is reproducible. Spelling
  variants of a name are expected and are not conflicts;
- age is the median of the known ages; ages more than ``age_tolerance`` years apart are a
  conflict (lists made months apart round ages differently, which is not a disagreement);
- the date of death is the most precise date consistent with all the others (a day inside a
  month someone else gave); dates that cannot all be true are a conflict, resolved to the
  most frequent date or unknown on a tie;
- a conflict is ``{"field": f, "values": {value: [record ids]}}``, so a reviewer sees who
  said what.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from everyname.core.link.records import _date_span
from everyname.core.schema import NAME_PART_FIELDS, PLACE_FIELDS, PLACE_LEVELS

CATEGORICAL_FIELDS = (
    "sex",
    "age_group",
    "status",
    "cause",
    "outcome",
    *PLACE_LEVELS,
    "place",
)
UNKNOWN_TEXT = {"", "unknown", "nan", "none", "null"}


PlaceKey = Callable[[str, str], str | None]
"""``(text, field) -> key``: the place a place field's text names (a gazetteer id), or None
when it names none known."""


def resolve_persons(
    records: pd.DataFrame,
    person_ids: pd.Series | np.ndarray | list[str],
    *,
    age_tolerance: float = 2,
    place_key: PlaceKey | None = None,
) -> pd.DataFrame:
    """One row per person: ``person_id``, ``n_records``, ``sources``, ``record_ids``, a column
    per resolved field present in ``records``, and ``conflicts`` (a list, maybe empty).

    ``records`` holds ``record_id``, ``source`` and any of: ``full_name`` (or the four name
    part columns), the categorical fields above, ``age_years``, ``date_of_death``.
    ``place_key`` says which place a place text names, so that two spellings of one place
    (in two scripts) neither conflict nor tie into unknown; without it, texts are compared.
    """
    frame = records.reset_index(drop=True).copy()
    frame["person_id"] = np.asarray(person_ids, dtype=object)
    frame["record_id"] = frame["record_id"].astype(str)
    persons = frame.groupby("person_id", sort=True).agg(
        n_records=("record_id", "size"),
        record_ids=("record_id", lambda s: sorted(s)),
        sources=("source", lambda s: sorted(set(map(str, s)))),
    )
    conflicts: dict[str, list[dict[str, Any]]] = {}

    name = _name_column(frame)
    if name is not None:
        frame["_name"] = name
        persons["name"] = _resolve_name(frame)
    for field in CATEGORICAL_FIELDS:
        if field in frame.columns:
            same = place_key if field in PLACE_FIELDS else None
            persons[field] = _resolve_categorical(frame, field, conflicts, same)
    if "age_years" in frame.columns:
        persons["age_years"] = _resolve_age(frame, age_tolerance, conflicts)
    if "date_of_death" in frame.columns:
        persons["date_of_death"] = _resolve_date(frame, conflicts)
    persons["conflicts"] = [conflicts.get(pid, []) for pid in persons.index]
    return persons.reset_index()


def _known(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text.str.lower().isin(UNKNOWN_TEXT))


def _name_column(frame: pd.DataFrame) -> pd.Series | None:
    """Each record's name: its full name, else its name parts joined in order. Per record, not
    per frame: a run mixes lists with a full-name column and lists with name parts, and a
    record of the second kind is named too."""
    full = _known(frame["full_name"]) if "full_name" in frame.columns else None
    parts = [c for c in NAME_PART_FIELDS if c in frame.columns]
    if not parts:
        return full
    unnamed = frame.index if full is None else full.index[full.isna()]
    if not len(unnamed):
        return full
    joined = _known(
        frame.loc[unnamed, parts].apply(
            lambda row: " ".join(str(v).strip() for v in row if isinstance(v, str) and v.strip()),
            axis=1,
        )
    )
    return joined if full is None else full.fillna(joined)


def _resolve_name(frame: pd.DataFrame) -> pd.Series:
    known = frame.dropna(subset=["_name"])
    counts = known.groupby(["person_id", "_name"]).size().rename("n").reset_index()
    counts["parts"] = counts["_name"].str.split().str.len()
    counts["length"] = counts["_name"].str.len()
    counts = counts.sort_values(
        ["person_id", "n", "parts", "length", "_name"],
        ascending=[True, False, False, False, True],
    )
    return counts.drop_duplicates("person_id").set_index("person_id")["_name"].astype(object)


def _add_conflict(
    conflicts: dict[str, list[dict[str, Any]]], field: str, rows: pd.DataFrame, column: str
) -> None:
    # One pass over sorted tuples: a pandas groupby per person took seconds per thousand.
    ordered = sorted(
        zip(
            rows["person_id"].astype(str),
            rows[column].astype(str),
            rows["record_id"].astype(str),
            strict=True,
        )
    )
    for pid, by_person in groupby(ordered, key=itemgetter(0)):
        values: dict[str, list[str]] = {}
        for _, value, record_id in by_person:
            values.setdefault(value, []).append(record_id)
        conflicts.setdefault(pid, []).append({"field": field, "values": values})


def _resolve_categorical(
    frame: pd.DataFrame,
    field: str,
    conflicts: dict[str, list[dict[str, Any]]],
    same: PlaceKey | None = None,
) -> pd.Series:
    known = frame.assign(_v=_known(frame[field])).dropna(subset=["_v"])
    if same is None:
        known["_k"] = known["_v"]
    else:  # each distinct text looked up once: a list has a few thousand place texts
        keys = {text: same(text, field) for text in known["_v"].unique()}
        known["_k"] = [keys[text] or f"text:{text}" for text in known["_v"]]
    counts = known.groupby(["person_id", "_k"]).size().rename("n").reset_index()
    distinct = counts.groupby("person_id")["_k"].transform("size")
    top = counts.groupby("person_id")["n"].transform("max")
    winners = counts[counts["n"] == top]
    n_winners = winners.groupby("person_id")["_k"].transform("size")
    won = winners[n_winners == 1][["person_id", "_k"]]
    if same is None:
        resolved = won.set_index("person_id")["_k"].astype(object)
    else:  # the text the winning place is written in most often (a tie: alphabetical order)
        texts = known.merge(won, on=["person_id", "_k"])
        texts = texts.groupby(["person_id", "_v"]).size().rename("n").reset_index()
        texts = texts.sort_values(["person_id", "n", "_v"], ascending=[True, False, True])
        resolved = texts.drop_duplicates("person_id").set_index("person_id")["_v"].astype(object)
    disputed = counts.loc[distinct > 1, "person_id"].unique()
    if len(disputed):
        _add_conflict(conflicts, field, known[known["person_id"].isin(disputed)], "_v")
    return resolved


def _resolve_age(
    frame: pd.DataFrame, tolerance: float, conflicts: dict[str, list[dict[str, Any]]]
) -> pd.Series:
    known = frame.assign(_v=pd.to_numeric(frame["age_years"], errors="coerce")).dropna(
        subset=["_v"]
    )
    stats = known.groupby("person_id")["_v"].agg(["median", "min", "max"])
    disputed = stats.index[(stats["max"] - stats["min"]) > tolerance]
    if len(disputed):
        rows = known[known["person_id"].isin(disputed)].copy()
        rows["_v"] = rows["_v"].map(lambda v: f"{v:g}")
        _add_conflict(conflicts, "age_years", rows, "_v")
    return stats["median"]


def _resolve_date(frame: pd.DataFrame, conflicts: dict[str, list[dict[str, Any]]]) -> pd.Series:
    """Vectorised over persons (a Python loop per person took minutes on a national list)."""
    known = frame.assign(_v=_known(frame["date_of_death"])).dropna(subset=["_v"])
    if known.empty:
        return pd.Series(dtype=object)
    spans = [_date_span(v) for v in known["_v"]]
    known = known.assign(_start=[s for s, _ in spans], _end=[e for _, e in spans]).dropna(
        subset=["_start"]
    )
    if known.empty:
        return pd.Series(dtype=object)
    known = known.assign(
        person_id=known["person_id"].astype(str),
        _w=pd.to_datetime(known["_end"]) - pd.to_datetime(known["_start"]),
    )
    by_person = known.groupby("person_id", sort=True)
    consistent = by_person["_start"].max() <= by_person["_end"].min()
    # all consistent: take the narrowest span, i.e. the most precise date
    narrowest = (
        known[known["person_id"].isin(consistent.index[consistent])]
        .sort_values(["person_id", "_w", "_v"], kind="stable")
        .drop_duplicates("person_id")
        .set_index("person_id")["_v"]
    )
    disputed = list(consistent.index[~consistent])
    resolved = narrowest.astype(object)
    if disputed:
        rows = known[known["person_id"].isin(disputed)]
        _add_conflict(conflicts, "date_of_death", rows, "_v")
        counts = rows.groupby(["person_id", "_v"], sort=True).size().rename("n").reset_index()
        top = counts[counts["n"] == counts.groupby("person_id")["n"].transform("max")]
        single = top.groupby("person_id")["_v"].agg(lambda v: v.iloc[0] if len(v) == 1 else None)
        resolved = pd.concat([resolved, single.astype(object)])
    resolved = resolved.astype(object)
    return resolved.where(resolved.notna(), None).sort_index()
