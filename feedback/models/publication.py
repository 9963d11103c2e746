"""Typical answers published for the public, with what the redaction removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import JSONType, UTCDateTime
from feedback.models.cases import FeedbackCase
from feedback.models.evidence import LegalDocument


class Publication(db.Model):
    """The public copy of a case: question and answer after redaction and review. The public
    pages read only this table, never the case, so nothing personal can leak from there."""

    __tablename__ = "feedback_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), unique=True)
    # Public, stable and unrelated to the tracking code (which would let anyone check status).
    slug: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # [{"field": "question", "category": "phone", "start": 10, "end": 20, "text": "…"}]
    # (the removed text is kept only until publication for the reviewer's preview).
    redactions: Mapped[list | None] = mapped_column(JSONType)
    # "draft" (prepared, awaiting the approver), "published", "withdrawn"
    status: Mapped[str] = mapped_column(String(16), default="draft")
    search_text: Mapped[str] = mapped_column(Text, default="")
    prepared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The answer's legal basis, copied when the text is prepared (documents hold no personal
    # data: they are laws and decrees).
    legal_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_legal_documents.id", ondelete="RESTRICT"))
    legal_article: Mapped[str | None] = mapped_column(String(60))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    case: Mapped[FeedbackCase] = relationship()
    unit: Mapped[Unit] = relationship()
    legal_document: Mapped[LegalDocument | None] = relationship()
