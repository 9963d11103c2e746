"""Who may see and act on a case. A case lives in two places: the agency whose register keeps
it (PAKN officers there triage it) and, once assigned, the handling unit (its handlers and
approvers answer it). A permission held on either unit's subtree applies."""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import aliased

from core.access import Actor, Permission, can, unit_scope_clause
from core.audit import record_audit_now
from core.models import Unit
from feedback.models import FeedbackCase


def case_units(case: FeedbackCase) -> list[Unit]:
    units = [case.agency]
    if case.handling_unit is not None:
        units.append(case.handling_unit)
    return units


def can_on_case(actor: Actor | None, perm: Permission, case: FeedbackCase) -> bool:
    return any(can(actor, perm, unit) for unit in case_units(case))


def require_on_case(actor: Actor | None, perm: Permission, case: FeedbackCase) -> None:
    """404 for someone who cannot see the case at all, 403 for someone who can but lacks
    ``perm``; both are logged (core.access.require)."""
    if can_on_case(actor, perm, case):
        return
    visible = can_on_case(actor, Permission.FEEDBACK_VIEW, case)
    record_audit_now("access.denied", object_type="feedback_case", object_id=case.id,
                     unit_id=case.agency_id, reason=perm.value)
    abort(403 if visible else 404)


def case_scope_clause(actor: Actor, perm: Permission = Permission.FEEDBACK_VIEW
                      ) -> ColumnElement[bool]:
    """WHERE clause for FeedbackCase rows the actor holds ``perm`` on."""
    agency = aliased(Unit)
    handling = aliased(Unit)
    in_agency = FeedbackCase.agency_id.in_(
        select(agency.id).where(unit_scope_clause(actor, perm, agency.path)))
    in_handling = FeedbackCase.handling_unit_id.in_(
        select(handling.id).where(unit_scope_clause(actor, perm, handling.path)))
    return or_(in_agency, in_handling)
