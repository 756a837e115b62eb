"""open_source and records(): whole-file refusals, rows rejected only when nothing in them can be
read, unreadable values kept and flagged with file, row, column and what was expected,
normalised keys, mappings applied, canonical headers read, witnesses never echoed."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.errors import InputRejected, Problem
from everyname.core.ingest import NORMALISED_KEYS, normalise, open_source
from everyname.core.mapping import parse_mapping
from everyname.core.names import FORM_COLUMNS, name_key
from everyname.core.schema import CANONICAL_FIELDS, SENSITIVE_FIELDS, UNKNOWN, VOCABULARIES

HEADER = "الاسم,الجنس,العمر,تاريخ الوفاة,المحافظة,سبب الوفاة,الصفة,المبلغ,هاتف المبلغ\n"


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def records(path: Path, mapping: object = None) -> list:
    with open_source(path, mapping) as source:  # type: ignore[arg-type]
        return list(source.records())


def test_a_clean_arabic_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "محمد  علي,ذكر,٣٤,7/2/2012,حمص,قصف,مدني,سامي,0999\n"
        + "طفلة,أنثى,3 أشهر,شباط 2012,حمص,قناص,,,\n",
    )
    with open_source(path) as source:
        assert source.format == "csv" and source.encoding == "utf-8"
        assert source.columns_used["الجنس"] == ("sex",)
        assert source.columns_unused == []
        assert source.sensitive_columns == ("المبلغ", "هاتف المبلغ")
        first, second = source.records()
        assert source.rows_read == 2 and source.rows_valid == 2
    assert first.row_number == 2 and first.is_valid
    assert first.as_written["age"] == "٣٤"  # as the source wrote it
    n = first.normalised
    assert (n["full_name"], n["sex"], n["age_years"], n["age_group"]) == (
        "محمد علي",
        "male",
        34.0,
        "adult",
    )
    assert (n["date_of_death"], n["date_of_death_precision"]) == ("2012-02-07", "day")
    assert (n["cause"], n["status"], n["governorate"]) == ("shelling", "civilian", "حمص")
    assert n["reporter_name"] == "سامي"
    m = second.normalised
    assert (m["age_years"], m["age_group"], m["sex"]) == (0.25, "child", "female")
    assert (m["date_of_death"], m["date_of_death_start"], m["date_of_death_end"]) == (
        "2012-02",
        "2012-02-01",
        "2012-02-29",
    )
    assert m["status"] == UNKNOWN and m["outcome"] == UNKNOWN


def test_every_normalised_key_is_present_and_json_serialisable(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "محمد,ذكر,40s,2012,حمص,غارة,عسكري,,\n")
    (record,) = records(path)
    assert tuple(record.normalised) == NORMALISED_KEYS
    json.dumps([record.raw, record.as_written, record.normalised])
    expected_keys = set(CANONICAL_FIELDS) - {"age", "date_of_death", "date_of_birth"}
    expected_keys |= {"age_years", "age_min", "age_max"}
    for name in ("date_of_death", "date_of_birth"):
        expected_keys |= {name, f"{name}_precision", f"{name}_start", f"{name}_end"}
    expected_keys |= {*FORM_COLUMNS, "is_placeholder"}  # comparable name forms
    assert set(NORMALISED_KEYS) == expected_keys
    assert (record.normalised["age_min"], record.normalised["age_max"]) == (40.0, 49.0)
    assert record.normalised["age_years"] is None


def test_name_forms_are_stored_beside_the_names_as_written(tmp_path: Path) -> None:
    rows = HEADER + "محمد عبد الرحمن الخالدي,ذكر,,,,,,,\nمجهول الهوية 3,,,,,,,,\n"
    named, unidentified = records(write(tmp_path, rows))
    assert named.as_written["full_name"] == "محمد عبد الرحمن الخالدي"
    forms = named.normalised
    assert (forms["given_key"], forms["family_key"]) == (name_key("Mohammed"), name_key("Khalidi"))
    assert forms["father_ar"] == "عبدالرحمن" and forms["is_placeholder"] is False
    assert unidentified.normalised["is_placeholder"] is True
    assert unidentified.normalised["given_key"] is None


# --- the bad inputs of issue 2, item 5 ------------------------------------------------------


def rejected(path: Path, mapping: object = None) -> list[Problem]:
    with pytest.raises(InputRejected) as caught:
        open_source(path, mapping)  # type: ignore[arg-type]
    return caught.value.problems


def test_empty_file(tmp_path: Path) -> None:
    (problem,) = rejected(write(tmp_path, "", "empty.csv"))
    assert problem.file == "empty.csv"
    assert "header row and data rows" in problem.expected


@pytest.mark.parametrize("text", ["name,age\n", "name,age\n\n,\n"])
def test_header_without_data_rows_is_empty(tmp_path: Path, text: str) -> None:
    (problem,) = rejected(write(tmp_path, text, "header-only.csv"))
    assert problem.file == "header-only.csv"
    assert "data rows under the header row" in problem.expected


def test_no_recognisable_name_column(tmp_path: Path) -> None:
    (problem,) = rejected(write(tmp_path, "Person,العمر,Place\nA,3,Homs\n", "noname.csv"))
    assert problem.file == "noname.csv" and problem.row == 1
    assert problem.value == "Person, العمر, Place"  # the headers seen
    assert "الاسم" in problem.expected and "full_name" in problem.expected
    assert "'العمر' → age" in problem.expected  # and what was recognised


def test_truncated_csv(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + 'محمد,ذكر,34,2012-02-07,حمص,قصف,مدني,,\nعلي,ذكر,"2', "cut.csv")
    good, bad = records(path)
    assert good.is_valid
    (problem,) = bad.problems
    assert (problem.file, problem.row) == ("cut.csv", 3)
    assert "closing quote" in problem.expected


def test_row_with_too_many_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "name,age\nA,1\nB,2,3,4\n", "wide.csv")
    good, bad = records(path)
    assert good.is_valid
    (problem,) = bad.problems
    assert (problem.file, problem.row) == ("wide.csv", 3)
    assert "2 cells as in the header row, got 4" in problem.expected


def test_xlsx_that_is_really_text(tmp_path: Path) -> None:
    (problem,) = rejected(write(tmp_path, HEADER + "a,b\n", "list.xlsx"))
    assert problem.file == "list.xlsx"
    assert "an Excel workbook" in problem.expected


def test_impossible_date_and_age_are_flagged_and_the_record_kept(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "محمد,ذكر,430,2012-02-30,حمص,قصف,مدني,,\n", "bad.csv")
    with open_source(path) as source:
        (record,) = source.records()
        assert (source.rows_valid, source.rows_flagged, source.values_unreadable) == (1, 1, 2)
    assert record.is_valid and record.problems == []
    age, date = record.unreadable
    assert (age.field, age.column, age.value) == ("age", "العمر", "430")
    assert "an age between 0 and 120" in age.expected
    assert (date.field, date.column, date.value) == ("date_of_death", "تاريخ الوفاة", "2012-02-30")
    assert "February 2012 has 29 days" in date.expected
    # kept as written, counted as unknown
    assert record.as_written["age"] == "430" and record.as_written["date_of_death"] == "2012-02-30"
    n = record.normalised
    assert (n["age_years"], n["age_min"], n["age_group"]) == (None, None, UNKNOWN)
    assert (n["date_of_death"], n["date_of_death_precision"]) == (None, UNKNOWN)
    assert (n["full_name"], n["sex"], n["cause"]) == ("محمد", "male", "shelling")
    problem = date.problem("bad.csv", record.row_number)
    assert str(problem).startswith(
        "bad.csv, row 2, column 'تاريخ الوفاة': got '2012-02-30'; expected"
    )
    assert age.to_dict() == {
        "field": "age",
        "column": "العمر",
        "value": "430",
        "expected": age.expected,
    }


def test_a_year_of_birth_in_the_age_column_is_said_so(tmp_path: Path) -> None:
    path = write(tmp_path, "name,age\nA,1962\nB,٢٠٠١\nC,see notes\nD,غير معروف\n")
    a, b, c, d = records(path)
    assert [r.normalised["age_years"] for r in (a, b, c, d)] == [None] * 4
    assert "not a year of birth (1962)" in a.unreadable[0].expected
    assert "not a year of birth (2001)" in b.unreadable[0].expected
    assert "an age such as 34" in c.unreadable[0].expected
    assert d.unreadable == []  # "not known" is readable: it says the age is unknown


def test_an_age_group_written_in_the_age_column_is_read_as_one(tmp_path: Path) -> None:
    path = write(tmp_path, "name,age,age group\nA,طفل,\nB,Adult,\nC,child,adult\n")
    a, b, c = records(path)
    assert [r.unreadable for r in (a, b, c)] == [[], [], []]
    assert [r.normalised["age_group"] for r in (a, b, c)] == ["child", "adult", "adult"]
    assert [r.normalised["age_min"] for r in (a, b, c)] == [None] * 3
    assert a.as_written["age"] == "طفل"


def test_a_row_with_text_only_in_unused_columns_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "name,age,Photo\nA,3,\n,,x.jpg\n", "photo.csv")
    good, bad = records(path)
    assert good.is_valid
    (problem,) = bad.problems
    assert (problem.file, problem.row, problem.value) == ("photo.csv", 3, None)
    assert "at least one of the columns used ('name', 'age')" in problem.expected


def test_a_row_with_only_the_reporters_details_is_rejected(tmp_path: Path) -> None:
    """Nothing about a victim, so no record (typed entry refuses one too); a row with any
    victim value, even without a name (an unidentified victim), is a record."""
    path = write(
        tmp_path,
        "name,age,reporter name,reporter phone\n,,Abu Ali,0999555666\n,40,Abu Ali,\n",
        "calls.csv",
    )
    reporter_only, unnamed = records(path)
    (problem,) = reporter_only.problems
    assert (problem.file, problem.row, problem.value) == ("calls.csv", 2, None)
    assert "only the reporter's details" in problem.expected
    assert "Abu Ali" not in problem.expected
    assert unnamed.is_valid and unnamed.normalised["age_years"] == 40


@pytest.mark.parametrize("field_name", CANONICAL_FIELDS)
def test_every_canonical_name_is_its_own_header(tmp_path: Path, field_name: str) -> None:
    value = {
        "sex": "female",
        "age": "34",
        "age_group": "adult",
        "date_of_birth": "1978-05-02",
        "date_of_death": "2012-02-07",
        "national_id": "0123 456",
        "cause": "shelling",
        "status": "civilian",
        "outcome": "killed",
    }.get(field_name, "Bab Amr 7")
    header = [field_name] if field_name == "full_name" else ["full_name", field_name]
    cells = [value] if field_name == "full_name" else ["A", value]
    path = write(tmp_path, ",".join(header) + "\n" + ",".join(cells) + "\n")
    with open_source(path) as source:
        assert source.columns_used == {h: (h,) for h in header}
        assert source.columns_unused == []
        (record,) = source.records()
    assert record.is_valid and record.unreadable == []
    assert record.as_written[field_name] == value
    n = record.normalised
    if field_name in SENSITIVE_FIELDS:
        assert record.sensitive_columns == (field_name,)
    elif field_name == "age":
        assert n["age_years"] == 34.0
    elif field_name in ("date_of_birth", "date_of_death"):
        assert n[field_name] == value and n[f"{field_name}_precision"] == "day"
    elif field_name == "national_id":
        assert n[field_name] == "0123456"
    else:
        assert n[field_name] == value


def test_a_file_with_every_canonical_header_uses_every_column(tmp_path: Path) -> None:
    path = write(tmp_path, ",".join(CANONICAL_FIELDS) + "\n" + ",".join(["x"] * 26) + "\n")
    with open_source(path) as source:
        assert list(source.columns_used) == list(CANONICAL_FIELDS)
        assert source.columns_unused == []
        (record,) = source.records()
    assert record.normalised["source_record_id"] == "x"


def test_wrong_mapping_toml(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "محمد,ذكر,34,2012,حمص,قصف,مدني,,\n")
    mapping = write(tmp_path, '[columns]\n"الاسم" = "full_nam"\n[colours]\n', "wrong.toml")
    problems = rejected(path, mapping)
    assert {(p.file, p.column) for p in problems} == {
        ("wrong.toml", "columns.الاسم"),
        ("wrong.toml", "colours"),
    }


def test_mapping_naming_columns_the_file_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Age\nA,3\n", "list.csv")
    mapping = write(tmp_path, '[columns]\n"Nom" = "full_name"\n"Âge" = "age"\n', "m.toml")
    problems = rejected(path, mapping)
    assert [(p.file, p.column, p.value) for p in problems] == [
        ("m.toml", "columns.Nom", "Nom"),
        ("m.toml", "columns.Âge", "Âge"),
    ]
    assert problems[0].expected == "a column of list.csv; its columns are: 'Name', 'Age'"


def test_undecodable_with_a_forced_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "name\nمحمد\n", encoding="cp1256")
    (problem,) = rejected(path, parse_mapping('encoding = "utf-8"', "m.toml"))
    assert "utf-8" in problem.expected


# --- mapping features ------------------------------------------------------------------------


VDC_LIKE = """uid,Name,Sex,Status,Age,Date of death,Cause of Death,Area,Notes,Photo
1,A,Adult - Male,Non-Civilian,0,2012-02-07,Warplane shelling,Talkalakh,shot at a checkpoint,x
2,B,Child - Female,Civilian,7,0000-00-00,Field Execution,,,
"""


def test_mapping_two_fields_value_maps_defaults_and_labelled_notes(tmp_path: Path) -> None:
    mapping = parse_mapping(
        """
recognise_headers = false
ignore = ["Photo"]
[columns]
uid = "source_record_id"
Name = "full_name"
Sex = ["sex", "age_group"]
Status = "status"
Age = "age"
"Date of death" = "date_of_death"
"Cause of Death" = "cause"
Area = "notes"
Notes = "notes"
[values.age]
"0" = ""
[dates]
order = "YMD"
[defaults]
outcome = "killed"
governorate = "Homs"
""",
        "vdc.toml",
    )
    path = write(tmp_path, VDC_LIKE)
    with open_source(path, mapping) as source:
        assert source.columns_unused == ["Photo"]
        assert source.columns_not_recognised == []
        first, second = source.records()
    a, b = first.normalised, second.normalised
    assert (a["sex"], a["age_group"], a["status"], a["cause"]) == (
        "male",
        "adult",
        "combatant",
        "airstrike",
    )
    assert a["age_years"] is None  # VDC's 0 means unknown
    assert first.as_written["age"] == "0"  # but the source's text is kept
    assert (a["outcome"], a["governorate"]) == ("killed", "Homs")
    assert first.as_written["outcome"] == "killed"
    assert a["notes"] == "Area: Talkalakh; Notes: shot at a checkpoint"
    assert (b["sex"], b["age_group"], b["age_years"], b["cause"]) == (
        "female",
        "child",
        7.0,
        "execution",
    )
    assert b["date_of_death"] is None and b["date_of_death_precision"] == UNKNOWN
    assert second.is_valid


def test_a_mapping_for_one_column_leaves_the_others_recognised(tmp_path: Path) -> None:
    path = write(tmp_path, "Martyr,العمر,Sex,Photo\nA,34,F,x\n")
    mapping = parse_mapping('[columns]\nMartyr = "full_name"\n', "m.toml")
    with open_source(path, mapping) as source:
        assert source.columns_used == {
            "Martyr": ("full_name",),
            "العمر": ("age",),
            "Sex": ("sex",),
        }
        assert source.columns_unused == ["Photo"]
        assert source.columns_not_recognised == ["Photo"]
        (record,) = source.records()
    assert (record.normalised["full_name"], record.normalised["sex"]) == ("A", "female")


def test_late_decoding_failure_rejects_the_file(tmp_path: Path) -> None:
    """Encoding is decided on the first megabyte; a bad byte after it stops the import."""
    path = tmp_path / "late.csv"
    body = b"name,age\n" + (b"A" * 60 + b",1\n") * 20_000 + "محمد,2\n".encode("cp1256")
    path.write_bytes(body)
    with open_source(path) as source, pytest.raises(InputRejected) as caught:
        for _ in source.records():
            pass
    (problem,) = caught.value.problems
    assert problem.file == "late.csv"
    assert "one encoding throughout" in problem.expected and "utf-8" in problem.expected


def test_explicit_age_group_wins_over_age(tmp_path: Path) -> None:
    path = write(tmp_path, "name,age,age group\nA,16,adult\nB,16,\nC,,child\nD,40s,\n")
    groups = [r.normalised["age_group"] for r in records(path)]
    assert groups == ["adult", "child", "child", "adult"]


def test_unrecognised_vocabulary_is_kept_unknown_and_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, "name,sex,cause,status\nA,X,heart attack,policeman\nB,-,unknown,\n")
    flagged, placeholders = records(path)
    assert flagged.is_valid
    assert flagged.as_written == {
        "full_name": "A",
        "sex": "X",
        "cause": "heart attack",
        "status": "policeman",
    }
    assert [flagged.normalised[k] for k in ("sex", "cause", "status")] == [UNKNOWN] * 3
    assert [(u.field, u.column, u.value) for u in flagged.unreadable] == [
        ("sex", "sex", "X"),
        ("cause", "cause", "heart attack"),
        ("status", "status", "policeman"),
    ]
    assert "male, female" in flagged.unreadable[0].expected
    assert placeholders.unreadable == []  # "-" and "unknown" say the value is not known


def test_witness_identity_is_never_echoed_in_problems_or_flags(tmp_path: Path) -> None:
    mapping = parse_mapping(
        '[columns]\nname = "full_name"\nwho = "reporter_name"\nwhen = "reporter_contact"\n'
        'age = "age"\n',
        "m.toml",
    )
    path = write(tmp_path, "name,who,when,age\nA,سامي,0999,1962\nB,هدى,0888,3,extra\n")
    good, bad = records(path, mapping)
    assert good.sensitive_columns == ("who", "when")
    assert good.is_valid and [u.field for u in good.unreadable] == ["age"]
    assert all("سامي" not in str(u) and "0999" not in str(u) for u in good.unreadable)
    assert bad.problems and all(p.value is None for p in bad.problems)
    assert all("هدى" not in str(p) and "0888" not in str(p) for p in bad.problems)


def test_records_can_be_read_once_and_progress_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "name\n" + "".join(f"n{i}\n" for i in range(2500)))
    calls: list[tuple[int, int]] = []
    with open_source(path) as source:
        assert (
            sum(1 for _ in source.records(progress=lambda done, total: calls.append((done, total))))
            == 2500
        )
        with pytest.raises(RuntimeError):
            next(source.records())
        assert source.summary()["rows_read"] == 2500
    assert len(calls) == 3 and calls[-1] == (path.stat().st_size, path.stat().st_size)


def test_windows_1256_and_utf16_lists(tmp_path: Path) -> None:
    text = "الاسم,الجنس,تاريخ الوفاة\nمحمد,ذكر,2012-02-07\nفاطمة,انثى,2012-02\n"
    for encoding, name in (("cp1256", "windows-1256"), ("utf-16", "utf-16 (with BOM)")):
        path = write(tmp_path, text, f"list-{encoding}.csv", encoding)
        with open_source(path) as source:
            assert source.encoding == name
            sexes = [r.normalised["sex"] for r in source.records()]
        assert sexes == ["male", "female"]


def test_xlsx_and_json_sources(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Name", "Age", "Date of death"])
    book.active.append(["A", 34, "7/2/2012"])
    book.save(tmp_path / "list.xlsx")
    (row,) = records(tmp_path / "list.xlsx")
    assert (row.normalised["age_years"], row.normalised["date_of_death"]) == (34.0, "2012-02-07")
    (tmp_path / "list.json").write_text(json.dumps([{"name": "A", "age": 3}]), encoding="utf-8")
    (row,) = records(tmp_path / "list.json")
    assert row.row_number == 1 and row.normalised["age_years"] == 3.0


def test_normalise_for_typed_entry() -> None:
    values, errors = normalise({"full_name": " محمد ", "sex": "M", "date_of_death": "7/2/2012"})
    assert (values["full_name"], values["sex"], values["date_of_death"]) == (
        "محمد",
        "male",
        "2012-02-07",
    )
    assert errors == []
    flagged, errors = normalise(
        {"age": "430", "date_of_birth": "2011-02-29", "cause": "heart attack"}
    )
    assert [f for f, _ in errors] == ["age", "date_of_birth", "cause"]
    assert (flagged["age_years"], flagged["date_of_birth"], flagged["cause"]) == (
        None,
        None,
        UNKNOWN,
    )


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=7, max_size=7), min_size=1, max_size=5))
def test_any_cells_give_records_flags_or_problems_never_a_crash(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    """Every row with a value in a used column is a record; a flag never loses its text."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "sex", "age", "date", "cause", "status", "outcome"])
    writer.writerows(rows)
    path = tmp_path / "any.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        source = open_source(path)
    except InputRejected:
        return  # e.g. every row blank
    with source:
        for record in source.records():
            for name, vocabulary in VOCABULARIES.items():
                assert record.normalised[name] in {m.value for m in vocabulary}
            for problem in record.problems:
                assert problem.file == "any.csv" and problem.row is not None and problem.expected
            assert record.is_valid == any(c.strip() for c in record.raw.values())
            for flag in record.unreadable:
                assert flag.value == record.as_written[flag.field] and flag.expected
                assert flag.column == {
                    "full_name": "name",
                    "date_of_death": "date",
                }.get(flag.field, flag.field)
                if flag.field in VOCABULARIES:
                    assert record.normalised[flag.field] == UNKNOWN
                elif flag.field == "age":
                    assert record.normalised["age_min"] is None
                else:
                    assert record.normalised[flag.field] is None


def test_ingest_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    """Rows of about 4 kB: the 20 MB file is streamed with a peak far below its size.

    Names repeat as in real lists (500 distinct here); the caches of name forms are bounded,
    so a file of unique names costs at most their fixed size, never a share of the file."""
    path = tmp_path / "many.csv"
    notes = "شوهد آخر مرة قرب المشفى الميداني " * 72
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER.rstrip("\n") + ",ملاحظات\n")
        for i in range(5_000):
            name = f"محمد عبد الرحمن {i % 500}"
            handle.write(f"{name},ذكر,{i % 90},2012-02-0{1 + i % 9},حمص,قصف,مدني,,,{notes}\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with open_source(path) as source:
            count = sum(1 for _ in source.records())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 5_000 and size > 20_000_000
    assert peak < 8_000_000, f"peak {peak:,} bytes for {size:,} bytes"
