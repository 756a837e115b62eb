"""The sealed backup stream: what goes in comes out, and any change to the file is refused.

scrypt runs at its floor here (the header records the cost, so a reader takes it); the default
cost is exercised by the store and command-line backup tests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from everyname.core.sealed import (
    CHUNK_BYTES,
    MAGIC,
    SCRYPT_FLOOR,
    SealedUnreadable,
    SealedWriter,
    open_sealed,
)

PASSPHRASE = "a long enough passphrase"


def seal(parts: list[bytes], passphrase: str = PASSPHRASE) -> bytes:
    out = io.BytesIO()
    writer = SealedWriter(out, passphrase, kdf=SCRYPT_FLOOR)
    for part in parts:
        writer.write(part)
    writer.finish()
    return out.getvalue()


def opened(data: bytes, tmp: Path, passphrase: str = PASSPHRASE) -> bytes:
    path = tmp / "sealed.enb"
    path.write_bytes(data)
    return b"".join(open_sealed(path, passphrase))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(max_size=4000), max_size=8))
def test_what_goes_in_comes_out(tmp_path, parts):
    assert opened(seal(parts), tmp_path) == b"".join(parts)


@pytest.fixture(scope="module")
def three_chunks():
    """A stream of two full chunks and a short last one, and what it holds."""
    plain = bytes(range(256)) * ((2 * CHUNK_BYTES + 1000) // 256)
    return seal([plain[:5], plain[5:]]), plain


def chunk_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each chunk record (its length and ciphertext) in a sealed file."""
    header = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "big")
    at, spans = len(MAGIC) + 4 + header, []
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        spans.append((at, at + 4 + size))
        at += 4 + size
    return spans


def test_several_chunks_come_out_whole(tmp_path, three_chunks):
    data, plain = three_chunks
    assert len(chunk_spans(data)) == 3
    assert opened(data, tmp_path) == plain


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_bit_is_refused(tmp_path, three_chunks, position, bit):
    data = bytearray(three_chunks[0])
    data[int(position * len(data))] ^= 1 << bit
    with pytest.raises(SealedUnreadable):
        opened(bytes(data), tmp_path)


def test_chunks_moved_dropped_or_cut_off_are_refused(tmp_path, three_chunks):
    data = three_chunks[0]
    (a0, a1), (b0, b1), (c0, c1) = chunk_spans(data)
    swapped = data[:a0] + data[b0:b1] + data[a0:a1] + data[c0:]
    without_last = data[:c0]
    without_middle = data[:b0] + data[c0:]
    twice_last = data + data[c0:c1]
    for damaged in (swapped, without_last, without_middle, twice_last, data[:-1], data[:a0]):
        with pytest.raises(SealedUnreadable):
            opened(damaged, tmp_path)


def test_a_wrong_passphrase_is_told_apart_from_damage(tmp_path):
    data = seal([b"rows"])
    with pytest.raises(SealedUnreadable) as info:
        opened(data, tmp_path, passphrase=PASSPHRASE + " ")
    assert info.value.field == "passphrase"
    with pytest.raises(SealedUnreadable) as info:
        opened(b"not a backup at all", tmp_path)
    assert "not an everyname backup" in str(info.value)
