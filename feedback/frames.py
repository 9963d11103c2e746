"""The one bridge from PAKN tables to pandas. ``analysis/`` receives these frames (KPIs,
routing suggestions, near-duplicates) and never touches the database.

``cases_frame`` has one row per case with the facts KPIs and routing need; ``content`` and
the folded search text are included only when asked (routing), never personal data.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import ColumnElement, select

from core.extensions import db
from feedback.models import FeedbackCase, FeedbackFollowup

CASE_COLUMNS = ["case_id", "kind", "is_formal", "topic", "channel", "state",
                "classification", "agency_id", "origin_unit_id", "desk_id",
                "handling_unit_id", "procedure_code", "dossier_code", "master_id",
                "received_at",
                "assigned_at", "answered_at", "closed_at", "transfer_due_at",
                "acknowledge_due_at", "acknowledged_at", "answer_due_at", "due_at", "extended"]
TEXT_COLUMNS = ["title", "content", "search_text"]
_INT = ["origin_unit_id", "desk_id", "handling_unit_id", "master_id"]
_TIME = ["received_at", "assigned_at", "answered_at", "closed_at", "transfer_due_at",
         "acknowledge_due_at", "acknowledged_at", "answer_due_at", "due_at"]


def cases_frame(*where: ColumnElement[bool], with_text: bool = False,
                received_from: datetime | None = None,
                received_before: datetime | None = None) -> pd.DataFrame:
    """Cases matching ``where`` (e.g. a scope clause from feedback.case_access), times in UTC."""
    columns = [FeedbackCase.id.label("case_id")] + [
        getattr(FeedbackCase, name) for name in CASE_COLUMNS[1:]]
    if with_text:
        columns += [getattr(FeedbackCase, name) for name in TEXT_COLUMNS]
    query = select(*columns).where(*where)
    if received_from is not None:
        query = query.where(FeedbackCase.received_at >= received_from)
    if received_before is not None:
        query = query.where(FeedbackCase.received_at < received_before)
    rows = db.session.execute(query.order_by(FeedbackCase.id)).all()
    names = CASE_COLUMNS + (TEXT_COLUMNS if with_text else [])
    frame = pd.DataFrame.from_records(rows, columns=names)
    for name in _INT:
        frame[name] = frame[name].astype("Int64")
    for name in _TIME:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    frame["case_id"] = frame["case_id"].astype("int64")
    frame["agency_id"] = frame["agency_id"].astype("int64")
    frame["is_formal"] = frame["is_formal"].astype(bool)
    frame["extended"] = frame["extended"].astype(bool)
    return frame


def followups_frame(*where: ColumnElement[bool], received_from: datetime | None = None,
                    received_before: datetime | None = None) -> pd.DataFrame:
    """One row per answer sent with a rating link (feedback.followups) to the cases matching
    ``where``, shaped as ``analysis.pakn_followups.followup_rates`` takes it: no text, no
    sender data, not even the case."""
    query = select(FeedbackFollowup.handling_unit_id, FeedbackFollowup.rated_at,
                   FeedbackFollowup.resolved, FeedbackFollowup.satisfied_answers,
                   FeedbackFollowup.rated_answers, FeedbackFollowup.reopened_at) \
        .join(FeedbackCase, FeedbackCase.id == FeedbackFollowup.case_id).where(*where)
    if received_from is not None:
        query = query.where(FeedbackCase.received_at >= received_from)
    if received_before is not None:
        query = query.where(FeedbackCase.received_at < received_before)
    rows = db.session.execute(query.order_by(FeedbackFollowup.id)).all()
    return pd.DataFrame({
        "handling_unit_id": pd.array([r.handling_unit_id for r in rows], dtype="Int64"),
        "rated": [r.rated_at is not None for r in rows],
        "resolved": pd.array([r.resolved for r in rows], dtype="boolean"),
        "satisfied_answers": [r.satisfied_answers or 0 for r in rows],
        "rated_answers": [r.rated_answers or 0 for r in rows],
        "reopened": [r.reopened_at is not None for r in rows]})
