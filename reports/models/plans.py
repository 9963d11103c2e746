"""The improvement plan (Phụ lục II of the seed plans): a catalogue of tasks per SIPAS element,
shipped as data and editable, and each agency's plan drafted from it for the elements under
target, then edited by an analyst and exported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models.types import UTCDateTime


class ImprovementTask(db.Model):
    """One catalogue task: what an agency can do to lift one SIPAS element (or an indicator
    such as the dossier rating). ``owner_unit_id`` NULL: shipped with the product."""

    __tablename__ = "report_improvement_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "II.A" … or "I.A" …; "dossier" / "pakn" for the non-SIPAS targets.
    element: Mapped[str] = mapped_column(String(16), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    task_vi: Mapped[str] = mapped_column(Text)
    task_en: Mapped[str | None] = mapped_column(Text)
    # Role names as the seeds write them ("Văn phòng UBND tỉnh", "Các sở, ban, ngành").
    lead_vi: Mapped[str | None] = mapped_column(String(500))
    cooperating_vi: Mapped[str | None] = mapped_column(String(1000))
    deadline_vi: Mapped[str | None] = mapped_column(String(255))
    expected_result_vi: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(255))
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class ImprovementPlan(db.Model):
    __tablename__ = "report_improvement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    title_vi: Mapped[str] = mapped_column(String(500))
    # The period whose results the plan answers, as the dashboard names it ("2026-H1").
    period_label: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    rows: Mapped[list[ImprovementPlanRow]] = relationship(
        back_populates="plan", order_by="ImprovementPlanRow.position",
        cascade="all, delete-orphan")


class ImprovementPlanRow(db.Model):
    """One line of the plan table: STT, task, lead unit, cooperating units, deadline, expected
    result, for one element (with the index and the gap it answers, as drafted)."""

    __tablename__ = "report_improvement_plan_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("report_improvement_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    element: Mapped[str] = mapped_column(String(16))
    task_vi: Mapped[str] = mapped_column(Text)
    lead_vi: Mapped[str | None] = mapped_column(String(500))
    cooperating_vi: Mapped[str | None] = mapped_column(String(1000))
    deadline_vi: Mapped[str | None] = mapped_column(String(255))
    expected_result_vi: Mapped[str | None] = mapped_column(Text)
    # The element's index and its gap to target when the row was drafted (percent points).
    index_pct: Mapped[float | None] = mapped_column()
    gap_points: Mapped[float | None] = mapped_column()

    plan: Mapped[ImprovementPlan] = relationship(back_populates="rows")
