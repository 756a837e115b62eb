"""Batches a page at a time and an original handed to a browser (store/browsing.py), over the
fixed cast: a recorder sees only their sources' batches; only the roles that may download an
original get it, byte for byte, checked against its SHA-256 and audited."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from everyname.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from everyname.store import crypto, protection
from everyname.store.audit import Action
from everyname.store.browsing import list_batches, original_download
from everyname.store.imports import import_file
from everyname.store.models import AuditEvent, BatchFileChunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_batches(tmp_path, key_file):
    """Two lists of src-a and one of src-b, imported in that order."""
    made = []
    for n, (source, text) in enumerate(
        [
            ("src-a", "الاسم,العمر\nأحمد خليل,30\n"),
            ("src-b", "name,age\nOmar Saleh,41\nHuda Ali,9\n"),
            ("src-a", "name,age\nKhadija al-Hasan,23\n"),
        ]
    ):
        path = tmp_path / f"list{n}.csv"
        path.write_text(text, encoding="utf-8")
        made.append((path, import_file(path, source, actor="tester").batch_id))
    return made


def test_batches_newest_first_and_paged(cast, three_batches):
    ids = [batch_id for _, batch_id in three_batches]
    everything = list_batches(cast["reviewer"])
    assert [b.id for b in everything.items] == ids[::-1]
    assert everything.total == 3 and everything.pages == 1
    first, second = (list_batches(cast["analyst"], page=n, page_size=2) for n in (1, 2))
    assert [b.id for b in first.items + second.items] == ids[::-1]
    assert (first.pages, second.total) == (2, 3)
    line = second.items[0]
    assert (line.source, line.file_name, line.rows_read, line.records) == (
        "src-a",
        "list0.csv",
        1,
        1,
    )
    assert line.sha256 == hashlib.sha256(three_batches[0][0].read_bytes()).hexdigest()
    assert list_batches(cast["admin"], page=9).items == ()  # past the end: empty, with the total


def test_a_recorder_sees_only_their_sources_batches(cast, three_batches):
    mine = list_batches(cast["recorder_a"])
    assert {b.source for b in mine.items} == {"src-a"} and mine.total == 2
    assert list_batches(cast["recorder_b"], source="src-b").total == 1
    with pytest.raises(PermissionDenied):
        list_batches(cast["recorder_a"], source="src-b")
    with pytest.raises(PermissionDenied):
        list_batches(cast["viewer"])
    assert list_batches(cast["analyst"], source="src-b").total == 1
    with pytest.raises(InvalidInput) as bad:
        list_batches(cast["analyst"], page=0)
    assert bad.value.field == "page"


def test_an_original_is_given_byte_for_byte_and_audited(cast, three_batches):
    path, batch_id = three_batches[1]
    given = original_download(cast["analyst"], batch_id)
    assert b"".join(given.chunks) == path.read_bytes()
    assert (given.file_name, given.size_bytes) == ("list1.csv", path.stat().st_size)
    event = AuditEvent.objects.get(action=Action.ORIGINAL_DOWNLOADED)
    assert event.actor == "bob" and event.object_id == str(batch_id)
    assert event.details["sha256"] == given.sha256


@pytest.mark.parametrize("member", ["reviewer", "recorder_a", "recorder_b", "viewer"])
def test_only_who_may_download_an_original_gets_it(cast, three_batches, member):
    with pytest.raises(PermissionDenied):
        original_download(cast[member], three_batches[1][1])
    assert not AuditEvent.objects.filter(action=Action.ORIGINAL_DOWNLOADED).exists()


def test_a_missing_or_damaged_original_is_not_handed_out(cast, three_batches):
    _, batch_id = three_batches[0]
    with pytest.raises(NotFound):
        original_download(cast["admin"], batch_id + 100)
    with pytest.raises(InvalidInput):
        original_download(cast["admin"], "one")
    chunk = BatchFileChunk.objects.get(batch_id=batch_id)  # a small file is one chunk
    protection.uninstall()  # damage as a disk or a hand outside everyname would do it
    BatchFileChunk.objects.filter(pk=chunk.pk).update(
        data=crypto.encrypt(zlib.compress("الاسم,العمر\nأحمد خليل,31\n".encode()))
    )
    with pytest.raises(Conflict):
        original_download(cast["admin"], batch_id)
    assert not AuditEvent.objects.filter(action=Action.ORIGINAL_DOWNLOADED).exists()
