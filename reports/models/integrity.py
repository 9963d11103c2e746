"""Integrity checks per period (issue 14 §3): the last run's figures and the flags it found.

A flag is keyed by period × subject × rule, so a recomputed period updates the evidence of a
flag it finds again and keeps its review; a flag the new run no longer finds stays stored,
marked ``active = False``. Nothing here ever changes or removes a response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.extensions import db
from core.models.types import JSONType, UTCDateTime


class IntegrityRun(db.Model):
    """The latest computation of a period: when, over how many responses, with which
    thresholds, and the answer counts of the flagged responses per unit and quality (what the
    page subtracts from the rollup to show the index without them)."""

    __tablename__ = "integrity_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16), unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    last_response_id: Mapped[int] = mapped_column(Integer, default=0)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # [[unit_id, quality, item_code, value, count], ...] of the flagged responses.
    excluded_counts: Mapped[list[list[Any]]] = mapped_column(JSONType)
    # [[unit_id, quality, responses], ...]: how many flagged responses per unit.
    excluded_responses: Mapped[list[list[Any]]] = mapped_column(JSONType)


class IntegrityFlag(db.Model):
    __tablename__ = "integrity_flags"
    __table_args__ = (UniqueConstraint("period", "subject_kind", "subject_id", "rule",
                                       name="uq_integrity_flags_subject_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # "desk" | "official"
    subject_id: Mapped[int] = mapped_column(Integer)       # unit id or user id
    # The unit whose subtree may see the flag (the desk; an official's most frequent unit).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    responses: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    response_ids: Mapped[list[int]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(Text)
