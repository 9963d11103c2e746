"""Background jobs: outbox delivery and periodic jobs (deadline reminders, escalation,
retention), run by ``flask jobs work`` in the embedded default.

Packages register periodic jobs with ``register_periodic_job(name, func, every)``. The worker
loop delivers due outbox messages, then runs each periodic job whose period has passed, each in
its own app context, as a writer (``core.db.write_intent``), under the audit actor
``job:<name>``, committing on success and logging a failure without stopping the loop.

Several runners may share one database (two machines, or a restart that overlaps): a job's
period is claimed in the ``job_runs`` table by one conditional UPDATE that only matches when the
last claim is at least a period old, in its own short transaction. PostgreSQL re-checks the
condition on the updated row when two runners race (the second matches nothing), SQLite's
``BEGIN IMMEDIATE`` serialises them; either way each job starts once per period. Jobs stay
idempotent all the same (a runner that dies mid-job leaves its period claimed): they mark what
they did (reminded_at, escalated_at, …).

Production may add RQ on Redis (JOBS_BACKEND = "rq", REDIS_URL): each outbox message is also
queued after its commit for ``rq worker langnghe`` (``core.rq_worker.rq_deliver``), so mail
leaves within seconds on several machines; ``flask jobs work`` still runs the periodic jobs and
the retries.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from core.audit import acting_as
from core.clock import now
from core.db import write_intent
from core.extensions import db
from core.models import JobRun
from core.outbox import deliver_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[], Any]
    every: timedelta


PERIODIC_JOBS: dict[str, PeriodicJob] = {}
# Who claims a period, for the operator reading job_runs.
RUNNER = f"{socket.gethostname()}:{os.getpid()}"[:120]


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
    return deliver_due(limit)


def claim_job(job: PeriodicJob, moment: datetime | None = None) -> bool:
    """Claim the current period of ``job`` for this runner and commit; False when another
    runner (or this one) already claimed it less than a period ago."""
    moment = moment or now()
    db.session.rollback()  # a fresh transaction: the claim must see the other runners' commits
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else \
        sqlite.insert
    db.session.execute(insert(JobRun).values(name=job.name).on_conflict_do_nothing())
    claimed = db.session.execute(
        update(JobRun)
        .where(JobRun.name == job.name,
               or_(JobRun.claimed_at.is_(None), JobRun.claimed_at <= moment - job.every))
        .values(claimed_at=moment, claimed_by=RUNNER)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


def record_outcome(name: str, ok: bool) -> None:
    """Note when a periodic job last succeeded or failed (the operator's and metrics' view)."""
    column = JobRun.last_success_at if ok else JobRun.last_failure_at
    db.session.execute(update(JobRun).where(JobRun.name == name).values({column: now()})
                       .execution_options(synchronize_session=False))
    db.session.commit()


def run_periodic(app: Flask, job: PeriodicJob, moment: datetime | None = None) -> Any:
    """Run ``job`` if this runner wins its period: its result, "failed", or None (not due, or
    the database could not be asked: the next pass asks again)."""
    if not _bookkeeping(app, job.name, lambda: claim_job(job, moment)):
        return None
    ok, result = run_job(app, job.name, job.func)
    _bookkeeping(app, job.name, lambda: record_outcome(job.name, ok))
    return result if ok else "failed"


def _bookkeeping(app: Flask, name: str, func: Callable[[], Any]) -> Any:
    """job_runs work, logged instead of raised: a database restart must not end the loop."""
    with app.app_context(), write_intent():
        try:
            return func()
        except Exception:
            db.session.rollback()
            log.exception("job %s: job_runs bookkeeping failed", name)
            return None


def work_once(app: Flask) -> dict[str, Any]:
    """One pass: deliver the outbox (until nothing is due, at most 20 batches), then the
    periodic jobs whose period this runner claims. Returns what each step did."""
    report: dict[str, Any] = {"outbox": _deliver_all(app)}
    for _name, job in sorted(PERIODIC_JOBS.items()):
        result = run_periodic(app, job)
        if result is not None:
            report[job.name] = result
    return report


def _deliver_all(app: Flask) -> dict[str, int]:
    totals = {"sent": 0, "retry": 0, "dead": 0, "failed": 0}
    for _batch in range(20):
        ok, counts = run_job(app, "outbox", deliver_outbox)
        if not ok or not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if sum(counts.values()) == 0:
            break
    return totals


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
