"""Encryption of personal data at rest (core.crypto): round trips, key rotation with
MultiFernet, and the keyed digest used for the status page's second factor."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.crypto import (
    InvalidToken,
    decrypt_json,
    decrypt_text,
    encrypt_json,
    encrypt_text,
    keyed_digest,
    new_key,
    rotate_token,
)

OLD, NEW = new_key(), new_key()
CONTACT = {"name": "Trần Thị Bích", "address": "Số 5 ngõ 3 phố Huế, Hà Nội",
           "phone": "0987 654 321", "email": "bich@example.vn"}


def test_round_trip_with_the_key_derived_from_the_secret(app):
    token = encrypt_text("Nguyễn Văn An")
    assert isinstance(token, bytes) and b"Nguy" not in token
    assert decrypt_text(token) == "Nguyễn Văn An"
    assert decrypt_text(memoryview(token)) == "Nguyễn Văn An"   # as PostgreSQL returns it
    assert encrypt_text("Nguyễn Văn An") != token                # random IV every time
    sealed = encrypt_json(CONTACT)
    assert "Trần".encode() not in sealed and b"0987" not in sealed
    assert decrypt_json(sealed) == CONTACT


def test_another_secret_cannot_read_it(app):
    token = encrypt_text("bí mật")
    app.config["SECRET_KEY"] = "a-different-secret"
    with pytest.raises(InvalidToken):
        decrypt_text(token)


@pytest.mark.parametrize("app_config", [{"CONTACT_KEYS": [OLD]}])
def test_rotation_with_a_new_key_first(app):
    token = encrypt_json(CONTACT)
    assert Fernet(OLD.encode()).decrypt(token)           # sealed with the configured key
    app.config["CONTACT_KEYS"] = [NEW, OLD]              # step 1: the new key goes first
    assert decrypt_json(token) == CONTACT                # old data still opens
    fresh = encrypt_json(CONTACT)
    assert Fernet(NEW.encode()).decrypt(fresh)           # new data uses the new key
    rotated = rotate_token(token)                        # step 2: re-encrypt every row
    assert Fernet(NEW.encode()).decrypt(rotated)
    app.config["CONTACT_KEYS"] = [NEW]                   # step 3: drop the old key
    assert decrypt_json(rotated) == CONTACT
    assert decrypt_json(fresh) == CONTACT
    with pytest.raises(InvalidToken):
        decrypt_json(token)                              # not rotated: unreadable now


@pytest.mark.parametrize("app_config", [{"CONTACT_KEYS": f"{NEW}, {OLD}"}])
def test_keys_may_be_a_comma_separated_string(app):
    token = Fernet(OLD.encode()).encrypt(b"x")
    assert decrypt_text(token) == "x"
    assert Fernet(NEW.encode()).decrypt(encrypt_text("y")) == b"y"


@pytest.mark.parametrize("app_config", [{"CONTACT_KEYS": [OLD]}])
def test_rotation_keeps_the_original_timestamp(app):
    token = encrypt_text("x")
    app.config["CONTACT_KEYS"] = [NEW, OLD]
    rotated = rotate_token(token)
    assert rotated != token
    assert (Fernet(NEW.encode()).extract_timestamp(rotated)
            == Fernet(OLD.encode()).extract_timestamp(token))
    app.config["CONTACT_KEYS"] = [OLD]
    with pytest.raises(InvalidToken):
        decrypt_text(rotated)               # only the new key opens it


def test_keyed_digest_is_stable_and_independent_of_contact_keys(app):
    first = keyed_digest("feedback-status", "K7M39QXDT", "5678")
    assert first == keyed_digest("feedback-status", "K7M39QXDT", "5678")
    assert len(first) == 64 and int(first, 16) >= 0
    assert "5678" not in first
    app.config["CONTACT_KEYS"] = [NEW, OLD]
    assert keyed_digest("feedback-status", "K7M39QXDT", "5678") == first
    assert keyed_digest("feedback-status", "K7M39QXDT", "5679") != first
    assert keyed_digest("feedback-status", "K7M39QXDX", "5678") != first
    assert keyed_digest("other-purpose", "K7M39QXDT", "5678") != first
    # Parts are separated, so moving characters between parts changes the digest.
    assert keyed_digest("ab", "c") != keyed_digest("a", "bc")
    app.config["SECRET_KEY"] = "another-secret"
    assert keyed_digest("feedback-status", "K7M39QXDT", "5678") != first
