"""Reading a secret on purpose: the one way a reporter's identity leaves its ciphertext.

A record's reporter name and contact are stored encrypted (see ``record_stream.encode_record``)
and nothing else in everyname decrypts them. :func:`reveal_identity` checks that the acting
user may reveal identities, asks why, and writes the ``secret.read`` audit entry in the same
transaction as the read: who, which record, which fields and why, never the values. A reveal
that is rolled back leaves no entry, and a reveal never happens without one.

A correction of the identity itself goes through :func:`change_identity`, which re-seals
without handing the plaintext to its caller. ``record_stream.open_identity`` is the decryption
both use, and nothing else calls it (a test holds that). A batch's original file is also
encrypted and may name witnesses; reading it back for a download is a separate act
(``imports.original_bytes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.schema import SENSITIVE_FIELDS
from everyname.store import crypto
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


@dataclass(frozen=True)
class IdentityChange:
    """A correction of a reporter identity, sealed: what the record now keeps (``sealed``),
    what its revision keeps (``revision``: the values before and after, encrypted together) and
    the names of the fields that changed. No plaintext."""

    fields: tuple[str, ...]
    sealed: bytes | None
    revision: bytes


def change_identity(
    sealed: bytes | memoryview | None, changes: dict[str, str | None]
) -> IdentityChange | None:
    """Apply a correction to a record's sealed identity without handing the plaintext to the
    caller: the correction (audited as such) needs no reveal. ``changes`` maps identity fields
    to their new value (None or blank removes one); None when nothing differs from what is
    stored. The source's own cells stay as imported."""
    unknown = sorted(set(changes) - set(SENSITIVE_FIELDS))
    if unknown:
        raise InvalidInput(f"not an identity field: {', '.join(unknown)}", field=unknown[0])
    identity = open_identity(sealed)
    current = {name: identity["fields"].get(name) or None for name in SENSITIVE_FIELDS}
    after = {
        name: value if value and not value.isspace() else None for name, value in changes.items()
    }
    after = {name: value for name, value in after.items() if value != current[name]}
    if not after:
        return None
    now = {name: value for name, value in {**current, **after}.items() if value}
    before = {name: current[name] for name in after}
    return IdentityChange(
        fields=tuple(sorted(after)),
        sealed=seal_identity(now, identity["raw"]),
        revision=crypto.encrypt_text(
            json.dumps({"before": before, "after": after}, ensure_ascii=False)
        ),
    )


CARRIED_KIND = "everyname reporter"
"""What marks a reporter's details sealed for a form (:func:`seal_carried_identity`), so a
record's own sealed identity pasted into the form is not taken for them."""


def seal_carried_identity(actor: Actor, name: str | None, contact: str | None) -> str | None:
    """The reporter's name and contact encrypted with the database's key, for a form to carry
    from a check to its save without the identity being in the page (a check re-renders the
    form, whose inputs would otherwise hold the name in the clear). None when neither is given.
    """
    require(actor, Permission.ENTER_RECORD)
    name, contact = (name or "").strip(), (contact or "").strip()
    if not name and not contact:
        return None
    fields = {"reporter_name": name, "reporter_contact": contact}
    sealed = seal_identity(fields, {"kind": CARRIED_KIND})
    return sealed.decode("ascii") if sealed is not None else None


def open_carried_identity(actor: Actor, sealed: str) -> tuple[str | None, str | None]:
    """The inverse of :func:`seal_carried_identity`, only to seal the details again into the
    record being saved: nothing here returns them to a page, so it is not a reveal and is not
    audited as one (the record's own sealing is what the audit of the entry covers)."""
    require(actor, Permission.ENTER_RECORD)
    try:
        opened = open_identity((sealed or "").strip().encode("ascii"))
    except (crypto.KeyFileError, UnicodeError, ValueError):
        raise InvalidInput(
            "the reporter's details kept by the form cannot be read: type them again",
            field="reporter_name",
        ) from None
    if opened["raw"].get("kind") != CARRIED_KIND:
        raise InvalidInput(
            "the reporter's details kept by the form cannot be read", field="reporter_name"
        )
    fields = opened["fields"]
    return fields.get("reporter_name") or None, fields.get("reporter_contact") or None
