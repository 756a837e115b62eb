"""Adding comparable name and place forms to a records frame that has them only as written.

Ingest normally stores the name forms with each record; this is for frames that carry names
as written (benchmarks, the demo, a quick link of a spreadsheet). Names repeat a great deal,
so when the parts come in separate columns each distinct value is normalised once.
"""

from __future__ import annotations

import pandas as pd

from everyname.core.names import name_forms, name_key
from everyname.core.names.forms import FORM_PARTS
from everyname.core.schema import NAME_PARTS, PLACE_LEVELS

PARTS = NAME_PARTS
AS_WRITTEN = ("full_name", *(f"{p}_name" for p in PARTS))
_PART_FORMS = tuple(f"{p}_{f}" for p in PARTS for f in ("ar", "lat", "key"))
LINK_FORM_COLUMNS = (*_PART_FORMS, "full_key", "is_placeholder")
assert set(PARTS) <= set(FORM_PARTS)


def with_name_forms(records: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``records`` with the name form columns linkage compares, from the names as
    written (``full_name`` and/or the part columns ``given_name`` ... ``family_name``)."""
    present = [c for c in AS_WRITTEN if c in records.columns]
    if not present:
        return records.copy()
    if "full_name" in present:
        rows = records[present].astype(object).where(records[present].notna(), None)
        forms = [name_forms(dict(zip(present, r, strict=True))) for r in rows.itertuples(False)]
        frame = pd.DataFrame.from_records(forms, columns=LINK_FORM_COLUMNS, index=records.index)
    else:
        frame = _forms_by_part(records, present)
    return pd.concat([records.drop(columns=[c for c in frame if c in records]), frame], axis=1)


def _forms_by_part(records: pd.DataFrame, present: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(index=records.index)
    placeholder = pd.Series(True, index=records.index)
    for column in present:
        part = column.removesuffix("_name")
        values = records[column].astype(object).where(records[column].notna(), None)
        cache = {
            v: name_forms({column: v}) for v in pd.unique(values.dropna()) if isinstance(v, str)
        }
        for form in ("ar", "lat", "key"):
            frame[f"{part}_{form}"] = [
                cache[v][f"{part}_{form}"] if v in cache else None for v in values
            ]
        placeholder &= frame[f"{part}_key"].isna()
    keys = frame[[f"{p}_key" for p in PARTS if f"{p}_key" in frame]]
    frame["full_key"] = [
        " ".join(k for k in row if isinstance(k, str)) or None for row in keys.itertuples(False)
    ]
    # a record whose every written part is a placeholder (مجهول) is unidentified
    written = records[present].notna().any(axis=1)
    frame["is_placeholder"] = placeholder & written
    for col in LINK_FORM_COLUMNS:
        if col not in frame:
            frame[col] = None
    return frame[list(LINK_FORM_COLUMNS)]


def with_place_keys(records: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Place columns replaced by their cross-script key, so "حلب" and "Aleppo" can agree
    where no gazetteer id is available yet (each distinct value is keyed once)."""
    out = records.copy()
    for column in columns:
        if column in out:
            values = out[column]
            cache = {v: name_key(v) or None for v in pd.unique(values.dropna())}
            out[column] = [cache.get(v) if isinstance(v, str) else None for v in values]
    return out


PLACE_COLUMNS = (*PLACE_LEVELS, "place")


def link_input(records: pd.DataFrame) -> pd.DataFrame:
    """Records as ingest normalises them (``ParsedRecord.normalised`` plus ``record_id`` and
    ``source``) made ready for ``link_records``: name forms added when absent, place names
    keyed across scripts (until gazetteer ids are stored with records)."""
    out = records if "given_key" in records.columns else with_name_forms(records)
    return with_place_keys(out, PLACE_COLUMNS)
