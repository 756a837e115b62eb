"""The one CSV writer: every CSV the tool writes goes through here, so no cell can run as a formula.

Why: list values come from people outside the project, and public releases, exports and report
tables are opened in spreadsheets. A cell such as ``=HYPERLINK("http://...","click")`` or
``@SUM(...)`` written raw would run as a formula on the reader's machine (CSV, or "formula",
injection). Following the OWASP recommendation (https://owasp.org/www-community/attacks/CSV_Injection),
a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with a single quote, which spreadsheets read as "this is text".

Decisions:

- Only text is prefixed. Numbers the tool writes as numbers (counts, ids, intervals, a negative
  difference) stay numbers: a number cannot carry a formula, and readers must be able to sum them.
  A text cell that merely looks like a number (``"-3"`` as a source's row id) is prefixed like any
  other text: OWASP asks for every such cell, since ``-3+cmd|...`` starts the same way.
- The prefix is reversible: a text that already starts with quotes followed by a trigger gets one
  more quote, so :func:`restore` gives back exactly the value as written (releases read their
  previous release to compute what changed, and must not see a change that is only the prefix).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from everyname.core.files import atomic_write

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
# utf-8-sig: a byte-order mark, so spreadsheet programs read Arabic text correctly.
SPREADSHEET_ENCODING = "utf-8-sig"


def neutralise(value: Any) -> Any:
    """A cell as it may be written: text a spreadsheet would run gets a leading quote."""
    if isinstance(value, str) and (value.startswith(TRIGGERS) or _NEUTRALISED.match(value)):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The value a neutralised cell was made from (the inverse of :func:`neutralise`)."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):  # bool counts as numeric
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read back from one of the tool's CSVs, with the values as they were written."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(restore)
    out.columns = [restore(c) for c in out.columns]
    return out


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell (same ``writerow(s)`` methods)."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: IO[str], **options: Any) -> SafeWriter:
    """A CSV writer on ``handle`` (options as for ``csv.writer``) that neutralises every cell."""
    return SafeWriter(handle, **options)


def write_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    encoding: str = SPREADSHEET_ENCODING,
    private: bool = True,
) -> Path:
    """Write a table as CSV (no index), neutralised, whole or not at all.

    Lines end in CRLF (RFC 4180): with a bare LF, Python 3.11's CSV writer leaves a cell holding
    a carriage return unquoted, and a reader splits the row there."""
    with atomic_write(path, "w", encoding=encoding, newline="", private=private) as handle:
        neutralise_frame(frame).to_csv(handle, index=False, lineterminator="\r\n")
    return Path(path)


def write_rows(
    path: str | os.PathLike[str],
    header: Sequence[Any],
    rows: Iterable[Iterable[Any]],
    *,
    encoding: str = SPREADSHEET_ENCODING,
    private: bool = True,
    overwrite: bool = True,
) -> Path:
    """Write a header and rows as CSV, neutralised, whole or not at all."""
    with atomic_write(
        path, "w", encoding=encoding, newline="", private=private, overwrite=overwrite
    ) as handle:
        out = writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return Path(path)
