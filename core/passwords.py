"""Password hashing and the password policy (NIST SP 800-63B: length and a blocklist of common
passwords, no composition rules)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in for an unknown account the same as for
# a real one, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from leaked sets.
    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _hasher.hash(_normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, _normalise(password)) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, username: str = "", full_name: str = "") -> list[str]:
    """Reasons the password is refused; empty when it is acceptable."""
    problems: list[str] = []
    normalised = _normalise(password)
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(normalised) < minimum:
        problems.append(str(_l("Use at least %(n)d characters.", n=minimum)))
    lowered = normalised.lower()
    if lowered in _common_passwords():
        problems.append(str(_l("This password is too common; choose another.")))
    context = {username.lower()} | {part.lower() for part in full_name.split() if len(part) > 3}
    if any(word and word in lowered for word in context):
        problems.append(str(_l("Do not use your name or account name in the password.")))
    return problems


def _normalise(password: str) -> str:
    # NFC so a password typed with decomposed Vietnamese diacritics still matches.
    return unicodedata.normalize("NFC", password)
