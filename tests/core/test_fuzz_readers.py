"""Hostile input, generated: every reader and the mapping parser either give rows (and the import
its records) or refuse with an :class:`EverynameError` naming the file, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.errors import EverynameError, InputRejected
from everyname.core.ingest import open_source
from everyname.core.mapping import parse_mapping
from everyname.core.readers import ReadLimits, open_reader

# Small limits, so that the generated input crosses them as often as it stays under them.
LIMITS = ReadLimits(cell_chars=40, row_chars=200, json_depth=4, xlsx_part_bytes=1 << 16)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with everything that breaks parsers: quotes, delimiters, line ends, NUL and other
# controls, bidi overrides and zero-width characters, surrogates-free astral characters.
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(",;\t|\"'\r\n\x00\x0b\x1b[]{}:\\=+-@\u202e\u200b\ufeff محمد"),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=60,
)
ROWS = st.lists(st.lists(HOSTILE_TEXT, min_size=1, max_size=5), min_size=1, max_size=6)


def _read_everything(path: Path, limits: ReadLimits = LIMITS, **options: str) -> None:
    """Open and read ``path`` to the end, as an import would; only a refusal may stop it."""
    try:
        with open_reader(path, limits=limits, **options) as reader:
            for row in reader.rows():
                assert row.number >= 1
                assert all(len(v) <= limits.cell_chars for v in row.values.values())
                assert all(isinstance(i, str) and i for i in row.issues)
    except InputRejected as error:
        assert error.problems and error.problems[0].file == path.name


def _import_everything(path: Path) -> None:
    """The whole import path short of the database: columns, mapping, normalisation."""
    try:
        with open_source(path) as source:
            for record in source.records():
                assert record.row_number >= 1
    except EverynameError:
        pass


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with a few bytes flipped, cut short, or with bytes inserted."""
    size = len(data)
    flips = st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), max_size=8)

    def flip(changes: list[tuple[int, int]]) -> bytes:
        out = bytearray(data)
        for index, value in changes:
            out[index] = value
        return bytes(out)

    return st.one_of(
        flips.map(flip),
        st.integers(0, size).map(lambda n: data[:n]),
        st.tuples(st.integers(0, size), st.binary(max_size=40)).map(
            lambda t: data[: t[0]] + t[1] + data[t[0] :]
        ),
    )


@FUZZ
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1256"]),
       delimiter=st.sampled_from([",", ";", "\t"]))  # fmt: skip
def test_csv_reader_never_crashes(rows: list[list[str]], encoding: str, delimiter: str) -> None:
    buffer = io.StringIO()
    # With a header the import recognises, so the rows go all the way through normalisation.
    csv.writer(buffer, delimiter=delimiter).writerows([["name", "age", "place"], *rows])
    data = buffer.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(data)
        _read_everything(path)
        _read_everything(path, limits=ReadLimits())
        _import_everything(path)


@FUZZ
@given(data=st.binary(max_size=400), name=st.sampled_from(["a.csv", "a.json", "a.xlsx"]),
       encoding=st.sampled_from([None, "utf-8", "utf-16-le", "cp1256", "latin-1"]))  # fmt: skip
def test_any_bytes_in_any_encoding(data: bytes, name: str, encoding: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        _read_everything(path, **({"encoding": encoding} if encoding else {}))
        _import_everything(path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3)
    ),
    max_leaves=12,
)
RECORDS = st.lists(
    st.one_of(st.dictionaries(st.sampled_from(["name", "age", "x", ""]), JSON_VALUES), JSON_VALUES),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(records=RECORDS, lines=st.booleans(), cut=st.integers(0, 30))
def test_json_readers_never_crash(records: list, lines: bool, cut: int) -> None:
    if lines:
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.json"
        for variant in (text, text[: max(1, len(text) - cut)]):  # whole, and cut short
            path.write_text(variant, encoding="utf-8")
            _read_everything(path)
            _import_everything(path)


@FUZZ
@given(depth=st.integers(1, 3000), lines=st.booleans())
def test_deep_json_is_a_row_problem(depth: int, lines: bool) -> None:
    nested = "[" * depth + "]" * depth
    records = ['{"name": "Omar"}', f'{{"name": "Ali", "x": {nested}}}']
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.json"
        path.write_text("\n".join(records) if lines else f"[{','.join(records)}]")
        with open_reader(path, limits=LIMITS) as reader:
            rows = list(reader.rows())
        assert rows[0].values == {"name": "Omar"}
        assert bool(rows[1].issues) == (depth + 1 > LIMITS.json_depth)


def _workbook(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XML_TEXT = st.text(  # what a cell of a workbook can hold
    alphabet=st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\t\n"),
    max_size=60,
)
GOOD_WORKBOOK = _workbook([["name", "age"], ["محمد", "34"], ["Huda", "9"]])


@FUZZ
@given(rows=st.lists(st.lists(XML_TEXT, min_size=1, max_size=4), min_size=1, max_size=5))
def test_xlsx_reader_never_crashes(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.xlsx"
        path.write_bytes(_workbook([["name", "sex", "date of death"], *rows]))
        _read_everything(path)
        _import_everything(path)


@FUZZ
@given(data=_mutations(GOOD_WORKBOOK))
def test_a_damaged_workbook_is_refused_never_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.xlsx"
        path.write_bytes(data)
        _read_everything(path, limits=ReadLimits())
        _import_everything(path)


def _sheet_with(xml: bytes) -> bytes:
    """The good workbook with its sheet's XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD_WORKBOOK)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, xml if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@FUZZ
@given(data=_mutations(zipfile.ZipFile(io.BytesIO(GOOD_WORKBOOK)).read("xl/worksheets/sheet1.xml")))
def test_a_damaged_sheet_inside_a_sound_zip_is_refused_never_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.xlsx"
        path.write_bytes(_sheet_with(data))
        _read_everything(path, limits=ReadLimits())
        _import_everything(path)


# --- the mapping parser ----------------------------------------------------------------------

TOML_KEYS = st.sampled_from(
    ["columns", "values", "dates", "defaults", "encoding", "delimiter", "sheet", "description",
     "ignore", "not_identity", "recognise_headers", "order", "full_name", "sex", "Name", "age",
     "reporter_name", "values.sex", "x"]
)  # fmt: skip
TOML_SCALARS = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from(["rot13", "base64", "zlib", "utf-8", "klingon", "DMY", "full_name", "male"]),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TOML_KEYS, children, max_size=3)
    ),
    max_leaves=8,
)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string, or a TOML error: both are fair input
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


@FUZZ
@given(document=st.dictionaries(TOML_KEYS, TOML_VALUES, max_size=6))
def test_the_mapping_parser_refuses_or_accepts_never_crashes(document: dict) -> None:
    text = "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in document.items())
    try:
        mapping = parse_mapping(text, name="fuzz.toml")
    except InputRejected as error:
        assert error.problems
        return
    if mapping.encoding is not None:  # only a text encoding is ever accepted
        import codecs

        assert codecs.lookup(mapping.encoding)._is_text_encoding


@FUZZ
@given(text=st.text(max_size=300))
def test_the_mapping_parser_on_any_text(text: str) -> None:
    try:
        parse_mapping(text, name="fuzz.toml")
    except InputRejected as error:
        assert error.problems


def test_a_codec_that_is_not_a_text_encoding_is_refused_by_the_mapping() -> None:
    for name in ("rot13", "base64", "zlib", "bz2", "hex", "uu", "quopri"):
        try:
            parse_mapping(f'encoding = "{name}"\n[columns]\n"Name" = "full_name"\n', name="m.toml")
        except InputRejected as error:
            assert [p.column for p in error.problems] == ["encoding"], name
        else:
            raise AssertionError(f"{name} was accepted")
