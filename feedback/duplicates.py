"""Near-duplicates of a case among the agency's open cases, offered for merging on the case
page (repeated or many-party PAKN are merged and answered once, DOMAIN.md §3)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from analysis.text_similarity import near_duplicates
from core.clock import now
from core.extensions import db
from feedback.models import CaseState, FeedbackCase
from feedback.routing_model import case_text
from feedback.workflow import OPEN_STATES

RECENT_DAYS = 90
MAX_CANDIDATES = 2000


def similar_open_cases(case: FeedbackCase, limit: int = 5, threshold: float = 0.5
                       ) -> list[tuple[FeedbackCase, float]]:
    """Open cases (not merged) of the same agency received in the last 90 days whose text is
    at least ``threshold`` similar (cosine of character n-gram TF-IDF), most similar first."""
    since = now() - timedelta(days=RECENT_DAYS)
    candidates = list(db.session.execute(
        select(FeedbackCase).where(
            FeedbackCase.agency_id == case.agency_id, FeedbackCase.id != case.id,
            FeedbackCase.state.in_([s.value for s in OPEN_STATES
                                    if s != CaseState.MERGED]),
            FeedbackCase.received_at >= since)
        .order_by(FeedbackCase.id.desc()).limit(MAX_CANDIDATES)).scalars())
    if not candidates:
        return []
    hits = near_duplicates([case_text(c.title, c.content) for c in candidates],
                           case_text(case.title, case.content), threshold)
    return [(candidates[i], round(score, 4)) for i, score in hits[:limit]]
