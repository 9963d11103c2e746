"""relax_commit_durability: only for the one transaction, only on PostgreSQL, and switchable."""

from __future__ import annotations

import pytest

from core.db import relax_commit_durability
from core.extensions import db


def _synchronous_commit() -> str:
    return db.session.execute(db.text("SHOW synchronous_commit")).scalar_one()


def test_relaxed_for_one_transaction_only_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        # SQLite: nothing is sent (WAL with synchronous=NORMAL is already this durability).
        relax_commit_durability(db.session())
        assert db.session.execute(db.text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
        return
    assert _synchronous_commit() == "on"
    relax_commit_durability(db.session())
    assert _synchronous_commit() == "off"
    db.session.commit()
    assert _synchronous_commit() == "on"  # SET LOCAL ended with the transaction


@pytest.mark.parametrize("app_config", [{"RELAXED_DURABILITY": False}])
def test_switched_off_by_configuration(app):
    relax_commit_durability(db.session())
    if db.engine.dialect.name == "postgresql":
        assert _synchronous_commit() == "on"
    else:
        assert db.session.execute(db.text("PRAGMA synchronous")).scalar_one() == 1
