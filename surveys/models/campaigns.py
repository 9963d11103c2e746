"""Survey waves ("SIPAS 2026 – đợt 1, tháng 6"): period, questionnaire, units with quotas,
channels open."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models.types import JSONType, UTCDateTime


class Campaign(db.Model):
    __tablename__ = "survey_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    # The unit that runs the wave (its analysts see progress for its subtree).
    owner_unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="RESTRICT"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    units: Mapped[list[CampaignUnit]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan")

    def is_open_on(self, day: date) -> bool:
        return self.closed_at is None and self.starts_on <= day <= self.ends_on


class CampaignUnit(db.Model):
    __tablename__ = "survey_campaign_units"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True, index=True)
    quota: Mapped[int] = mapped_column(Integer, default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="units")
