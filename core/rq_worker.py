"""The job an RQ worker runs (``rq worker langnghe``): deliver one outbox message.

It lives apart from core.jobs because it builds the whole app (core.factory), and the factory
itself registers core.jobs' CLI: the worker entry point sits above both.
"""

from __future__ import annotations

from flask import Flask

from core.factory import create_app
from core.jobs import run_job
from core.outbox import deliver_message

_app: Flask | None = None


def rq_deliver(message_id: int) -> str:
    """The RQ job: deliver one outbox message."""
    _ok, outcome = run_job(_worker_app(), "outbox", lambda: deliver_message(message_id))
    return outcome or "failed"


def _worker_app() -> Flask:
    """The app an RQ worker process delivers with, built once from the environment."""
    global _app
    if _app is None:
        _app = create_app()
    return _app
