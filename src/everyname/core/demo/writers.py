"""Writing the demo files byte for byte the same for the same seed.

CSV is deterministic by nature once the rows are. XLSX is a zip archive whose entries carry the
time they were written and whose ``docProps/core.xml`` carries created/modified times, so the
workbook is saved with fixed document times into a zip whose entries all carry one fixed date.
Identical bytes matter: a batch is identified by its SHA-256, and tests compare runs.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = datetime(2012, 2, 10, 9, 0, 0)
"""The time stamped on generated workbooks: the morning after the period the demo covers."""


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    encoding: str,
    line_end: str = "\n",
) -> None:
    """Write a CSV in ``encoding`` (``utf-8-sig`` gives a BOM; ``cp1256`` Windows Arabic).

    Raises ``UnicodeEncodeError`` if a value cannot be written in the encoding: a generator bug,
    never silently replaced.
    """
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=line_end)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose entries all carry :data:`FIXED_TIME` instead of the clock's time."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[no-untyped-def, override]
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = self.compression
            info.create_system = 3
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[no-untyped-def, override]
        # openpyxl writes worksheets from a temporary file, which would stamp its mtime.
        with open(filename, "rb") as handle:
            data = handle.read()
        self.writestr(str(arcname or filename), data, compress_type, compresslevel)


def write_xlsx(
    path: Path,
    sheet_title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    number_formats: dict[int, str] | None = None,
    title: str | None = None,
) -> None:
    """Write one sheet (header row then data) with reproducible bytes.

    ``number_formats`` maps a 0-based column to an Excel number format (e.g. dates).
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.sheet_view.rightToLeft = any("\u0600" <= ch <= "\u06ff" for ch in "".join(header))
    sheet.append(list(header))
    formats = number_formats or {}
    for row in rows:
        sheet.append(list(row))
        for col, fmt in formats.items():
            cell = sheet.cell(row=sheet.max_row, column=col + 1)
            if isinstance(cell.value, datetime):
                cell.number_format = fmt
    props = workbook.properties
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.creator = "everyname demo generator"
    props.lastModifiedBy = None
    props.title = title
    buffer = io.BytesIO()
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()  # unlike save_workbook, keeps our modified time
    path.write_bytes(buffer.getvalue())
