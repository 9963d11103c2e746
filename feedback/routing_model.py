"""The routing suggestion model: character n-gram TF-IDF over an agency's routed cases, asked
for the nearest neighbours of a new case (analysis.text_similarity).

Training data are the agency's cases that have a handling unit (the label is the unit that
handles it now, so a reassignment corrects the label); a case whose routing overrode a
suggestion counts twice: overrides are what the model got wrong. Only the latest
``MAX_TRAINING`` cases are used. The fitted model is kept in process memory per app and
agency, keyed by a fingerprint of the training set (latest case id, count, latest assignment,
latest routing decision), so it changes only after cases are routed. A change is applied
incrementally (labels and weights re-read, rows of cases no longer routed dropped, newly
routed cases transformed with the fitted vocabulary and idf); the model is fitted afresh only
when the new rows exceed ``REFIT_SHARE`` of those it was fitted on, so an officer routing
cases one by one never waits for a full refit of thousands of texts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from flask import current_app
from sqlalchemy import func, select

from analysis.text_similarity import (
    LabelSuggestion,
    TfidfModel,
    fit_transform,
    suggest_labels,
    transform,
)
from core.extensions import db
from feedback.frames import cases_frame
from feedback.models import FeedbackCase, RoutingDecision

MAX_TRAINING = 5000
NEIGHBOURS = 7
OVERRIDE_WEIGHT = 2.0
REFIT_SHARE = 0.2
REFIT_MIN_ROWS = 50
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RoutingModel:
    key: tuple
    model: TfidfModel
    matrix: sp.csr_matrix
    labels: list[int]        # handling unit id per row
    case_ids: list[int]
    weights: np.ndarray
    # Rows the vocabulary and idf were fitted on.
    fitted_rows: int = 0

    def suggest(self, text: str, *, exclude_case_id: int | None = None,
                k: int = NEIGHBOURS) -> list[LabelSuggestion]:
        exclude = [self.case_ids.index(exclude_case_id)] if (
            exclude_case_id is not None and exclude_case_id in self.case_ids) else []
        return suggest_labels(self.model, self.matrix, self.labels, text, k=k,
                              weights=self.weights, exclude=exclude)


def case_text(title: str | None, content: str | None) -> str:
    """What the model reads: the title (when it is not just the start of the content) and
    the content."""
    title = (title or "").strip().rstrip("…")
    content = content or ""
    if not title or content.startswith(title):
        return content
    return f"{title}\n{content}"


def _routed(agency_id: int):
    return (FeedbackCase.agency_id == agency_id, FeedbackCase.handling_unit_id.is_not(None))


def training_key(agency_id: int) -> tuple:
    max_id, count, last_assigned = db.session.execute(
        select(func.max(FeedbackCase.id), func.count(FeedbackCase.id),
               func.max(FeedbackCase.assigned_at)).where(*_routed(agency_id))).one()
    last_decision = db.session.execute(
        select(func.max(RoutingDecision.id)).join(
            FeedbackCase, FeedbackCase.id == RoutingDecision.case_id)
        .where(FeedbackCase.agency_id == agency_id)).scalar()
    return (agency_id, max_id, count, str(last_assigned), last_decision)


def _first_training_id(agency_id: int, count: int) -> int | None:
    if count <= MAX_TRAINING:
        return None
    return db.session.execute(
        select(FeedbackCase.id).where(*_routed(agency_id)).order_by(FeedbackCase.id.desc())
        .offset(MAX_TRAINING - 1).limit(1)).scalar()


def _training_where(agency_id: int, count: int) -> list:
    where = list(_routed(agency_id))
    first = _first_training_id(agency_id, count)
    if first is not None:
        where.append(FeedbackCase.id >= first)
    return where


def _overridden(where: list) -> set[int]:
    return set(db.session.execute(
        select(RoutingDecision.case_id).join(
            FeedbackCase, FeedbackCase.id == RoutingDecision.case_id)
        .where(*where, RoutingDecision.overridden.is_(True))).scalars())


def _weights(case_ids: list[int], overridden: set[int]) -> np.ndarray:
    return np.array([OVERRIDE_WEIGHT if i in overridden else 1.0 for i in case_ids])


def fit_routing_model(agency_id: int, key: tuple | None = None) -> RoutingModel | None:
    """Fit the model on the agency's latest routed cases; None when there are none."""
    key = key or training_key(agency_id)
    if not key[2]:
        return None
    where = _training_where(agency_id, key[2])
    frame = cases_frame(*where, with_text=True)
    if frame.empty:
        return None
    texts = [case_text(t, c) for t, c in zip(frame["title"], frame["content"], strict=True)]
    model, matrix = fit_transform(texts)
    case_ids = [int(i) for i in frame["case_id"]]
    return RoutingModel(key=key, model=model, matrix=matrix,
                        labels=[int(u) for u in frame["handling_unit_id"]],
                        case_ids=case_ids, weights=_weights(case_ids, _overridden(where)),
                        fitted_rows=len(case_ids))


def update_routing_model(fitted: RoutingModel, agency_id: int, key: tuple
                         ) -> RoutingModel | None:
    """``fitted`` brought up to date without refitting, or None when too much is new (or
    nothing is left) and a full fit is due."""
    if not key[2]:
        return None
    where = _training_where(agency_id, key[2])
    current = dict(db.session.execute(
        select(FeedbackCase.id, FeedbackCase.handling_unit_id).where(*where)
        .order_by(FeedbackCase.id)).all())
    row_of = {case_id: i for i, case_id in enumerate(fitted.case_ids)}
    new_ids = [case_id for case_id in current if case_id not in row_of]
    if len(new_ids) > max(REFIT_MIN_ROWS, REFIT_SHARE * fitted.fitted_rows):
        return None
    kept = [case_id for case_id in current if case_id in row_of]
    if not kept:
        return None
    parts = [fitted.matrix[[row_of[case_id] for case_id in kept]]]
    if new_ids:
        texts = dict((i, case_text(t, c)) for i, t, c in db.session.execute(
            select(FeedbackCase.id, FeedbackCase.title, FeedbackCase.content)
            .where(FeedbackCase.id.in_(new_ids))))
        parts.append(transform(fitted.model, [texts[i] for i in new_ids]))
    case_ids = kept + new_ids
    return RoutingModel(key=key, model=fitted.model, matrix=sp.csr_matrix(sp.vstack(parts)),
                        labels=[int(current[i]) for i in case_ids], case_ids=case_ids,
                        weights=_weights(case_ids, _overridden(where)),
                        fitted_rows=fitted.fitted_rows)


def routing_model(agency_id: int) -> RoutingModel | None:
    """The agency's fitted model, from this app's cache while the training set is unchanged."""
    cache: dict[int, RoutingModel | None] = current_app.extensions.setdefault(
        "feedback_routing_models", {})
    key = training_key(agency_id)
    cached = cache.get(agency_id)
    if cached is not None and cached.key == key:
        return cached
    with _LOCK:
        cached = cache.get(agency_id)
        if cached is not None and cached.key == key:
            return cached
        fitted = update_routing_model(cached, agency_id, key) if cached is not None else None
        if fitted is None:
            fitted = fit_routing_model(agency_id, key)
        if fitted is None:
            cache.pop(agency_id, None)
        else:
            cache[agency_id] = fitted
        return fitted
