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
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.extensions import db

log = logging.getLogger(__name__)

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


def defer_write(work: Callable[[Session], None]) -> None:
    """Run ``work(session)`` in its own short write transaction once the request is over.

    For records that must be kept whatever the request does (a refused access, a session
    touch, an API key use). Doing them mid-request in a second connection would deadlock on
    SQLite when the request already holds the write lock; after the request, its transaction
    has ended. Outside a request (CLI, jobs) it runs when the current session's transaction
    ends, committed or rolled back, or at once when there is none.
    """
    if has_request_context():
        g.setdefault("_deferred_writes", []).append(work)
        return
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append(work)
    else:
        _run_write(work)


_PENDING = "_deferred_writes"


@event.listens_for(Session, "after_transaction_end")
def _run_pending_after_transaction(session: Session, transaction) -> None:
    if transaction.parent is not None or not session.info.get(_PENDING):
        return  # a savepoint ended, or nothing is waiting
    works = session.info.pop(_PENDING)
    for work in works:
        try:
            _run_write(work)
        except Exception:
            log.exception("deferred write failed")


def run_deferred_writes(_error: BaseException | None = None) -> None:
    works = g.pop("_deferred_writes", None)
    if not works:
        return
    db.session.rollback()  # the request is over: release its transaction (and SQLite lock)
    for work in works:
        try:
            _run_write(work)
        except Exception:  # a failed log write must not turn a finished response into a 500
            log.exception("deferred write failed")


def _run_write(work: Callable[[Session], None]) -> None:
    with write_intent(), Session(db.engine) as session:
        work(session)
        session.commit()
