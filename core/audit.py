"""Write audit entries. Callers add them in the same transaction as the change they describe."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context

from core.db import defer_write
from core.extensions import db
from core.models import AuditEntry

_cli_actor: ContextVar[str | None] = ContextVar("cli_actor", default=None)


def json_safe(value: Any) -> Any:
    """Turn dates, decimals and sets into JSON-friendly values for before/after snapshots."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: json_safe(getattr(obj, name)) for name in fields}


def current_actor() -> tuple[int | None, int | None, str | None]:
    """(user id, api key id, label) of whoever is acting: a signed-in user or an API key in a
    request, or the label a CLI command or job set with ``acting_as``."""
    if has_request_context():
        api_key = getattr(g, "api_key", None)
        if api_key is not None:
            return None, api_key.id, f"api:{api_key.prefix}"
        user = getattr(g, "_login_user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, None, user.username
    return None, None, _cli_actor.get()


@contextlib.contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Name the actor of audit entries written outside a request (CLI commands, jobs)."""
    token = _cli_actor.set(label)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def record_audit(action: str, **fields: Any) -> AuditEntry:
    """Add an audit entry to the current session; the caller commits it with the change.
    ``fields`` are those of ``_build_entry``."""
    entry = _build_entry(action, **fields)
    db.session.add(entry)
    return entry


def _build_entry(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    actor_user_id: int | None = None,
) -> AuditEntry:
    user_id, key_id, label = current_actor()
    return AuditEntry(
        actor_user_id=actor_user_id if actor_user_id is not None else user_id,
        actor_api_key_id=key_id,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        unit_id=unit_id,
        before=json_safe(before) if before is not None else None,
        after=json_safe(after) if after is not None else None,
        reason=reason,
        request_id=getattr(g, "request_id", None) if has_request_context() else None,
    )


def record_audit_now(action: str, **fields: Any) -> None:
    """Record an event with no change attached (a refused access, a failed sign-in) so that it
    is kept even if the request's own work is rolled back: written in its own transaction when
    the request ends (core.db.defer_write)."""
    entry = _build_entry(action, **fields)
    defer_write(lambda session: session.add(entry))
