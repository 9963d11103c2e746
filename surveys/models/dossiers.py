"""Dossiers (hồ sơ) registered from the one-stop system, and single-use rating tokens."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import UTCDateTime


class Dossier(db.Model):
    """The facts the one-stop rating rules (TT 01/2018) need, and, only when the holder
    consented to be contacted for a satisfaction survey, their phone (encrypted, like a PAKN
    sender's contact data: core.crypto). No name, no address, no ID number."""

    __tablename__ = "survey_dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code the citizen can look up (mã hồ sơ), unique across the install.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    procedure_name: Mapped[str | None] = mapped_column(String(500))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    desk_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The legal appointment date of the receipt (form 01 of TT 01/2018/TT-VPCP): timeliness is
    # always judged against it (DOMAIN.md §2.3), whatever an apology letter later promises.
    legal_appointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The new date an apology letter (form 04, Phiếu xin lỗi và hẹn lại ngày trả kết quả) set,
    # at most once, with the letter's reference and date.
    reset_appointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    apology_number: Mapped[str | None] = mapped_column(String(64))
    apology_date: Mapped[date | None] = mapped_column(Date)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplement_requests: Mapped[int] = mapped_column(SmallInteger, default=0)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    apology_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    # "api", "import" or "manual": where the facts came from.
    source: Mapped[str] = mapped_column(String(16), default="api")
    # The holder agreed to be invited to a satisfaction survey (random-sample invitations).
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"phone": …} encrypted with core.crypto; kept only with the consent.
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # "sms" or "zalo": how the holder asked to be reached.
    contact_channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    desk: Mapped[Unit | None] = relationship(foreign_keys=[desk_id])


class RatingToken(db.Model):
    """A single-use link printed as a QR on the receipt (a dossier's), or sent to a PAKN
    sender with the answer (a follow-up: ``subject`` names what is rated, core.followups).
    Only a hash of its secret is stored; redemption is one conditional UPDATE, so a second
    use can never create a second response."""

    __tablename__ = "survey_rating_tokens"
    __table_args__ = (Index("ix_survey_rating_tokens_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Exactly one of the dossier and the subject is set.
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_dossiers.id", ondelete="CASCADE"), index=True)
    # A follow-up's subject (core.followups.PAKN_CASE) and its id in the owner's tables: no
    # foreign key, as surveys knows nothing of the owner's tables.
    subject: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    # The unit a follow-up rating is counted for (a dossier's is the dossier's unit).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set in the same transaction as the redemption.
    response_id: Mapped[int | None] = mapped_column(Integer)

    dossier: Mapped[Dossier | None] = relationship()
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])


class SurveyImport(db.Model):
    """One imported survey file (or a paper batch): who, what, and the file's fingerprint, so
    importing the same file twice is detected."""

    __tablename__ = "survey_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="RESTRICT"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
