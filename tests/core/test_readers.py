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
    ReadLimits,
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
    with open_reader(path, limits=ReadLimits(cell_chars=300_000)) as reader:
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


# --- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [False, True], ids=["array", "json lines"])
def test_json_nested_a_hundred_thousand_levels_is_refused_not_a_recursion_error(
    tmp_path: Path, lines: bool
) -> None:
    deep = '{"name": "Ali", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    first = '{"name": "Omar", "x": 1}'
    path = tmp_path / "deep.json"
    path.write_text(f"{first}\n{deep}\n{first}\n" if lines else f"[{first},\n{deep}]")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert rows[0].values["name"] == "Omar" and not rows[0].issues
    assert rows[1].number == 2 and rows[1].values == {}
    assert "nested at most 64 levels" in rows[1].issues[0]
    if lines:  # one record per line: reading goes on after it
        assert rows[2].values["name"] == "Omar"


def test_json_deeper_than_the_limit_but_not_the_stack(tmp_path: Path) -> None:
    nested = "[" * 10 + "]" * 10
    path = tmp_path / "list.json"
    path.write_text(f'[{{"name": "Omar", "x": [[1]]}}, {{"name": "Ali", "x": {nested}}}]')
    with open_reader(path, limits=ReadLimits(json_depth=5)) as reader:
        rows = list(reader.rows())
    assert rows[0].values["x"] == "[[1]]" and not rows[0].issues
    assert "nested at most 5 levels" in rows[1].issues[0]
    deep_first = tmp_path / "first.json"
    deep_first.write_text(f'[{{"name": "Ali", "x": {nested}}}]')
    with pytest.raises(InputRejected) as caught:
        open_reader(deep_first, limits=ReadLimits(json_depth=5))
    assert caught.value.problems[0].row == 1


def test_a_json_number_of_five_thousand_digits_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text('{"name": "Omar"}\n{"name": "Ali", "age": ' + "9" * 5000 + "}\n")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert rows[1].values == {} and "one JSON object" in rows[1].issues[0]


def test_a_json_record_over_the_row_limit(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    records = '[{{"name": "Omar"}}, {{"name": "{}"}}, {{"name": "Ali"}}]'
    path.write_text(records.format("x" * 20_000))  # read whole in the first chunk
    with open_reader(path, limits=ReadLimits(row_chars=10_000)) as reader:
        rows = list(reader.rows())
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[1].values == {} and "at most 10,000 characters of JSON" in rows[1].issues[0]
    path.write_text(records.format("x" * 500_000))  # never held whole: reading stops there
    with open_reader(path, limits=ReadLimits(row_chars=10_000)) as reader:
        rows = list(reader.rows())
    assert [r.number for r in rows] == [1, 2]
    assert "nothing after it was read" in rows[1].issues[0]


@pytest.mark.parametrize("kind", ["csv", "json", "jsonl", "xlsx"])
def test_a_cell_over_the_limit_rejects_its_row_naming_the_column(tmp_path: Path, kind: str) -> None:
    long = "ي" * 40_000  # over Excel's 32,767 characters, which no real list can exceed
    rows_in = [["name", "notes"], ["Omar", "ok"], ["Ali", long], ["Huda", "ok"]]
    path = tmp_path / f"list.{kind}"
    if kind == "csv":
        write_csv(path, rows_in, "utf-8")
    elif kind == "xlsx":  # openpyxl cuts what it writes to 32,767: the zip is edited instead
        long = "A" * 40_000
        _zip_bomb_workbook(path, 40_000, rows=rows_in)
    else:
        objects = [dict(zip(rows_in[0], row, strict=True)) for row in rows_in[1:]]
        text = [json.dumps(o, ensure_ascii=False) for o in objects]
        path.write_text("\n".join(text) if kind == "jsonl" else f"[{','.join(text)}]")
    with open_reader(path) as reader:
        rows = list(reader.rows())
    assert [r.values["name"] for r in rows] == ["Omar", "Ali", "Huda"]
    assert not rows[0].issues and not rows[2].issues
    (issue,) = rows[1].issues
    assert "at most 32,767 characters" in issue and "'notes'" in issue and "40,000" in issue
    assert rows[1].values["notes"] == long[:32_767]


def test_a_csv_line_over_the_row_limit_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name,notes\nOmar,ok\nAli," + "x" * 5_000 + "\nHuda,ok\n")
    with open_reader(path, limits=ReadLimits(row_chars=1_000, cell_chars=500)) as reader:
        rows = list(reader.rows())
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[1].values == {} and "at most 1,000 characters" in rows[1].issues[0]
    assert rows[2].values == {"name": "Huda", "notes": "ok"} and not rows[2].issues


def test_a_header_cell_over_the_limit_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name," + "n" * 600 + "\nOmar,ok\n")
    with pytest.raises(InputRejected) as caught:
        open_reader(path, limits=ReadLimits(cell_chars=500))
    assert caught.value.problems[0].column == "column 2"


def _zip_bomb_workbook(path: Path, cell_bytes: int, rows: list[list[str]] | None = None) -> None:
    """A real workbook whose one cell (the second of the third row, when ``rows`` are given)
    holds ``cell_bytes`` of "A", written into the zip in chunks. openpyxl writes text inline in
    the sheet, Excel in the shared strings: the scan of both parts is the same."""
    book = openpyxl.Workbook()
    rows = [list(row) for row in rows or [["name", "notes"], ["Omar", ""]]]
    rows[-1 if len(rows) < 3 else 2][1] = "PLACEHOLDER"
    for row in rows:
        book.active.append(row)
    plain = tmp = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with (
        zipfile.ZipFile(tmp) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if b"PLACEHOLDER" not in data:
                target.writestr(info.filename, data)
                continue
            head, tail = data.split(b"PLACEHOLDER")
            with target.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                chunk = b"A" * (1 << 20)
                for _ in range(cell_bytes // len(chunk)):
                    part.write(chunk)
                part.write(chunk[: cell_bytes % len(chunk)])
                part.write(tail)
    plain.unlink()


@pytest.mark.slow
def test_an_xlsx_with_a_one_gibibyte_cell_is_refused_before_it_is_loaded(tmp_path: Path) -> None:
    import psutil

    path = tmp_path / "bomb.xlsx"
    _zip_bomb_workbook(path, 1000 << 20)  # under the part limit: the cell scan refuses it
    assert path.stat().st_size < 10 << 20  # a few megabytes on disk
    before = psutil.Process().memory_info().rss
    with pytest.raises(InputRejected) as caught:
        open_reader(path)
    assert "cells of at most 32,767 characters" in caught.value.problems[0].expected
    # Refused from a scan of the first chunks: nowhere near the gibibyte in memory.
    assert psutil.Process().memory_info().rss - before < 200 << 20


def test_an_xlsx_part_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    _zip_bomb_workbook(path, 4 << 20)
    with pytest.raises(InputRejected) as caught:
        open_reader(path, limits=ReadLimits(xlsx_part_bytes=1 << 20))
    assert "xl/worksheets/sheet1.xml unpacks to" in caught.value.problems[0].expected


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "hex", "uu", "klingon"])
def test_only_a_text_encoding_reads_a_list(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "list.csv", [["name"], ["Omar"]], "utf-8")
    with pytest.raises(InputRejected) as caught:
        open_reader(path, encoding=encoding)
    assert "text encoding" in caught.value.problems[0].expected


def test_limits_from_the_environment() -> None:
    from everyname.core.errors import InvalidInput

    assert ReadLimits.from_environment({}) == ReadLimits()
    limits = ReadLimits.from_environment(
        {"EVERYNAME_MAX_CELL_CHARS": "100_000", "EVERYNAME_MAX_JSON_DEPTH": "8"}
    )
    assert (limits.cell_chars, limits.json_depth) == (100_000, 8)
    assert limits.row_chars == ReadLimits().row_chars
    with pytest.raises(InvalidInput) as caught:
        ReadLimits.from_environment({"EVERYNAME_MAX_ROW_CHARS": "lots"})
    assert caught.value.field == "EVERYNAME_MAX_ROW_CHARS"
