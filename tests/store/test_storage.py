"""Honest storage: the original file is kept compressed and still comes back byte for byte (also
for a batch imported before compression), and records carry no index their composite indexes
already give."""

from __future__ import annotations

import importlib
import json
import os

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
    assert '"sex"' in text and '"full_key"' in text  # what the database filters on keeps its name
    assert '"age"' not in _stored_text(first.pk, "as_written")
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
