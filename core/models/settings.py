"""Effective-dated parameters: the value in force on a date, globally or for a unit subtree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.extensions import db
from core.models.types import JSONType, UTCDateTime


class SettingValue(db.Model):
    __tablename__ = "setting_values"
    __table_args__ = (Index("ix_setting_values_lookup", "key", "unit_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    effective_from: Mapped[date] = mapped_column(Date)
    value: Mapped[Any] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
