"""The key cannot be swapped: the database knows its key's fingerprint, init never makes a second
key for a populated database, and a rotation re-encrypts every encrypted column at once."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.db import connection, transaction

from everyname.core.errors import PermissionDenied
from everyname.store import crypto, jobs, protection
from everyname.store.audit import Action
from everyname.store.imports import import_file, original_bytes
from everyname.store.keys import rotate_key
from everyname.store.maintenance import initialise
from everyname.store.models import (
    AuditEvent,
    Batch,
    KeyFingerprint,
    Record,
    RejectedRow,
)
from everyname.store.records import correct_record
from everyname.store.secrets import reveal_identity
from everyname.store.sources import get_or_create_source

from .conftest import database_snapshot

pytestmark = pytest.mark.django_db

REPORTER = "Umm Khaled al-Zoubi"
CONTACT = "+963 933 111 222"
LIST = f"name,sex,reporter\nAhmad Khalil,m,{REPORTER}\nHuda Ali,f,\n".encode()


@pytest.fixture
def own_key(tmp_path, monkeypatch):
    """A key file of this test's own (a rotation replaces it), made as init makes it."""
    path = tmp_path / "keys" / "everyname.key"
    crypto.create_key_file(path)
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(path))
    crypto.forget_checks()
    return path


@pytest.fixture
def every_kind_of_secret(own_key, tmp_path, cast):
    """One encrypted value in every encrypted column, each made the way the product makes it."""
    get_or_create_source("src-a", "setup", contact=CONTACT)
    listing = tmp_path / "list.csv"
    listing.write_bytes(LIST)
    import_file(listing, "src-a", actor="setup")
    record = Record.objects.get(normalised__full_name="Ahmad Khalil")
    correct_record(cast["admin"], record.pk, {"reporter_contact": CONTACT}, reason="given later")
    RejectedRow.objects.create(
        batch=Batch.objects.get(),
        row_number=9,
        cells=[["name", ""], ["reporter", None]],
        reasons=[{"column": "name", "expected": "a name"}],
        sensitive_encrypted=crypto.encrypt_text('{"reporter": "Abu Samir"}'),
    )
    upload = io.BytesIO(LIST)
    upload.name = "queued.csv"
    jobs.enqueue(cast["admin"], "import", {"source": "src-a"}, file=upload)
    return record


def ciphertexts() -> dict[tuple[str, str, int], bytes]:
    out = {}
    for model_name, field in crypto.ENCRYPTED_COLUMNS:
        model = apps.get_model("store", model_name)
        for pk, value in model.objects.exclude(**{f"{field}__isnull": True}).values_list(
            "pk", field
        ):
            out[(model_name, field, pk)] = bytes(value)
    return out


def test_every_binary_column_is_known_as_encrypted_or_plain():
    binary = {
        (model.__name__, field.name)
        for model in apps.get_app_config("store").get_models()
        for field in model._meta.concrete_fields
        if field.get_internal_type() == "BinaryField"
    }
    assert binary == set(crypto.ENCRYPTED_COLUMNS) | crypto.PLAIN_BINARY_COLUMNS


def test_rotation_reencrypts_every_column_and_keeps_the_old_key_aside(every_kind_of_secret, cast):
    key_path = crypto.config.key_file_path()
    old_key = key_path.read_bytes()
    before = ciphertexts()
    assert {k[:2] for k in before} == set(crypto.ENCRYPTED_COLUMNS), "a secret in every column"
    plain_before = {k: Fernet(old_key.strip()).decrypt(v) for k, v in before.items()}
    original = b"".join(original_bytes(Batch.objects.get()))

    result = rotate_key(cast["admin"])

    after = ciphertexts()
    assert after.keys() == before.keys()
    new_key = key_path.read_bytes().strip()
    assert new_key != old_key.strip()
    for key, token in after.items():
        assert token != before[key]
        assert Fernet(new_key).decrypt(token) == plain_before[key]
        with pytest.raises(InvalidToken):
            Fernet(old_key.strip()).decrypt(token)
    assert sum(result.reencrypted.values()) == len(before)
    assert result.old_key_kept is not None and result.old_key_kept.read_bytes() == old_key
    for path in (key_path, result.old_key_kept):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(key_path.parent.glob("*.new-*")), "no staged key left behind"
    assert KeyFingerprint.objects.get().fingerprint == crypto.fingerprint(new_key)
    # everything reads as before through the product's own paths
    assert b"".join(original_bytes(Batch.objects.get())) == original
    revealed = reveal_identity(cast["admin"], every_kind_of_secret.pk, reason="check")
    assert (revealed.reporter_name, revealed.reporter_contact) == (REPORTER, CONTACT)
    event = AuditEvent.objects.filter(action=Action.KEY_ROTATED).get()
    assert event.actor == "alice"
    assert event.details["new_fingerprint"] == result.new_fingerprint[:16]
    assert new_key.decode() not in str(event.details) and old_key.decode() not in str(event.details)
    # the triggers lifted for the rotation are back
    assert protection.check().intact


def test_rotation_to_a_new_file_leaves_the_current_one(every_kind_of_secret, cast, tmp_path):
    key_path = crypto.config.key_file_path()
    old_key = key_path.read_bytes()
    target = tmp_path / "next.key"
    result = rotate_key(cast["admin"], target)
    assert result.key_file == target.resolve() and result.old_key_kept is None
    assert key_path.read_bytes() == old_key
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(crypto.KeyMismatch, match=str(key_path)):
        crypto.encrypt_text("x")


@pytest.mark.parametrize("role", ["analyst", "reviewer", "recorder_a", "recorder_b", "viewer"])
def test_only_an_admin_rotates_and_a_refusal_changes_nothing(every_kind_of_secret, cast, role):
    key_path = crypto.config.key_file_path()
    key = key_path.read_bytes()
    before = database_snapshot()
    with pytest.raises(PermissionDenied):
        rotate_key(cast[role])
    assert database_snapshot() == before
    assert key_path.read_bytes() == key
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name]


def test_a_rotation_that_fails_changes_nothing(every_kind_of_secret, cast):
    """A value that does not open (altered) stops the rotation: the data, the key file and the
    fingerprint are as they were, and no new key is left on disk."""
    key_path = crypto.config.key_file_path()
    key = key_path.read_bytes()
    victim = Record.objects.exclude(sensitive_encrypted=None).order_by("-pk").first()
    Record.objects.filter(pk=victim.pk).update(sensitive_encrypted=b"not a token")
    before = database_snapshot()
    with pytest.raises(crypto.KeyFileError, match=f"Record {victim.pk}"), transaction.atomic():
        rotate_key(cast["admin"])
    assert database_snapshot() == before
    assert key_path.read_bytes() == key
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name]
    assert protection.check().intact


def test_another_key_is_refused_with_the_file_named(own_key, tmp_path, monkeypatch):
    crypto.encrypt_text("recorded with the first key")
    assert KeyFingerprint.objects.get().fingerprint == crypto.current_key().fingerprint
    other = own_key.parent / "other.key"  # beside it: the message names the one that matches
    crypto.create_key_file(other)
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(other))
    with pytest.raises(crypto.KeyMismatch) as refused:
        crypto.encrypt_text("would be a second key's")
    message = str(refused.value)
    assert str(other) in message and "does not match the key this database" in message
    assert f"The key file {own_key} matches it" in message
    assert refused.value.field == "key_file"


def test_a_database_without_a_fingerprint_adopts_only_the_key_of_its_data(own_key, tmp_path):
    """A database from before fingerprints: its key is recorded on first use if the stored data
    opens with it, and another key is refused."""
    source, _ = get_or_create_source("src-a", "setup", contact=CONTACT)
    KeyFingerprint.objects.all().delete()
    crypto.forget_checks()
    other = tmp_path / "other.key"
    crypto.create_key_file(other)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVERYNAME_KEY_FILE", str(other))
        with pytest.raises(crypto.KeyMismatch, match="encrypted with another key"):
            crypto.encrypt_text("x")
    assert not KeyFingerprint.objects.exists()
    assert crypto.decrypt_text(source.contact_encrypted) == CONTACT
    assert KeyFingerprint.objects.get().fingerprint == crypto.current_key().fingerprint


def test_init_refuses_to_make_a_key_for_a_populated_database(own_key):
    get_or_create_source("src-a", "setup", contact=CONTACT)
    key = own_key.read_bytes()
    own_key.unlink()
    before = database_snapshot()
    with pytest.raises(crypto.KeyFileError, match="does not create a new key") as refused:
        initialise()
    assert not own_key.exists()
    assert database_snapshot() == before
    assert "Set EVERYNAME_KEY_FILE" in str(refused.value)
    # what an import says in the same state: not "run everyname init"
    with pytest.raises(crypto.KeyFileError) as missing:
        crypto.encrypt_text("x")
    assert "everyname init" not in str(missing.value)
    assert "already holds" in str(missing.value)
    own_key.write_bytes(key)
    own_key.chmod(0o600)


def test_init_audits_the_key_it_creates(tmp_path, monkeypatch):
    path = tmp_path / "fresh.key"
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(path))
    crypto.forget_checks()
    result = initialise()
    assert result.key_created and path.exists()
    event = AuditEvent.objects.get(action=Action.KEY_CREATED)
    assert event.details["fingerprint"] == crypto.fingerprint(path.read_bytes())[:16]
    assert KeyFingerprint.objects.get().fingerprint == result.key_fingerprint
    again = initialise()
    assert not again.key_created
    assert AuditEvent.objects.filter(action=Action.KEY_CREATED).count() == 1


def test_init_refuses_another_key_for_a_database_with_a_fingerprint(own_key, tmp_path):
    crypto.encrypt_text("first key")
    other = tmp_path / "other.key"
    crypto.create_key_file(other)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVERYNAME_KEY_FILE", str(other))
        with pytest.raises(crypto.KeyMismatch), transaction.atomic():
            initialise()


def test_rotation_needs_the_database_key(own_key, tmp_path, cast):
    crypto.encrypt_text("first key")
    other = tmp_path / "other.key"
    crypto.create_key_file(other)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVERYNAME_KEY_FILE", str(other))
        with pytest.raises(crypto.KeyMismatch):
            rotate_key(cast["admin"])
    assert sorted(Path(p).name for p in tmp_path.joinpath("keys").iterdir()) == [own_key.name]
    assert connection.vendor in ("sqlite", "postgresql")
