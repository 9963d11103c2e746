"""Password hashing parameters: production keeps argon2id at RFC 9106's low-memory profile;
the suite's cheap profile cannot reach production, and a hash made under other parameters is
upgraded at the next sign-in."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters, profiles
from sqlalchemy import select

from core.auth import check_credentials
from core.config import Defaults
from core.db import write_intent
from core.extensions import db
from core.models import User
from core.passwords import hash_password, needs_rehash, verify_password
from tests.conftest import PASSWORD


def test_production_hashes_with_rfc_9106_low_memory(make_app):
    assert Defaults.PASSWORD_HASH_PROFILE == "RFC_9106_LOW_MEMORY"
    app = make_app(PASSWORD_HASH_PROFILE=Defaults.PASSWORD_HASH_PROFILE)
    with app.app_context():
        hashed = hash_password(PASSWORD)
        assert verify_password(hashed, PASSWORD) and not verify_password(hashed, "wrong")
    # RFC 9106 section 4, second recommended option: argon2id, t=3, m=64 MiB, p=4.
    used = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert (used.time_cost, used.memory_cost, used.parallelism) == (3, 65536, 4)
    assert used == profiles.RFC_9106_LOW_MEMORY


def test_the_cheap_test_profile_refuses_to_start_outside_tests(make_app):
    with pytest.raises(RuntimeError, match="for tests only"):
        make_app(TESTING=False, PASSWORD_HASH_PROFILE="CHEAPEST")
    with pytest.raises(RuntimeError, match="not one of"):
        make_app(PASSWORD_HASH_PROFILE="MD5")


def test_a_hash_with_other_parameters_is_upgraded_at_sign_in(make_app):
    cheap_app = make_app()                      # the suite's CHEAPEST profile
    with cheap_app.app_context():
        cheap = hash_password(PASSWORD)
        db.session.add(User(username="cheap", full_name="Cán bộ", password_hash=cheap))
        db.session.commit()
        db.session.remove()
    assert extract_parameters(cheap) == profiles.CHEAPEST
    app = make_app(PASSWORD_HASH_PROFILE="RFC_9106_LOW_MEMORY")
    with app.app_context(), write_intent():
        assert needs_rehash(cheap)
        result = check_credentials("cheap", PASSWORD)
        db.session.commit()
        assert result.user is not None
        stored = db.session.scalar(select(User.password_hash).where(User.username == "cheap"))
    assert stored != cheap and extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
