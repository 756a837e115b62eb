"""From a file on disk to :class:`~everyname.core.schema.ParsedRecord` objects, one at a time.

:func:`open_source` looks at the whole-file questions first — is this a file we can read, in
which format and encoding, which columns hold which fields, is there a name column at all — and
refuses with :class:`InputRejected` (every problem listed) before a single row is stored.
:meth:`SourceFile.records` then streams the rows, each normalised. A row is invalid only when
nothing in it can be read as a record (a malformed CSV row, text only in unused columns); a value
that cannot be read (a date that cannot exist, an age of 430, a cause outside the vocabulary)
is flagged on the record (``unreadable``) and the record is kept: a casualty list must never
lose a named person over one unreadable cell.

Nothing is guessed and nothing is lost: ``raw`` keeps every cell as read, ``as_written`` keeps the
source's text for each canonical field, and a value that cannot be read is ``unknown``.
Witness identity (reporter name and contact) is never echoed in a problem or a flag.

Normalised keys (all present in every record; plain JSON types):

- text fields ``source_record_id``, names (``full_name`` … ``nickname``), places (``place``,
  ``governorate``, ``district``, ``locality``, ``neighbourhood``), ``perpetrator``, ``notes``,
  ``reporter_name``, ``reporter_contact``: spaces collapsed, ASCII digits; ``None`` when empty,
  and for places also when the cell is a placeholder ("Unknown", "غير معروف", "-");
- ``sex``, ``age_group``, ``cause``, ``status``, ``outcome``: vocabulary values, ``"unknown"``;
- ``age_years``, ``age_min``, ``age_max``: floats or ``None`` (from ``age``);
- ``date_of_death``, ``date_of_birth``: ISO partial date ("2012-02") or ``None``, with
  ``<field>_precision`` ("day", "month", "year", "unknown") and ``<field>_start``/``<field>_end``
  (ISO full dates of the span, or ``None``);
- ``national_id``: the digits of an ID number, or ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Mapping as Cells
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from everyname.core.dates import DATE_EXAMPLES, InvalidDate, parse_date
from everyname.core.errors import InputRejected, Problem
from everyname.core.headers import (
    HeaderResolution,
    examples_for,
    identity_field,
    recognise_header,
    resolve_columns,
)
from everyname.core.mapping import Mapping, load_mapping
from everyname.core.names import FORM_COLUMNS, name_forms
from everyname.core.readers import RawRow, Reader, open_reader
from everyname.core.schema import (
    NAME_COLUMN_FIELDS,
    NAME_FIELDS,
    PLACE_FIELDS,
    SENSITIVE_FIELDS,
    UNKNOWN,
    VOCABULARIES,
    ParsedRecord,
    UnreadableValue,
)
from everyname.core.values import (
    InvalidValue,
    age_group_from_age,
    match_key,
    normalise_national_id,
    normalise_place,
    normalise_text,
    normalise_vocabulary,
    read_age,
    read_vocabulary,
)

__all__ = ["NORMALISED_KEYS", "SourceFile", "normalise", "open_source"]

_TEXT_FIELDS = frozenset(
    ("source_record_id", *NAME_FIELDS, "perpetrator", "notes", *SENSITIVE_FIELDS)
)
_PLACE_FIELDS = frozenset(PLACE_FIELDS)
_DATE_FIELDS = ("date_of_death", "date_of_birth")
_DATE_KEYS = {name: (f"{name}_precision", f"{name}_start", f"{name}_end") for name in _DATE_FIELDS}


def _template() -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["source_record_id"] = None
    for name in NAME_FIELDS:
        out[name] = None
    out["sex"] = UNKNOWN
    out["age_years"] = out["age_min"] = out["age_max"] = None
    out["age_group"] = UNKNOWN
    for name in _DATE_FIELDS:
        out[name] = None
        out[f"{name}_precision"] = UNKNOWN
        out[f"{name}_start"] = out[f"{name}_end"] = None
    out["national_id"] = None
    for name in PLACE_FIELDS:
        out[name] = None
    for name in ("cause", "status", "outcome"):
        out[name] = UNKNOWN
    for name in ("perpetrator", "notes", *SENSITIVE_FIELDS):
        out[name] = None
    for name in FORM_COLUMNS:
        out[name] = None
    out["is_placeholder"] = False
    return out


_TEMPLATE = _template()
NORMALISED_KEYS: tuple[str, ...] = tuple(_TEMPLATE)
"""Every key of ``ParsedRecord.normalised``, in a stable order."""

_TEXT, _ONCE, _PLACE, _VOCABULARY, _AGE, _DATE, _ID = range(7)
_KIND: dict[str, int] = {"national_id": _ID, **dict.fromkeys(_DATE_KEYS, _DATE), "age": _AGE}
_KIND.update(dict.fromkeys(VOCABULARIES, _VOCABULARY))
_KIND.update(dict.fromkeys(_PLACE_FIELDS, _PLACE))
_KIND.update(dict.fromkeys(_TEXT_FIELDS, _TEXT))
_KIND.update(dict.fromkeys(("source_record_id", "notes"), _ONCE))
"""How :func:`normalise` reads each field, looked up once per value (a text field first, then a
place, a vocabulary, the age, a date, the ID number, as the order of the checks was)."""

_normalise_text = lru_cache(maxsize=16384)(normalise_text)
""":func:`normalise_text` remembered for the texts a list repeats (names, mostly); an ID or a
note, which it does not repeat, is normalised each time (``_ONCE``)."""


@lru_cache(maxsize=65536)
def _date_keys(text: str, order: str) -> tuple[str | None, str, str | None, str | None]:
    parsed = parse_date(text, order)
    if parsed is None:
        return None, UNKNOWN, None, None
    return parsed.iso(), parsed.precision.value, parsed.start.isoformat(), parsed.end.isoformat()


def normalise(
    as_written: dict[str, str],
    values: dict[str, dict[str, str]] | None = None,
    date_order: str = "DMY",
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalise one record's as-written fields; also usable for typed entry (web forms).

    ``values`` are a mapping's value maps (match key → replacement). Returns the normalised
    dict (every key of :data:`NORMALISED_KEYS`) and a list of (field, expected) for the values
    that cannot be read (an impossible date, an age of 430, a cause outside the vocabulary):
    those fields are unknown in the normalised dict, and the caller keeps the text as written.
    """
    out = dict(_TEMPLATE)
    errors: list[tuple[str, str]] = []
    age = None
    stated_group: str | None = None
    kind_of = _KIND.get
    for name, written in as_written.items():
        text = written
        if values:
            table = values.get(name)
            if table:
                replacement = table.get(match_key(text))
                if replacement is not None:
                    text = replacement
        kind = kind_of(name)
        if kind == _TEXT:
            out[name] = _normalise_text(text)
        elif kind == _ONCE:
            out[name] = normalise_text(text)
        elif kind == _PLACE:
            out[name] = normalise_place(text)
        elif kind == _VOCABULARY:
            try:
                out[name] = read_vocabulary(name, text)
            except InvalidValue as error:
                errors.append((name, error.expected))
        elif kind == _AGE:
            try:
                age = read_age(text)
            except InvalidValue as error:
                # "طفل", "child", "adult" in the age column are not ages but say the age group,
                # which is read as such (an age_group column of its own still wins).
                group = normalise_vocabulary("age_group", text)
                if group != UNKNOWN:
                    stated_group = group
                else:
                    errors.append((name, error.expected))
                continue
            if age is not None:
                out["age_years"], out["age_min"], out["age_max"] = (
                    age.years,
                    age.minimum,
                    age.maximum,
                )
        elif kind == _DATE:
            try:
                keys = _date_keys(text, date_order)
            except InvalidDate as error:
                expected = error.expected
                if expected == DATE_EXAMPLES:
                    expected = f"{DATE_EXAMPLES} (day and month in {date_order} order)"
                errors.append((name, expected))
                continue
            precision_key, start_key, end_key = _DATE_KEYS[name]
            out[name], out[precision_key], out[start_key], out[end_key] = keys
        elif kind == _ID:
            out[name] = normalise_national_id(text)
    if age is not None and out["age_group"] == UNKNOWN:
        out["age_group"] = age_group_from_age(age)
    elif stated_group is not None and out["age_group"] == UNKNOWN:
        out["age_group"] = stated_group
    # The comparable name forms (Arabic-normalised, romanised, cross-script key per part) are
    # stored beside the names as written so that linkage compares like with like.
    names = tuple((name, out[name]) for name in NAME_FIELDS if out[name])
    if names:
        out.update(forms_of_names(names))
    return out, errors


@lru_cache(maxsize=8192)
def forms_of_names(names: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """``name_forms`` of a record's normalised names (``(field, text)`` pairs, in
    ``NAME_FIELDS`` order, empty ones left out), remembered: the store asks again for the same
    names right after (it leaves out forms it can rebuild, ``store.compact_json``), and a list
    repeats names. The dict returned is shared: copy it, never change it."""
    return name_forms(dict(names))


@dataclass(frozen=True)
class _Column:
    name: str
    fields: tuple[str, ...]
    sensitive: bool


class SourceFile:
    """An opened, checked source file. Use as a context manager; iterate :meth:`records` once.

    Attributes a command line shows: ``format`` ("csv", "xlsx", "json", "jsonl"),
    ``encoding`` (as a person names it), ``delimiter``, ``columns`` (headers in file order),
    ``columns_used`` (source column → canonical fields), ``columns_unused``, ``notes`` (remarks on
    the header plan), ``total_bytes``/``bytes_read`` (progress), and after reading the counts
    ``rows_read``, ``rows_valid``, ``rows_with_problems`` (rows nothing can be read from),
    ``rows_flagged`` and ``values_unreadable`` (valid rows with values that cannot be read, and
    how many such values), ``blank_rows``.
    """

    def __init__(
        self,
        path: Path,
        reader: Reader,
        mapping: Mapping | None,
        plan: HeaderResolution,
        rows: Iterator[RawRow] | None = None,
    ) -> None:
        self.path = path
        self._rows = rows if rows is not None else reader.rows()
        self.name = path.name
        self.mapping = mapping
        self._reader = reader
        self.format = reader.format
        self.encoding = reader.encoding_name
        self.delimiter = reader.delimiter
        self.columns = list(reader.columns)
        self.columns_used = dict(plan.used)
        self.columns_unused = list(plan.unused)
        self.columns_withheld = list(plan.withheld)
        self.notes = list(plan.notes)
        # Columns feeding a witness's identity, and those that only look like one (withheld):
        # their cells are kept only encrypted, never in the raw row or a rejected row.
        self.sensitive_columns = tuple(
            c for c, fields in plan.used.items() if any(f in SENSITIVE_FIELDS for f in fields)
        ) + tuple(plan.withheld)
        self.rows_read = 0
        self.rows_valid = 0
        self.rows_with_problems = 0
        self.rows_flagged = 0
        self.values_unreadable = 0
        self._consumed = False

    @property
    def total_bytes(self) -> int:
        return self._reader.total_bytes

    @property
    def bytes_read(self) -> int:
        return self._reader.bytes_read

    @property
    def blank_rows(self) -> int:
        return self._reader.blank_rows

    @property
    def columns_not_recognised(self) -> list[str]:
        """Unused columns that neither header recognition nor the mapping accounts for (not in
        its ``ignore``): worth showing, since they may hold something that should be mapped."""
        ignored = set(self.mapping.ignore) if self.mapping else set()
        return [c for c in self.columns_unused if c not in ignored]

    @property
    def fields(self) -> set[str]:
        """The canonical fields this file provides (from columns or mapping defaults)."""
        provided = {f for fields in self.columns_used.values() for f in fields}
        if self.mapping:
            provided |= set(self.mapping.defaults)
        return provided

    def summary(self) -> dict[str, Any]:
        """What was read, for a report or a batch's metadata (JSON-serialisable)."""
        return {
            "file": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "columns_used": {k: list(v) for k, v in self.columns_used.items()},
            "columns_unused": self.columns_unused,
            "columns_not_recognised": self.columns_not_recognised,
            "columns_withheld": self.columns_withheld,
            "mapping": self.mapping.name if self.mapping else None,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_with_problems": self.rows_with_problems,
            "rows_flagged": self.rows_flagged,
            "values_unreadable": self.values_unreadable,
            "blank_rows": self.blank_rows,
        }

    def records(
        self,
        progress: Callable[[int, int], None] | None = None,
        every: int = 1000,
        share: tuple[int, int, int] | None = None,
    ) -> Iterator[ParsedRecord]:
        """Stream the rows as :class:`ParsedRecord` objects, blank rows skipped.

        ``progress(bytes_read, total_bytes)`` is called every ``every`` rows and at the end.
        ``share=(k, n, chunk)`` parses only the k-th of every n chunks of ``chunk`` rows, so that
        n processes can split the work of one file (each still reads every row, which is cheap;
        normalising is not).
        May raise :class:`InputRejected` if the file turns out to be undecodable past the part
        looked at when it was opened; a caller storing records does so in one transaction.
        The file is closed when the records are exhausted (or the iterator is dropped).
        """
        if self._consumed:
            raise RuntimeError("SourceFile.records() can be iterated only once; open it again")
        self._consumed = True
        plan = _RowPlan.build(self)
        total = self.total_bytes
        mine, workers, chunk = share if share is not None else (0, 1, 1)
        try:
            for count, row in enumerate(self._rows, start=1):
                if workers > 1 and ((count - 1) // chunk) % workers != mine:
                    continue
                record = plan.parse(row)
                self.rows_read += 1
                if record.problems:
                    self.rows_with_problems += 1
                else:
                    self.rows_valid += 1
                    if record.unreadable:
                        self.rows_flagged += 1
                        self.values_unreadable += len(record.unreadable)
                yield record
                if progress is not None and count % every == 0:
                    progress(self.bytes_read, total)
            if progress is not None:
                progress(total, total)
        finally:
            self.close()  # callers that do not use ``with`` still release the file

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def labels_notes(columns_used: dict[str, Sequence[str]]) -> bool:
    """Whether notes gathered from the columns are labelled with their header: when they come
    from columns that are not themselves notes (IBC's Latin "Name", VDC's "Area \\ Place of
    birth"), so a reader knows what the text is, or from several columns."""
    notes_columns = [c for c, fields in columns_used.items() if "notes" in fields]
    return len(notes_columns) > 1 or any(recognise_header(c) != "notes" for c in notes_columns)


def written_fields(
    cells: Cells[str, str], columns: Iterable[Sequence[Any]], label_notes: bool
) -> dict[str, str]:
    """A row's text for each canonical field, from its cells and the columns used
    (``(column, fields)`` pairs in file order; a later column wins): the one rule, shared by
    parsing and by the store, which rebuilds a record's ``as_written`` from its raw row
    instead of keeping both."""
    as_written: dict[str, str] = {}
    for column, fields in columns:
        text = cells.get(column, "")
        if not text or text.isspace():
            continue
        for name in fields:
            if name == "notes" and label_notes:
                part = f"{column}: {text}"
                earlier = as_written.get("notes")
                as_written["notes"] = f"{earlier}; {part}" if earlier else part
            else:
                as_written[name] = text
    return as_written


def record_plan(source: SourceFile) -> dict[str, Any]:
    """What a batch keeps so that a record's ``as_written`` and ``raw`` are rebuilt from a
    compact raw row (``store.compact_json``): the raw row's columns in file order (identity
    columns are never in a stored raw row), the columns used, whether notes are labelled, the
    mapping's defaults. Plain JSON, in lists (PostgreSQL's jsonb does not keep key order)."""
    sensitive = set(source.sensitive_columns)
    return {
        "headers": [c for c in source.columns if c not in sensitive],
        "columns": [[c, list(fields)] for c, fields in source.columns_used.items()],
        "label_notes": labels_notes(source.columns_used),
        "defaults": dict(source.mapping.defaults) if source.mapping else {},
    }


ONLY_REPORTER = (
    "something about the victim: this row has only the reporter's details, so it names nobody"
)


@dataclass
class _RowPlan:
    """Everything decided once per file, so that reading a row is a few dictionary lookups."""

    file_name: str
    columns: list[_Column]
    column_fields: tuple[tuple[str, tuple[str, ...]], ...]
    values: dict[str, dict[str, str]] | None
    order: str
    defaults: dict[str, str]
    source_of: dict[str, str]
    label_notes: bool
    sensitive_fields: frozenset[str]
    sensitive_columns: tuple[str, ...]
    known_columns: frozenset[str]
    nothing_read: str

    @classmethod
    def build(cls, source: SourceFile) -> _RowPlan:
        mapping = source.mapping
        defaults = dict(mapping.defaults) if mapping else {}
        columns = [
            _Column(c, f, any(x in SENSITIVE_FIELDS for x in f))
            for c, f in source.columns_used.items()
        ]
        source_of: dict[str, str] = {}
        for column in columns:
            for name in column.fields:
                source_of.setdefault(name, column.name)
        for name in defaults:
            source_of.setdefault(name, f"defaults.{name}")
        # Notes gathered from columns that are not themselves notes (IBC's Latin "Name", VDC's
        # "Area \\ Place of birth") are labelled with their header, so a reader knows what the
        # text is; so are notes gathered from several columns.
        return cls(
            file_name=source.name,
            columns=columns,
            column_fields=tuple((c.name, c.fields) for c in columns),
            values=mapping.values if mapping else None,
            order=mapping.date_order if mapping else "DMY",
            defaults=defaults,
            source_of=source_of,
            label_notes=labels_notes(source.columns_used),
            sensitive_fields=frozenset(f for c in columns if c.sensitive for f in c.fields),
            sensitive_columns=source.sensitive_columns,
            known_columns=frozenset(source.columns),
            nothing_read=(
                "a value in at least one of the columns used ("
                + ", ".join(repr(c.name) for c in columns)
                + "): this row has text only in columns that are not used, so it names nobody"
            ),
        )

    def parse(self, row: RawRow) -> ParsedRecord:
        cells = row.values
        as_written = written_fields(cells, self.column_fields, self.label_notes)
        # Only a row nothing about a victim can be read from is rejected: a broken row (its
        # cells may have slipped into the wrong columns), one with text only in columns that
        # are not used, or one with only the reporter's details (a record of nobody; typed
        # entry refuses it too). The rejected row keeps the reporter's cells, encrypted.
        problems = [Problem(file=self.file_name, row=row.number, expected=i) for i in row.issues]
        if not problems and not as_written.keys() - SENSITIVE_FIELDS:
            expected = self.nothing_read if not as_written else ONLY_REPORTER
            problems.append(Problem(file=self.file_name, row=row.number, expected=expected))
        for name, value in self.defaults.items():
            if name not in as_written:
                as_written[name] = value
        normalised, errors = normalise(as_written, self.values, self.order)
        # A value that cannot be read loses nothing: it stays in as_written, the field is
        # unknown, and the flag says which column held what, except for a witness's identity.
        unreadable = [
            UnreadableValue(
                field=name,
                column=self.source_of.get(name, name),
                value=None if name in self.sensitive_fields else as_written.get(name),
                expected=expected,
            )
            for name, expected in errors
        ]
        sensitive_columns = self.sensitive_columns
        extra = cells.keys() - self.known_columns
        if extra:
            # A JSON object's own keys, beyond the first object's: one that looks like a
            # witness's identity is withheld like a column of the header.
            sensitive_columns += tuple(sorted(k for k in extra if identity_field(k)))
        return ParsedRecord(
            row_number=row.number,
            raw=cells,
            as_written=as_written,
            normalised=normalised,
            problems=problems,
            sensitive_columns=sensitive_columns,
            unreadable=unreadable,
        )


def open_source(path: str | Path, mapping: Mapping | str | Path | None = None) -> SourceFile:
    """Open a CSV, XLSX or JSON file for import, with an optional mapping (a file or a
    :class:`Mapping`). Raises :class:`InputRejected` listing every whole-file problem: an empty or
    unreadable file, a wrong mapping, mapped columns the file does not have, no name column."""
    path = Path(path)
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    reader = open_reader(
        path,
        encoding=mapping.encoding if mapping else None,
        delimiter=mapping.delimiter if mapping else None,
        sheet=mapping.sheet if mapping else None,
    )
    try:
        problems: list[Problem] = []
        if mapping is not None:
            problems.extend(mapping.missing_columns(path.name, reader.columns))
        plan = resolve_columns(
            reader.columns,
            explicit={
                c: f for c, f in (mapping.columns if mapping else {}).items() if c in reader.columns
            },
            ignore=mapping.ignore if mapping else (),
            recognise=mapping.recognise_headers if mapping else True,
            not_identity=mapping.not_identity if mapping else (),
        )
        if not problems and not (plan.fields() & set(NAME_COLUMN_FIELDS)):
            recognised = [f"{c!r} → {', '.join(f)}" for c, f in plan.used.items()]
            examples = ", ".join(examples_for(NAME_COLUMN_FIELDS))
            problems.append(
                Problem(
                    file=path.name,
                    row=1,
                    value=", ".join(reader.columns),
                    expected=(
                        "a column holding the person's name, with a header such as "
                        f"{examples}; or a mapping naming it "
                        '([columns] "Your header" = "full_name"). Recognised: '
                        + ("; ".join(recognised) if recognised else "none")
                    ),
                )
            )
        if problems:
            raise InputRejected(
                problems, summary=f"{path.name} cannot be imported: {len(problems)} problem(s)"
            )
        rows = reader.rows()
        first = next(rows, None)
        if first is None:
            raise InputRejected(
                [
                    Problem(
                        file=path.name,
                        expected="data rows under the header row; the file has none",
                    )
                ],
                summary=f"{path.name} is empty: it has a header row and no data",
            )
    except BaseException:
        reader.close()
        raise
    return SourceFile(path, reader, mapping, plan, itertools.chain([first], rows))
