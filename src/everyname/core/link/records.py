"""The records frame the linkage reads: which columns it knows, and how they are made comparable.

One row per record. ``record_id`` and ``source`` are required; every other column is optional,
and a comparison or blocking rule whose columns are missing (or entirely empty) is left out
of the model, so a FEBRL file and a casualty list with dates and places share one code path.

Known columns (everything is plain text unless said otherwise):

- names: ``{part}_key`` (cross-script consonant key), ``{part}_lat`` (romanised form) and
  ``{part}_ar`` (Arabic normalised form) for part in given, father, grandfather, family;
  ``full_key`` (the keys of every part of the name, space-separated, as the names API
  gives it; built from the part keys when absent; the backend splits it into the list
  ``full_keys`` that the dropped/reordered-part level searches); ``is_placeholder`` (bool:
  "Unidentified 3", مجهول — such a record never matches on its name, its name columns are
  emptied here).
- person: ``sex``, ``age_years`` (number), ``age_group``, ``date_of_birth`` (ISO text),
  ``national_id``.
- event: ``date_of_death`` (ISO text, full or partial: 2024, 2024-03, 2024-03-07) with
  ``date_of_death_start`` / ``date_of_death_end`` (ISO days; derived from a partial date when
  absent), ``governorate``, ``district``, ``locality``, ``neighbourhood``, ``place``,
  ``cause``, ``status``.

"unknown", empty strings and whitespace become missing: unknown never agrees with anything.
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from everyname.core.errors import EverynameError
from everyname.core.provenance import sha256_hex
from everyname.core.schema import NAME_PARTS, PLACE_LEVELS

NAME_FORMS = ("key", "lat", "ar")
NAME_COLUMNS = tuple(f"{p}_{f}" for p in NAME_PARTS for f in NAME_FORMS)
FINEST_FIRST = tuple(reversed(PLACE_LEVELS))
"""Gazetteer hierarchy, finest first: agreeing on a finer level is stronger evidence."""
TEXT_COLUMNS = (
    *NAME_COLUMNS,
    "sex",
    "age_group",
    "date_of_birth",
    "national_id",
    "date_of_death",
    "date_of_death_start",
    "date_of_death_end",
    *FINEST_FIRST,
    "place",
    "cause",
    "status",
)
NUMBER_COLUMNS = ("age_years",)
KNOWN_COLUMNS = ("record_id", "source", *TEXT_COLUMNS, *NUMBER_COLUMNS, "full_key")
UNKNOWN_TEXT = {"", "unknown", "nan", "none", "null"}


class RecordsRejected(EverynameError):
    """The records frame cannot be linked as given; the message says what to fix."""


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """Return a copy holding only the known columns, cleaned for comparison.

    Why a copy with only known columns: the frame is sent to DuckDB or Spark, and a raw
    column (notes, reporter contact) has no business there. Raises ``RecordsRejected`` when
    ``record_id``/``source`` are missing, empty or ``record_id`` repeats.
    """
    missing = [c for c in ("record_id", "source") if c not in records.columns]
    if missing:
        raise RecordsRejected(
            f"records need the column(s) {', '.join(missing)}; got {', '.join(records.columns)}"
        )
    records = records.reset_index(drop=True)
    out = pd.DataFrame(index=range(len(records)))
    out["record_id"] = records["record_id"].astype(str).to_numpy()
    out["source"] = records["source"].astype(str).to_numpy()
    problems = []
    if (out["record_id"].str.strip() == "").any():
        problems.append("some record_id values are empty")
    if (out["source"].str.strip() == "").any():
        problems.append("some source values are empty")
    dup = out["record_id"].duplicated()
    if dup.any():
        examples = ", ".join(out.loc[dup, "record_id"].head(3))
        problems.append(f"record_id must be unique; repeated: {examples}")
    if problems:
        raise RecordsRejected("cannot link these records: " + "; ".join(problems))

    for col in TEXT_COLUMNS:
        if col in records.columns:
            out[col] = _clean_text(records[col])
    if "age_years" in records.columns:
        age = pd.to_numeric(records["age_years"], errors="coerce").to_numpy(dtype=float, copy=True)
        age[(age < 0) | (age > 130)] = np.nan
        out["age_years"] = age
    if "date_of_death" in out.columns and "date_of_death_start" not in out.columns:
        # a list holds few distinct dates: work them out once each, then index
        codes, dates = pd.factorize(out["date_of_death"])
        spans = [_date_span(v) for v in dates]
        for i, column in enumerate(("date_of_death_start", "date_of_death_end")):
            values = np.array([span[i] for span in spans] + [None], dtype=object)
            out[column] = pd.array(values[codes], dtype="string")  # code -1 (none) is None

    placeholder = np.zeros(len(records), dtype=bool)
    if "is_placeholder" in records.columns:
        placeholder = records["is_placeholder"].fillna(False).astype(bool).to_numpy()
        for col in NAME_COLUMNS if placeholder.any() else ():
            if col in out.columns:
                out.loc[placeholder, col] = None

    if "full_key" in records.columns:  # the names API's space-separated chain of part keys
        full = _clean_text(records["full_key"])
    else:
        key_cols = [f"{p}_key" for p in NAME_PARTS if f"{p}_key" in out.columns]
        full = None
        if key_cols:
            joined = out[key_cols[0]].astype(object).fillna("").astype(str)
            for col in key_cols[1:]:
                joined = joined.str.cat(out[col].astype(object).fillna("").astype(str), sep=" ")
            full = _clean_text(joined.str.replace(r"\s+", " ", regex=True))
    if full is not None:
        full = full.where(~placeholder, None)
        out["full_key"] = full.to_numpy() if isinstance(full, np.ndarray) else full.array
    # Drop columns that carry no value at all: a comparison on them would be pure noise.
    empty = [c for c in out.columns if c not in ("record_id", "source") and out[c].isna().all()]
    return out.drop(columns=empty)


def available_columns(prepared: pd.DataFrame) -> frozenset[str]:
    """Columns of a prepared frame that hold at least one value."""
    return frozenset(c for c in prepared.columns if prepared[c].notna().any())


def fingerprint(prepared: pd.DataFrame) -> str:
    """SHA-256 of the prepared records, independent of row order: names the run's input."""
    columns = sorted(c for c in prepared.columns if c != "full_keys")
    frame = prepared[columns].copy()
    for col in columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].fillna("\x00missing")
    # one 64-bit hash per record, sorted: independent of row order without sorting strings
    rows = np.sort(pd.util.hash_pandas_object(frame, index=False, categorize=True).to_numpy())
    return sha256_hex((",".join(columns), rows.tobytes()))


def content_order(prepared: pd.DataFrame) -> np.ndarray:
    """The order in which linkage sees the records: by what they say, not by their ids.

    Why: training samples record pairs and clustering breaks ties by position, so a run on
    the same records would otherwise change with their ids (a re-import, a restore into a
    new database) or their order. Rows are sorted by a hash of every column but the id, the
    id breaking ties only between records that say exactly the same thing; linkage then
    names each record by its rank in this order. Computed in DuckDB (a million records in
    well under a second). Returns, for each rank, the input row.
    """
    import duckdb

    columns = sorted(c for c in prepared.columns if c not in ("record_id", "full_keys"))
    content = ", ".join(f'"{c}"' for c in columns)
    con = duckdb.connect()
    try:
        con.register("everyname_unordered", prepared[["record_id", *columns]])
        con.register("everyname_positions", pd.DataFrame({"position": np.arange(len(prepared))}))
        # a positional join pairs each row with its input position without copying the frame
        rows = con.execute(
            "select position from everyname_unordered positional join everyname_positions "
            f"order by hash({content}), record_id, position"
        ).fetchnumpy()["position"]
    finally:
        con.close()
    return np.asarray(rows, dtype=np.int64)


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    lowered = text.str.lower()
    # kept as pandas' Arrow-backed string dtype: DuckDB reads it without copying
    return text.mask(lowered.isin(UNKNOWN_TEXT) | lowered.isna())


def _date_span(value: str | None) -> tuple[str | None, str | None]:
    """First and last day an ISO date (day, month or year precision) can mean."""
    if value is None:
        return None, None
    parts = value.split("-")
    try:
        year = int(parts[0])
        if len(parts) == 1:
            return f"{year:04d}-01-01", f"{year:04d}-12-31"
        month = int(parts[1])
        if len(parts) == 2:
            last = calendar.monthrange(year, month)[1]
            return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"
        day = int(parts[2][:2])
        return f"{year:04d}-{month:02d}-{day:02d}", f"{year:04d}-{month:02d}-{day:02d}"
    except (ValueError, IndexError, calendar.IllegalMonthError):
        return None, None
