"""Parsing in worker processes gives exactly what parsing in-process gives, in file order; and
what an import stores of each record is byte for byte what the plain composition of typed entry's
``record_columns`` and ``compact_json``'s checked packing gives."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from everyname.core.demo import generate_demo, write_large_csv
from everyname.core.errors import InputRejected
from everyname.core.ingest import NORMALISED_KEYS, normalise, open_source, record_plan
from everyname.core.schema import NAME_FIELDS, ParsedRecord
from everyname.store import record_stream
from everyname.store.compact_json import (
    filter_columns,
    pack,
    pack_as_written,
    pack_normalised,
    pack_parsed_normalised,
    pack_raw,
)
from everyname.store.record_stream import record_columns


def write_list(path: Path, rows: int, bad_every: int = 0) -> Path:
    """Every ``bad_every``-th row has an unreadable age (flagged, kept) and the one after it a
    cell past the header (rejected)."""
    lines = ["name,age,date of death,sex"]
    for i in range(rows):
        age = "430" if bad_every and i % bad_every == 0 else str(i % 90)
        extra = ",x" if bad_every and i % bad_every == 1 else ""
        lines.append(
            f"Ahmad Khalil {i},{age},2012-02-{i % 28 + 1:02d},{'m' if i % 2 else 'f'}{extra}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def collect(path: Path, parallel: bool) -> tuple[list, list, list]:
    rows, rejected, flags = [], [], []
    with open_source(path) as source_file:
        # many small batches and an uneven end, so that both workers take turns
        batches = record_stream.encoded_batches(
            path, None, source_file, parallel=parallel, batch_rows=7
        )
        for batch in batches:
            rows.extend(batch.rows)
            rejected.extend((r.row_number, r.problems) for r in batch.rejected)
            flags.extend(batch.unreadable)
    return rows, rejected, flags


@pytest.mark.parametrize("n_rows", [1, 7, 14, 100])
def test_workers_match_in_process_parsing(tmp_path, key_file, n_rows):
    path = write_list(tmp_path / "list.csv", n_rows, bad_every=9)
    in_process = collect(path, False)
    in_workers = collect(path, True)
    assert in_workers == in_process
    numbers = [row[0] for row in in_process[0]] + [n for n, _ in in_process[1]]
    assert sorted(numbers) == list(range(2, n_rows + 2))
    assert [row[0] for row in in_workers[0]] == sorted(row[0] for row in in_workers[0])
    flagged = [row[0] for row in in_process[0] if row[-1] != "[]"]
    assert flagged == [f["row"] for f in in_process[2]] == list(range(2, n_rows + 2, 9))
    assert [n for n, _ in in_process[1]] == list(range(3, n_rows + 2, 9))


def test_a_worker_error_reaches_the_importing_process(tmp_path, key_file):
    path = tmp_path / "late_bad_byte.csv"
    good = "name\n" + "".join(f"Ahmad Khalil {i}\n" for i in range(80_000))  # past the 1 MiB sample
    path.write_bytes(good.encode("utf-8") * 1 + "Omar \xe9\n".encode("latin-1"))
    with pytest.raises(InputRejected), open_source(path) as source_file:
        for _ in record_stream.encoded_batches(path, None, source_file, parallel=True):
            pass


# --- what an import stores is what the straightforward composition gives, byte for byte ---------

_reference_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def reference_encode(parsed: ParsedRecord, plan: dict[str, Any]) -> tuple:
    """``encode_record`` as written before ``RecordEncoder`` (commit 1ed2c55): typed entry's
    ``record_columns`` and ``compact_json``'s checked ``pack_*`` steps, one after the other.
    The sealed identity is compared opened (each sealing has its own nonce)."""
    record_id, raw, as_written, normalised, secret, unreadable = record_columns(parsed)
    kept = pack_as_written(as_written, raw, plan)
    return (
        parsed.row_number,
        record_id,
        _reference_json(pack_raw(raw, plan)),
        None if kept is None else _reference_json(pack(kept)),
        _reference_json(pack_normalised(normalised)),
        *filter_columns(normalised),
        record_stream.open_identity(secret),
        _reference_json(unreadable) if unreadable else "[]",
    )


def opened(row: tuple) -> tuple:
    return (*row[:8], record_stream.open_identity(row[8]), row[9])


def compare_with_reference(path: Path, mapping: Any = None) -> list[tuple]:
    """The rows an import of ``path`` stores, each checked against :func:`reference_encode`."""
    with open_source(path, mapping) as source_file:
        stored = [
            opened(row)
            for batch in record_stream.encoded_batches(path, mapping, source_file, parallel=False)
            for row in batch.rows
        ]
    with open_source(path, mapping) as source_file:
        plan = record_plan(source_file)
        expected = [reference_encode(p, plan) for p in source_file.records() if p.is_valid]
    assert len(stored) == len(expected) > 0
    for row, reference in zip(stored, expected, strict=True):
        assert row == reference, (path.name, row[0])
    return stored


def test_the_demo_lists_are_stored_as_the_reference_stores_them(tmp_path, key_file):
    demo = generate_demo(tmp_path / "demo")
    rows = [row for item in demo.files for row in compare_with_reference(item.path, item.mapping)]
    assert len(rows) == demo.records
    # the comparison covered the rules both ways: each left out somewhere, the age's and the
    # date of death's kept somewhere (an age range, an unknown date); every demo record has a
    # name, none a date of birth (the lists below have)
    rules = Counter(json.loads(row[4]).get("~", "") for row in rows)
    assert all(any(rule in r for r in rules) for rule in "fad"), rules
    assert all(any(rule not in r for r in rules) for rule in "ad"), rules


def test_generated_rows_are_stored_as_the_reference_stores_them(tmp_path, key_file):
    path = write_large_csv(tmp_path / "large.csv", 3000, seed=7)
    rows = compare_with_reference(path)
    assert all(row[3] is None for row in rows)  # as_written rebuilt from the raw row
    assert len(rows) == 3000 and all(json.loads(row[2])[0] for row in rows)  # cells, listed


EDGE_LIST = (
    "id,name,father,family,sex,age,date of death,date of birth,governorate,notes,Area,"
    "reporter name,reporter phone,national id\n"
    "7,محمد,أحمد,الخالدي,ذكر,34,2012-02-04,1978,حمص,قصف,Bab Amr,Umm Ali,0999 123,٠١٢٣٤٥\n"
    "8,Huda,Ali,,female,30-40,2012-02,,Homs,,,,,\n"
    "9,مجهول,,,,child,2012,1990-02,,note only,Khalidiya,,,\n"
    "10,سمير,,حداد,ذكر,430,2012-02-30,,,,,Abu Samir,,x\n"
    "11,  ,,,,,,,,,Area only,,,\n"
    "12,Omar,,,m,7 months,12/2012,,-,,,,,\n"
    "13,,,,,,,,,,,Umm Ali,,\n"
)


@pytest.mark.django_db
def test_identity_defaults_labels_and_unreadable_values_are_stored_as_the_reference(
    tmp_path, key_file
):
    path = tmp_path / "list.csv"
    path.write_text(EDGE_LIST, encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\n"Area" = "notes"\n[defaults]\nstatus = "civilian"\nnotes = "list of 2013"\n'
    )
    for with_mapping in (None, mapping):
        rows = compare_with_reference(path, with_mapping)
        sealed = {row[0]: row[8] for row in rows if row[8]["fields"] or row[8]["raw"]}
        assert sorted(sealed) == [2, 5, 8]  # row 8 has its id besides the reporter's name
        assert sealed[2]["fields"] == {"reporter_name": "Umm Ali", "reporter_contact": "0999 123"}
        assert all("Umm Ali" not in str(row[:8]) + row[9] for row in rows)
        rules = [json.loads(row[4]).get("~", "") for row in rows]
        assert rules[4] == "" and rules[0] == "fadb"  # row 6 has no name; row 2 has it all


@pytest.mark.django_db
def test_json_rows_unlike_the_first_are_stored_as_the_reference(tmp_path, key_file):
    path = tmp_path / "list.json"
    objects = [
        {"name": "Ahmad Khalil", "age": "30", "reporter": "Abu Omar"},
        {"name": "Huda Ali", "age": "9", "town": "Homs", "informant phone": "0999"},
        {"age": "41", "name": "Omar Saleh"},
        {"name": "Samir", "age": 12},
    ]
    path.write_text(json.dumps(objects), encoding="utf-8")
    rows = compare_with_reference(path)
    # the first object's keys, in its order, give a list of cells (the number read as text)
    assert [isinstance(json.loads(row[2]), list) for row in rows] == [True, False, False, True]


@pytest.mark.django_db
def test_a_column_feeding_identity_and_a_victims_field_is_checked_row_by_row(key_file):
    """No mapping or header gives such a column today; if one did, its rows' as_written would
    not come back from the raw row (which lacks the column), and must be stored whole."""
    plan = {
        "headers": ["name"],
        "columns": [["name", ["full_name"]], ["who", ["reporter_name", "notes"]]],
        "label_notes": False,
        "defaults": {},
    }
    parsed = ParsedRecord(
        row_number=2,
        raw={"name": "Ahmad", "who": "Abu Omar"},
        as_written={"full_name": "Ahmad", "reporter_name": "Abu Omar", "notes": "Abu Omar"},
        normalised=normalise({"full_name": "Ahmad", "notes": "Abu Omar"})[0],
        sensitive_columns=("who",),
    )
    row = opened(record_stream.RecordEncoder(plan).encode(parsed))
    assert row == reference_encode(parsed, plan)
    assert json.loads(row[3]) == {"full_name": "Ahmad", "O": "Abu Omar"}
    parsed.raw = {"name": "Ahmad", "who": ""}
    parsed.as_written = {"full_name": "Ahmad"}
    parsed.normalised = normalise(parsed.as_written)[0]
    row = opened(record_stream.RecordEncoder(plan).encode(parsed))
    assert row == reference_encode(parsed, plan) and row[3] is None


# any value of any key, unknown values, identity, a "~" key: the one-pass packing of a parsed
# record's normalised values leaves out, codes and orders exactly as the checked composition
_VALUES = st.sampled_from(
    [None, "", 0, 0.0, 34, 34.0, 35.0, False, "x", "day", "month", "year", "unknown",
     "2013", "2013-02", "2013-02-30", "2013-02-01", "2013-02-28", "2013-01-01", "2013-12-31",
     "محمد", "Ahmad Khalil", ["a"], 1]
)  # fmt: skip
_KEYS = st.sampled_from(
    [
        *(k for k in NORMALISED_KEYS if k.startswith(("age", "date_of", "full_", "given_"))),
        "family_key", "name_forms_version", "reporter_name", "sex", "~", "extra",
    ]
)  # fmt: skip


_BASES = [
    {"full_name": "Ahmad Khalil", "age": "34", "date_of_death": "2013"},
    {"given_name": "محمد", "family_name": "الخالدي", "date_of_death": "2012-02"},
    {"full_name": "Huda", "age": "30-40", "date_of_birth": "1978-02-04"},
    {"notes": "no name", "reporter_name": "Umm Ali", "date_of_death": "04/02/2012"},
]


@given(base=st.sampled_from(_BASES), changes=st.dictionaries(_KEYS, _VALUES, max_size=6),
       dropped=st.sets(st.sampled_from(NORMALISED_KEYS), max_size=4))  # fmt: skip
@example(base=_BASES[0], changes={"age_min": 34}, dropped=set())  # an int is not the float
@example(base=_BASES[0], changes={"age_years": 34, "age_min": 34, "age_max": 34}, dropped=set())
@example(base=_BASES[0], changes={"date_of_death_end": "2013-12-30"}, dropped=set())
@example(base=_BASES[0], changes={"given_key": "x"}, dropped=set())  # not today's form
@example(base=_BASES[1], changes={"~": "f"}, dropped=set())
@settings(max_examples=400)
def test_one_pass_packing_equals_the_checked_composition(base, changes, dropped):
    values = normalise(base)[0]
    # a name is text (the name forms read it as such, in both ways of packing alike)
    values.update({k: v if k not in NAME_FIELDS or not v else str(v) for k, v in changes.items()})
    for key in dropped:
        values.pop(key, None)
    expected = pack_normalised(record_stream.stored_normalised(values))
    packed = pack_parsed_normalised(values)
    assert _reference_json(packed) == _reference_json(expected)
