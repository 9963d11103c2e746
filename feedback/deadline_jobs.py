"""Deadline jobs: remind handling units before a case is due, escalate overdue cases to
leaders. Both run hourly (core.jobs) and from the CLI (``flask feedback remind``,
``flask feedback escalate-late``); both are idempotent.

A reminder belongs to a due date: a case is reminded again only if its due date moved
beyond the reminder window (an extension, a pause) after the last reminder. Likewise an
escalation belongs to a due date: a case escalated and then extended is escalated again if
it becomes overdue once more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core.audit import record_audit
from core.clock import now
from core.extensions import db
from core.models import Role, RoleGrant, Unit, User
from core.outbox import queue_message
from core.templating import format_date
from core.workdays import count_working_days
from feedback.models import FeedbackCase
from feedback.notifications import render_message
from feedback.tracking import format_tracking_code
from feedback.workflow import HANDLING_STATES, OPEN_STATES, add_event, state_label

# Holidays (Tết) can put many calendar days between two working days.
_CALENDAR_SLACK = timedelta(days=14)


@dataclass
class CaseLine:
    code: str
    number: str | None
    due: str
    state: str
    unit: str
    url: str


def office_url(case: FeedbackCase) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/quan-tri/pakn/{case.id}"


def _line(case: FeedbackCase) -> CaseLine:
    unit = case.handling_unit or case.agency
    with force_locale("vi"):
        state = state_label(case.state)
    return CaseLine(code=format_tracking_code(case.tracking_code), number=case.register_number,
                    due=format_date(case.due_at), state=state,
                    unit=unit.name_vi if unit is not None else "", url=office_url(case))


def unit_staff_emails(unit: Unit, roles: tuple[Role, ...]) -> list[str]:
    """Emails of active users holding one of ``roles`` on exactly ``unit``."""
    rows = db.session.execute(
        select(User.email).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.unit_id == unit.id, RoleGrant.role.in_([r.value for r in roles]),
               User.active.is_(True), User.email.is_not(None))
        .order_by(User.id)).scalars()
    return _unique(rows)


def _unique(addresses) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return list(seen.values())


def _reminder_due(case: FeedbackCase, moment: datetime, days: int) -> bool:
    if case.due_at is None or case.due_at < moment:
        return False
    if count_working_days(moment, case.due_at) > days:
        return False
    # Reminded within this due date's window already: not again.
    return case.reminded_at is None or count_working_days(case.reminded_at, case.due_at) > days


def remind_due_cases(at: datetime | None = None) -> dict[str, int]:
    """One email per handling unit (to its handlers and approvers with an email, and to the
    unit's own address) listing its cases due within PAKN_REMINDER_WORKING_DAYS working
    days. Sets reminded_at. Flushes; the caller commits."""
    moment = at or now()
    days = int(current_app.config.get("PAKN_REMINDER_WORKING_DAYS", 2))
    rows = db.session.execute(
        select(FeedbackCase).where(
            FeedbackCase.state.in_([s.value for s in HANDLING_STATES]),
            FeedbackCase.handling_unit_id.is_not(None),
            FeedbackCase.due_at.is_not(None),
            FeedbackCase.due_at >= moment,
            FeedbackCase.due_at <= moment + timedelta(days=days) + _CALENDAR_SLACK)
        .order_by(FeedbackCase.due_at, FeedbackCase.id)).scalars().all()
    by_unit: dict[int, list[FeedbackCase]] = defaultdict(list)
    for case in rows:
        if _reminder_due(case, moment, days):
            by_unit[case.handling_unit_id].append(case)
    messages = 0
    for cases in by_unit.values():
        unit = cases[0].handling_unit
        recipients = _unique([*unit_staff_emails(unit, (Role.HANDLER, Role.APPROVER)),
                              unit.email])
        subject, body = render_message("reminder", unit=unit, days=days,
                                       cases=[_line(c) for c in cases])
        for address in recipients:
            queue_message("email", address, subject=subject, body=body,
                          purpose="feedback.reminder", object_type="unit", object_id=unit.id)
            messages += 1
        for case in cases:
            case.reminded_at = moment
            add_event(case, None, "reminded", data={"recipients": len(recipients)})
    db.session.flush()
    return {"cases": sum(len(c) for c in by_unit.values()), "units": len(by_unit),
            "messages": messages}


def escalate_overdue(at: datetime | None = None) -> dict[str, int]:
    """Overdue open cases not yet escalated for their current due date: email the handling
    unit's approvers (its leaders) and the agency's PAKN officers, one email per person
    listing their cases; set escalated_at, add an "escalated" timeline event and an audit
    entry. Flushes; the caller commits."""
    moment = at or now()
    rows = db.session.execute(
        select(FeedbackCase).where(
            FeedbackCase.state.in_([s.value for s in OPEN_STATES]),
            FeedbackCase.due_at.is_not(None), FeedbackCase.due_at < moment)
        .order_by(FeedbackCase.due_at, FeedbackCase.id)).scalars().all()
    cases = [c for c in rows if c.escalated_at is None or c.escalated_at < c.due_at]
    by_address: dict[str, list[FeedbackCase]] = defaultdict(list)
    unit_cache: dict[tuple[int, str], list[str]] = {}

    def staff(unit: Unit, role: Role) -> list[str]:
        key = (unit.id, role.value)
        if key not in unit_cache:
            unit_cache[key] = unit_staff_emails(unit, (role,))
        return unit_cache[key]

    for case in cases:
        recipients = list(staff(case.agency, Role.PAKN_OFFICER))
        if case.handling_unit is not None and case.state in {s.value for s in HANDLING_STATES}:
            recipients += staff(case.handling_unit, Role.APPROVER)
        else:
            recipients += staff(case.agency, Role.APPROVER)
        recipients = _unique(recipients)
        for address in recipients:
            by_address[address].append(case)
        case.escalated_at = moment
        add_event(case, None, "escalated", data={"due_at": case.due_at.isoformat(),
                                                 "recipients": len(recipients)})
        record_audit("feedback.escalated", object_type="feedback_case", object_id=case.id,
                     unit_id=case.agency_id, after={"due_at": case.due_at,
                                                    "recipients": len(recipients)})
    for address, items in by_address.items():
        subject, body = render_message("escalation", cases=[_line(c) for c in items])
        queue_message("email", address, subject=subject, body=body,
                      purpose="feedback.escalation", object_type="feedback_case",
                      object_id=items[0].id if len(items) == 1 else None)
    db.session.flush()
    return {"cases": len(cases), "messages": len(by_address)}


