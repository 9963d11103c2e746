"""Migrations: one head, an empty database upgrades to it, and the models match it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from core.extensions import db


def test_single_head(app):
    config = app.extensions["migrate"].migrate.get_config(
        directory=app.extensions["migrate"].directory)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgraded_database_is_at_head_and_matches_the_models(app):
    # The fixture's database was built by running every migration on an empty database
    # (SQLite, or PostgreSQL when TEST_DATABASE_URL is set).
    migrate: Migrate = app.extensions["migrate"].migrate
    config = migrate.get_config(directory=app.extensions["migrate"].directory)
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_audit_log_refuses_update_and_delete(app):
    from core.audit import record_audit

    record_audit("test.event", object_type="thing", object_id=1)
    db.session.commit()
    for statement in ("UPDATE audit_log SET action = 'tampered'", "DELETE FROM audit_log"):
        try:
            db.session.execute(sa.text(statement))
            db.session.flush()
        except sa.exc.DBAPIError as error:
            assert "append-only" in str(error)
            db.session.rollback()
        else:  # pragma: no cover - the trigger is missing
            raise AssertionError(f"{statement} was allowed")
    assert db.session.execute(sa.text("SELECT action FROM audit_log")).scalars().all() == [
        "test.event"]
