"""The backup file: a stream of bytes sealed under a passphrase, written and read in chunks.

Why this construction: a backup can be gigabytes (it carries every original file), so it is
encrypted as it is written and checked as it is read, never held whole in memory or written
out in plaintext. The passphrase becomes a key through scrypt (N=2^17, r=8, p=1 by default:
128 MiB and about half a second per try), which makes every guess cost memory as well as time,
where PBKDF2 costs only time that GPUs make cheap. The stream is AES-256-GCM in 1 MiB chunks;
each chunk's nonce holds its number and a "last chunk" flag, so a chunk altered, removed,
reordered or cut off fails authentication (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár, 2015). The header (format, scrypt's parameters and salt, the nonce prefix)
is authenticated with every chunk and holds a check value derived from the passphrase, so a
wrong passphrase is told apart from altered bytes.

Layout: ``MAGIC``, the header's length (4 bytes, big-endian), the header (JSON), then chunks,
each its length (4 bytes) and its ciphertext with the tag. Nothing may follow the last chunk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from everyname.core.errors import EverynameError, InvalidInput

FORMAT = "everyname-backup"
FORMAT_VERSION = 1
MAGIC = b"EVERYNAME-BACKUP\n"
CHUNK_BYTES = 1 << 20
TAG_BYTES = 16
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
"""Written into each file's header, so a later version can ask more without losing old files."""
SCRYPT_LIMITS = {"n": 2**20, "r": 16, "p": 4}
"""The most a header may ask: a crafted header must not make a reader take gigabytes."""
SCRYPT_FLOOR = {"n": 2**10, "r": 1, "p": 1}
"""The least a header may ask."""
PASSPHRASE_CHECK = b"everyname backup passphrase check"


class SealedUnreadable(InvalidInput):
    """A file that cannot be verified: not a backup, a wrong passphrase, altered or cut off."""

    field = "backup"


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(passphrase: str, params: dict[str, Any], salt: bytes) -> tuple[bytes, bytes]:
    """The AES key and the passphrase check value."""
    material = Scrypt(salt=salt, length=64, n=params["n"], r=params["r"], p=params["p"]).derive(
        passphrase.encode("utf-8")
    )
    key, check_key = material[:32], material[32:]
    return key, hmac.new(check_key, PASSPHRASE_CHECK, hashlib.sha256).digest()


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class SealedWriter:
    """Bytes or JSON lines in, authenticated encrypted chunks out (see the module's docstring).

    ``kdf`` is scrypt's cost (default :data:`SCRYPT`), recorded in the header; a reader takes
    any cost from :data:`SCRYPT_FLOOR` to :data:`SCRYPT_LIMITS`. Call :meth:`finish` once, at
    the end: without its last chunk the stream reads as cut short.
    """

    def __init__(
        self, handle: IO[bytes], passphrase: str, kdf: dict[str, int] | None = None
    ) -> None:
        salt, prefix = os.urandom(16), os.urandom(7)
        kdf = dict(kdf or SCRYPT)
        key, check = _derive(passphrase, kdf, salt)
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "cipher": "AES-256-GCM, 1 MiB chunks (STREAM)",
            "kdf": {"name": "scrypt", **kdf, "salt": b64(salt)},
            "nonce_prefix": b64(prefix),
            "passphrase_check": b64(check),
        }
        header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
        self._handle = handle
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._aad = MAGIC + header_bytes
        self._counter = 0
        self._buffer = bytearray()
        handle.write(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]

    def write_line(self, value: Any) -> bytes:
        line = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.write(line)
        return line

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, chunk: bytes, last: bool) -> None:
        if self._counter >= 2**32:
            raise EverynameError("the backup is larger than this format allows (4 PiB)")
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._aad)
        self._handle.write(len(sealed).to_bytes(4, "big") + sealed)
        self._counter += 1


def open_sealed(path: Path, passphrase: str) -> Iterator[bytes]:
    """The plaintext of a backup, chunk by chunk; raises :class:`SealedUnreadable` for anything
    that is not a whole, unaltered backup made with this passphrase."""
    altered = SealedUnreadable(
        f"{path} has been altered or damaged (a chunk fails its authentication); nothing was "
        "restored from it"
    )
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise SealedUnreadable(f"{path} is not an everyname backup")
        size = int.from_bytes(handle.read(4), "big")
        header_bytes = handle.read(size) if 0 < size <= 1 << 16 else b""
        try:
            header = json.loads(header_bytes)
            kdf = header["kdf"]
            params = {name: int(kdf[name]) for name in ("n", "r", "p")}
            salt = unb64(kdf["salt"])
            prefix = unb64(header["nonce_prefix"])
            expected_check = unb64(header["passphrase_check"])
            version = header["format_version"]
        except (ValueError, KeyError, TypeError):
            raise altered from None
        if version != FORMAT_VERSION:
            raise SealedUnreadable(
                f"{path} is in backup format {version}; this everyname reads format "
                f"{FORMAT_VERSION}: restore it with the everyname version that wrote it"
            )
        if (
            kdf.get("name") != "scrypt"
            or any(not SCRYPT_FLOOR[k] <= params[k] <= SCRYPT_LIMITS[k] for k in params)
            or len(prefix) != 7
        ):
            raise altered
        key, check = _derive(passphrase, params, salt)
        if not hmac.compare_digest(check, expected_check):
            raise SealedUnreadable(
                f"the passphrase does not open {path} (or its header was altered); nothing was "
                "restored from it",
                field="passphrase",
            )
        aead, aad = AESGCM(key), MAGIC + header_bytes
        counter = 0
        while True:
            length = handle.read(4)
            if len(length) < 4:
                raise SealedUnreadable(
                    f"{path} is cut short (its last chunk is missing); nothing was restored from it"
                )
            size = int.from_bytes(length, "big")
            if not TAG_BYTES <= size <= CHUNK_BYTES + TAG_BYTES:
                raise altered
            sealed = handle.read(size)
            if len(sealed) < size:
                raise SealedUnreadable(f"{path} is cut short; nothing was restored from it")
            for last in (False, True):
                try:
                    plain = aead.decrypt(_nonce(prefix, counter, last), sealed, aad)
                    break
                except InvalidTag:
                    continue
            else:
                raise altered
            yield plain
            counter += 1
            if last:
                if handle.read(1):
                    raise altered
                return


class _StreamReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def sealed_lines(path: Path, passphrase: str) -> Iterator[bytes]:
    reader = io.BufferedReader(_StreamReader(open_sealed(path, passphrase)), CHUNK_BYTES)
    yield from reader
