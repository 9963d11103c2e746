"""`flask jobs work --once` and `flask jobs run NAME`: the outbox and periodic jobs, each in
its own transaction under the actor job:<name>, a failure logged without stopping the loop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import core.jobs
from core.audit import record_audit
from core.clock import now
from core.extensions import db
from core.models import AuditEntry, JobRun, OutboxMessage, OutboxStatus
from core.outbox import queue_message


@pytest.fixture
def jobs(monkeypatch):
    """Only the test's periodic jobs (the test's database has run none of them yet)."""
    monkeypatch.setattr(core.jobs, "PERIODIC_JOBS", {})
    return core.jobs


def _touch():
    record_audit("test.touched", object_type="test", object_id=1)
    return {"touched": 1}


def _boom():
    record_audit("test.boom_written", object_type="test", object_id=2)
    raise RuntimeError("boom")


def _actions() -> dict[str, str | None]:
    db.session.expire_all()
    found = {e.action: e.actor_label for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.action.like("test.%"))).scalars()}
    db.session.rollback()  # end the test's transaction: jobs take the SQLite write lock
    return found


def test_work_once_delivers_the_outbox_and_runs_due_jobs(app, jobs):
    jobs.register_periodic_job("test.boom", _boom, timedelta(hours=1))
    jobs.register_periodic_job("test.touch", _touch, timedelta(hours=1))
    message = queue_message("sms", "0912345678", subject="", body="x", purpose="test.jobs")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "outbox: {'sent': 1" in result.output
    assert "test.touch: {'touched': 1}" in result.output
    assert "test.boom: failed" in result.output
    # The failed job's writes are rolled back; the other job committed as job:<name>.
    assert _actions() == {"test.touched": "job:test.touch"}
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.SENT.value
    db.session.rollback()
    # A second pass within the hour does not run the jobs again.
    again = app.test_cli_runner().invoke(args=["jobs", "work", "--once"])
    assert again.exit_code == 0 and "test.touch:" not in again.output
    assert len(db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "test.touched")).all()) == 1


def test_a_period_is_claimed_once_and_the_outcome_recorded(app, jobs):
    every_ten = jobs.register_periodic_job("a", _touch, timedelta(minutes=10))
    hourly = jobs.register_periodic_job("b", _touch, timedelta(hours=1))
    start = now()
    assert jobs.claim_job(every_ten, start) and jobs.claim_job(hourly, start)
    assert not jobs.claim_job(every_ten, start + timedelta(seconds=599))
    assert jobs.claim_job(every_ten, start + timedelta(minutes=10))
    assert not jobs.claim_job(hourly, start + timedelta(minutes=10))
    assert jobs.claim_job(hourly, start + timedelta(hours=1))
    assert jobs.run_periodic(app, every_ten, start + timedelta(minutes=20)) == {"touched": 1}
    assert jobs.run_periodic(app, every_ten, start + timedelta(minutes=21)) is None
    db.session.expire_all()
    run = db.session.get(JobRun, "a")
    assert run.claimed_by == jobs.RUNNER and run.last_success_at >= start
    assert run.last_failure_at is None
    db.session.rollback()


def test_run_one_job_by_name(app, jobs):
    jobs.register_periodic_job("test.touch", _touch, timedelta(hours=1))
    jobs.register_periodic_job("test.boom", _boom, timedelta(hours=1))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["jobs", "run", "test.touch"])
    assert ok.exit_code == 0 and "test.touch: {'touched': 1}" in ok.output
    assert _actions() == {"test.touched": "job:test.touch"}
    failed = runner.invoke(args=["jobs", "run", "test.boom"])
    assert failed.exit_code != 0 and "Job test.boom failed" in failed.output
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code != 0 and "No job called 'nope'" in unknown.output
    assert "test.touch" in unknown.output
    assert runner.invoke(args=["jobs", "work", "--once", "--interval", "0"]).exit_code != 0


def test_feedback_jobs_are_registered(app):
    names = set(core.jobs.PERIODIC_JOBS)
    assert {"feedback.remind", "feedback.escalate", "feedback.purge_contacts"} <= names
    listed = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert "feedback.remind\tevery 1:00:00" in listed.output


def test_a_database_failure_while_claiming_skips_the_job_without_ending_the_loop(
        app, jobs, monkeypatch, caplog):
    job = jobs.register_periodic_job("test.touch", _touch, timedelta(hours=1))

    def down(*_args):
        raise OSError("connection refused")

    monkeypatch.setattr(jobs, "claim_job", down)
    assert jobs.run_periodic(app, job) is None
    assert jobs.work_once(app) == {"outbox": {"sent": 0, "retry": 0, "dead": 0, "failed": 0}}
    assert "job_runs bookkeeping failed" in caplog.text
    assert _actions() == {}
