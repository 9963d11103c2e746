"""The outbox: queued in the caller's transaction, delivered to a real local SMTP server
(aiosmtpd), retried with backoff, dead after the last attempt; RQ on a real Redis."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import now
from core.crypto import decrypt_text
from core.extensions import db
from core.models import AuditEntry, OutboxMessage, OutboxStatus, Role
from core.outbox import (
    RETRY_DELAYS,
    deliver_due,
    deliver_message,
    mask_recipient,
    queue_message,
)
from tests.conftest import REDIS_URL
from tests.core.smtp_server import free_port, smtp_config, smtp_server

SUBJECT = "Đã tiếp nhận phản ánh, kiến nghị: mã K7M-39Q-XDT"
BODY = "Kính gửi Ông/Bà,\nỦy ban nhân dân tỉnh đã tiếp nhận phản ánh của Ông/Bà.\n"


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp[1])


@pytest.fixture
def outbox_log(caplog, monkeypatch):
    """The outbox's log records. (Alembic's logging set-up, run in-process when the test
    template database is migrated, disables loggers that already exist.)"""
    monkeypatch.setattr(logging.getLogger("core.outbox"), "disabled", False)
    caplog.set_level(logging.INFO, logger="core.outbox")
    return caplog


def _queue(recipient: str = "an.nguyen@example.vn", channel: str = "email",
           purpose: str = "test.purpose") -> OutboxMessage:
    message = queue_message(channel, recipient, subject=SUBJECT, body=BODY, purpose=purpose,
                            object_type="feedback_case", object_id=7)
    db.session.commit()
    return message


def _fresh(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_queued_recipient_is_encrypted_and_rollback_drops_the_message(app):
    message = queue_message("email", "an.nguyen@example.vn", subject=SUBJECT, body=BODY,
                            purpose="test.purpose")
    assert b"an.nguyen" not in bytes(message.recipient_enc)
    assert decrypt_text(message.recipient_enc) == "an.nguyen@example.vn"
    assert message.status == OutboxStatus.PENDING.value and message.attempts == 0
    db.session.rollback()
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_bad_channel_or_missing_recipient_is_refused(app):
    with pytest.raises(ValueError):
        queue_message("fax", "0912345678", subject="", body="x", purpose="p")
    with pytest.raises(ValueError):
        queue_message("email", "  ", subject="", body="x", purpose="p")


def test_email_is_delivered_to_the_smtp_server(app, smtp):
    handler, _port = smtp
    message = _queue()
    counts = deliver_due()
    assert counts["sent"] == 1 and counts["retry"] == counts["dead"] == 0
    assert len(handler.received) == 1
    got = handler.received[0]
    assert got.rcpt_tos == ["an.nguyen@example.vn"]
    assert got.message["To"] == "an.nguyen@example.vn"
    assert got.message["From"] == "pakn@langnghe.test"
    assert got.message["Subject"] == SUBJECT
    assert got.body.replace("\r\n", "\n") == BODY
    assert got.message["Message-ID"].endswith("@langnghe.test>")
    assert got.message["Date"]
    sent = _fresh(message.id)
    assert sent.status == OutboxStatus.SENT.value
    assert sent.attempts == 1 and sent.sent_at is not None and sent.last_error is None
    # A second pass sends nothing again.
    assert deliver_due()["sent"] == 0
    assert len(handler.received) == 1


def test_only_due_messages_are_sent_and_a_claimed_one_is_skipped(app, smtp):
    handler, _port = smtp
    later = _queue("later@example.vn")
    later.next_attempt_at = now() + timedelta(minutes=3)  # e.g. claimed by another worker
    db.session.commit()
    assert deliver_message(later.id) == "skipped"
    assert deliver_due()["sent"] == 0
    assert handler.received == []
    due = _queue("due@example.vn")
    assert deliver_message(due.id) == "sent"
    assert deliver_message(due.id) == "skipped"
    assert [r.rcpt_tos for r in handler.received] == [["due@example.vn"]]


@pytest.mark.parametrize("app_config", [{**smtp_config(free_port()), "OUTBOX_MAX_ATTEMPTS": 6}])
def test_server_down_retries_with_backoff_then_dead(app):
    message = _queue()
    expected_delays = [*RETRY_DELAYS]
    for attempt in range(1, 6):
        before = now()
        counts = deliver_due()
        assert counts["retry"] == 1, counts
        row = _fresh(message.id)
        assert row.status == OutboxStatus.PENDING.value
        assert row.attempts == attempt
        delay = expected_delays[attempt - 1]
        assert before + delay <= row.next_attempt_at <= now() + delay
        assert row.last_error.startswith("ConnectionRefusedError")
        assert "example.vn" not in row.last_error
        # Not due yet: nothing happens.
        assert deliver_due() == {"sent": 0, "retry": 0, "dead": 0, "failed": 0}
        row.next_attempt_at = now() - timedelta(seconds=1)
        db.session.commit()
    assert deliver_due()["dead"] == 1
    row = _fresh(message.id)
    assert row.status == OutboxStatus.DEAD.value and row.attempts == 6


def test_sms_and_zalo_are_logged_masked_without_the_body(app, outbox_log):
    caplog = outbox_log
    sms = _queue("0912 345 678", channel="sms", purpose="feedback.received")
    zalo = _queue("0987654321", channel="zalo", purpose="feedback.answered")
    assert deliver_due()["sent"] == 2
    assert "sms to ***678: feedback.received" in caplog.text
    assert "zalo to ***321: feedback.answered" in caplog.text
    assert "345 678" not in caplog.text and "0987654321" not in caplog.text
    assert "Kính gửi" not in caplog.text
    assert _fresh(sms.id).status == _fresh(zalo.id).status == OutboxStatus.SENT.value


@pytest.mark.parametrize("app_config", [{"MAIL_BACKEND": "log"}])
def test_log_backend_sends_no_mail(app, smtp, outbox_log):
    caplog = outbox_log
    _queue()
    assert deliver_due()["sent"] == 1
    assert smtp[0].received == []
    assert "email to a***@example.vn: test.purpose" in caplog.text


def test_mask_recipient():
    assert mask_recipient("0912 345 678") == "***678"
    assert mask_recipient("an.nguyen@example.vn") == "a***@example.vn"
    assert mask_recipient("") == "***"


# --- The admin page ----------------------------------------------------------------------


def test_admin_outbox_page_lists_masked_and_retries_a_dead_message(app, client, make_user,
                                                                   login):
    admin = make_user(Role.SYSTEM_ADMIN)
    dead = _queue("an.nguyen@example.vn", purpose="feedback.received")
    dead.status = OutboxStatus.DEAD.value
    dead.attempts = 6
    dead.last_error = "ConnectionRefusedError: Connection refused"
    db.session.commit()
    login(client, admin)
    page = client.get("/quan-tri/hop-thu-di")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "a***@example.vn" in html and "an.nguyen@example.vn" not in html
    assert "feedback.received" in html and "ConnectionRefusedError" in html
    response = client.post(f"/quan-tri/hop-thu-di/{dead.id}/gui-lai")
    assert response.status_code == 302
    row = _fresh(dead.id)
    assert row.status == OutboxStatus.PENDING.value and row.attempts == 0
    assert db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "outbox.retry")).scalar_one().object_id == str(dead.id)
    # Only a dead message can be retried.
    assert client.post(f"/quan-tri/hop-thu-di/{dead.id}/gui-lai").status_code == 409
    assert client.post("/quan-tri/hop-thu-di/999999/gui-lai").status_code == 404


def test_admin_outbox_page_is_for_system_admins_only(app, client, make_user, make_unit, login):
    unit = make_unit()
    unit_admin = make_user(Role.UNIT_ADMIN, unit)
    message = _queue()
    login(client, unit_admin)
    assert client.get("/quan-tri/hop-thu-di").status_code == 403
    assert client.post(f"/quan-tri/hop-thu-di/{message.id}/gui-lai").status_code == 403


# --- RQ on a real Redis --------------------------------------------------------------------


@contextmanager
def _signal_handlers_restored() -> Iterator[None]:
    """RQ's worker installs its own SIGINT/SIGTERM handlers and leaves them behind: a later
    SIGTERM (a CI timeout) would then raise inside whichever test runs next instead of
    stopping the run. Put pytest's handlers back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: the RQ path needs a real "
                                          "Redis (e.g. REDIS_URL=redis://127.0.0.1:6379/15)")
def test_rq_worker_delivers_after_commit(app, smtp, database_url, tmp_path, monkeypatch):
    from rq import SimpleWorker

    import core.rq_worker
    from core.outbox import rq_queue

    handler, port = smtp
    app.config["JOBS_BACKEND"] = "rq"
    queue = rq_queue()
    queue.empty()
    message = queue_message("email", "rq@example.vn", subject=SUBJECT, body=BODY,
                            purpose="test.rq")
    assert queue.count == 0  # nothing is queued before the commit
    db.session.commit()
    assert queue.count == 1
    rolled_back = queue_message("email", "never@example.vn", subject=SUBJECT, body=BODY,
                                purpose="test.rq")
    assert rolled_back.id
    db.session.rollback()
    assert queue.count == 1
    # The worker builds its own app from the environment, as `rq worker langnghe` does.
    for name, value in {"SQLALCHEMY_DATABASE_URI": database_url,
                        "SECRET_KEY": app.config["SECRET_KEY"], "MAIL_BACKEND": "smtp",
                        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
                        "MAIL_SENDER": "pakn@langnghe.test", "CONTACT_KEYS": "[]"}.items():
        monkeypatch.setenv(f"LANGNGHE_{name}", value)
    monkeypatch.setenv("LANGNGHE_INSTANCE_PATH", str(tmp_path / "worker"))
    monkeypatch.setenv("REDIS_URL", REDIS_URL)  # this xdist worker's Redis database
    monkeypatch.setattr(core.rq_worker, "_app", None)
    worker = SimpleWorker([queue], connection=queue.connection)
    pytest_sigterm = signal.getsignal(signal.SIGTERM)
    with _signal_handlers_restored():
        assert worker.work(burst=True)
    assert signal.getsignal(signal.SIGTERM) is pytest_sigterm
    assert [r.rcpt_tos for r in handler.received] == [["rq@example.vn"]]
    assert _fresh(message.id).status == OutboxStatus.SENT.value
    worker_app = core.rq_worker._app
    with worker_app.app_context():
        db.session.remove()
        db.engine.dispose()
