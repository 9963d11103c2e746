"""Near-duplicates of a case among the agency's open cases, offered for merging on the case
page (repeated or many-party PAKN are merged and answered once, DOMAIN.md §3).

The TF-IDF index of an agency's open cases is fitted once and kept per app while those cases
do not change (a fingerprint: how many, the newest id, the latest update, the day), so a case
page does not refit up to 2,000 texts on every view. An open case is scored with its own row
of the index, exactly as if it had been fitted with the others; any other case (closed,
merged) is projected onto the index's vocabulary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta

import scipy.sparse as sp
from flask import current_app
from sqlalchemy import func, select

from analysis.text_similarity import TfidfModel, fit_transform, rank_similar, transform
from core.clock import local, now
from core.extensions import db
from feedback.models import CaseState, FeedbackCase
from feedback.routing_model import case_text
from feedback.workflow import OPEN_STATES

RECENT_DAYS = 90
MAX_CANDIDATES = 2000
_CACHE_KEY = "langnghe_duplicate_index"
_LOCK = threading.Lock()
_CANDIDATE_STATES = [s.value for s in OPEN_STATES if s != CaseState.MERGED]


@dataclass(frozen=True)
class _Index:
    fingerprint: tuple
    ids: list[int]
    model: TfidfModel
    rows: sp.csr_matrix


def _candidate_filter(agency_id: int, since):
    return (FeedbackCase.agency_id == agency_id,
            FeedbackCase.state.in_(_CANDIDATE_STATES),
            FeedbackCase.received_at >= since)


def _index_for(agency_id: int, day: date) -> _Index | None:
    since = now() - timedelta(days=RECENT_DAYS)
    where = _candidate_filter(agency_id, since)
    count, newest, updated = db.session.execute(
        select(func.count(FeedbackCase.id), func.max(FeedbackCase.id),
               func.max(FeedbackCase.updated_at)).where(*where)).one()
    if not count:
        return None
    fingerprint = (agency_id, count, newest, updated, day)
    cache = current_app.extensions.setdefault(_CACHE_KEY, {})
    cached = cache.get(agency_id)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    rows = db.session.execute(
        select(FeedbackCase.id, FeedbackCase.title, FeedbackCase.content).where(*where)
        .order_by(FeedbackCase.id.desc()).limit(MAX_CANDIDATES)).all()
    model, matrix = fit_transform([case_text(title, content) for _id, title, content in rows])
    index = _Index(fingerprint, [row[0] for row in rows], model, matrix)
    with _LOCK:
        cache[agency_id] = index
    return index


def similar_open_cases(case: FeedbackCase, limit: int = 5, threshold: float = 0.5
                       ) -> list[tuple[FeedbackCase, float]]:
    """Open cases (not merged) of the same agency received in the last 90 days whose text is
    at least ``threshold`` similar (cosine of character n-gram TF-IDF), most similar first."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must lie between 0 and 1")
    text = case_text(case.title, case.content)
    if not text.strip():
        return []
    index = _index_for(case.agency_id, local(now()).date())
    if index is None:
        return []
    position = {case_id: i for i, case_id in enumerate(index.ids)}
    own = position.get(case.id)
    query = index.rows[own] if own is not None else transform(index.model, [text])
    found = []
    # A case is not a duplicate of itself.
    for row, score in rank_similar(index.rows, query, threshold, exclude=own)[:limit]:
        other = db.session.get(FeedbackCase, index.ids[row])
        if other is not None:
            found.append((other, round(score, 4)))
    return found
