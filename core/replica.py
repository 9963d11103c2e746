"""An optional read-only engine for dashboards and exports: a PostgreSQL streaming replica.

Dashboards, figure pages, report exports and the figures API read a few large tables (the
month rollups, cases, dossiers) and write almost nothing. With ``REPLICA_DATABASE_URL`` set,
the reads inside ``replica_reads()`` go to that engine, so a heavy export or a busy morning
of dashboards does not compete with citizens' submissions for the primary's CPU and buffers.

What goes where, decided per statement by ``RoutingSession.get_bind``:
- a plain SELECT inside ``replica_reads()``: the replica;
- everything else: the primary. That is every INSERT, UPDATE and DELETE, every flush (an
  export's audit entry), SELECT ... FOR UPDATE, textual SQL, ``session.connection()``, and
  any statement inside ``primary_reads()``.

Only the figure-building part of a request reads from the replica. Sign-in, the session row
and the permission check before it run on the primary, so a fresh sign-in or a just-granted
role never meets replication lag. The replica may lag by a moment (streaming replication
on the same network: milliseconds); figures are read from rollups refreshed every minute
anyway, and a page states when they were refreshed.

Without ``REPLICA_DATABASE_URL`` (the default) ``replica_reads()`` changes nothing. See the
README's Production section for setting up the replica and the figures measured with one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import wraps
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from core.config import normalise_database_url

REPLICA_URL_SETTING = "REPLICA_DATABASE_URL"
_ENGINE_KEY = "replica_engine"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Plain SELECTs inside this block read from the replica, when one is configured."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Reads that decide a write (a rollup refresh's watermark) must see the primary."""
    token = _replica_reads.set(False)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view's body reads from the replica. Put it below ``login_required`` (and any
    decorator that checks the user), so the user is loaded from the primary first."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


def replica_engine(app: Flask) -> Engine | None:
    """The replica's engine, created on first use; None when none is configured."""
    url = app.config.get(REPLICA_URL_SETTING)
    if not url:
        return None
    engines: dict[str, Engine] = app.extensions.setdefault(_ENGINE_KEY, {})
    if url not in engines:
        # pre_ping: a replica restarts or fails over on its own schedule.
        engines[url] = create_engine(normalise_database_url(url), pool_pre_ping=True)
    return engines[url]


def _reads_only(clause: Any) -> bool:
    return isinstance(clause, Select) and clause._for_update_arg is None


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, with plain reads inside ``replica_reads()`` sent to the
    replica (see the module docstring for the whole rule)."""

    def get_bind(self, mapper: Any | None = None, clause: Any | None = None,
                 bind: Any | None = None, **kwargs: Any) -> Any:
        if bind is None and _replica_reads.get() and not self._flushing \
                and _reads_only(clause):
            engine = replica_engine(current_app)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
