"""PAKN cases (phản ánh, kiến nghị, góp ý): one row per submission on any channel.

The sender's contact data is never stored in clear: ``contact_enc`` holds it encrypted with
core.crypto (name, address, phone, email), and ``second_factor_hash`` lets the public status
page check the last digits of the phone without keeping them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit, User
from core.models.types import JSONType, UTCDateTime

if TYPE_CHECKING:
    from feedback.models.evidence import LegalDocument


class Kind(StrEnum):
    REPORT = "report"                  # phản ánh
    RECOMMENDATION = "recommendation"  # kiến nghị
    SUGGESTION = "suggestion"          # góp ý: no identity needed, no legal deadline


class Topic(StrEnum):
    PROCEDURES = "procedures"
    STAFF_CONDUCT = "staff_conduct"
    ECONOMY = "economy"
    HEALTH = "health"
    EDUCATION = "education"
    PUBLIC_ORDER = "public_order"
    ROAD_TRAFFIC = "road_traffic"
    ELECTRICITY = "electricity"
    WATER = "water"
    SOCIAL_SECURITY = "social_security"
    ADMIN_REFORM = "admin_reform"
    OTHER = "other"


class IntakeChannel(StrEnum):
    WEB = "web"
    QR = "qr"              # the web form opened from a desk poster
    SURVEY = "survey"      # the low-rating offer at the end of a survey
    HOTLINE = "hotline"
    EMAIL = "email"
    BOX = "box"            # suggestion box slip
    LETTER = "letter"
    MEETING = "meeting"
    PORTAL = "portal"      # national or provincial public-service portal, via the API
    API = "api"
    OPEN311 = "open311"


class ReplyChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    ZALO = "zalo"
    POST = "post"
    NONE = "none"


class Classification(StrEnum):
    NOT_ACCEPTED = "not_accepted"            # (a) requirements not met
    CONDUCT = "conduct"                      # (b) conduct of an agency or official
    IN_COMPETENCE = "in_competence"          # (c) a rule within our competence
    OUTSIDE_COMPETENCE = "outside_competence"  # (d) transfer within 5 working days


class CaseState(StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    NOT_ACCEPTED = "not_accepted"
    TRANSFERRED = "transferred"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"                  # paused while waiting for the sender
    ANSWER_DRAFTED = "answer_drafted"
    APPROVED = "approved"
    ANSWERED = "answered"
    PUBLISHED = "published"
    CLOSED = "closed"
    MERGED = "merged"                    # follows its master case


class FeedbackCase(db.Model):
    __tablename__ = "feedback_cases"
    __table_args__ = (
        UniqueConstraint("agency_id", "register_year", "register_seq",
                         name="uq_feedback_cases_register"),
        Index("ix_feedback_cases_queue", "state", "due_at"),
        # The queues read (unit, state) ranges; the work lists' overdue and due-soon counts
        # also a due_at range inside each.
        Index("ix_feedback_cases_agency_state_due", "agency_id", "state", "due_at"),
        Index("ix_feedback_cases_handling_state_due", "handling_unit_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public, unguessable, with a check character (feedback.tracking); stored without dashes.
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    # A retried submission (double click, refresh, API retry) carries the same key: one case.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)

    kind: Mapped[str] = mapped_column(String(16))
    # A formal PAKN has name, address and phone (DOMAIN.md §3); otherwise it is kept as a
    # suggestion with no legal deadline.
    is_formal: Mapped[bool] = mapped_column(Boolean, default=False)
    topic: Mapped[str] = mapped_column(String(32), default=Topic.OTHER.value)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24), default=CaseState.RECEIVED.value)
    classification: Mapped[str | None] = mapped_column(String(24))
    # Set when the text looks like a complaint or denunciation (khiếu nại, tố cáo), which
    # follows other laws: the officer sees the hint and points the sender to that procedure.
    looks_like_complaint: Mapped[bool] = mapped_column(Boolean, default=False)

    title: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text)
    # Lower-case, diacritics removed (core.spreadsheets.fold): search works with or without.
    search_text: Mapped[str] = mapped_column(Text, default="")

    # The unit keeping the register (the province or commune the case was sent to).
    agency_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"),
                                           index=True)
    # The unit the sender says it is about, and the desk when it came from a QR poster.
    origin_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    handling_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"))
    # Outside our competence: the agency it was transferred to (free text: often external).
    transferred_to: Mapped[str | None] = mapped_column(String(300))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    procedure_name: Mapped[str | None] = mapped_column(String(500))
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    location_text: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    # Sender: kind of sender is not identifying; everything else is in contact_enc.
    sender_type: Mapped[str] = mapped_column(String(16), default="person")
    reply_channel: Mapped[str] = mapped_column(String(8), default=ReplyChannel.NONE.value)
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    second_factor_hash: Mapped[str | None] = mapped_column(String(64))
    last_contact_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    contact_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Register number (số vào sổ) per agency per year, given at registration.
    register_year: Mapped[int | None] = mapped_column(Integer)
    register_seq: Mapped[int | None] = mapped_column(Integer)

    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a case closed without an answer was closed (a code of feedback.reasons).
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    # Deadlines (feedback.deadlines). due_at is the one that matters in the current state,
    # kept in a column so queues sort and colour without recomputing.
    transfer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledge_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    master_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    agency: Mapped[Unit] = relationship(foreign_keys=[agency_id])
    origin_unit: Mapped[Unit | None] = relationship(foreign_keys=[origin_unit_id])
    desk: Mapped[Unit | None] = relationship(foreign_keys=[desk_id])
    handling_unit: Mapped[Unit | None] = relationship(foreign_keys=[handling_unit_id])
    master: Mapped[FeedbackCase | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def register_number(self) -> str | None:
        """Shown on letters and in the register: "<seq>/<year>"."""
        if self.register_seq is None:
            return None
        return f"{self.register_seq:05d}/{self.register_year}"


class RegisterCounter(db.Model):
    """The next register number per agency and year, taken with one conditional UPDATE so two
    officers registering at once never get the same number."""

    __tablename__ = "feedback_register_counters"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class FeedbackAttachment(db.Model):
    """A file the sender (or a handler, for the answer) attached. Stored outside the web root
    under a random name; the original name is only shown to staff."""

    __tablename__ = "feedback_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), index=True)
    # "sender", "answer" or "evidence" (the handler's proof behind the answer)
    role: Mapped[str] = mapped_column(String(8), default="sender")
    # An evidence document's own number (e.g. a minutes' or a decision's number).
    evidence_number: Mapped[str | None] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class FeedbackEvent(db.Model):
    """The case's timeline: every transition, note, reveal of contact data and message sent.
    ``public`` events are the ones the sender may see on the status page."""

    __tablename__ = "feedback_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSONType)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    actor: Mapped[User | None] = relationship()


class AnswerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    SENT = "sent"


class FeedbackAnswer(db.Model):
    """The written answer. A case has at most one answer that is not returned; a returned
    draft is kept for the record and a new one is written."""

    __tablename__ = "feedback_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AnswerStatus.DRAFT.value)
    # Official letter number (số công văn) the approver gives, printed on the reply letter.
    letter_number: Mapped[str | None] = mapped_column(String(60))
    signer_title: Mapped[str | None] = mapped_column(String(120))
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # The legal basis (feedback.evidence): a document of the list and the article cited.
    legal_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_legal_documents.id", ondelete="RESTRICT"))
    legal_article: Mapped[str | None] = mapped_column(String(60))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[FeedbackCase] = relationship()
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    legal_document: Mapped[LegalDocument | None] = relationship()


class AnswerTemplate(db.Model):
    """Reusable answer text per unit and topic ("Kính gửi ông/bà ... Về nội dung ...")."""

    __tablename__ = "feedback_answer_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    topic: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    unit: Mapped[Unit | None] = relationship()
