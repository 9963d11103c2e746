"""The routing panel's data: suggested handling units and similar open cases
(feedback.routing / feedback.duplicates), the units a case may go to, and the record of the
officer's choice."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.models import Unit, UnitKind
from feedback import duplicates, routing
from feedback.models import CaseState, FeedbackCase


def _suggestions(case: FeedbackCase) -> list[Any]:
    if CaseState(case.state) not in (CaseState.RECEIVED, CaseState.REGISTERED):
        return []
    return list(routing.suggest_handling_units(case) or [])


def _similar(case: FeedbackCase) -> list[tuple[FeedbackCase, float]]:
    if case.state == CaseState.MERGED.value:
        return []
    return list(duplicates.similar_open_cases(case, limit=5) or [])


def _record_routing(case: FeedbackCase, unit: Unit, suggestions: list[Any]) -> None:
    routing.record_routing_decision(case, unit, current_user, suggestions)


def handling_units(case: FeedbackCase) -> list[Unit]:
    """Active units in the agency's subtree that can handle a case (not desks)."""
    agency = case.agency
    return list(db.session.execute(
        select(Unit).where(Unit.path.like(agency.path + "%"), Unit.active.is_(True),
                           Unit.kind != UnitKind.DESK.value)
        .order_by(Unit.path)).scalars())
