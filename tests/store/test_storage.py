"""Honest storage: the original file is kept compressed and still comes back byte for byte (also
for a batch imported before compression), and records carry no index their composite indexes
already give."""

from __future__ import annotations

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
