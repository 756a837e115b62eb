"""Honest storage: the original file is kept compressed and still comes back byte for byte (also
for a batch imported before compression), and records carry no index their composite indexes
already give."""

from __future__ import annotations

import importlib
import json
import os
from datetime import date

import pytest
from django.db import connection

from everyname.store import crypto, protection
from everyname.store.imports import CHUNK_BYTES, import_file, original_bytes
from everyname.store.models import Batch, BatchFileChunk, Record, Source

pytestmark = pytest.mark.django_db


def _list_bytes(rows: int, noise: bytes = b"") -> bytes:
    lines = [b"name,age,place,notes"]
    lines += [
        b"Person %d,%d,Homs,%s" % (i, i % 90, noise[i % 50 : i % 50 + 60]) for i in range(rows)
    ]
    return b"\n".join(lines) + b"\n"


def test_the_original_comes_back_byte_for_byte_and_smaller(tmp_path, key_file) -> None:
    data = _list_bytes(40_000)
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    report = import_file(path, "src", actor="tester")
    batch = Batch.objects.get(pk=report.batch_id)
    assert batch.original_compression == "zlib"
    assert b"".join(original_bytes(batch)) == data
    assert batch.chunks.count() == 1  # a mebibyte and more of list in one chunk
    assert len(batch.chunks.get().data) < len(data) / 3


def test_a_file_that_does_not_compress_is_kept_in_bounded_chunks(tmp_path, key_file) -> None:
    from everyname.store.imports import _store_original

    data = os.urandom(3 * CHUNK_BYTES + 5)
    path = tmp_path / "noise.bin"
    path.write_bytes(data)
    source = Source.objects.create(code="noise", name="noise")
    batch = Batch.objects.create(
        source=source, sha256="1" * 64, file_name="noise.bin", size_bytes=len(data),
        file_format="csv", imported_by="tester", original_compression="zlib",
    )  # fmt: skip
    _store_original(batch, path)
    chunks = list(batch.chunks.order_by("index"))
    assert [c.index for c in chunks] == list(range(len(chunks))) and len(chunks) >= 4
    assert all(len(crypto.decrypt(c.data)) <= CHUNK_BYTES for c in chunks)
    pieces = list(original_bytes(batch))
    assert b"".join(pieces) == data and all(len(p) <= CHUNK_BYTES for p in pieces)


def test_a_chunk_that_unpacks_to_much_more_comes_back_in_pieces(tmp_path, key_file) -> None:
    from everyname.store.imports import _store_original

    data = b"0" * (20 * CHUNK_BYTES)  # one small compressed chunk
    path = tmp_path / "zeros.csv"
    path.write_bytes(data)
    source = Source.objects.create(code="zeros", name="zeros")
    batch = Batch.objects.create(
        source=source, sha256="2" * 64, file_name="zeros.csv", size_bytes=len(data),
        file_format="csv", imported_by="tester", original_compression="zlib",
    )  # fmt: skip
    _store_original(batch, path)
    assert batch.chunks.count() == 1
    pieces = list(original_bytes(batch))
    assert b"".join(pieces) == data and max(len(p) for p in pieces) <= CHUNK_BYTES


def test_a_batch_stored_before_compression_reads_as_before(key_file) -> None:
    data = _list_bytes(1_000)
    source = Source.objects.create(code="old", name="old")
    batch = Batch.objects.create(
        source=source, sha256="0" * 64, file_name="old.csv", size_bytes=len(data),
        file_format="csv", imported_by="tester",
    )  # fmt: skip
    assert batch.original_compression is None
    for index in range(0, len(data), 10_000):
        BatchFileChunk.objects.create(
            batch=batch, index=index, data=crypto.encrypt(data[index : index + 10_000])
        )
    assert b"".join(original_bytes(batch)) == data


def test_records_have_no_index_their_composite_indexes_already_give() -> None:
    table = Record._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    single = [c["columns"] for c in constraints.values() if c["index"] and len(c["columns"]) == 1]
    assert ["batch_id"] not in single and ["source_id"] not in single
    composite = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert ["batch_id", "row_number"] in composite
    assert ["source_id", "source_record_id"] in composite
    assert protection.check().intact  # the batch's trigger names the new column


def _stored_text(record_id: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM store_record WHERE id = %s", [record_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def test_records_json_is_stored_with_codes_and_read_with_names(tmp_path, key_file) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "name,father,age,date of death,cause,outcome\n"
        "محمد,أحمد,34,2012-02-04,قصف,killed\nHuda,Ali,9,2012-02,sniper,injured\n",
        encoding="utf-8",
    )
    report = import_file(path, "src", actor="tester")
    first = Record.objects.get(batch_id=report.batch_id, row_number=2)
    assert first.normalised["date_of_death_precision"] == "day"
    assert first.normalised["father_name"] == "أحمد" and first.as_written["age"] == "34"
    text = _stored_text(first.pk, "normalised")
    assert '"date_of_death_precision"' not in text and '"father_ar"' not in text
    assert '"sex"' in text  # what the database filters on keeps its name
    assert '"full_key"' not in text and first.normalised["full_key"] == "MHMD HMD"
    assert first.name_key == "MHMD HMD"  # the name search's column
    assert _stored_text(first.pk, "as_written") == "null"  # rebuilt from the raw row
    # Filters and values through the ORM use the names, coded or kept.
    by_row = dict(
        Record.objects.filter(batch_id=report.batch_id).values_list(
            "row_number", "normalised__outcome"
        )
    )
    assert by_row == {2: "killed", 3: "injured"}
    assert list(
        Record.objects.filter(normalised__cause="sniper").values_list("row_number", flat=True)
    ) == [3]
    assert Record.objects.filter(normalised__age_years__gte=30).count() == 1


def test_records_stored_with_names_read_the_same_and_are_migrated(tmp_path, key_file) -> None:
    from django.db.migrations.loader import MigrationLoader

    from everyname.store.compact_json import unpack

    # the models as the migration sees them: plain JSON fields, no codes added or removed
    apps = MigrationLoader(connection).project_state(("store", "0014_compact_record_json")).apps

    migration = importlib.import_module("everyname.store.migrations.0014_compact_record_json")
    path = tmp_path / "list.csv"
    path.write_text("name,cause\nمحمد,قصف\nHuda,sniper\n", encoding="utf-8")
    report = import_file(path, "src", actor="tester")
    record = Record.objects.get(batch_id=report.batch_id, row_number=3)
    as_coded = record.normalised
    with connection.cursor() as cursor:  # as a record stored before the codes holds it
        cursor.execute(
            "UPDATE store_record SET normalised = %s WHERE id = %s",
            [json.dumps(as_coded), record.pk],
        )
    assert Record.objects.get(pk=record.pk).normalised == as_coded
    assert not Record.objects.filter(normalised__cause="sniper").exists()
    migration.to_codes(apps, None)
    assert Record.objects.get(pk=record.pk).normalised == as_coded
    assert Record.objects.filter(normalised__cause="sniper").get().pk == record.pk
    migration.to_names(apps, None)
    assert '"cause"' in _stored_text(record.pk, "normalised")
    assert unpack(json.loads(_stored_text(record.pk, "normalised"))) == as_coded


# --- records stored compactly (issue 12: a list at most 6 × its CSV size) ------------------------

COMPACT_LIST = (
    "id,name,father,family,sex,age,date of death,date of birth,governorate,notes,Area,"
    "reporter name,Photo\n"
    "7,محمد,أحمد,الخالدي,ذكر,34,2012-02-04,1978,حمص,قصف,Bab Amr,Umm Ali,a.jpg\n"
    "8,Huda,Ali,,female,30-40,2012-02,,Homs,,,,\n"
    "9,مجهول,,,,child,2012,,,note only,Khalidiya,,b.jpg\n"
    "10,سمير,,حداد,ذكر,430,2012-02-30,,,,,,\n"
    "11,  ,,,,,,,,,Area only,,\n"
)


def _expected(path, mapping=None):
    """Each record as parsing gives it and an import stores it, read back whole."""
    from everyname.core.ingest import open_source
    from everyname.store.record_stream import record_columns

    with open_source(path, mapping) as source:
        parsed = [p for p in source.records() if p.is_valid]
    return {p.row_number: record_columns(p)[1:4] for p in parsed}


def test_a_record_keeps_its_values_compactly_and_reads_them_whole(tmp_path, key_file) -> None:
    path = tmp_path / "list.csv"
    path.write_text(COMPACT_LIST, encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"Area" = "notes"\n[defaults]\nstatus = "civilian"\n')
    report = import_file(path, "src", actor="tester", mapping_path=mapping)
    expected = _expected(path, mapping)
    records = {r.row_number: r for r in Record.objects.filter(batch_id=report.batch_id)}
    assert set(records) == set(expected) == {2, 3, 4, 5, 6}
    for row, record in records.items():
        raw, as_written, normalised = expected[row]
        assert (record.raw, record.as_written, record.normalised) == (raw, as_written, normalised)
        assert list(record.raw) == list(raw)  # in file order
        assert "reporter name" not in record.raw and "reporter_name" not in record.as_written
        stored = json.loads(_stored_text(record.pk, "raw"))
        assert stored == list(raw.values())  # the cells; the headers once, with the batch
        assert _stored_text(record.pk, "as_written") == "null"
        assert (record.name_key, record.death_from, record.death_to) == (
            normalised.get("full_key"),
            *(
                None if normalised.get(k) is None else date.fromisoformat(normalised[k])
                for k in ("date_of_death_start", "date_of_death_end")
            ),
        )
    notes = records[4].as_written["notes"]
    assert notes == "Area: Khalidiya"  # labelled with its header, rebuilt the same
    first = _stored_text(records[2].pk, "normalised")
    assert '"father_ar"' not in first and '"AH"' not in first and "full_key" not in first
    assert '"date_of_death_start"' not in first and json.loads(first)["~"] == "fadb"
    assert records[3].normalised["date_of_death_end"] == "2012-02-29"  # a month's span
    assert records[3].normalised["age_min"] == 30.0 and records[3].normalised["age_max"] == 40.0
    assert records[5].normalised["date_of_death_precision"] == "unknown"  # 30 February
    assert records[5].as_written["age"] == "430" and records[5].unreadable


def test_a_row_unlike_its_header_is_kept_as_read(tmp_path, key_file) -> None:
    path = tmp_path / "list.json"
    rows = [
        {"name": "Ahmad Khalil", "age": "30"},
        {"name": "Huda Ali", "age": "9", "town": "Homs"},  # a key the first object lacks
        {"age": "41", "name": "Omar Saleh"},  # another order
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    report = import_file(path, "src", actor="tester")
    expected = _expected(path)
    for record in Record.objects.filter(batch_id=report.batch_id):
        raw, as_written, normalised = expected[record.row_number]
        assert (record.raw, record.as_written, record.normalised) == (raw, as_written, normalised)
        stored = json.loads(_stored_text(record.pk, "raw"))
        assert stored == (list(raw.values()) if list(raw) == ["name", "age"] else raw)


def test_normalised_values_leave_out_only_what_comes_back_equal() -> None:
    from everyname.core.ingest import normalise
    from everyname.store.compact_json import DERIVED, pack_normalised, unpack_normalised

    values, _ = normalise({"full_name": "Ahmad Khalil", "age": "34", "date_of_death": "2013"})
    values = {k: v for k, v in values.items() if v is not None}
    packed = pack_normalised(values)
    assert packed[DERIVED] == "fad" and unpack_normalised(json.loads(json.dumps(packed))) == values
    older = {**values, "name_forms_version": 1, "full_key": "AHMD KLL"}  # an older rule's forms
    assert "f" not in pack_normalised(older)[DERIVED]
    assert unpack_normalised(pack_normalised(older)) == older
    odd = {**values, "age_min": 34, "date_of_death_end": "2013-06-30"}  # not what they derive
    assert pack_normalised(odd)[DERIVED] == "f" and unpack_normalised(pack_normalised(odd)) == odd


def test_a_correction_moves_the_columns_searched_with_it(tmp_path, key_file, cast) -> None:
    from everyname.store.records import correct_record, list_records

    path = tmp_path / "list.csv"
    path.write_text("name,date of death\nAhmad Khalil,2012-02-04\n", encoding="utf-8")
    import_file(path, "src", actor="tester")
    record = Record.objects.get()
    imported = (record.raw, record.as_written)
    detail = correct_record(
        cast["admin"], record.pk, {"full_name": "Omar Saleh", "date_of_death": "2013-05"}, "typo"
    )
    record = Record.objects.get()
    assert (record.raw, record.as_written) == imported  # as imported, byte for byte
    assert record.corrected == {"full_name": "Omar Saleh", "date_of_death": "2013-05"}
    assert detail.as_written["full_name"] == "Omar Saleh"
    assert record.name_key == record.normalised["full_key"] == "MR SL"
    assert (record.death_from, record.death_to) == (date(2013, 5, 1), date(2013, 5, 31))
    found = list_records(
        cast["admin"], {"name": "Omar", "since": "2013-05-01", "until": "2013-05-31"}
    )
    assert [r.id for r in found.items] == [record.pk]
    assert not list_records(cast["admin"], {"name": "Ahmad"}).items
    assert not list_records(cast["admin"], {"until": "2012-12-31"}).items


def test_records_stored_before_are_made_compact_by_the_migration(tmp_path, key_file) -> None:
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("everyname.store.migrations.0016_compact_records")
    apps = MigrationLoader(connection).project_state(("store", "0016_compact_records")).apps
    editor = type("Editor", (), {"connection": connection})()
    path = tmp_path / "list.csv"
    path.write_text(COMPACT_LIST, encoding="utf-8")
    report = import_file(path, "src", actor="tester")
    records = Record.objects.filter(batch_id=report.batch_id).order_by("pk")
    before = [(r.raw, r.as_written, r.normalised, r.name_key, r.death_to) for r in records]
    # back to the form of the records stored before: the raw dict, as_written in full, every
    # normalised value, no columns for the filters and no plan with the batch
    migration.expand(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE store_record SET name_key = NULL, death_from = NULL, death_to = NULL"
        )
        batch = Batch.objects.get(pk=report.batch_id)
        columns = {k: v for k, v in batch.columns.items() if k != "record_plan"}
        cursor.execute(
            "UPDATE store_batch SET columns = %s WHERE id = %s", [json.dumps(columns), batch.pk]
        )
    first = records.first()
    assert json.loads(_stored_text(first.pk, "raw")) == before[0][0]
    assert json.loads(_stored_text(first.pk, "as_written"))["full_name"] == "محمد"
    assert '"AH"' in _stored_text(first.pk, "normalised")
    fresh = Record.objects.filter(batch_id=report.batch_id).order_by("pk")
    assert [(r.raw, r.as_written, r.normalised) for r in fresh] == [b[:3] for b in before]
    migration.compact(apps, editor)
    fresh = Record.objects.filter(batch_id=report.batch_id).order_by("pk")
    assert [(r.raw, r.as_written, r.normalised, r.name_key, r.death_to) for r in fresh] == before
    assert isinstance(json.loads(_stored_text(first.pk, "raw")), list)
    assert _stored_text(first.pk, "as_written") == "null"
    assert Batch.objects.get(pk=report.batch_id).columns["record_plan"]["headers"][0] == "id"
    assert protection.check().intact
