"""Reading a secret on purpose: the one way a reporter's identity leaves its ciphertext.

A record's reporter name and contact are stored encrypted (see ``record_stream.encode_record``)
and nothing else in everyname decrypts them. :func:`reveal_identity` checks that the acting
user may reveal identities, asks why, and writes the ``secret.read`` audit entry in the same
transaction as the read: who, which record, which fields and why, never the values. A reveal
that is rolled back leaves no entry, and a reveal never happens without one.

A correction of the identity itself goes through :func:`replace_identity`, which re-seals
without handing the plaintext to its caller. ``record_stream.open_identity`` is the decryption
both use, and nothing else calls it (a test holds that). A batch's original file is also
encrypted and may name witnesses; reading it back for a download is a separate act
(``imports.original_bytes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.schema import SENSITIVE_FIELDS
from everyname.store.audit import Action, record_event
from everyname.store.models import Record
from everyname.store.permissions import Actor, Permission, require
from everyname.store.record_stream import open_identity, seal_identity

MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class RevealedIdentity:
    """A record's reporter identity as the reporter gave it. ``columns`` holds the identity
    cells under the source file's own column names (a mapping may have split or joined them)."""

    record_id: int
    source: str
    reporter_name: str | None
    reporter_contact: str | None
    columns: dict[str, str]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "source": self.source,
            "reporter_name": self.reporter_name,
            "reporter_contact": self.reporter_contact,
            "columns": dict(self.columns),
            "reason": self.reason,
        }


def reveal_identity(actor: Actor, record_id: int, reason: str) -> RevealedIdentity:
    """Decrypt one record's reporter identity for ``actor``, audited with ``reason``.

    A record without a reporter identity is revealed as empty and still audited: that the
    record names no reporter is itself something the reader learnt.
    """
    require(actor, Permission.REVEAL_IDENTITY)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the identity is needed: a reason is required", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"a reason has at most {MAX_REASON_LENGTH} characters", field="reason")
    with transaction.atomic():
        record = (
            Record.objects.select_related("source")
            .only("pk", "source__code", "sensitive_encrypted")
            .filter(pk=record_id)
            .first()
        )
        if record is None:
            raise NotFound(f"no record {record_id}", field="record")
        secret = open_identity(record.sensitive_encrypted)
        fields = {name: secret["fields"].get(name) or None for name in SENSITIVE_FIELDS}
        columns = {str(k): str(v) for k, v in secret["raw"].items()}
        record_event(
            Action.SECRET_READ,
            actor,
            record,
            source=record.source.code,
            fields=[name for name, value in fields.items() if value],
            columns=sorted(columns),
            reason=reason,
        )
    return RevealedIdentity(
        record_id=record.pk,
        source=record.source.code,
        reporter_name=fields["reporter_name"],
        reporter_contact=fields["reporter_contact"],
        columns=columns,
        reason=reason,
    )


def replace_identity(
    sealed: bytes | memoryview | None, fields: dict[str, str | None]
) -> bytes | None:
    """A record's sealed identity with ``fields`` changed (a correction of the reporter's name
    or contact), the source's own cells kept as imported. The plaintext never leaves this
    function, so a correction needs no reveal; the correction itself is what is audited."""
    unknown = sorted(set(fields) - set(SENSITIVE_FIELDS))
    if unknown:
        raise InvalidInput(f"not an identity field: {', '.join(unknown)}", field=unknown[0])
    secret = open_identity(sealed)
    merged = {**secret["fields"], **fields}
    return seal_identity({k: v for k, v in merged.items() if v}, secret["raw"])
