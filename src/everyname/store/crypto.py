"""Encryption at rest for reporter and witness identities and for original files.

The key lives in a file outside the database (``EVERYNAME_KEY_FILE``) so a copied database or
backup reveals no identity without the key. Fernet (AES-CBC with an HMAC) from ``cryptography``
authenticates as well as encrypts: a tampered value fails loudly instead of decrypting to noise.

Who decrypts what: a record's reporter identity is opened only through ``secrets`` (a reveal,
audited, or a correction re-sealed without the plaintext leaving it); a file's encrypted chunks
are read back by the import and job code that stored them. A test reads every call.
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from everyname import config
from everyname.core.errors import EverynameError


class KeyFileError(EverynameError):
    """The encryption key is missing, unreadable, too widely readable, or wrong."""


def create_key_file(path: Path | None = None) -> tuple[Path, bool]:
    """Create the key file with owner-only permissions if it does not exist.

    Returns the path and whether it was created. An existing key is never overwritten: losing it
    would make every encrypted identity unreadable.
    """
    path = path or config.key_file_path()
    if path.exists():
        check_permissions(path)
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n")
    os.chmod(path, 0o600)  # the umask may have narrowed it further, never widened it
    return path, True


def check_permissions(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"The key file {path} can be read by other users (mode {stat.filemode(mode)}). "
            f"Run `chmod 600 {path}`."
        )


@lru_cache(maxsize=8)
def _cipher_for(path: str) -> MultiFernet:
    key_path = Path(path)
    if not key_path.exists():
        raise KeyFileError(
            f"The key file {key_path} does not exist. Run `everyname init` to create it, or set "
            "EVERYNAME_KEY_FILE to the key file of this database."
        )
    check_permissions(key_path)
    lines = [line.strip() for line in key_path.read_bytes().splitlines() if line.strip()]
    try:
        # The first key encrypts; all keys decrypt, so a key can be rotated without re-encrypting.
        return MultiFernet([Fernet(line) for line in lines])
    except ValueError as exc:
        raise KeyFileError(f"The key file {key_path} does not hold a valid key: {exc}") from exc


def cipher() -> MultiFernet:
    return _cipher_for(str(config.key_file_path().resolve()))


def encrypt(plaintext: bytes) -> bytes:
    return cipher().encrypt(plaintext)


def decrypt(token: bytes) -> bytes:
    try:
        return cipher().decrypt(bytes(token))
    except InvalidToken as exc:
        raise KeyFileError(
            "An encrypted value cannot be decrypted with the key in "
            f"{config.key_file_path()}: wrong key file for this database, or the value was altered."
        ) from exc


def encrypt_text(text: str) -> bytes:
    return encrypt(text.encode("utf-8"))


def decrypt_text(token: bytes) -> str:
    return decrypt(token).decode("utf-8")
