"""PAKN work lists: the officer's, the handler's and the approver's sections of "Việc của tôi"
(core.worklists), registered by ``feedback.init_app``.

One query function per list. Each is scoped like the queues: the officer's lists by the case's
register (agency) in their triage units, the handler's and the approver's by the handling unit
in their handling or approving units. Each reads one COUNT and the first few rows, most urgent
first (overdue, then the nearest deadline, then the oldest), through the (agency_id, state) and
(handling_unit_id, state) indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, exists, false, func, select
from sqlalchemy.orm import aliased

from core.access import Permission, unit_scope_clause
from core.clock import local, now
from core.extensions import db
from core.models import Role, Unit, User
from core.workdays import deadline_end, load_calendar
from core.worklists import ITEMS_SHOWN, Section, WorkItem, WorkResult, register_section
from feedback.models import AnswerStatus, CaseState, FeedbackAnswer, FeedbackCase, Publication
from feedback.queues import new_case_clause
from feedback.tracking import format_tracking_code
from feedback.workflow import OPEN_STATES, state_label

S = CaseState
P = Permission
TO_HANDLE = (S.ASSIGNED.value, S.IN_PROGRESS.value, S.WAITING.value)
SOON_WORKING_DAYS = 3


def _units(column, user: User, perm: Permission) -> ColumnElement[bool]:
    unit = aliased(Unit)
    return column.in_(select(unit.id).where(unit_scope_clause(user, perm, unit.path)))


def _states(*states: str) -> ColumnElement[bool]:
    return FeedbackCase.state == states[0] if len(states) == 1 \
        else FeedbackCase.state.in_(states)


def soon_limit(moment: datetime | None = None) -> datetime:
    """The end of the SOON_WORKING_DAYS-th working day after today."""
    calendar = load_calendar()
    day = local(moment or now()).date()
    for _step in range(SOON_WORKING_DAYS):
        day = calendar.next_working_day(day)
    return deadline_end(day)


def _case_page(case_id: int) -> str:
    return url_for("feedback_case.show", case_id=case_id)


def case_result(conditions: list[ColumnElement[bool]], more_url: str,
                new: ColumnElement[bool] | None = None,
                link: Callable[[int], str] = _case_page) -> WorkResult:
    """COUNT and the first ITEMS_SHOWN cases matching ``conditions``, most urgent first."""
    count = db.session.scalar(select(func.count()).select_from(FeedbackCase)
                              .where(*conditions)) or 0
    if not count:
        return WorkResult(0, more_url=more_url)
    columns = [FeedbackCase.id, FeedbackCase.tracking_code, FeedbackCase.title,
               FeedbackCase.state, FeedbackCase.due_at]
    flag = (new if new is not None else false()).label("is_new")
    rows = db.session.execute(
        select(*columns, flag).where(*conditions)
        .order_by(FeedbackCase.due_at.asc().nulls_last(), FeedbackCase.received_at.asc(),
                  FeedbackCase.id.asc()).limit(ITEMS_SHOWN)).all()
    moment = now()
    items = [WorkItem(title=row.title, url=link(row.id),
                      code=format_tracking_code(row.tracking_code), due_at=row.due_at,
                      note=state_label(row.state),
                      overdue=row.due_at is not None and row.due_at < moment,
                      new=bool(row.is_new)) for row in rows]
    return WorkResult(count, items, more_url)


def _inbox(**args) -> str:
    return url_for("feedback_queue.inbox", **args)


def _unit_queue(**args) -> str:
    return url_for("feedback_queue.unit", **args)


# --- PAKN officer. -------------------------------------------------------------------------

def officer_to_register(user: User) -> WorkResult:
    """Received and not registered yet."""
    return case_result([_units(FeedbackCase.agency_id, user, P.FEEDBACK_TRIAGE),
                        _states(S.RECEIVED.value)], _inbox(state=S.RECEIVED.value),
                       new=new_case_clause("inbox"))


def officer_to_classify(user: User) -> WorkResult:
    """Registered, never classified nor passed on to a handling unit."""
    return case_result([_units(FeedbackCase.agency_id, user, P.FEEDBACK_TRIAGE),
                        _states(S.REGISTERED.value), FeedbackCase.assigned_at.is_(None)],
                       _inbox(state=S.REGISTERED.value))


def officer_to_transfer(user: User) -> WorkResult:
    """Sent back by a handling unit as not theirs: pass on to another unit, or transfer to
    the competent agency."""
    return case_result([_units(FeedbackCase.agency_id, user, P.FEEDBACK_TRIAGE),
                        _states(S.REGISTERED.value), FeedbackCase.assigned_at.is_not(None)],
                       _inbox(state=S.REGISTERED.value))


def officer_overdue(user: User) -> WorkResult:
    """Every open case of the register past its deadline, wherever it is being handled."""
    return case_result([_units(FeedbackCase.agency_id, user, P.FEEDBACK_TRIAGE),
                        _states(*sorted(s.value for s in OPEN_STATES)),
                        FeedbackCase.due_at < now()], _inbox(due="overdue"))


# --- Handler. ------------------------------------------------------------------------------

def handler_assigned(user: User) -> WorkResult:
    """With the handler's unit: to start, in progress or waiting for the sender."""
    return case_result([_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_HANDLE),
                        _states(*TO_HANDLE)], _unit_queue(), new=new_case_clause("unit"))


def handler_due_soon(user: User) -> WorkResult:
    """Still with the handler's unit and due within 3 working days (or already late)."""
    return case_result([_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_HANDLE),
                        _states(*TO_HANDLE), FeedbackCase.due_at <= soon_limit()],
                       _unit_queue())


def handler_returned(user: User) -> WorkResult:
    """Draft answers the approver sent back: in progress again, with a returned draft."""
    returned = exists().where(FeedbackAnswer.case_id == FeedbackCase.id,
                              FeedbackAnswer.status == AnswerStatus.RETURNED.value)
    return case_result([_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_HANDLE),
                        _states(S.IN_PROGRESS.value), returned],
                       _unit_queue(state=S.IN_PROGRESS.value))


# --- Approver. -----------------------------------------------------------------------------

def approver_to_approve(user: User) -> WorkResult:
    return case_result([_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_APPROVE),
                        _states(S.ANSWER_DRAFTED.value)],
                       _unit_queue(state=S.ANSWER_DRAFTED.value))


def approver_to_send(user: User) -> WorkResult:
    return case_result([_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_APPROVE),
                        _states(S.APPROVED.value)], _unit_queue(state=S.APPROVED.value))


def approver_publications(user: User) -> WorkResult:
    """Prepared (redacted) publications waiting for review, of answered cases."""
    conditions = [_units(FeedbackCase.handling_unit_id, user, P.FEEDBACK_APPROVE),
                  _states(S.ANSWERED.value),
                  # Drafts are few: read them once, not one lookup per answered case.
                  FeedbackCase.id.in_(select(Publication.case_id).where(
                      Publication.status == "draft"))]
    return case_result(conditions, url_for("feedback_publication.index"),
                       link=lambda case_id: url_for("feedback_publication.prepare",
                                                    case_id=case_id))


SECTIONS = (
    ("officer_register", Role.PAKN_OFFICER, _l("To register"), officer_to_register),
    ("officer_classify", Role.PAKN_OFFICER, _l("To classify and pass on"),
     officer_to_classify),
    ("officer_transfer", Role.PAKN_OFFICER,
     _l("To transfer: sent back by a handling unit as not theirs"), officer_to_transfer),
    ("officer_overdue", Role.PAKN_OFFICER, _l("Overdue in the register"), officer_overdue),
    ("handler_assigned", Role.HANDLER, _l("Assigned to my unit"), handler_assigned),
    ("handler_soon", Role.HANDLER, _l("Due within 3 working days or late"), handler_due_soon),
    ("handler_returned", Role.HANDLER, _l("Returned by the approver"), handler_returned),
    ("approver_approve", Role.APPROVER, _l("Waiting for my approval"), approver_to_approve),
    ("approver_send", Role.APPROVER, _l("Approved, waiting to be sent"), approver_to_send),
    ("approver_publish", Role.APPROVER, _l("Publication drafts to review"),
     approver_publications),
)


def register_work_lists(app: Flask) -> None:
    for order, (key, role, title, query) in enumerate(SECTIONS):
        register_section(app, Section(key=key, role=role, title=title, query=query,
                                      order=20 + order, empty=_l("Nothing here now.")))
