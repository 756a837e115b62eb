"""Identities are encrypted with a key kept outside the database, readable only by its owner."""

import stat

import pytest

from everyname.store import crypto

# encrypting checks the key against the database's (see test_keys)
pytestmark = pytest.mark.django_db


def test_key_file_is_created_owner_only_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "everyname.key"
    created_path, created = crypto.create_key_file(path)
    assert created and created_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    _, created_again = crypto.create_key_file(path)
    assert not created_again
    assert path.read_bytes() == before


def test_round_trip_and_ciphertext_hides_plaintext(key_file):
    token = crypto.encrypt_text("Umm Khaled, +963 933 000 000")
    assert b"Khaled" not in token and b"+963 933" not in token  # a short "963" could be chance
    assert crypto.decrypt_text(token) == "Umm Khaled, +963 933 000 000"


def test_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "open.key"
    crypto.create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(crypto.KeyFileError, match="chmod 600"):
        crypto.create_key_file(path)


def test_wrong_key_fails_loudly(tmp_path, monkeypatch, key_file):
    token = crypto.encrypt_text("witness")
    other = tmp_path / "other.key"
    crypto.create_key_file(other)
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(other))
    with pytest.raises(crypto.KeyMismatch, match="does not match the key this database"):
        crypto.decrypt_text(token)


def test_an_altered_value_fails_loudly(key_file):
    token = bytearray(crypto.encrypt_text("witness"))
    token[-5] ^= 1
    with pytest.raises(crypto.KeyFileError, match="cannot be decrypted"):
        crypto.decrypt_text(bytes(token))


def test_a_rewritten_key_file_is_read_again(tmp_path, monkeypatch):
    """A rotation replaces the key file under a running process: the new key is used."""
    path = tmp_path / "k.key"
    crypto.create_key_file(path)
    first = crypto.read_key_file(path).fingerprint
    replacement = tmp_path / "k2.key"
    crypto.create_key_file(replacement)
    replacement.replace(path)
    assert crypto.read_key_file(path).fingerprint != first


def test_the_fingerprint_names_the_key_without_revealing_it(tmp_path):
    path = tmp_path / "k.key"
    crypto.create_key_file(path)
    key = path.read_bytes().strip()
    fingerprint = crypto.fingerprint(key)
    assert fingerprint == crypto.fingerprint(key + b"\n") and len(fingerprint) == 64
    assert key.decode() not in fingerprint
    other = tmp_path / "o.key"
    crypto.create_key_file(other)
    assert crypto.fingerprint(other.read_bytes()) != fingerprint


def test_missing_key_says_how_to_create_it(tmp_path, monkeypatch):
    monkeypatch.setenv("EVERYNAME_KEY_FILE", str(tmp_path / "absent.key"))
    with pytest.raises(crypto.KeyFileError, match="everyname init"):
        crypto.encrypt_text("x")
