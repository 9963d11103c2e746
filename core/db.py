"""Database engine set-up that differs by backend, kept in one dialect switch.

SQLite (the embedded default) runs in WAL mode with a busy timeout. pysqlite's own transaction
handling is switched off and we emit BEGIN ourselves: ``BEGIN IMMEDIATE`` for write
transactions (unsafe HTTP methods, CLI commands and jobs wrapped in ``write_intent``), so two
writers queue on the busy timeout instead of failing with "database is locked" when a deferred
transaction that has read tries to upgrade to a write lock. Reads stay deferred and run
concurrently under WAL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def set_write_intent(value: bool) -> None:
    """Mark the transactions begun from now on in this context as writers (or not)."""
    _write_intent.set(value)


@contextlib.contextmanager
def write_intent() -> Iterator[None]:
    """Transactions begun inside this block take the SQLite write lock at BEGIN."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let us issue BEGIN ourselves (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
