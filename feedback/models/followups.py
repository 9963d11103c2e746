"""The rating link sent with an answer (core.followups): one row per answer sent to a formal
PAKN's sender, with what the sender said about it.

The row keeps only what reopening and the KPIs need: the window, whether the sender said the
problem is solved, and how many of the three II.E items they rated 4–5 out of those rated (the
per-unit satisfaction rate). The anonymous survey response is stored apart (surveys), with no
link back to this row or the case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import UTCDateTime
from feedback.models.cases import FeedbackCase


class FeedbackFollowup(db.Model):
    __tablename__ = "feedback_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_answers.id", ondelete="SET NULL"))
    # The unit that answered: the satisfaction and reopen rates are its figures.
    handling_unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # "Chưa" up to this moment reopens the case (setting pakn.reopen_window_days).
    reopen_until: Mapped[datetime] = mapped_column(UTCDateTime)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfied_answers: Mapped[int | None] = mapped_column(SmallInteger)
    rated_answers: Mapped[int | None] = mapped_column(SmallInteger)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[FeedbackCase] = relationship()
    handling_unit: Mapped[Unit] = relationship()
