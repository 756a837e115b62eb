"""Adding the names API's comparable forms to a records frame that has names as written.

Ingest normally stores these forms with each record; this is for frames that only carry the
names as written (benchmarks, the demo, a quick link of a spreadsheet).
"""

from __future__ import annotations

import pandas as pd

from everyname.core.names import name_forms

AS_WRITTEN = ("full_name", "given_name", "father_name", "grandfather_name", "family_name")
_PART_FORMS = tuple(
    f"{p}_{f}" for p in ("given", "father", "grandfather", "family") for f in ("ar", "lat", "key")
)
LINK_FORM_COLUMNS = (*_PART_FORMS, "full_key", "is_placeholder")


def with_name_forms(records: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``records`` with the name form columns linkage compares, from the names as
    written (``full_name`` and/or the part columns)."""
    present = [c for c in AS_WRITTEN if c in records.columns]
    if not present:
        return records.copy()
    rows = records[present].astype(object).where(records[present].notna(), None)
    forms = [name_forms(dict(zip(present, row, strict=True))) for row in rows.itertuples(False)]
    frame = pd.DataFrame.from_records(forms, columns=LINK_FORM_COLUMNS, index=records.index)
    return pd.concat([records.drop(columns=[c for c in frame if c in records]), frame], axis=1)
