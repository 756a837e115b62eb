"""A reporter's identity is read only on purpose: by a permitted user, with a reason, audited in
the same transaction; everyone else gets a refusal, no plaintext and no audit entry."""

from __future__ import annotations

import csv
import json

import pytest
from django.db import transaction

from everyname.core.errors import InvalidInput, NotFound, PermissionDenied
from everyname.store import crypto
from everyname.store.audit import Action, list_events
from everyname.store.imports import import_file
from everyname.store.models import AuditEvent, Record
from everyname.store.permissions import Permission
from everyname.store.secrets import change_identity, reveal_identity

pytestmark = pytest.mark.django_db

REPORTER = "Umm Khaled Planted-Witness"
CONTACT = "+963 933 417 205"
ROWS = [
    ["name", "sex", "date of death", "reporter name", "reporter phone"],
    ["Ahmad Khalil", "m", "2012-02-04", REPORTER, CONTACT],
    ["Huda Ali", "f", "2012-02-05", "", ""],
]
CAST = ["admin", "analyst", "reviewer", "recorder_a", "recorder_b", "viewer"]


@pytest.fixture
def records(tmp_path, key_file, cast):
    path = tmp_path / "lcc.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    import_file(path, "src-a", actor=cast["admin"])
    return {r.as_written["full_name"]: r.pk for r in Record.objects.all()}


def audit_dump() -> str:
    """Every audit row, every column, as one string to search."""
    rows = AuditEvent.objects.values_list("actor", "action", "object_type", "object_id", "details")
    return json.dumps([list(row) for row in rows], ensure_ascii=False)


@pytest.mark.parametrize("who", CAST)
def test_reveal_for_every_cast_member(who, cast, records, snapshot):
    actor = cast[who]
    record_id = records["Ahmad Khalil"]
    if not actor.can(Permission.REVEAL_IDENTITY):
        before = snapshot()
        with pytest.raises(PermissionDenied) as info:
            reveal_identity(actor, record_id, "checking a duplicate")
        assert info.value.kind == "permission_denied"
        assert REPORTER not in str(info.value) and CONTACT not in str(info.value)
        assert snapshot() == before
        assert not AuditEvent.objects.filter(action=Action.SECRET_READ).exists()
        return
    revealed = reveal_identity(actor, record_id, "family asks who reported the death")
    assert (revealed.reporter_name, revealed.reporter_contact) == (REPORTER, CONTACT)
    assert revealed.columns == {"reporter name": REPORTER, "reporter phone": CONTACT}
    assert revealed.to_dict()["source"] == "src-a"
    event = AuditEvent.objects.get(action=Action.SECRET_READ)
    assert (event.actor, event.object_type, event.object_id) == (
        actor.username,
        "Record",
        str(record_id),
    )
    assert event.details == {
        "source": "src-a",
        "fields": ["reporter_name", "reporter_contact"],
        "columns": ["reporter name", "reporter phone"],
        "reason": "family asks who reported the death",
    }
    assert REPORTER not in audit_dump() and CONTACT not in audit_dump()


def test_only_admins_and_analysts_may_reveal(cast):
    # the cast test above branches on the permission table; pin who is on each side of it
    allowed = {who for who in CAST if cast[who].can(Permission.REVEAL_IDENTITY)}
    assert allowed == {"admin", "analyst"}


def test_a_rolled_back_reveal_leaves_no_audit_entry(cast, records):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        assert reveal_identity(cast["analyst"], records["Ahmad Khalil"], "check").reporter_name
        assert AuditEvent.objects.filter(action=Action.SECRET_READ).count() == 1
        raise Abandoned
    assert not AuditEvent.objects.filter(action=Action.SECRET_READ).exists()


def test_a_reason_is_required_and_nothing_is_read_without_one(cast, records, snapshot):
    before = snapshot()
    for reason in ("", "   ", None, "x" * 1001):
        with pytest.raises(InvalidInput) as info:
            reveal_identity(cast["admin"], records["Ahmad Khalil"], reason)
        assert info.value.field == "reason"
    with pytest.raises(NotFound) as info:
        reveal_identity(cast["admin"], max(records.values()) + 1, "check")
    assert info.value.field == "record"
    assert snapshot() == before


def test_a_record_without_a_reporter_is_revealed_empty_and_still_audited(cast, records):
    revealed = reveal_identity(cast["admin"], records["Huda Ali"], "check")
    assert (revealed.reporter_name, revealed.reporter_contact, revealed.columns) == (None, None, {})
    event = AuditEvent.objects.get(action=Action.SECRET_READ)
    assert event.details["fields"] == [] and event.object_id == str(records["Huda Ali"])


def test_no_audit_row_ever_carries_the_planted_identity(cast, records):
    """Import, reveal, and read the log back: the reporter's name and phone are in no row, and
    the log's own reader returns the reveal without them."""
    for who in ("admin", "analyst"):
        reveal_identity(cast[who], records["Ahmad Khalil"], f"{who} checking")
    dump = audit_dump()
    assert "secret.read" in dump and "batch.imported" in dump
    for secret in (REPORTER, CONTACT, "Planted-Witness", "933 417"):
        assert secret not in dump
    page = list_events(cast["admin"], action=Action.SECRET_READ)
    assert page.total == 2
    assert REPORTER not in json.dumps(page.to_dict(), ensure_ascii=False)


def test_a_corrected_identity_is_resealed_without_reaching_the_caller(cast, records):
    record = Record.objects.get(pk=records["Ahmad Khalil"])
    new_contact = "+963 944 000 111"
    change = change_identity(
        record.sensitive_encrypted, {"reporter_name": REPORTER, "reporter_contact": new_contact}
    )
    assert change.fields == ("reporter_contact",)  # the name given is the one stored
    for sealed in (change.sealed, change.revision):
        assert isinstance(sealed, bytes)
        assert new_contact.encode() not in sealed and b"Khaled" not in sealed
    assert json.loads(crypto.decrypt_text(change.revision)) == {
        "before": {"reporter_contact": CONTACT},
        "after": {"reporter_contact": new_contact},
    }
    Record.objects.filter(pk=record.pk).update(sensitive_encrypted=change.sealed)
    revealed = reveal_identity(cast["admin"], record.pk, "check the correction")
    assert (revealed.reporter_name, revealed.reporter_contact) == (REPORTER, new_contact)
    assert revealed.columns == {"reporter name": REPORTER, "reporter phone": CONTACT}  # as imported
    assert change_identity(change.sealed, {"reporter_contact": new_contact}) is None
    removed = change_identity(None, {"reporter_name": "  "})
    assert removed is None
    added = change_identity(None, {"reporter_name": "Abu Ali"})
    assert added.fields == ("reporter_name",) and added.sealed
    with pytest.raises(InvalidInput) as info:
        change_identity(change.sealed, {"full_name": "x"})
    assert info.value.field == "full_name"


#: Modules that decrypt a backup under a key derived from its passphrase: they never hold the
#: database's key, so they cannot open a record's identity (checked below).
PASSPHRASE_STREAMS = ("core/sealed.py",)


def test_nothing_but_the_secrets_module_decrypts_a_reporter():
    """The one door. A record's identity is opened by record_stream.open_identity (the inverse
    of how a record seals it), which only secrets.py calls; every other decryption in the
    package reads a file's encrypted chunks back (a batch's original, an upload waiting for its
    job): a separate act, never a record's identity."""
    import ast
    from pathlib import Path

    import everyname

    package = Path(everyname.__file__).parent
    opened_by, chunk_readers, other = set(), set(), []
    for path in package.rglob("*.py"):
        module = path.relative_to(package).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "open_identity":
                opened_by.add(module)
            elif name.startswith("decrypt") and module in PASSPHRASE_STREAMS:
                continue
            elif name.startswith("decrypt") and module != "store/crypto.py":
                argument = ast.unparse(node.args[0]) if node.args else ""
                if module == "store/record_stream.py":
                    assert argument == "bytes(token)"  # open_identity itself
                elif argument.endswith(".data)") or argument.endswith(".data"):
                    chunk_readers.add(module)
                else:
                    other.append((module, argument))
    assert opened_by == {"store/secrets.py"}
    assert other == []
    for module in PASSPHRASE_STREAMS:  # a backup's own AES-GCM stream, not the database's key
        source = (package / module).read_text(encoding="utf-8")
        assert "everyname.store" not in source and "Fernet" not in source
    assert "store/imports.py" in chunk_readers  # original_bytes: the test sees the calls
