"""Random-sample invitations: a recorded, reproducible stratified draw of dossiers whose
holders consented to be contacted, and the single-use invitation sent to each one drawn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import JSONType, UTCDateTime
from surveys.models.dossiers import Dossier, RatingToken


class SampleDraw(db.Model):
    """One draw: everything needed to repeat it and to defend it (seed, frame, allocation)."""

    __tablename__ = "survey_sample_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # A period label of analysis.periods ("2026-Q2", "2026-06", "2026-H1", "2026").
    period: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)
    requested_size: Mapped[int] = mapped_column(Integer)
    frame_size: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the frame's sorted dossier ids: a repeat of the draw checks it sees the
    # same frame before it claims to reproduce the sample.
    frame_digest: Mapped[str] = mapped_column(String(64))
    # [{"procedure": …, "channel": …, "frame": N_h, "sample": n_h}, …] in stratum order.
    strata: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()


class SampleInvitation(db.Model):
    """A dossier drawn into a sample, and (once sent) its single-use rating token and the
    outbox message that carried the link. Whether the holder answered is the token's
    ``used_at``/``response_id``; whether the message went out is the outbox row's status."""

    __tablename__ = "survey_sample_invitations"
    __table_args__ = (UniqueConstraint("draw_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(
        ForeignKey("survey_sample_draws.id", ondelete="CASCADE"), index=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("survey_dossiers.id", ondelete="RESTRICT"), index=True)
    procedure: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # the dossier's: "online" / "in_person"
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_rating_tokens.id", ondelete="SET NULL"), index=True)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    sent_via: Mapped[str | None] = mapped_column(String(16))  # "sms" / "zalo"
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    draw: Mapped[SampleDraw] = relationship()
    dossier: Mapped[Dossier] = relationship()
    token: Mapped[RatingToken | None] = relationship()
