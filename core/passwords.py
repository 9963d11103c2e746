"""Password hashing and the password policy (NIST SP 800-63B: length and a blocklist of common
passwords, no composition rules)."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# argon2-cffi's named parameter sets: production uses RFC 9106's low-memory profile (the
# library's default); the test suite uses CHEAPEST, which the library provides for tests,
# because thousands of sign-ins at ~0.1 s each would be most of the suite's time.
PASSWORD_HASH_PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


@cache
def _hasher_for(profile: str) -> PasswordHasher:
    if profile not in PASSWORD_HASH_PROFILES:
        raise ValueError(f"PASSWORD_HASH_PROFILE must be one of {PASSWORD_HASH_PROFILES}")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


@cache
def _dummy_hash(profile: str) -> str:
    # Verifying against this keeps the time of a sign-in for an unknown account the same as
    # for a real one, so timing does not reveal which accounts exist.
    return _hasher_for(profile).hash("not-a-real-password-used-for-timing")


def _profile() -> str:
    return current_app.config["PASSWORD_HASH_PROFILE"]


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from leaked sets.
    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _hasher_for(_profile()).hash(_normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        hasher = _hasher_for(_profile())
        return hasher.verify(password_hash or _dummy_hash(_profile()), _normalise(password)) \
            and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    # A hash made under another profile is upgraded (or downgraded) at the next sign-in.
    return _hasher_for(_profile()).check_needs_rehash(password_hash)


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
