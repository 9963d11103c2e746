"""The outbox: messages queued in the same transaction as the change that causes them, and
delivered afterwards with retries.

``queue_message`` adds a row (the recipient encrypted: a citizen's email or phone is personal
data) and flushes; the caller's commit keeps it with the change or drops it with a rollback.
``deliver_due`` (run by ``flask jobs work``) claims due rows, sends each through its channel's
adapter and records the outcome; ``deliver_message`` does the same for one row (RQ, when
JOBS_BACKEND is "rq": core.rq_worker.rq_deliver).

Claiming sets the row's next attempt a lease ahead in a short transaction (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``; SQLite: the write lock serialises), then sends outside any transaction,
so several workers never send the same message twice and no database lock is held while an
SMTP server answers. A worker that dies mid-send leaves the row to be retried once the lease
ends (at-least-once delivery).
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.clock import now
from core.crypto import decrypt_text, encrypt_text
from core.extensions import db
from core.messaging import HttpSmsAdapter, ProviderError, ZaloZnsAdapter
from core.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# Wait before the 2nd, 3rd, … attempt; the last delay repeats until OUTBOX_MAX_ATTEMPTS.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=12))
# How long a claimed message is reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=10)
RQ_QUEUE = "langnghe"
_RQ_IDS = "outbox_rq_ids"


# --- Adapters --------------------------------------------------------------------------------


def mask_recipient(recipient: str) -> str:
    """Enough to tell messages apart in logs and the admin page, never the address:
    ``***678`` for a phone, ``a***@example.vn`` for an email."""
    recipient = (recipient or "").strip()
    if "@" in recipient:
        local_part, _at, domain = recipient.rpartition("@")
        return f"{local_part[:1]}***@{domain}"
    digits = re.sub(r"\D", "", recipient)
    return f"***{digits[-3:]}" if digits else "***"


class LoggingAdapter:
    """Logs that a message would go out, with the masked recipient and its purpose only (the
    body may hold personal data). SMS uses it while SMS_API_URL is not set, Zalo while
    ZALO_ZNS_ACCESS_TOKEN is not set, email when MAIL_BACKEND is "log" (the embedded default):
    development needs no provider."""

    channel = "log"

    def __init__(self, config: Any, channel: str | None = None):
        self.config = config
        if channel:
            self.channel = channel

    def send(self, recipient: str, message: Any) -> None:
        log.info("%s to %s: %s", self.channel, mask_recipient(recipient), message.purpose)


class SmtpEmailAdapter:
    """Email over SMTP (stdlib smtplib), UTF-8 subject and body."""

    channel = "email"

    def __init__(self, config: Any):
        self.config = config

    def build(self, recipient: str, message: Any) -> EmailMessage:
        """``message`` has id, subject and body (an OutboxMessage or a claimed copy)."""
        sender = self.config["MAIL_SENDER"]
        email = EmailMessage()
        email["From"] = sender
        email["To"] = recipient
        email["Subject"] = message.subject
        email["Date"] = format_datetime(now())
        email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}",
                                         domain=sender.rpartition("@")[2] or None)
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body, charset="utf-8")
        return email

    def send(self, recipient: str, message: Any) -> None:
        config = self.config
        cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        timeout = config.get("MAIL_TIMEOUT") or 10
        with cls(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(self.build(recipient, message))


ADAPTERS: dict[str, type] = {
    "email": SmtpEmailAdapter,
    "sms": HttpSmsAdapter,
    "zalo": ZaloZnsAdapter,
}
# The setting without which a channel only logs (development).
_REQUIRED = {"sms": "SMS_API_URL", "zalo": "ZALO_ZNS_ACCESS_TOKEN"}


def adapter_for(channel: str, config: Any | None = None):
    config = config if config is not None else current_app.config
    if channel not in ADAPTERS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    configured = (config.get("OUTBOX_ADAPTERS") or {}).get(channel)
    if configured == "log" or (channel == "email" and config.get("MAIL_BACKEND") != "smtp") \
            or (channel in _REQUIRED and not config.get(_REQUIRED[channel])):
        return LoggingAdapter(config, channel)
    return ADAPTERS[channel](config)


# --- Queueing ------------------------------------------------------------------------------


def queue_message(channel: str, recipient: str, *, subject: str, body: str, purpose: str,
                  object_type: str | None = None, object_id: Any = None) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (never commits; it is
    flushed with the caller's other changes)."""
    return add_message(build_message(channel, recipient, subject=subject, body=body,
                                     purpose=purpose, object_type=object_type),
                       object_id=object_id)


def build_message(channel: str, recipient: str, *, subject: str, body: str, purpose: str,
                  object_type: str | None = None) -> OutboxMessage:
    """A message ready to queue, its recipient encrypted, not yet in the session: what can be
    done before a transaction that must stay short (an intake on SQLite: feedback.intake)."""
    if channel not in ADAPTERS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    recipient = (recipient or "").strip()
    if not recipient:
        raise ValueError("a message needs a recipient")
    return OutboxMessage(
        channel=channel, recipient_enc=encrypt_text(recipient), subject=subject[:300],
        body=body, purpose=purpose[:64], object_type=object_type,
        status=OutboxStatus.PENDING.value, attempts=0)


def add_message(message: OutboxMessage, *, object_id: Any = None) -> OutboxMessage:
    """Queue a built message in the caller's transaction, due now."""
    message.object_id = None if object_id is None else str(object_id)[:40]
    message.next_attempt_at = now()
    db.session.add(message)
    if rq_enabled():
        db.session.flush()  # RQ is handed the id after the commit
        db.session.info.setdefault(_RQ_IDS, []).append(message.id)
    return message


def rq_enabled(config: Any | None = None) -> bool:
    if config is None:
        if not has_app_context():
            return False
        config = current_app.config
    return config.get("JOBS_BACKEND") == "rq" and bool(config.get("REDIS_URL"))


def rq_queue(config: Any | None = None):
    from redis import Redis
    from rq import Queue

    config = config if config is not None else current_app.config
    return Queue(RQ_QUEUE, connection=Redis.from_url(config["REDIS_URL"]))


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    """Hand the committed messages to RQ; only now can a worker see their rows."""
    ids = session.info.pop(_RQ_IDS, None)
    if not ids or not has_app_context():
        return
    try:
        queue = rq_queue()
        for message_id in ids:
            queue.enqueue("core.rq_worker.rq_deliver", message_id)
    except Exception:  # Redis down: `flask jobs work` still delivers them from the table
        log.exception("could not queue %d outbox message(s) on Redis", len(ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_RQ_IDS, None)


# --- Delivery ----------------------------------------------------------------------------------


@dataclass
class _Claimed:
    """A claimed message as plain values: the adapters read these while no transaction (and
    so no SQLite lock) is open."""

    id: int
    channel: str
    recipient: str | None
    subject: str
    body: str
    purpose: str
    attempts: int


def _due_query(at: datetime):
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING.value,
                   OutboxMessage.next_attempt_at <= at)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


def _claim(stmt) -> list[_Claimed]:
    """Reserve the rows ``stmt`` selects and commit, so no other worker takes them."""
    moment = now()
    claimed = []
    for message in db.session.execute(stmt).scalars().all():
        message.next_attempt_at = moment + CLAIM_LEASE
        try:
            recipient = decrypt_text(message.recipient_enc) if message.recipient_enc else None
        except Exception:  # a key dropped too early: nothing to send to
            recipient = None
        claimed.append(_Claimed(message.id, message.channel, recipient, message.subject,
                                message.body, message.purpose, message.attempts))
    db.session.commit()
    return claimed


def _describe_error(error: BaseException) -> str:
    """What went wrong, without the address or any other personal data."""
    name = type(error).__name__
    if isinstance(error, ProviderError):
        text = f"{name}: {error}"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _msg in error.recipients.values()})
        text = f"{name}: recipient refused ({', '.join(map(str, codes))})"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{name}: SMTP {error.smtp_code}"
    elif isinstance(error, OSError):
        text = f"{name}: {error.strerror or 'network error'}"
    else:
        text = name
    return re.sub(r"\S+@\S+", "***", text)[:500]


def _deliver(item: _Claimed) -> str:
    """Send one claimed message and record the outcome in its own short transaction."""
    error: BaseException | None = None
    provider_id = None
    if item.recipient is None:
        error = LookupError("recipient unavailable")
    else:
        try:
            provider_id = adapter_for(item.channel).send(item.recipient, item)
        except Exception as exc:  # every failure is retried, then the message is dead
            error = exc
    message = db.session.get(OutboxMessage, item.id, with_for_update=True)
    if message is None:
        db.session.commit()
        return "failed"
    message.attempts = item.attempts + 1
    if error is None:
        message.status = OutboxStatus.SENT.value
        message.sent_at = now()
        message.last_error = None
        message.provider_message_id = provider_id if isinstance(provider_id, str) else None
        outcome = "sent"
    else:
        message.last_error = _describe_error(error)
        limit = int(current_app.config.get("OUTBOX_MAX_ATTEMPTS") or 6)
        if message.attempts >= limit or isinstance(error, LookupError):
            message.status = OutboxStatus.DEAD.value
            outcome = "dead"
        else:
            delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
            message.next_attempt_at = now() + delay
            outcome = "retry"
        log.warning("outbox message %s (%s, %s) failed: %s → %s", message.id, message.channel,
                    message.purpose, message.last_error, outcome)
    db.session.commit()
    return outcome


def deliver_due(limit: int = 50) -> dict[str, int]:
    """Deliver up to ``limit`` due messages. Commits (a worker's function, not a service).
    Returns counts: sent, retry (scheduled again), dead."""
    counts = {"sent": 0, "retry": 0, "dead": 0, "failed": 0}
    db.session.rollback()  # start from a fresh transaction: the claim must see committed rows
    for item in _claim(_due_query(now()).limit(limit)):
        counts[_deliver(item)] += 1
    return counts


def deliver_message(message_id: int) -> str:
    """Deliver one message if it is still pending and due (RQ); returns the outcome, or
    "skipped" when another worker has it or it was sent already."""
    db.session.rollback()
    claimed = _claim(_due_query(now()).where(OutboxMessage.id == message_id))
    if not claimed:
        return "skipped"
    return _deliver(claimed[0])


def retry_message(message: OutboxMessage) -> None:
    """An admin sends a dead message again: a fresh set of attempts from now. Flushes."""
    before = {"status": message.status, "attempts": message.attempts}
    message.status = OutboxStatus.PENDING.value
    message.attempts = 0
    message.next_attempt_at = now()
    db.session.flush()
    record_audit("outbox.retry", object_type="outbox_message", object_id=message.id,
                 before=before, after={"status": message.status})
    if rq_enabled():
        db.session.info.setdefault(_RQ_IDS, []).append(message.id)


def outbox_counts() -> dict[str, int]:
    from sqlalchemy import func

    rows = db.session.execute(select(OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status: n for status, n in rows})
    return counts
