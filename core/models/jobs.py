"""Periodic job runs shared by every job runner: one row per job, claimed once per period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.types import UTCDateTime


class JobRun(db.Model):
    """When a periodic job was last claimed and how it ended. A runner claims the row with one
    conditional UPDATE (``core.jobs.claim_job``), so with several runners on one database each
    job starts once per period."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which runner (host:pid) holds the current period: for the operator reading the table.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
