"""Streaming readers for CSV, XLSX and JSON: one row at a time, memory independent of file size.

Each reader yields :class:`RawRow` objects (the row number a person sees in a spreadsheet, the
cells by column name, and any structural trouble with the row), and exposes ``bytes_read`` and
``total_bytes`` so a command line can draw a progress bar. Whole-file trouble (an empty file, an
"xlsx" that is not a workbook, a file that cannot be decoded) raises :class:`InputRejected`.

Format is decided by content first (a zip with a workbook inside is XLSX; text starting with
``[`` is a JSON array, with ``{`` JSON Lines; other text is CSV) and by extension only to say what
a file pretending to be something else really is.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

from everyname.core.errors import InputRejected, Problem

__all__ = [
    "SAMPLE_BYTES",
    "CsvReader",
    "JsonReader",
    "RawRow",
    "Reader",
    "XlsxReader",
    "detect_encoding",
    "open_reader",
]

SAMPLE_BYTES = 1 << 20
"""How much of a text file is looked at to decide its encoding and delimiter."""
_CHUNK = 1 << 16
_ENCODING_NAMES = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8 (with BOM)",
    "utf-16": "utf-16 (with BOM)",
    "utf-16-le": "utf-16-le (no BOM)",
    "utf-16-be": "utf-16-be (no BOM)",
    "cp1256": "windows-1256",
}


@dataclass(slots=True)
class RawRow:
    """One row as read. ``issues`` say what was expected when the row is malformed."""

    number: int
    values: dict[str, str]
    issues: tuple[str, ...] = ()


def _reject(path: Path, expected: str, summary: str | None = None) -> InputRejected:
    return InputRejected([Problem(file=path.name, expected=expected)], summary=summary)


# --- encodings -------------------------------------------------------------------------------


def detect_encoding(sample: bytes, complete: bool = False) -> str:
    """The codec for a text file, from its first bytes. ``complete``: the sample is the whole file.

    The rule, in order: a byte-order mark decides; NUL bytes in every other position mean UTF-16
    without a mark (the commas, digits and line ends of a CSV are ASCII, which UTF-16 pads with a
    NUL); text that is strict UTF-8 is UTF-8; anything else is Windows-1256, the Arabic code page
    that Excel on Arabic Windows writes.

    Why a hand rule rather than charset-normalizer: the only real candidates for these lists are
    these four, and the rule is exact for them. A statistical detector guesses among dozens of
    code pages; measured on generated lists (benchmarks/bench_encoding_detection.py), it is right
    on all-Arabic lists but wrong on a mostly-Latin Windows-1256 list with one Arabic name (0-8
    of 20 right: it picks cp1250 or a Mac code page) and on a single Arabic name (0 of 20: Big5,
    cp932), where the rule is right every time. A wrong single-byte guess decodes without error
    into the wrong letters, which nobody notices until names fail to link.
    A user with some other encoding says so in the mapping (``encoding = "..."``).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    half = len(sample) // 2
    if half:
        even_nuls = sample[0 : 2 * half : 2].count(0)
        odd_nuls = sample[1 : 2 * half : 2].count(0)
        if odd_nuls > max(1, half // 20) and even_nuls <= half // 100:
            return "utf-16-le"
        if even_nuls > max(1, half // 20) and odd_nuls <= half // 100:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=complete)
    except UnicodeDecodeError:
        return "cp1256"
    return "utf-8"


class _CountingReader(io.RawIOBase):
    """A raw binary stream that counts the bytes handed on, for progress."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


class Reader(ABC):
    """What every reader offers: columns, rows, progress."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total_bytes = path.stat().st_size
        self.columns: list[str] = []
        self.blank_rows = 0

    @property
    def encoding_name(self) -> str | None:
        """The encoding as a person would name it ("windows-1256", "utf-8 (with BOM)")."""
        return _ENCODING_NAMES.get(self.encoding or "", self.encoding)

    @property
    @abstractmethod
    def bytes_read(self) -> int:
        """Bytes of the file consumed so far (an estimate for XLSX, which is compressed)."""

    @abstractmethod
    def rows(self) -> Iterator[RawRow]:
        """The data rows after the header, blank rows skipped (and counted in ``blank_rows``)."""

    def close(self) -> None:  # noqa: B027 - readers without resources need nothing here
        pass

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unique(headers: list[str]) -> list[str]:
    """Header cells as column names: blanks named by position, repeats numbered ("Name (2)")."""
    seen: dict[str, int] = {}
    out = []
    for index, header in enumerate(headers, start=1):
        name = header.strip() or f"column {index}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


class _TextReader(Reader):
    """Shared by CSV and JSON: a decoded, counted text stream."""

    def __init__(self, path: Path, encoding: str) -> None:
        super().__init__(path)
        self.encoding = encoding
        self._counter = _CountingReader(open(path, "rb", buffering=0))  # noqa: SIM115
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, _CHUNK), encoding=encoding, newline=""
        )

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    def close(self) -> None:
        self._text.close()

    def _undecodable(self, error: UnicodeDecodeError) -> InputRejected:
        return _reject(
            self.path,
            f"text in one encoding throughout; the file was read as {self.encoding_name} but "
            f"has bytes that are not {self.encoding_name} near byte {self.bytes_read:,} "
            f"({error.reason}). Save it again as UTF-8, or name its encoding in a mapping "
            f'(encoding = "...")',
            summary=f"{self.path.name} cannot be decoded",
        )


# --- CSV -------------------------------------------------------------------------------------


def _sniff_delimiter(sample: str) -> str:
    """Comma, semicolon, tab or bar: whichever the header line uses most (comma on a tie)."""
    first_line = sample.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


class CsvReader(_TextReader):
    format = "csv"

    def __init__(
        self, path: Path, encoding: str, delimiter: str | None = None, sample: str = ""
    ) -> None:
        super().__init__(path, encoding)
        self.delimiter = delimiter or _sniff_delimiter(sample.lstrip("\ufeff").lstrip("\r\n"))
        self._reader = csv.reader(self._text, delimiter=self.delimiter, strict=True)
        self._number = 0
        header: list[str] | None = None
        try:
            for cells in self._reader:
                self._number += 1
                if self._number == 1 and self.delimiter.join(cells).lstrip("\ufeff") == (
                    f"sep={self.delimiter}"
                ):
                    # Excel's "sep=;" line names the delimiter (already sniffed); Excel does
                    # not show it, so rows are numbered as if it were not there.
                    self._number = 0
                    continue
                if any(c.strip() for c in cells):
                    header = cells
                    break
        except (csv.Error, UnicodeDecodeError) as error:
            self.close()
            if isinstance(error, UnicodeDecodeError):
                raise self._undecodable(error) from None
            raise InputRejected(
                [
                    Problem(
                        file=path.name,
                        row=self._number + 1,
                        expected=f"a header row of column names in well-formed CSV ({error})",
                    )
                ]
            ) from None
        if header is None:
            self.close()
            raise _reject(path, "a header row and data rows; the file has no text", "empty file")
        if header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        self.columns = _unique(header)

    def rows(self) -> Iterator[RawRow]:
        columns = self.columns
        width = len(columns)
        reader = self._reader
        number = self._number
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as error:
                raise self._undecodable(error) from None
            except csv.Error as error:
                number += 1
                message = str(error)
                if "unexpected end of data" in message:
                    yield RawRow(
                        number,
                        {},
                        (
                            'a closing quote (") for a quoted cell: the file ends inside '
                            "one, so it is truncated or a quote is unbalanced",
                        ),
                    )
                    break
                yield RawRow(number, {}, (f"well-formed CSV ({message})",))
                continue
            number += 1
            if len(cells) == width:
                first = cells[0]
                if (first and not first.isspace()) or "".join(cells).strip():
                    yield RawRow(number, dict(zip(columns, cells, strict=True)))
                else:
                    self.blank_rows += 1
                continue
            if not "".join(cells).strip():
                self.blank_rows += 1
                continue
            values = dict(zip(columns, cells, strict=False))
            if len(cells) > width:
                extra = cells[width:]
                for index, cell in enumerate(extra, start=width + 1):
                    values[f"column {index}"] = cell
                if any(c.strip() for c in extra):
                    yield RawRow(
                        number,
                        values,
                        (
                            f"{width} cells as in the header row, got {len(cells)}: a cell holds "
                            f"an unquoted {self.delimiter!r} or the row is shifted",
                        ),
                    )
                    continue
                yield RawRow(number, values)
                continue
            for column in columns[len(cells) :]:
                values[column] = ""
            yield RawRow(
                number,
                values,
                (f"{width} cells as in the header row, got {len(cells)}: the row is cut short",),
            )


# --- JSON ------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


class JsonReader(_TextReader):
    """A top-level array of objects, or JSON Lines (one object per line).

    The array is read incrementally with :meth:`json.JSONDecoder.raw_decode` over a sliding
    buffer, so memory is bounded by the largest single object, not the file. This avoids a
    dependency (ijson) for the one shape lists come in; raw_decode runs in C, so it is fast.
    """

    def __init__(self, path: Path, encoding: str, lines: bool) -> None:
        super().__init__(path, encoding)
        self.format = "jsonl" if lines else "json"
        self._objects = self._lines() if lines else self._array()
        self._first: tuple[int, Any, str | None] | None = None
        try:
            self._first = next(self._objects, None)
        except UnicodeDecodeError as error:
            self.close()
            raise self._undecodable(error) from None
        if self._first is None:
            self.close()
            raise _reject(path, "at least one record (object) in the JSON", "empty file")
        number, first, trouble = self._first
        if trouble is not None or not isinstance(first, dict):
            self.close()
            raise InputRejected(
                [Problem(file=path.name, row=number, expected=trouble or "an object {...}")]
            )
        self.columns = [str(k) for k in first]

    def _lines(self) -> Iterator[tuple[int, Any, str | None]]:
        for number, line in enumerate(self._text, start=1):  # row = line number
            if not line.strip():
                continue
            try:
                yield number, json.loads(line), None
            except json.JSONDecodeError as error:
                yield number, None, f"one JSON object on this line ({error.msg})"

    def _array(self) -> Iterator[tuple[int, Any, str | None]]:
        decoder = json.JSONDecoder()
        buffer = self._text.read(_CHUNK).lstrip("\ufeff")
        position = 0
        eof = False

        def skip_space() -> None:
            nonlocal buffer, position, eof
            while True:
                while position < len(buffer) and buffer[position] in " \t\r\n":
                    position += 1
                if position < len(buffer) or eof:
                    return
                buffer = self._text.read(_CHUNK)
                position = 0
                eof = not buffer

        skip_space()
        if buffer[position : position + 1] != "[":
            yield 1, None, "a JSON array [...] of objects"
            return
        position += 1
        number = 0
        need_comma = False
        want = _CHUNK
        while True:
            skip_space()
            if position >= len(buffer):
                yield number + 1, None, "a closing ] at the end of the JSON array (truncated?)"
                return
            if buffer[position] == "]":
                return
            if need_comma:
                if buffer[position] != ",":
                    yield number + 1, None, "a comma between objects in the JSON array"
                    return
                position += 1
                need_comma = False
                skip_space()
            try:
                value, end = decoder.raw_decode(buffer, position)
                complete = end < len(buffer) or eof
            except json.JSONDecodeError as error:
                if eof:
                    yield number + 1, None, f"well-formed JSON ({error.msg})"
                    return
                complete = False
            if not complete:  # the object runs past the buffer: read more, then try again
                more = self._text.read(want)
                want *= 2
                eof = not more
                buffer = buffer[position:] + more
                position = 0
                continue
            want = _CHUNK
            number += 1
            need_comma = True
            position = end
            if position > _CHUNK:
                buffer = buffer[position:]
                position = 0
            yield number, value, None

    def rows(self) -> Iterator[RawRow]:
        pending = [self._first] if self._first else []
        self._first = None
        try:
            for number, value, trouble in self._chain(pending):
                if trouble is not None:
                    yield RawRow(number, {}, (trouble,))
                elif not isinstance(value, dict):
                    yield RawRow(number, {}, ("an object {...} for each record",))
                else:
                    values = {str(k): _cell_text(v) for k, v in value.items()}
                    if not "".join(values.values()).strip():
                        self.blank_rows += 1
                        continue
                    yield RawRow(number, values)
        except UnicodeDecodeError as error:
            raise self._undecodable(error) from None

    def _chain(self, pending: list[Any]) -> Iterator[tuple[int, Any, str | None]]:
        yield from pending
        yield from self._objects


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


class XlsxReader(Reader):
    """The first sheet (or the mapping's ``sheet``) of a workbook, in openpyxl's read-only mode,
    which streams rows from the zip instead of loading the workbook."""

    format = "xlsx"

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        super().__init__(path)
        import openpyxl

        # A file handle, not the path: openpyxl refuses paths whose extension is not .xlsx,
        # and the format was decided by content already.
        self._handle = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            self._book = openpyxl.load_workbook(self._handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types for a damaged workbook
            self._handle.close()
            raise _reject(
                path,
                f"an Excel workbook (.xlsx) that opens; this one is damaged ({error})",
                summary=f"{path.name} is not a readable workbook",
            ) from None
        names = self._book.sheetnames
        if sheet is not None and sheet not in names:
            self.close()
            raise _reject(path, f"a sheet named {sheet!r}; the workbook has: {', '.join(names)}")
        self._sheet = self._book[sheet] if sheet else self._book.worksheets[0]
        self.sheet = self._sheet.title
        self._max_row = self._sheet.max_row or 0
        self._rows = self._sheet.iter_rows(min_row=1, values_only=True)
        self._number = 0
        header = None
        for cells in self._rows:
            self._number += 1
            texts = [_xlsx_text(c) for c in cells]
            if any(t.strip() for t in texts):
                header = texts
                break
        if header is None:
            self.close()
            raise _reject(
                path,
                f"a header row and data rows; sheet {self.sheet!r} is empty",
                summary="empty file",
            )
        while header and not header[-1].strip():
            header.pop()
        self.columns = _unique(header)

    @property
    def bytes_read(self) -> int:
        if not self._max_row:
            return 0
        return min(self.total_bytes, self.total_bytes * self._number // self._max_row)

    def rows(self) -> Iterator[RawRow]:
        columns = self.columns
        width = len(columns)
        for cells in self._rows:
            self._number += 1
            texts = [_xlsx_text(c) for c in cells]
            if not "".join(texts).strip():
                self.blank_rows += 1
                continue
            values = dict(zip(columns, texts, strict=False))
            for column in columns[len(texts) :]:
                values[column] = ""
            extra = texts[width:]
            issues: tuple[str, ...] = ()
            if any(t.strip() for t in extra):
                for index, text in enumerate(extra, start=width + 1):
                    values[f"column {index}"] = text
                issues = (f"cells only under the {width} columns that have a header",)
            yield RawRow(self._number, values, issues)

    def close(self) -> None:
        self._book.close()
        self._handle.close()


# --- choosing a reader -----------------------------------------------------------------------


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def open_reader(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Reader:
    """A reader for ``path``, its format decided by content. Raises :class:`InputRejected` for an
    empty file, an "xlsx" that is not a workbook, an old .xls, a PDF, binary data, bad JSON."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise _reject(path, "an existing file", summary=f"{path} not found") from None
    except OSError as error:
        raise _reject(path, f"a readable file ({error.strerror})") from None
    suffix = path.suffix.lower()
    if sample.startswith(b"PK\x03\x04"):
        if _is_workbook(path):
            return XlsxReader(path, sheet)
        raise _reject(
            path,
            "an Excel workbook (.xlsx), CSV or JSON; this is a zip archive "
            "without a workbook inside",
            summary=f"{path.name} is not a workbook",
        )
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise _reject(
            path,
            "an .xlsx workbook or CSV; this is an old Excel 97-2003 (.xls) file: "
            "open it and save it as .xlsx or CSV UTF-8",
            summary=f"{path.name} is .xls",
        )
    if sample.startswith(b"%PDF"):
        raise _reject(
            path,
            "a table (CSV, XLSX or JSON); this is a PDF: extract the table first",
            summary=f"{path.name} is a PDF",
        )
    complete = len(sample) < SAMPLE_BYTES
    chosen = encoding or detect_encoding(sample, complete=complete)
    try:
        text = codecs.getincrementaldecoder(chosen)("strict").decode(sample, final=complete)
    except UnicodeDecodeError as error:
        raise _reject(
            path,
            f"text in {_ENCODING_NAMES.get(chosen, chosen)} as the mapping says ({error.reason} "
            f"at byte {error.start})",
            summary=f"{path.name} cannot be decoded",
        ) from None
    except LookupError:
        raise _reject(path, f"a known encoding name, not {chosen!r}") from None
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    if "\x00" in text[:4096]:
        raise _reject(path, "a text table (CSV, JSON) or an .xlsx workbook; this looks binary")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        what = "text (it looks like CSV)" if stripped else "empty"
        raise _reject(
            path,
            f"an Excel workbook, as its name {path.name!r} says; the file is really {what}. "
            f"Rename it to .csv if it is CSV, or save it again from the spreadsheet as .xlsx",
            summary=f"{path.name} is not really a workbook",
        )
    if not stripped:
        raise _reject(path, "a header row and data rows; the file is empty", "empty file")
    if stripped.startswith("["):
        return JsonReader(path, chosen, lines=False)
    if stripped.startswith("{"):
        return JsonReader(path, chosen, lines=True)
    if suffix in (".json", ".jsonl", ".ndjson"):
        raise _reject(path, "JSON: an array [...] of objects, or one object per line")
    return CsvReader(path, chosen, delimiter, text[:65536])
