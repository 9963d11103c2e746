"""Read helper for the reports capability: the PAKN KPIs (analysis.pakn_kpis) of the cases an
actor may see, received in a period, counted in working days on the core calendar.

The frame comes from feedback.frames (no text, no personal data); working days are added
here because analysis/ never reads the calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from analysis.pakn_kpis import DEFAULT_MIN_COUNT, PaknKpis, case_outcomes
from analysis.pakn_kpis import pakn_kpis as compute_kpis
from core.access import Actor, Permission
from core.clock import LOCAL_TZ, now
from core.workdays import count_working_days, load_calendar
from feedback.case_access import case_scope_clause
from feedback.frames import cases_frame


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


def pakn_kpis(actor: Actor, *, period: tuple[date, date], as_of: datetime | None = None,
              perm: Permission = Permission.FEEDBACK_VIEW,
              min_count: int = DEFAULT_MIN_COUNT) -> PaknKpis:
    """KPIs of the cases ``actor`` holds ``perm`` on (their agency or handling unit in the
    actor's scope) received on the days of ``period`` (local dates, both included), as they
    stand at ``as_of`` (default: now). Handling times and backlog ages are working days."""
    start, end = period_bounds(period)
    moment = as_of or now()
    frame = cases_frame(case_scope_clause(actor, perm), received_from=start,
                        received_before=end)
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
    return compute_kpis(frame, moment, min_count=min_count)
