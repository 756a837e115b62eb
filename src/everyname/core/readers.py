"""Streaming readers for CSV, XLSX and JSON: one row at a time, memory independent of file size.

Each reader yields :class:`RawRow` objects (the row number a person sees in a spreadsheet, the
cells by column name, and any structural trouble with the row), and exposes ``bytes_read`` and
``total_bytes`` so a command line can draw a progress bar. Whole-file trouble (an empty file, an
"xlsx" that is not a workbook, a file that cannot be decoded) raises :class:`InputRejected`.

Format is decided by content first (a zip with a workbook inside is XLSX; text starting with
``[`` is a JSON array, with ``{`` JSON Lines; other text is CSV) and by extension only to say what
a file pretending to be something else really is.

Every reader is bounded (:class:`ReadLimits`): a cell longer than a spreadsheet can hold, a row
or JSON object of more than a mebibyte of text, JSON nested deeper than any list is, or a
workbook whose parts unpack to more than a gibibyte cannot exhaust memory or the stack. A row
over a limit is rejected with its row number and column, its long cell cut to the limit (so a
rejects file stays small); a workbook over a limit is refused before it is opened.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from everyname.core.errors import InputRejected, InvalidInput, Problem

__all__ = [
    "SAMPLE_BYTES",
    "CsvReader",
    "JsonReader",
    "RawRow",
    "ReadLimits",
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


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """How large an input may be, so that a hostile or broken file cannot exhaust memory.

    The defaults are beyond any real list: a spreadsheet cell holds at most 32,767 characters
    (Excel's own limit); a row of a mebibyte of text is thirty such cells; nesting is one or two
    levels in a real JSON list. Each can be changed with an environment variable
    (:meth:`from_environment`), for the rare list that needs more.
    """

    cell_chars: int = 32_767
    """Characters in one cell (a CSV field, an XLSX cell, a JSON value)."""
    row_chars: int = 1 << 20
    """Characters in one CSV line or JSON Lines line, or one object of a JSON array."""
    json_depth: int = 64
    """Levels of nesting of arrays and objects in one JSON record."""
    xlsx_part_bytes: int = 1 << 30
    """Uncompressed bytes of one part of a workbook (a sheet, its shared strings)."""

    _ENVIRONMENT: ClassVar[dict[str, str]] = {
        "cell_chars": "EVERYNAME_MAX_CELL_CHARS",
        "row_chars": "EVERYNAME_MAX_ROW_CHARS",
        "json_depth": "EVERYNAME_MAX_JSON_DEPTH",
        "xlsx_part_bytes": "EVERYNAME_MAX_XLSX_PART_BYTES",
    }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """The defaults, each replaced by its environment variable when that is set.

        Raises :class:`InvalidInput` (field: the variable) for a value that is not a whole
        number of at least 1: a limit silently ignored would be no limit.
        """
        environ = os.environ if environ is None else environ
        chosen: dict[str, int] = {}
        for field in fields(cls):
            variable = cls._ENVIRONMENT[field.name]
            text = environ.get(variable, "").strip().replace("_", "").replace(",", "")
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise InvalidInput(
                    f"{variable} must be a whole number of at least 1", field=variable
                )
            chosen[field.name] = int(text)
        return cls(**chosen)

    def cut(self, number: int, values: dict[str, str]) -> RawRow:
        """The row, its cells longer than ``cell_chars`` cut to it and each named in an issue."""
        limit = self.cell_chars
        issues = []
        for column, text in values.items():
            if len(text) > limit:
                issues.append(
                    f"at most {limit:,} characters in a cell; column {column!r} has "
                    f"{len(text):,} (kept cut to the limit)"
                )
                values[column] = text[:limit]
        return RawRow(number, values, tuple(issues))


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

    def __init__(self, path: Path, limits: ReadLimits | None = None) -> None:
        self.path = path
        self.limits = limits or ReadLimits()
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

    def rows(self) -> Iterator[RawRow]:
        """The data rows after the header, blank rows skipped (and counted in ``blank_rows``);
        a cell over the limit is cut to it and makes the row a rejected one."""
        limit = self.limits.cell_chars
        for row in self._read_rows():
            values = row.values
            if values and max(map(len, values.values())) > limit:
                cut = self.limits.cut(row.number, values)
                row = RawRow(row.number, cut.values, row.issues + cut.issues)
            yield row

    @abstractmethod
    def _read_rows(self) -> Iterator[RawRow]:
        """The rows as the format gives them, before the cell limit."""

    def _check_header(self, header: list[str], row: int) -> None:
        """Refuse the file when a column name is over the cell limit (every row is read by
        the names, so none can be cut)."""
        limit = self.limits.cell_chars
        for index, cell in enumerate(header, start=1):
            if len(cell) > limit:
                self.close()
                raise InputRejected(
                    [
                        Problem(
                            file=self.path.name,
                            row=row,
                            column=f"column {index}",
                            expected=f"a column name of at most {limit:,} characters; this "
                            f"header cell has {len(cell):,}",
                        )
                    ]
                )

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

    def __init__(self, path: Path, encoding: str, limits: ReadLimits | None = None) -> None:
        super().__init__(path, limits)
        self.encoding = encoding
        self._counter = _CountingReader(open(path, "rb", buffering=0))  # noqa: SIM115
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, _CHUNK), encoding=encoding, newline=""
        )
        self._cut = False

    def _bounded_lines(self) -> Iterator[str]:
        """The file's lines, none longer than ``row_chars``: the rest of a longer line is read
        and dropped (``_cut`` says so), so one line of a gibibyte never sits in memory."""
        limit = self.limits.row_chars
        readline = self._text.readline
        while True:
            line = readline(limit + 1)
            if not line:
                return
            if len(line) > limit:
                self._cut = True
                while line and not line.endswith(("\n", "\r")):
                    line = readline(_CHUNK)
                yield "\n"
                continue
            yield line

    def _too_long(self) -> str:
        self._cut = False
        return (
            f"a row of at most {self.limits.row_chars:,} characters; this one is longer "
            "(it was skipped)"
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
        self,
        path: Path,
        encoding: str,
        delimiter: str | None = None,
        sample: str = "",
        limits: ReadLimits | None = None,
    ) -> None:
        super().__init__(path, encoding, limits)
        self.delimiter = delimiter or _sniff_delimiter(sample.lstrip("\ufeff").lstrip("\r\n"))
        self._reader = csv.reader(self._bounded_lines(), delimiter=self.delimiter, strict=True)
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
                if self._cut:
                    self.close()
                    raise InputRejected(
                        [Problem(file=path.name, row=self._number, expected=self._too_long())]
                    )
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
        self._check_header(header, self._number)
        self.columns = _unique(header)

    def _read_rows(self) -> Iterator[RawRow]:
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
                if self._cut:
                    yield RawRow(number, {}, (self._too_long(),))
                    continue
                if "field larger than field limit" in message:
                    yield RawRow(
                        number,
                        {},
                        (
                            f"at most {self.limits.cell_chars:,} characters in a cell; a cell "
                            f"of this row has more than {csv.field_size_limit():,}",
                        ),
                    )
                    continue
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
            if self._cut:
                yield RawRow(number, {}, (self._too_long(),))
                continue
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


def _json_error(error: ValueError) -> str:
    return error.msg if isinstance(error, json.JSONDecodeError) else str(error)


def _depth_over(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``value`` (a record
    object is level 1). Iterative, so a deep value cannot exhaust the stack here."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


class JsonReader(_TextReader):
    """A top-level array of objects, or JSON Lines (one object per line).

    The array is read incrementally with :meth:`json.JSONDecoder.raw_decode` over a sliding
    buffer, so memory is bounded by the largest single object, not the file. This avoids a
    dependency (ijson) for the one shape lists come in; raw_decode runs in C, so it is fast.
    """

    def __init__(
        self, path: Path, encoding: str, lines: bool, limits: ReadLimits | None = None
    ) -> None:
        super().__init__(path, encoding, limits)
        self.format = "jsonl" if lines else "json"
        self._objects = self._json_lines() if lines else self._array()
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
        self._check_header(self.columns, number)

    def _too_deep(self) -> str:
        return (
            f"JSON nested at most {self.limits.json_depth} levels deep (arrays and objects "
            "inside each other); this record is nested deeper"
        )

    def _json_too_long(self) -> str:
        return f"a record of at most {self.limits.row_chars:,} characters of JSON; this is longer"

    def _checked(self, number: int, value: Any) -> tuple[int, Any, str | None]:
        if _depth_over(value, self.limits.json_depth):
            return number, None, self._too_deep()
        return number, value, None

    def _json_lines(self) -> Iterator[tuple[int, Any, str | None]]:
        # row = line number (a line over the limit is dropped whole, so none is split in two)
        for number, line in enumerate(self._bounded_lines(), start=1):
            if self._cut:
                yield number, None, self._too_long()
                continue
            if not line.strip():
                continue
            try:
                yield self._checked(number, json.loads(line))
            except RecursionError:
                yield number, None, self._too_deep()
            except ValueError as error:  # JSONDecodeError, or a number of 5,000 digits
                yield number, None, f"one JSON object on this line ({_json_error(error)})"

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
            except RecursionError:  # the C decoder stops at Python's recursion limit
                yield number + 1, None, self._too_deep()
                return
            except ValueError as error:  # JSONDecodeError, or a number of 5,000 digits
                if eof or not isinstance(error, json.JSONDecodeError):
                    yield number + 1, None, f"well-formed JSON ({_json_error(error)})"
                    return
                complete = False
            if not complete:  # the object runs past the buffer: read more, then try again
                if len(buffer) - position > self.limits.row_chars:
                    yield number + 1, None, self._json_too_long() + " (nothing after it was read)"
                    return
                more = self._text.read(want)
                want *= 2
                eof = not more
                buffer = buffer[position:] + more
                position = 0
                continue
            want = _CHUNK
            number += 1
            need_comma = True
            size, position = end - position, end
            if position > _CHUNK:
                buffer = buffer[position:]
                position = 0
            if size > self.limits.row_chars:  # whole in the first chunk read: said the same way
                yield number, None, self._json_too_long()
                continue
            yield self._checked(number, value)

    def _read_rows(self) -> Iterator[RawRow]:
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


def _check_workbook_parts(path: Path, limits: ReadLimits) -> None:
    """Refuse a workbook that would unpack to more than the limits, before openpyxl opens it.

    openpyxl loads the shared strings (every distinct text of the workbook) into memory whole,
    and a cell's text whole even in read-only mode: one cell of a gibibyte, which compresses to
    a megabyte, took 7 GB. So each part's uncompressed size (which the zip states, and which
    unpacking cannot exceed) is bounded, and the text of the shared strings and the sheets is
    scanned in chunks, in constant memory, for a run without markup longer than a cell can be:
    a cell's text has no "<" in it (XML escapes it), and each character takes at most six bytes
    ("&quot;"), so a longer run is a cell over the limit.
    """
    longest = 6 * limits.cell_chars
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > limits.xlsx_part_bytes:
                    raise _reject(
                        path,
                        f"workbook parts of at most {limits.xlsx_part_bytes:,} bytes unpacked; "
                        f"{info.filename} unpacks to {info.file_size:,}. Save the list as CSV",
                        summary=f"{path.name} is too large a workbook",
                    )
            for info in archive.infolist():
                name = info.filename
                if name != "xl/sharedStrings.xml" and not name.startswith("xl/worksheets/"):
                    continue
                run = 0
                with archive.open(info) as part:
                    while run <= longest and (chunk := part.read(_CHUNK * 16)):
                        pieces = chunk.split(b"<")
                        run += len(pieces[0])  # the run carried over from the last chunk
                        if len(pieces) > 1:
                            inner = max(map(len, pieces[1:-1]), default=0)
                            run = max(run, inner) if max(run, inner) > longest else len(pieces[-1])
                if run > longest:
                    raise _reject(
                        path,
                        f"cells of at most {limits.cell_chars:,} characters; {name} holds a "
                        "text far longer",
                        summary=f"{path.name} has a cell too long to read",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError) as error:
        raise _reject(
            path,
            f"an Excel workbook (.xlsx) that opens; this one is damaged ({error})",
            summary=f"{path.name} is not a readable workbook",
        ) from None


class XlsxReader(Reader):
    """The first sheet (or the mapping's ``sheet``) of a workbook, in openpyxl's read-only mode,
    which streams rows from the zip instead of loading the workbook."""

    format = "xlsx"

    def __init__(
        self, path: Path, sheet: str | None = None, limits: ReadLimits | None = None
    ) -> None:
        super().__init__(path, limits)
        import openpyxl

        _check_workbook_parts(path, self.limits)
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
        self._rows = self._guarded(self._sheet.iter_rows(min_row=1, values_only=True))
        self._number = 0
        header = None
        try:
            for cells in self._rows:
                self._number += 1
                texts = [_xlsx_text(c) for c in cells]
                if any(t.strip() for t in texts):
                    header = texts
                    break
        except InputRejected:
            self.close()
            raise
        if header is None:
            self.close()
            raise _reject(
                path,
                f"a header row and data rows; sheet {self.sheet!r} is empty",
                summary="empty file",
            )
        while header and not header[-1].strip():
            header.pop()
        self._check_header(header, self._number)
        self.columns = _unique(header)

    def _guarded(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """The sheet's rows, a damaged sheet refused as the whole file: openpyxl reads the
        sheet's XML as rows are asked for, and raises whatever its parser meets (ParseError,
        TypeError, KeyError, zlib.error...) part-way."""
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as error:  # any failure of openpyxl's parser
                raise _reject(
                    self.path,
                    f"an Excel workbook (.xlsx) that reads to the end; its sheet "
                    f"{self.sheet!r} is damaged after row {self._number:,} ({error})",
                    summary=f"{self.path.name} is not a readable workbook",
                ) from None
            yield cells

    @property
    def bytes_read(self) -> int:
        if not self._max_row:
            return 0
        return min(self.total_bytes, self.total_bytes * self._number // self._max_row)

    def _read_rows(self) -> Iterator[RawRow]:
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
    limits: ReadLimits | None = None,
) -> Reader:
    """A reader for ``path``, its format decided by content. Raises :class:`InputRejected` for an
    empty file, an "xlsx" that is not a workbook, an old .xls, a PDF, binary data, bad JSON, an
    encoding that is not a text encoding. ``limits``: by default from the environment."""
    path = Path(path)
    limits = limits or ReadLimits.from_environment()
    if encoding is not None:
        try:
            # rot13, base64, zlib... are codecs too, but not text encodings: they would turn
            # the file's bytes into bytes, or fail inside the decoder.
            text_encoding = codecs.lookup(encoding)._is_text_encoding
        except LookupError:
            text_encoding = False
        if not text_encoding:
            raise _reject(path, f"a known text encoding name, not {encoding!r}")
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
            return XlsxReader(path, sheet, limits)
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
        return JsonReader(path, chosen, lines=False, limits=limits)
    if stripped.startswith("{"):
        return JsonReader(path, chosen, lines=True, limits=limits)
    if suffix in (".json", ".jsonl", ".ndjson"):
        raise _reject(path, "JSON: an array [...] of objects, or one object per line")
    return CsvReader(path, chosen, delimiter, text[:65536], limits)
