"""The outbox: messages written in the same transaction as the change that causes them, and
delivered afterwards by a worker (``flask jobs work``, or RQ on Redis) with retries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.extensions import db
from core.models.types import UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"      # waiting for its first or next attempt
    SENT = "sent"
    DEAD = "dead"            # gave up after the last retry; shown to admins


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "email", "sms" or "zalo": the adapter that delivers it.
    channel: Mapped[str] = mapped_column(String(16))
    # The address, encrypted with core.crypto: a citizen's email or phone is personal data.
    recipient_enc: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # What caused it, for the admin view and tests: e.g. "feedback.received", and the object.
    purpose: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The id the SMS or Zalo provider gave the sent message (for its delivery reports).
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
