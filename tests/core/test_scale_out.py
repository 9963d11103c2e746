"""Two job runners on one database (SQLite file, or PostgreSQL with TEST_DATABASE_URL): each
periodic job runs once per period, and each outbox message reaches the SMTP server once.

Each runner is its own app (its own engine and connections) in its own thread, as two
`flask jobs work` processes would be; a barrier starts them together so they race for every
period and every message."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import core.jobs
from core.audit import record_audit
from core.clock import now
from core.extensions import db
from core.models import AuditEntry, OutboxMessage, OutboxStatus
from core.outbox import queue_message
from tests.core.smtp_server import smtp_config, smtp_server

RUNNERS = 2


def _race(work: Callable[[int], None]) -> None:
    """Run ``work(runner)`` in RUNNERS threads started together; re-raise the first error."""
    barrier = threading.Barrier(RUNNERS)
    errors: list[BaseException] = []

    def target(runner: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(runner)
        except BaseException as error:  # the test thread reports it
            errors.append(error)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def _count_run() -> dict:
    record_audit("test.period_run", object_type="job", object_id=1)
    return {"ran": 1}


def test_each_periodic_job_runs_once_per_period_across_two_runners(make_app, monkeypatch):
    monkeypatch.setattr(core.jobs, "PERIODIC_JOBS", {})
    job = core.jobs.register_periodic_job("test.count", _count_run, timedelta(minutes=5))
    apps = [make_app() for _ in range(RUNNERS)]
    start, periods = now(), 12
    results: dict[int, list] = {n: [] for n in range(RUNNERS)}
    period_barrier = threading.Barrier(RUNNERS)

    def runner(n: int) -> None:
        for period in range(periods):
            period_barrier.wait(timeout=30)  # both runners wake for the same period
            moment = start + period * job.every + timedelta(seconds=n)
            results[n].append(core.jobs.run_periodic(apps[n], job, moment))

    _race(runner)
    per_period = [sum(results[n][p] is not None for n in range(RUNNERS)) for p in range(periods)]
    assert per_period == [1] * periods
    with apps[0].app_context():
        runs = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "test.period_run"))
    assert runs == periods


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


def test_each_outbox_message_is_sent_once_by_two_workers(make_app, smtp):
    handler, port = smtp
    apps = [make_app(**smtp_config(port)) for _ in range(RUNNERS)]
    with apps[0].app_context():
        ids = [queue_message("email", f"nguoi{n}@example.vn", subject=f"Thư {n}",
                             body="Nội dung", purpose="test.scale").id for n in range(40)]
        db.session.commit()

    def worker(n: int) -> None:
        with apps[n].app_context():  # small batches, so both workers take turns claiming
            while sum(core.jobs.run_job(apps[n], "outbox",
                                        lambda: core.outbox.deliver_due(limit=3))[1].values()):
                pass

    _race(worker)
    delivered = Counter(message["Message-ID"] for message in
                        (item.message for item in handler.received))
    assert len(delivered) == len(ids) and set(delivered.values()) == {1}
    assert sorted(item.rcpt_tos[0] for item in handler.received) == sorted(
        f"nguoi{n}@example.vn" for n in range(40))
    with apps[0].app_context():
        rows = db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert rows and {tuple(row) for row in rows} == {(OutboxStatus.SENT.value, 1)}
