"""defer_write outside a request (CLI, jobs): kept even when the caller's work is rolled back,
and never a second writer against the caller's own lock (which would hang SQLite)."""

from __future__ import annotations

from core.audit import record_audit_now
from core.extensions import db
from core.models import AuditEntry, Unit


def _denials() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "access.denied")).scalar_one()


def test_written_after_the_callers_rollback_while_it_held_the_write_lock(app, make_unit):
    make_unit("X")
    unit = db.session.execute(db.select(Unit).where(Unit.code == "X")).scalar_one()
    unit.name_vi = "changed"      # the caller's transaction writes (takes the SQLite lock)
    db.session.flush()
    record_audit_now("access.denied", reason="test")  # must not open a second writer now
    db.session.rollback()
    assert _denials() == 1
    assert db.session.get(Unit, unit.id).name_vi != "changed"


def test_written_after_the_callers_commit(app, make_unit):
    make_unit("Y")
    unit = db.session.execute(db.select(Unit).where(Unit.code == "Y")).scalar_one()
    unit.name_vi = "renamed"
    db.session.flush()
    record_audit_now("access.denied", reason="test")
    db.session.commit()
    assert _denials() == 1
    assert db.session.get(Unit, unit.id).name_vi == "renamed"


def test_written_at_once_without_a_transaction(app):
    db.session.commit()
    db.session.close()
    record_audit_now("access.denied", reason="test")
    assert _denials() == 1
