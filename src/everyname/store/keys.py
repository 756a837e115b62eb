"""Rotating the encryption key: every encrypted value re-encrypted under a new key at once.

Order matters, since a key lost or out of step with the data makes identities unreadable:

1. the new key is written first, owner-only, to a file beside the target
   (``KEYFILE.new-<time>``), so it exists on disk before any data depends on it;
2. one transaction re-encrypts every encrypted column (``crypto.ENCRYPTED_COLUMNS``), records
   the new key's fingerprint and the audit entry; the frozen tables' triggers are lifted and
   put back inside it (``protection.suspended``); other writers wait for it (PostgreSQL: the
   fingerprint's row and the tables are locked; SQLite: its write lock);
3. after the commit the new key replaces the key file (an atomic rename) and the old key is
   kept beside it as ``KEYFILE.old-<time>`` (owner-only), for backups made before.

A crash between 2 and 3 leaves the new key in ``KEYFILE.new-<time>``: the message for the
mismatch names it. If 2 fails, the new key's file is removed and nothing changed.

Web servers and workers should be stopped while a key is rotated: a process that already
holds the old key reads the new key file the next time it encrypts, but one that finished its
check just before the rotation committed may still be told the key does not match.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from everyname.core.errors import InvalidInput
from everyname.store import crypto, protection
from everyname.store.audit import Action, record_event
from everyname.store.models import KeyFingerprint
from everyname.store.permissions import Actor, Permission, require

#: Rows re-encrypted per statement: file chunks are large, identities small.
_BATCH = {"BatchFileChunk": 8, "JobFileChunk": 8}
_DEFAULT_BATCH = 500


@dataclass(frozen=True)
class RotationResult:
    """What a rotation did: where the new key is, where the old one was kept (None when the
    new key went to a file of its own and the old file was left as it was), both
    fingerprints (never the keys) and how many values of each column were re-encrypted."""

    key_file: Path
    old_key_kept: Path | None
    old_fingerprint: str
    new_fingerprint: str
    reencrypted: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_file": str(self.key_file),
            "old_key_kept": str(self.old_key_kept) if self.old_key_kept else None,
            "old_fingerprint": self.old_fingerprint,
            "new_fingerprint": self.new_fingerprint,
            "reencrypted": dict(self.reencrypted),
        }


def rotate_key(actor: Actor, new_key_file: Path | None = None) -> RotationResult:
    """Re-encrypt everything under a new key in one transaction (audited).

    Without ``new_key_file`` the new key replaces the configured key file and the old key is
    kept beside it as ``KEYFILE.old-<time>``. With it, the new key is written there (a file
    that must not exist yet) and the configured key file is left as it is: point
    ``EVERYNAME_KEY_FILE`` at the new one afterwards.
    """
    require(actor, Permission.MANAGE_KEYS)
    if new_key_file is not None:
        target = Path(new_key_file).expanduser().resolve()
        if target.exists():
            raise InvalidInput(
                f"{target} already exists: a new key is never written over a file",
                field="new_key_file",
            )
        if not target.parent.is_dir():
            raise InvalidInput(f"the folder {target.parent} does not exist", field="new_key_file")
    old = crypto.current_key()
    crypto.check_key(old)
    current = old.path
    if new_key_file is None:
        target = current
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    new_key = Fernet.generate_key()
    new_fingerprint = crypto.fingerprint(new_key)
    staged = target.with_name(f"{target.name}.new-{stamp}")
    _write_owner_only(staged, new_key + b"\n")
    try:
        with transaction.atomic():
            _lock_for_rotation(old.fingerprint)
            counts = _reencrypt(old.cipher, Fernet(new_key))
            KeyFingerprint.objects.update_or_create(
                pk=1, defaults={"fingerprint": new_fingerprint, "recorded_at": timezone.now()}
            )
            record_event(
                Action.KEY_ROTATED,
                actor,
                old_fingerprint=old.fingerprint[:16],
                new_fingerprint=new_fingerprint[:16],
                reencrypted=counts,
                key_file=str(target),
            )
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    kept: Path | None = None
    if target == current:
        kept = current.with_name(f"{current.name}.old-{stamp}")
        os.link(current, kept)  # the same owner-only file under a second name
    os.replace(staged, target)
    crypto.forget_checks()
    return RotationResult(
        key_file=target,
        old_key_kept=kept,
        old_fingerprint=old.fingerprint,
        new_fingerprint=new_fingerprint,
        reencrypted=counts,
    )


def _write_owner_only(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def _lock_for_rotation(old_fingerprint: str) -> None:
    """Make every other writer wait: first the fingerprint's row (a transaction encrypting
    under the old key holds it FOR SHARE, so this waits for it to finish), then the tables."""
    recorded = crypto.recorded_fingerprint()
    if recorded is not None and recorded != old_fingerprint:
        raise crypto.KeyMismatch("the key changed while rotating", field="key_file")
    if connection.vendor == "postgresql":
        list(KeyFingerprint.objects.select_for_update().filter(pk=1))
        tables = ", ".join(
            apps.get_model("store", name)._meta.db_table for name, _ in crypto.ENCRYPTED_COLUMNS
        )
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    else:
        with connection.cursor() as cursor:  # SQLite's write lock, held to commit
            cursor.execute(f"UPDATE {KeyFingerprint._meta.db_table} SET id = id WHERE 0")


def _reencrypt(old: MultiFernet, new: Fernet) -> dict[str, int]:
    counts: dict[str, int] = {}
    frozen = [r.model for r in protection.RULES]
    with protection.suspended(name for name, _ in crypto.ENCRYPTED_COLUMNS if name in frozen):
        for model_name, field in crypto.ENCRYPTED_COLUMNS:
            model = apps.get_model("store", model_name)
            size = _BATCH.get(model_name, _DEFAULT_BATCH)
            rows = model.objects.exclude(**{f"{field}__isnull": True}).order_by("pk")
            done, last = 0, None
            while True:
                page = rows.filter(pk__gt=last) if last is not None else rows
                batch = list(page.values_list("pk", field)[:size])
                if not batch:
                    break
                updated = []
                for pk, token in batch:
                    try:
                        sealed = crypto.reencrypt(token, old, new)
                    except InvalidToken:
                        raise crypto.KeyFileError(
                            f"{model_name} {pk}: its {field} does not open with the current key "
                            "(altered, or encrypted with another key); nothing was re-encrypted",
                            field="key_file",
                        ) from None
                    updated.append(model(pk=pk, **{field: sealed}))
                model.objects.bulk_update(updated, [field])
                done += len(batch)
                last = batch[-1][0]
            counts[f"{model_name}.{field}"] = done
    return counts
