"""Health probes for the load balancer and the operator: ``/healthz`` (the process answers)
and ``/readyz`` (the database answers, Redis answers when configured, and the schema is at the
newest migration). Bodies name the failed check only: never a message that could carry a
connection string, a host name or personal data. Never cached."""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from redis import Redis
from sqlalchemy import text

from core.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def health():
    """The process answers (liveness)."""
    return _no_store({"status": "ok"}, 200)


@bp.get("/readyz")
def ready():
    """The node can serve traffic: 200, or 503 naming the checks that failed."""
    checks = {"database": _database_ok(), "migrations": False, "redis": None}
    if checks["database"]:
        checks["migrations"] = _migrations_at_head()
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis_ok()
    checks = {name: ok for name, ok in checks.items() if ok is not None}
    failed = sorted(name for name, ok in checks.items() if not ok)
    body = {"status": "fail" if failed else "ok",
            "checks": {name: "ok" if ok else "fail" for name, ok in checks.items()}}
    if failed:
        body["failed"] = failed
    return _no_store(body, 503 if failed else 200)


def _no_store(body: dict, status: int):
    return body, status, {"Cache-Control": "no-store"}


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not ready"; the log keeps the detail
        log.exception("readyz: database check failed")
        db.session.rollback()
        return False


def _migrations_at_head() -> bool:
    """The revisions stamped in the database equal the heads of migrations/."""
    try:
        heads = _code_heads()
        context = MigrationContext.configure(db.session.connection())
        current = set(context.get_current_heads())
    except Exception:
        log.exception("readyz: migration check failed")
        db.session.rollback()
        return False
    if current != heads:
        log.warning("readyz: database at %s, code at %s", sorted(current), sorted(heads))
    return current == heads


def _code_heads() -> set[str]:
    """The heads of migrations/, read once per process (the code does not change under it)."""
    cache = current_app.extensions.setdefault("langnghe_health", {})
    if "heads" not in cache:
        directory = current_app.extensions["migrate"].directory
        cache["heads"] = set(ScriptDirectory(directory).get_heads())
    return cache["heads"]


def _redis_ok() -> bool:
    try:
        client = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                socket_connect_timeout=2)
        return bool(client.ping())
    except Exception:
        log.exception("readyz: Redis check failed")
        return False
