"""Read helper for the reports capability: the PAKN KPIs (analysis.pakn_kpis) of the cases an
actor may see, received in a period, counted in working days on the core calendar.

The frame comes from feedback.frames (no text, no personal data); working days are added
here because analysis/ never reads the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased

from analysis.pakn_kpis import DEFAULT_MIN_COUNT, OPEN_STATES, PaknKpis, case_outcomes
from analysis.pakn_kpis import pakn_kpis as compute_kpis
from core.access import Actor, Permission
from core.clock import LOCAL_TZ, now
from core.extensions import db
from core.models import Unit
from core.workdays import count_working_days, load_calendar
from feedback.case_access import case_scope_clause
from feedback.frames import cases_frame, followups_frame
from feedback.models import FeedbackCase


def period_bounds(period: tuple[date, date]) -> tuple[datetime, datetime]:
    """(first, last) local days, both included → [start, end) as aware datetimes."""
    try:
        first, last = period
    except (TypeError, ValueError):
        raise ValueError(f"period must be a pair of dates, got {period!r}") from None
    for day in (first, last):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"period must be a pair of dates, got {period!r}")
    if last < first:
        raise ValueError(f"period ends before it starts: {period!r}")
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    return start, end


def within_unit_clause(unit: Unit) -> ColumnElement[bool]:
    """Cases registered by ``unit``'s subtree or handled in it."""
    agency, handling = aliased(Unit), aliased(Unit)
    inside = unit.path + "%"
    return or_(
        FeedbackCase.agency_id.in_(select(agency.id).where(agency.path.like(inside))),
        FeedbackCase.handling_unit_id.in_(select(handling.id).where(handling.path.like(inside))))


def pakn_kpis(actor: Actor, *, period: tuple[date, date], as_of: datetime | None = None,
              perm: Permission = Permission.FEEDBACK_VIEW,
              min_count: int = DEFAULT_MIN_COUNT, within: Unit | None = None) -> PaknKpis:
    """KPIs of the cases ``actor`` holds ``perm`` on (their agency or handling unit in the
    actor's scope, and in ``within``'s subtree when given) received on the days of ``period``
    (local dates, both included), as they stand at ``as_of`` (default: now). Handling times and
    backlog ages are working days; ``followups`` holds the senders' satisfaction and reopen
    rates per handling unit (from the rating links sent with their answers)."""
    start, end = period_bounds(period)
    moment = as_of or now()
    clauses = [case_scope_clause(actor, perm)]
    if within is not None:
        clauses.append(within_unit_clause(within))
    frame = cases_frame(*clauses, received_from=start, received_before=end)
    calendar = load_calendar()
    outcomes = case_outcomes(frame, moment)

    def count(first: pd.Timestamp, last: pd.Timestamp) -> float:
        if pd.isna(first) or pd.isna(last):
            return np.nan
        return float(count_working_days(first.to_pydatetime(), last.to_pydatetime(),
                                        calendar=calendar))

    received = frame["received_at"]
    frame["handling_working_days"] = np.array(
        [count(r, h) for r, h in zip(received, outcomes["handled_at"], strict=True)],
        dtype="float64")
    stamp = pd.Timestamp(moment)
    frame["age_working_days"] = np.array(
        [count(r, stamp) if is_open else np.nan
         for r, is_open in zip(received, outcomes["is_open"], strict=True)], dtype="float64")
    followups = followups_frame(*clauses, received_from=start, received_before=end)
    return compute_kpis(frame, moment, min_count=min_count, followups=followups)


@dataclass(frozen=True)
class LateCase:
    """An open case past its due moment: no sender data and no tracking code (the code opens
    the citizen's status page), only what a dashboard needs."""

    case_id: int
    register_year: int | None
    register_seq: int | None
    topic: str
    kind: str
    handling_unit_id: int | None
    due_at: datetime
    working_days_late: int


def late_cases(actor: Actor, *, within: Unit | None = None,
               perm: Permission = Permission.FEEDBACK_VIEW, as_of: datetime | None = None,
               limit: int = 50) -> tuple[list[LateCase], int]:
    """Open cases whose due moment has passed, most overdue first (at most ``limit``), and
    how many there are in all."""
    moment = as_of or now()
    # A case paused while waiting for the sender is not late (its clock is stopped).
    clauses = [case_scope_clause(actor, perm),
               FeedbackCase.state.in_(sorted(OPEN_STATES - {"waiting"})),
               FeedbackCase.due_at.is_not(None), FeedbackCase.due_at < moment]
    if within is not None:
        clauses.append(within_unit_clause(within))
    total = int(db.session.scalar(select(func.count(FeedbackCase.id)).where(*clauses)) or 0)
    rows = db.session.execute(
        select(FeedbackCase.id, FeedbackCase.register_year, FeedbackCase.register_seq,
               FeedbackCase.topic, FeedbackCase.kind, FeedbackCase.handling_unit_id,
               FeedbackCase.due_at)
        .where(*clauses).order_by(FeedbackCase.due_at, FeedbackCase.id).limit(limit)).all()
    calendar = load_calendar()
    return [LateCase(*row, working_days_late=count_working_days(row.due_at, moment,
                                                                calendar=calendar))
            for row in rows], total
