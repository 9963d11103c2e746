"""Encryption of personal data at rest (PAKN senders' contact data, outbox recipients).

Keys come from configuration: ``CONTACT_KEYS`` is a list of Fernet keys, newest first. New data
is encrypted with the first; any listed key decrypts, so rotation is: put a new key first,
run ``flask feedback rotate-keys`` (re-encrypts every row with it), then drop the old key.
Without configured keys the key is derived from SECRET_KEY, which suits a demo or a pilot;
production sets its own (deploy/README).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["InvalidToken", "decrypt_json", "decrypt_text", "encrypt_json", "encrypt_text",
           "keyed_digest", "new_key", "rotate_token"]


def new_key() -> str:
    return Fernet.generate_key().decode()


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"langnghe", info=purpose).derive(
        secret.encode())


def _configured_keys() -> list[str]:
    keys = current_app.config.get("CONTACT_KEYS") or ()
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    return list(keys)


def _fernet() -> MultiFernet:
    cache = current_app.extensions.setdefault("langnghe_crypto", {})
    keys = _configured_keys()
    marker = tuple(keys) or ("derived", current_app.config["SECRET_KEY"])
    if cache.get("marker") != marker:
        if keys:
            fernets = [Fernet(k.encode()) for k in keys]
        else:
            derived = _derive(current_app.config["SECRET_KEY"], b"contact data v1")
            fernets = [Fernet(base64.urlsafe_b64encode(derived))]
        cache["marker"] = marker
        cache["fernet"] = MultiFernet(fernets)
    return cache["fernet"]


def encrypt_text(value: str) -> bytes:
    return _fernet().encrypt(value.encode())


def decrypt_text(token: bytes) -> str:
    """Raises InvalidToken when no configured key opens it (a key dropped too early)."""
    return _fernet().decrypt(bytes(token)).decode()


def encrypt_json(value: dict[str, Any]) -> bytes:
    return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))


def decrypt_json(token: bytes) -> dict[str, Any]:
    return json.loads(decrypt_text(token))


def rotate_token(token: bytes) -> bytes:
    """Re-encrypt with the newest key (MultiFernet.rotate keeps the original timestamp)."""
    return _fernet().rotate(bytes(token))


def keyed_digest(*parts: str) -> str:
    """An HMAC-SHA256 of ``parts`` for checking a secret without storing it (the last digits
    of a phone on the public status page). The key is derived from SECRET_KEY, not from the
    rotating contact keys, so rotation never invalidates it."""
    key = _derive(current_app.config["SECRET_KEY"], b"digest v1")
    message = "\x1f".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
