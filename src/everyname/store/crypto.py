"""Encryption at rest for reporter and witness identities and for original files.

The key lives in a file outside the database (``EVERYNAME_KEY_FILE``) so a copied database or
backup reveals no identity without the key. Fernet (AES-CBC with an HMAC) from ``cryptography``
authenticates as well as encrypts: a tampered value fails loudly instead of decrypting to noise.

Who decrypts what: a record's reporter identity is opened only through ``secrets`` (a reveal,
audited, or a correction re-sealed without the plaintext leaving it); a file's encrypted chunks
are read back by the import and job code that stored them. A test reads every call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from everyname import config
from everyname.core.errors import ErrorKind, EverynameError


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
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new folder: owner-only
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
            f"Run `chmod 600 {path}`.",
            field="key_file",
        )


@dataclass(frozen=True)
class LoadedKey:
    """A key file as read: the cipher (the first key encrypts, every key decrypts) and the
    fingerprint of the key that encrypts."""

    path: Path
    cipher: MultiFernet
    fingerprint: str


def fingerprint(key: bytes) -> str:
    """An HMAC-SHA256 of a fixed text under the key: names the key without revealing it."""
    raw = base64.urlsafe_b64decode(key.strip())
    return hmac.new(raw, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


FINGERPRINT_MESSAGE = b"everyname key fingerprint v1"


def read_key_file(path: Path) -> LoadedKey:
    """Read and check a key file; a key file replaced on disk (a rotation) is read again."""
    try:
        stat_result = path.stat()
    except FileNotFoundError:
        raise KeyFileError(_missing_message(path), field="key_file") from None
    return _load(str(path), stat_result.st_mtime_ns, stat_result.st_ino, stat_result.st_size)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int, _inode: int, _size: int) -> LoadedKey:
    key_path = Path(path)
    check_permissions(key_path)
    lines = [line.strip() for line in key_path.read_bytes().splitlines() if line.strip()]
    try:
        # The first key encrypts; all keys decrypt.
        cipher = MultiFernet([Fernet(line) for line in lines])
    except ValueError as exc:
        raise KeyFileError(
            f"The key file {key_path} does not hold a valid key: {exc}", field="key_file"
        ) from exc
    return LoadedKey(path=key_path, cipher=cipher, fingerprint=fingerprint(lines[0]))


def current_key() -> LoadedKey:
    return read_key_file(config.key_file_path().resolve())


def cipher() -> MultiFernet:
    """The cipher of the configured key file, once it is known to be this database's key."""
    loaded = current_key()
    check_key(loaded)
    return loaded.cipher


# --- which key this database uses ------------------------------------------------------------

#: Every column that holds ciphertext (model, field). Key rotation re-encrypts exactly these; a
#: test checks that every binary column of the store is here or in PLAIN_BINARY_COLUMNS.
ENCRYPTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Source", "contact_encrypted"),
    ("BatchFileChunk", "data"),
    ("RejectedRow", "sensitive_encrypted"),
    ("Record", "sensitive_encrypted"),
    ("RecordRevision", "sensitive_encrypted"),
    ("JobFileChunk", "data"),
)
PLAIN_BINARY_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("StoredReport", "content"),
        # derived from what is stored in the clear beside them (persons' resolved values,
        # memberships, conflicts; how often each name key occurs), never a reporter's identity
        ("CountFrame", "data"),
        ("RunTermFrequencies", "data"),
    }
)


def recorded_fingerprint(*, lock: bool = False) -> str | None:
    """The fingerprint of the key this database's data is encrypted with (None: not recorded);
    ``lock`` holds it (PostgreSQL, FOR SHARE) to the end of the transaction."""
    from django.db import connection

    from everyname.store.models import KeyFingerprint

    if lock and connection.vendor == "postgresql" and connection.in_atomic_block:
        table = KeyFingerprint._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT fingerprint FROM {table} ORDER BY id LIMIT 1 FOR SHARE")
            row = cursor.fetchone()
        return row[0] if row else None
    return KeyFingerprint.objects.order_by("pk").values_list("fingerprint", flat=True).first()


def encrypted_samples(limit_per_column: int = 1) -> list[bytes]:
    """A few stored ciphertexts from every encrypted column (none: the database holds no
    encrypted data). Tables not made yet count as empty, so ``init`` can ask before migrating."""
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    out: list[bytes] = []
    for model_name, field in ENCRYPTED_COLUMNS:
        model = apps.get_model("store", model_name)
        if model._meta.db_table not in tables:
            continue
        rows = (
            model.objects.exclude(**{f"{field}__isnull": True})
            .order_by("pk")
            .values_list(field, flat=True)[:limit_per_column]
        )
        out.extend(bytes(value) for value in rows if value)
    return out


def holds_encrypted_data() -> bool:
    from django.db import connection

    if "store_keyfingerprint" in connection.introspection.table_names() and (
        recorded_fingerprint() is not None
    ):
        return True
    return bool(encrypted_samples())


def check_key(loaded: LoadedKey) -> None:
    """Refuse a key other than the one this database's data is encrypted with.

    Checked once per transaction (an import encrypts once per record). On PostgreSQL the
    fingerprint's row is read FOR SHARE, so a key rotation waits for a transaction that is
    encrypting under the old key, and one that starts during a rotation sees the new
    fingerprint. A database without a recorded fingerprint (made before fingerprints were
    kept, or never used) takes this key's, if every sample of its encrypted data opens with it.
    """
    from django.db import connection

    marker = connection.atomic_blocks[0] if connection.in_atomic_block else None
    checked = getattr(connection, "_everyname_key_checked", None)
    if marker is not None and checked == (loaded.fingerprint, marker) and checked[1] is marker:
        return
    recorded = recorded_fingerprint(lock=True)
    if recorded is None:
        recorded = record_fingerprint(loaded)
    if recorded != loaded.fingerprint:
        raise KeyMismatch(_mismatch_message(loaded.path, recorded), field="key_file")
    if marker is not None:
        connection._everyname_key_checked = (loaded.fingerprint, marker)  # type: ignore[attr-defined]


def record_fingerprint(loaded: LoadedKey) -> str:
    """Record ``loaded``'s fingerprint for a database that has none; returns the one recorded
    (another writer's, if it recorded first). Refused if stored data does not open with it."""
    from everyname.store.models import KeyFingerprint

    for token in encrypted_samples(limit_per_column=3):
        try:
            loaded.cipher.decrypt(token)
        except InvalidToken:
            raise KeyMismatch(
                f"The key file {loaded.path} does not open the data already encrypted in this "
                "database: it was encrypted with another key. Set EVERYNAME_KEY_FILE to this "
                "database's key file.",
                field="key_file",
            ) from None
    KeyFingerprint.objects.bulk_create(
        [KeyFingerprint(pk=1, fingerprint=loaded.fingerprint)], ignore_conflicts=True
    )
    recorded = recorded_fingerprint()
    assert recorded is not None
    return recorded


def forget_checks() -> None:
    """Check the key against the database again on next use (after a rotation)."""
    from django.db import connection

    connection._everyname_key_checked = None  # type: ignore[attr-defined]


class KeyMismatch(KeyFileError):
    """The key file is not the key this database's data was encrypted with."""

    kind = ErrorKind.CONFLICT


def _mismatch_message(path: Path, recorded: str) -> str:
    found = _matching_key_files(path, recorded)
    hint = f" The key file {found[0]} matches it." if found else ""
    return (
        f"The key file {path} does not match the key this database's data was encrypted with "
        f"(the database's key has fingerprint {recorded[:16]}, this file's does not). Nothing "
        "was read or written. Set EVERYNAME_KEY_FILE to this database's key file, or restore "
        f"that key from your backup; after `everyname key rotate`, use the key it wrote.{hint}"
    )


def _matching_key_files(path: Path, recorded: str) -> list[Path]:
    """Key files beside ``path`` (a rotation's new or kept key) whose key is the database's."""
    found = []
    try:
        candidates = sorted(p for p in path.parent.iterdir() if p.is_file() and p != path)
    except OSError:
        return []
    for candidate in candidates[:50]:
        try:
            if candidate.stat().st_size > 1024:
                continue
            lines = [x.strip() for x in candidate.read_bytes().splitlines() if x.strip()]
            if lines and fingerprint(lines[0]) == recorded:
                found.append(candidate)
        except (OSError, ValueError, binascii.Error):
            continue
    return found


def _missing_message(path: Path) -> str:
    try:
        populated = holds_encrypted_data()
    except Exception:  # no database to ask (Django not set up): the plain advice
        populated = False
    if populated:
        return (
            f"The key file {path} does not exist, and this database already holds data "
            "encrypted with its key. Set EVERYNAME_KEY_FILE to this database's key file, or "
            "restore the key file from your backup: a new key would not read what is stored."
        )
    return (
        f"The key file {path} does not exist. Run `everyname init` to create it, or set "
        "EVERYNAME_KEY_FILE to the key file of this database."
    )


def encrypt(plaintext: bytes) -> bytes:
    return cipher().encrypt(plaintext)


def decrypt(token: bytes) -> bytes:
    try:
        return cipher().decrypt(bytes(token))
    except InvalidToken as exc:
        raise KeyFileError(
            "An encrypted value cannot be decrypted with the key in "
            f"{config.key_file_path()}: wrong key file for this database, or the value was "
            "altered.",
            field="key_file",
        ) from exc


def reencrypt(token: bytes, old: MultiFernet, new: Fernet) -> bytes:
    """A value encrypted under ``old`` encrypted under ``new`` instead (key rotation); the
    plaintext never leaves this module. Raises ``InvalidToken`` for a value ``old`` cannot open."""
    return new.encrypt(old.decrypt(bytes(token)))


def encrypt_text(text: str) -> bytes:
    return encrypt(text.encode("utf-8"))


def decrypt_text(token: bytes) -> str:
    return decrypt(token).decode("utf-8")
