"""Background jobs: outbox delivery and periodic jobs (deadline reminders, escalation,
retention), run by ``flask jobs work`` in the embedded default.

Packages register periodic jobs with ``register_periodic_job(name, func, every)``. The worker
loop delivers due outbox messages, then runs each periodic job whose interval has passed since
it last ran in this process (every job at the first pass), each in its own app context, as
a writer (``core.db.write_intent``), under the audit actor ``job:<name>``, committing on
success and logging a failure without stopping the loop. Jobs must be idempotent (several
workers may run them): they mark what they did (reminded_at, escalated_at, …).

Production may add RQ on Redis (JOBS_BACKEND = "rq", REDIS_URL): each outbox message is also
queued after its commit for ``rq worker langnghe`` (``rq_deliver``), so mail leaves within
seconds on several machines; ``flask jobs work`` still runs the periodic jobs and the retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core.audit import acting_as
from core.clock import now
from core.db import write_intent
from core.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[], Any]
    every: timedelta


PERIODIC_JOBS: dict[str, PeriodicJob] = {}
# name → when it last ran in this process (monotonic seconds).
_last_run: dict[str, float] = {}


def register_periodic_job(name: str, func: Callable[[], Any], every: timedelta) -> PeriodicJob:
    job = PeriodicJob(name, func, every)
    PERIODIC_JOBS[name] = job
    return job


def run_job(app: Flask, name: str, func: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``func`` in a fresh app context as ``job:<name>``; commit, or roll back and log."""
    with app.app_context(), write_intent(), acting_as(f"job:{name}"):
        try:
            result = func()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            return False, None
        log.info("job %s: %s", name, result)
        return True, result


def deliver_outbox(limit: int = 50) -> dict[str, int]:
    from core.outbox import deliver_due

    return deliver_due(limit)


def due_jobs(moment: float | None = None) -> list[PeriodicJob]:
    moment = time.monotonic() if moment is None else moment
    return [job for name, job in sorted(PERIODIC_JOBS.items())
            if name not in _last_run or moment - _last_run[name] >= job.every.total_seconds()]


def work_once(app: Flask) -> dict[str, Any]:
    """One pass: deliver the outbox (until nothing is due, at most 20 batches), then the due
    periodic jobs. Returns what each step did."""
    report: dict[str, Any] = {}
    totals = {"sent": 0, "retry": 0, "dead": 0, "failed": 0}
    for _batch in range(20):
        ok, counts = run_job(app, "outbox", deliver_outbox)
        if not ok or not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if sum(counts.values()) == 0:
            break
    report["outbox"] = totals
    for job in due_jobs():
        _last_run[job.name] = time.monotonic()
        ok, result = run_job(app, job.name, job.func)
        report[job.name] = result if ok else "failed"
    return report


def rq_deliver(message_id: int) -> str:
    """The RQ job: deliver one outbox message (``rq worker langnghe`` runs it)."""
    from core.outbox import deliver_message

    _ok, outcome = run_job(_worker_app(), "outbox", lambda: deliver_message(message_id))
    return outcome or "failed"


_app: Flask | None = None


def _worker_app() -> Flask:
    """The app an RQ worker process delivers with, built once from the environment."""
    global _app
    if _app is None:
        from core import create_app

        _app = create_app()
    return _app


# --- `flask jobs …` ------------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="Background work: the outbox and periodic jobs.")


def _echo_report(report: dict[str, Any]) -> None:
    for name, result in report.items():
        click.echo(f"{name}: {result}")


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between passes.")
def work_command(once: bool, interval: float) -> None:
    """Deliver the outbox and run due periodic jobs, in a loop."""
    app = current_app._get_current_object()
    click.echo(f"{now().isoformat(timespec='seconds')} jobs: "
               f"{', '.join(sorted(PERIODIC_JOBS)) or 'none'}")
    while True:
        report = work_once(app)
        if once:
            _echo_report(report)
            return
        if any(v for v in report.get("outbox", {}).values()):
            log.info("outbox: %s", report["outbox"])
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


@jobs_cli.command("run")
@click.argument("name")
def run_command(name: str) -> None:
    """Run one periodic job now (or "outbox")."""
    app = current_app._get_current_object()
    if name == "outbox":
        func = deliver_outbox
    elif name in PERIODIC_JOBS:
        func = PERIODIC_JOBS[name].func
    else:
        known = ", ".join(["outbox", *sorted(PERIODIC_JOBS)])
        raise click.ClickException(f"No job called {name!r}. Known jobs: {known}.")
    ok, result = run_job(app, name, func)
    if not ok:
        raise click.ClickException(f"Job {name} failed; see the log.")
    click.echo(f"{name}: {result}")


@jobs_cli.command("list")
def list_command() -> None:
    """List the periodic jobs and their intervals."""
    for name, job in sorted(PERIODIC_JOBS.items()):
        click.echo(f"{name}\tevery {job.every}")
