"""Routing rules (topic, origin, procedure, keywords → handling unit), the record of each
routing decision (kept as training data for the suggestion model), and deadline rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import UTCDateTime


class RoutingRule(db.Model):
    """Rules are tried in ``position`` order; the first whose every set condition matches
    names the handling unit. An empty condition matches anything."""

    __tablename__ = "feedback_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(16))
    # Matches a case whose origin unit (or desk) is this unit or lies under it.
    origin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    # Comma-separated; matched folded (no diacritics, lower case), any one is enough.
    keywords: Mapped[str | None] = mapped_column(Text)
    handling_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    origin_unit: Mapped[Unit | None] = relationship(foreign_keys=[origin_unit_id])
    handling_unit: Mapped[Unit] = relationship(foreign_keys=[handling_unit_id])


class RoutingDecision(db.Model):
    """What was suggested (by a rule or the model) and what the officer chose. Overrides are
    the model's best teachers."""

    __tablename__ = "feedback_routing_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_cases.id", ondelete="CASCADE"), index=True)
    suggested_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"))
    # "rule:<id>", "model" or None when nothing was suggested.
    suggested_by: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    chosen_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DeadlineRule(db.Model):
    """A deadline in working days for one step, narrowed by kind, topic and unit (each
    optional) and effective from a date. The most specific rule in force wins; with none, the
    core settings (pakn.transfer_days, pakn.acknowledge_days, pakn.answer_days) apply."""

    __tablename__ = "feedback_deadline_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "transfer", "acknowledge" or "answer"
    step: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    days: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    unit: Mapped[Unit | None] = relationship()
