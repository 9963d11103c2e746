"""PAKN metrics (served by core.metrics at /metrics): cases received, by channel (counted when
their transaction commits), and the open cases past their deadline, read from the database at
each scrape (the same rule as the late-cases list: a case waiting for its sender is paused)."""

from __future__ import annotations

from sqlalchemy import event, func, select

from analysis.pakn_kpis import OPEN_STATES
from core.clock import now
from core.extensions import db
from core.metrics import count_on_commit, counter
from feedback.models import FeedbackCase

PAKN_SUBMISSIONS = counter("langnghe_pakn_submissions", "PAKN cases received, by channel",
                           ("channel",))
_LATE_STATES = sorted(OPEN_STATES - {"waiting"})


@event.listens_for(FeedbackCase, "after_insert")
def _count_case(_mapper, _connection, case: FeedbackCase) -> None:
    count_on_commit(case, PAKN_SUBMISSIONS, channel=case.channel)


def overdue_cases() -> int:
    """Open cases whose current deadline has passed, service-wide."""
    return int(db.session.scalar(select(func.count(FeedbackCase.id)).where(
        FeedbackCase.state.in_(_LATE_STATES), FeedbackCase.due_at.is_not(None),
        FeedbackCase.due_at < now())) or 0)


