"""Evidence behind answers and moderation decisions (issue 14, sections 2 and 5).

``LegalDocument`` is the growing list of legal documents an answer may cite as its legal basis
(one row per document number: officers add the one they need when it is missing).
``NonPublication`` records an officer's decision not to publish a case, with a reason from the
fixed list in ``feedback.reasons``: the public moderation log counts these, never their text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import User
from core.models.types import UTCDateTime
from feedback.models.cases import FeedbackCase


class LegalDocument(db.Model):
    __tablename__ = "feedback_legal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A code of feedback.reasons.DOCUMENT_KINDS ("decree", "circular", ...).
    kind: Mapped[str] = mapped_column(String(16))
    # As officially written, e.g. "61/2018/NĐ-CP".
    number: Mapped[str] = mapped_column(String(60))
    # The number upper-cased without spaces: two spellings of one number are one document.
    number_key: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    issued_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class NonPublication(db.Model):
    """The decision not to publish a case's answer (at most one per case; deciding again
    changes the reason, publishing removes it)."""

    __tablename__ = "feedback_non_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), unique=True)
    # A code of feedback.reasons.NON_PUBLICATION_REASONS.
    reason: Mapped[str] = mapped_column(String(24))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    case: Mapped[FeedbackCase] = relationship()
    decided_by: Mapped[User | None] = relationship()
