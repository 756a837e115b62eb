"""Streaming readers: encodings detected, delimiters sniffed, malformed rows reported, formats
decided by content, memory independent of file size."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.errors import InputRejected
from everyname.core.readers import (
    CsvReader,
    JsonReader,
    XlsxReader,
    detect_encoding,
    open_reader,
)

ROWS = [["الاسم", "العمر", "المحافظة"], ["محمد علي", "34", "حمص"], ['فاطمة, "أم علي"', "", "حماة"]]


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_all(path: Path, **options: str) -> tuple[list[str], list[dict[str, str]], str | None]:
    with open_reader(path, **options) as reader:
        rows = [row.values for row in reader.rows()]
        return reader.columns, rows, reader.encoding_name


EXPECTED = [dict(zip(ROWS[0], row, strict=True)) for row in ROWS[1:]]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8 (with BOM)"),
        ("utf-16", "utf-16 (with BOM)"),  # Python writes a BOM
        ("utf-16-le", "utf-16-le (no BOM)"),
        ("utf-16-be", "utf-16-be (no BOM)"),
        ("cp1256", "windows-1256"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, name: str) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, encoding)
    columns, rows, detected = read_all(path)
    assert detected == name
    assert columns == ROWS[0]
    assert rows == EXPECTED


def test_utf16_with_big_endian_bom(tmp_path: Path) -> None:
    text = "\r\n".join(",".join(r) for r in [["name", "age"], ["محمد", "34"]])
    path = tmp_path / "be.csv"
    path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert read_all(path)[1] == [{"name": "محمد", "age": "34"}]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, "utf-8", delimiter)
    with open_reader(path) as reader:
        assert reader.delimiter == delimiter
        assert [r.values for r in reader.rows()] == EXPECTED


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_excel_sep_line(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"sep={delimiter}\nname{delimiter}age\nA{delimiter}1\n", encoding="utf-8-sig")
    with open_reader(path) as reader:
        assert reader.delimiter == delimiter and reader.columns == ["name", "age"]
        # Excel hides the sep line: the header is row 1 there.
        assert [(r.number, r.values) for r in reader.rows()] == [(2, {"name": "A", "age": "1"})]


def test_encoding_and_delimiter_can_be_forced(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, "cp1256", ";")
    _columns, rows, name = read_all(path, encoding="cp1256", delimiter=";")
    assert name == "windows-1256" and rows == EXPECTED


ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوية"
cell = st.text(alphabet=ARABIC + "abcXYZ0123456789 ,\"'\n;-", max_size=20)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.text(alphabet=ARABIC, min_size=1, max_size=8), cell, cell),
        min_size=1,
        max_size=20,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1256"]),
)
def test_round_trip_any_table_in_any_supported_encoding(
    tmp_path: Path, rows: list[tuple[str, str, str]], encoding: str
) -> None:
    header = ["الاسم", "ملاحظات", "Notes"]
    path = write_csv(tmp_path / "round.csv", [header, *map(list, rows)], encoding)
    _, read, _ = read_all(path)
    assert read == [dict(zip(header, row, strict=True)) for row in rows]


def test_detect_encoding_rules() -> None:
    arabic = "الاسم,العمر\r\nمحمد,34\r\n"
    assert detect_encoding(arabic.encode("utf-8"), complete=True) == "utf-8"
    assert detect_encoding(arabic.encode("cp1256"), complete=True) == "cp1256"
    assert detect_encoding(arabic.encode("utf-16-le"), complete=True) == "utf-16-le"
    assert detect_encoding(arabic.encode("utf-16-be"), complete=True) == "utf-16-be"
    # Mostly Latin with one Arabic name, and a lone name: where statistical detectors go wrong.
    mostly_latin = "name,age\r\n" + "Omar Hasan,3\r\n" * 200 + "محمد الخالدي,4\r\n"
    assert detect_encoding(mostly_latin.encode("cp1256"), complete=True) == "cp1256"
    assert detect_encoding("زينب".encode("cp1256"), complete=True) == "cp1256"
    # A sample cut inside a UTF-8 character is still UTF-8 when the file goes on.
    assert detect_encoding("محمد".encode()[:-1], complete=False) == "utf-8"


def test_blank_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("name,age\n\nA,1\n,\n  ,  \nB,2\n", encoding="utf-8")
    with open_reader(path) as reader:
        rows = list(reader.rows())
        assert [(r.number, r.values["name"]) for r in rows] == [(3, "A"), (6, "B")]
        assert reader.blank_rows == 3


def test_row_numbers_are_spreadsheet_rows_even_with_line_breaks_in_cells(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('name,notes\nA,"line one\nline two"\nB,x\n', encoding="utf-8")
    with open_reader(path) as reader:
        assert [r.number for r in reader.rows()] == [2, 3]


def test_unclosed_quote_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "truncated.csv"
    path.write_text('name,age\nA,1\nB,"2\nC,3\n', encoding="utf-8")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert [r.values for r in rows[:1]] == [{"name": "A", "age": "1"}]
    assert rows[1].number == 3
    assert "closing quote" in rows[1].issues[0]
    assert len(rows) == 2


def test_too_many_and_too_few_cells(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("name,age\nA,1,extra\nB\nC,3,\nD,4\n", encoding="utf-8")
    with open_reader(path) as reader:
        rows = {r.number: r for r in reader.rows()}
    assert "2 cells as in the header row, got 3" in rows[2].issues[0]
    assert rows[2].values["column 3"] == "extra"  # nothing is lost
    assert "cut short" in rows[3].issues[0]
    assert rows[4].issues == ()  # a trailing empty cell is harmless
    assert rows[5].issues == ()


def test_stray_quote_is_a_row_problem_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text('name,age\n"A"x,1\nB,2\n', encoding="utf-8")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert rows[0].number == 2 and "well-formed CSV" in rows[0].issues[0]
    assert rows[1].values == {"name": "B", "age": "2"}


def test_duplicate_and_empty_headers_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("name,name,\nA,B,C\n", encoding="utf-8")
    columns, rows, _ = read_all(path)
    assert columns == ["name", "name (2)", "column 3"]
    assert rows == [{"name": "A", "name (2)": "B", "column 3": "C"}]


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    (problem,) = caught.value.problems
    assert problem.file == "empty.csv" and "empty" in problem.expected


def test_xlsx_is_read_by_content_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["الاسم", "العمر", "تاريخ الوفاة", "الرقم"])
    sheet.append(["محمد", 34, None, 804359495])
    sheet.append([None, None, None, None])
    import datetime

    sheet.append(["علي", 7.5, datetime.datetime(2012, 2, 7), 12.0])
    path = tmp_path / "list.data"  # the extension says nothing
    book.save(path)
    with open_reader(path) as reader:
        assert isinstance(reader, XlsxReader)
        assert reader.format == "xlsx"
        rows = list(reader.rows())
        assert reader.blank_rows == 1
        assert reader.bytes_read == reader.total_bytes
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].values == {
        "الاسم": "محمد",
        "العمر": "34",
        "تاريخ الوفاة": "",
        "الرقم": "804359495",
    }
    assert rows[1].values == {
        "الاسم": "علي",
        "العمر": "7.5",
        "تاريخ الوفاة": "2012-02-07",
        "الرقم": "12",
    }


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["x"])
    second = book.create_sheet("Martyrs")
    second.append(["name"])
    second.append(["A"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    with open_reader(path, sheet="Martyrs") as reader:
        assert [r.values for r in reader.rows()] == [{"name": "A"}]
    with pytest.raises(InputRejected) as caught:
        open_reader(path, sheet="Nope")
    assert "Martyrs" in caught.value.problems[0].expected


def test_xlsx_that_is_really_text(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_text("name,age\nA,1\n", encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    (problem,) = caught.value.problems
    assert problem.file == "list.xlsx"
    assert "an Excel workbook" in problem.expected and "looks like CSV" in problem.expected


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
        (b"%PDF-1.4\n...", "PDF"),
    ],
)
def test_other_formats_are_named(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert says in caught.value.problems[0].expected


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert "without a workbook" in caught.value.problems[0].expected


def test_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml at all")
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert "damaged" in caught.value.problems[0].expected


def test_json_array_streams_objects_across_chunk_boundaries(tmp_path: Path) -> None:
    records = [
        {"name": f"شخص {i}", "age": i % 90, "notes": "x" * (i * 37 % 5000)} for i in range(400)
    ]
    records[200]["notes"] = "ي" * 300_000  # one object larger than several read chunks
    path = tmp_path / "list.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    with open_reader(path) as reader:
        assert isinstance(reader, JsonReader) and reader.format == "json"
        assert reader.columns == ["name", "age", "notes"]
        rows = list(reader.rows())
    assert [r.number for r in rows] == list(range(1, 401))
    assert [r.values["name"] for r in rows] == [r["name"] for r in records]
    assert [r.values["notes"] for r in rows] == [r["notes"] for r in records]
    assert rows[5].values["age"] == "5"
    assert all(not r.issues for r in rows)


def test_json_values_become_text(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text('[{"name": "A", "age": null, "ok": true, "x": [1]}, 7]', encoding="utf-8")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert rows[0].values == {"name": "A", "age": "", "ok": "true", "x": "[1]"}
    assert rows[1].number == 2 and "an object" in rows[1].issues[0]


def test_truncated_json_array(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text('[{"name": "A"}, {"name": "B"}, {"name": "C', encoding="utf-8")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert [r.values for r in rows[:2]] == [{"name": "A"}, {"name": "B"}]
    assert rows[2].number == 3 and rows[2].issues


def test_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text('{"name": "A"}\n\n{"name": \n{"name": "C"}\n', encoding="utf-8")
    with open_reader(path) as reader:
        assert reader.format == "jsonl"
        rows = list(reader.rows())
    assert [(r.number, r.values, bool(r.issues)) for r in rows] == [
        (1, {"name": "A"}, False),
        (3, {}, True),
        (4, {"name": "C"}, False),
    ]


def test_json_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("name,age\nA,1\n", encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert "JSON" in caught.value.problems[0].expected


@pytest.mark.parametrize("name", ["list.csv", "list.xlsx"])
def test_binary_garbage_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert "looks binary" in caught.value.problems[0].expected


def test_progress_counts_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name,age\n")
        for i in range(20000):
            handle.write(f"شخص {i},{i % 90}\n")
    with open_reader(path) as reader:
        assert isinstance(reader, CsvReader)
        seen = []
        for i, _ in enumerate(reader.rows()):
            if i % 5000 == 0:
                seen.append(reader.bytes_read)
        assert seen == sorted(seen) and seen[-1] < reader.total_bytes
        assert reader.bytes_read == reader.total_bytes


def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    """A 50 MB CSV is read with a peak far below its size: rows are streamed, never gathered."""
    path = tmp_path / "fifty.csv"
    line = ("محمد عبد الرحمن الخالدي," + "ملاحظة " * 70 + ",34,2012-02-07\n").encode()
    with path.open("wb") as handle:
        handle.write(b"name,notes,age,date\n")
        written = 0
        while written < 50_000_000:
            handle.write(line * 1000)
            written += len(line) * 1000
    tracemalloc.start()
    try:
        count = 0
        with open_reader(path) as reader:
            for _ in reader.rows():
                count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count * len(line) >= 50_000_000
    assert peak < 8_000_000, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte file"


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.text(alphabet=ARABIC + 'abc019,;\t"\n\r[]{}: \x00', max_size=300).map(str.encode),
    ),
    name=st.sampled_from(["x.csv", "x.json", "x.xlsx", "x.txt"]),
)
def test_any_bytes_give_rows_or_a_refusal_never_a_crash(
    tmp_path: Path, data: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        with open_reader(path) as reader:
            for row in reader.rows():
                assert row.number >= 1
                assert all(isinstance(v, str) for v in row.values.values())
    except InputRejected as error:
        assert error.problems and error.problems[0].file == name
