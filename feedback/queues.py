"""The PAKN queues: the officer inbox across the agency and the handling unit's queue.

One query per page: only the columns the table shows, the unit names joined, and a COUNT with
the same filters. Search works with or without Vietnamese diacritics: the query is folded
(core.text.fold) and matched against ``FeedbackCase.search_text``, which intake stores
folded; a tracking code or a register number ("123/2026") also finds its case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased

from core.access import Actor, Permission, unit_scope_clause
from core.clock import LOCAL_TZ, local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.text import fold
from core.workdays import deadline_end, load_calendar
from feedback.case_access import case_scope_clause
from feedback.labels import (  # noqa: F401  (re-exported for the views and exports)
    CHANNEL_LABELS,
    CLASSIFICATION_LABELS,
    KIND_LABELS,
    TOPIC_LABELS,
)
from feedback.models import CaseState, Classification, FeedbackCase
from feedback.tracking import normalise_tracking_code
from feedback.workflow import HANDLING_STATES, OPEN_STATES, TransitionInput, transition_case

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY = 200
SCOPES = ("inbox", "unit")
DUE_CHOICES = ("overdue", "soon", "none")
AMBER_WORKING_DAYS = 2
# What the unit queue may show besides its work in hand, when the state filter asks.
UNIT_EXTRA_STATES = frozenset({CaseState.ANSWERED, CaseState.PUBLISHED, CaseState.CLOSED})
REGISTER_NUMBER = re.compile(r"^\s*0*(\d{1,7})\s*/\s*(\d{4})\s*$")


@dataclass
class CaseFilters:
    states: list[str] = field(default_factory=list)
    channel: str | None = None
    kind: str | None = None
    topic: str | None = None
    handling_unit_id: int | None = None
    agency_id: int | None = None
    due: str | None = None              # "overdue" | "soon" | "none"
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = None


# The columns a queue row shows (and the export writes).
ROW_COLUMNS = (
    FeedbackCase.id, FeedbackCase.tracking_code, FeedbackCase.register_year,
    FeedbackCase.register_seq, FeedbackCase.received_at, FeedbackCase.kind,
    FeedbackCase.is_formal, FeedbackCase.topic, FeedbackCase.channel, FeedbackCase.state,
    FeedbackCase.title, FeedbackCase.due_at, FeedbackCase.extended,
    FeedbackCase.looks_like_complaint, FeedbackCase.agency_id, FeedbackCase.handling_unit_id,
)


@dataclass
class QueueRow:
    id: int
    tracking_code: str
    register_year: int | None
    register_seq: int | None
    received_at: datetime
    kind: str
    is_formal: bool
    topic: str
    channel: str
    state: str
    title: str
    due_at: datetime | None
    extended: bool
    looks_like_complaint: bool
    agency_id: int
    handling_unit_id: int | None
    agency_name: str | None
    handling_unit_name: str | None
    is_new: bool = False

    @property
    def register_number(self) -> str | None:
        if self.register_seq is None:
            return None
        return f"{self.register_seq:05d}/{self.register_year}"


def amber_until(moment: datetime | None = None) -> datetime:
    """The end of the AMBER_WORKING_DAYS-th working day after ``moment``'s day: a deadline up
    to then is "due soon" (the same rule as feedback.deadlines.traffic_light)."""
    calendar = load_calendar()
    day = local(moment or now()).date()
    for _step in range(AMBER_WORKING_DAYS):
        day = calendar.next_working_day(day)
    return deadline_end(day)


def new_since(moment: datetime | None = None) -> datetime:
    """Local midnight starting the last working day before today: what arrived since then
    is "new" (on a Monday, since Friday morning)."""
    calendar = load_calendar()
    day = local(moment or now()).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return _local_midnight(day)


def new_case_clause(scope: str, moment: datetime | None = None) -> ColumnElement[bool]:
    """A case nobody has acted on yet that arrived since the last working day began: in the
    inbox, received and not registered; in the unit queue, assigned and not started."""
    since = new_since(moment)
    if scope == "unit":
        return and_(FeedbackCase.state == CaseState.ASSIGNED.value,
                    FeedbackCase.assigned_at >= since)
    return and_(FeedbackCase.state == CaseState.RECEIVED.value,
                FeedbackCase.received_at >= since)


def _unit_queue_scope(actor: Actor) -> ColumnElement[bool]:
    handling = aliased(Unit)
    in_scope = or_(unit_scope_clause(actor, Permission.FEEDBACK_HANDLE, handling.path),
                   unit_scope_clause(actor, Permission.FEEDBACK_APPROVE, handling.path))
    return FeedbackCase.handling_unit_id.in_(select(handling.id).where(in_scope))


def _in_units(column, actor: Actor,
              perm: Permission = Permission.FEEDBACK_VIEW) -> ColumnElement[bool]:
    """``column`` holds a unit in the actor's scope for ``perm`` (the same rule as
    feedback.case_access.case_scope_clause)."""
    unit = aliased(Unit)
    return column.in_(select(unit.id).where(unit_scope_clause(actor, perm, unit.path)))


def _states_clause(scope: str, states: list[str]) -> ColumnElement[bool]:
    wanted = {CaseState(s) for s in states if s in CaseState._value2member_map_}
    if scope == "unit":
        allowed = HANDLING_STATES | UNIT_EXTRA_STATES
        chosen = (wanted & allowed) if wanted else set(HANDLING_STATES)
    else:
        chosen = wanted or set(OPEN_STATES)
    if not chosen:
        return false()
    values = sorted(s.value for s in chosen)
    return FeedbackCase.state == values[0] if len(values) == 1 \
        else FeedbackCase.state.in_(values)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_clause(q: str) -> ColumnElement[bool] | None:
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return None
    options: list[ColumnElement[bool]] = []
    code = normalise_tracking_code(q)
    if code is not None:
        options.append(FeedbackCase.tracking_code == code)
    number = REGISTER_NUMBER.match(q)
    if number is not None:
        options.append(and_(FeedbackCase.register_seq == int(number.group(1)),
                            FeedbackCase.register_year == int(number.group(2))))
    folded = fold(q)
    if folded:
        options.append(FeedbackCase.search_text.like(f"%{_like_escape(folded)}%", escape="\\"))
    # Something was typed but nothing in it can match (e.g. only punctuation): no case.
    return or_(*options) if options else false()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def filtered_statement(actor: Actor, filters: CaseFilters, scope: str = "inbox") -> Select:
    """SELECT of ROW_COLUMNS plus the two unit names, scoped and filtered, unordered."""
    if scope not in SCOPES:
        raise ServiceError(_("Unknown queue."), status=400)
    agency = aliased(Unit)
    handling = aliased(Unit)
    stmt = (select(*ROW_COLUMNS, agency.name_vi.label("agency_name"),
                   handling.name_vi.label("handling_unit_name"),
                   new_case_clause(scope).label("is_new"))
            .join(agency, agency.id == FeedbackCase.agency_id)
            .outerjoin(handling, handling.id == FeedbackCase.handling_unit_id))
    return stmt.where(*_conditions(actor, filters, scope))


def _conditions(actor: Actor, filters: CaseFilters, scope: str) -> list[ColumnElement[bool]]:
    states = _states_clause(scope, filters.states)
    if scope == "inbox":
        # (register in scope AND state) OR (handling unit in scope AND state): written out
        # so each branch is one index range, (agency_id, state) and (handling_unit_id,
        # state); "(a OR b) AND state" makes SQLite read every open case's row instead.
        conditions = [or_(and_(_in_units(FeedbackCase.agency_id, actor), states),
                          and_(_in_units(FeedbackCase.handling_unit_id, actor), states))]
    else:
        conditions = [_unit_queue_scope(actor), states]
    for name in ("channel", "kind", "topic"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(FeedbackCase, name) == value)
    if filters.handling_unit_id:
        conditions.append(FeedbackCase.handling_unit_id == filters.handling_unit_id)
    if filters.agency_id:
        conditions.append(FeedbackCase.agency_id == filters.agency_id)
    moment = now()
    if filters.due == "overdue":
        conditions.append(FeedbackCase.due_at < moment)
    elif filters.due == "soon":
        conditions.append(and_(FeedbackCase.due_at >= moment,
                               FeedbackCase.due_at <= amber_until(moment)))
    elif filters.due == "none":
        conditions.append(FeedbackCase.due_at.is_(None))
    if filters.received_from:
        conditions.append(FeedbackCase.received_at >= _local_midnight(filters.received_from))
    if filters.received_to:
        conditions.append(FeedbackCase.received_at
                          < _local_midnight(filters.received_to + timedelta(days=1)))
    search = _search_clause(filters.q or "")
    if search is not None:
        conditions.append(search)
    return conditions


def ordered(stmt: Select) -> Select:
    """Most urgent first: by deadline (none last), then oldest received."""
    return stmt.order_by(FeedbackCase.due_at.asc().nulls_last(),
                         FeedbackCase.received_at.asc(), FeedbackCase.id.asc())


def count_cases(actor: Actor, filters: CaseFilters, scope: str = "inbox") -> int:
    if scope not in SCOPES:
        raise ServiceError(_("Unknown queue."), status=400)
    stmt = select(func.count(FeedbackCase.id)).where(*_conditions(actor, filters, scope))
    return int(db.session.scalar(stmt) or 0)


def list_cases(actor: Actor, filters: CaseFilters, *, scope: str = "inbox", page: int = 1,
               per_page: int = PER_PAGE) -> tuple[list[QueueRow], int]:
    """One page of the queue and the total number of cases matching the filters."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ServiceError(_("The page number must be a whole number from 1."), status=400)
    total = count_cases(actor, filters, scope)
    if total == 0 or (page - 1) * per_page >= total:
        return [], total
    stmt = ordered(filtered_statement(actor, filters, scope)) \
        .limit(per_page).offset((page - 1) * per_page)
    return [QueueRow(**row._mapping) for row in db.session.execute(stmt)], total


def iter_cases(actor: Actor, filters: CaseFilters, *,
               scope: str = "inbox") -> Iterator[QueueRow]:
    """Every matching row, in queue order, read in batches (for exports).

    The statement is built now, while ``actor`` and its grants are still attached to the
    request's session; the rows are read later, when a streamed response is sent, by then in
    a new session (the request's was removed): nothing loaded before may be touched there."""
    stmt = ordered(filtered_statement(actor, filters, scope))

    def rows() -> Iterator[QueueRow]:
        for row in db.session.execute(stmt, execution_options={"yield_per": 500}):
            yield QueueRow(**row._mapping)

    return rows()


# --- Bulk assignment. ----------------------------------------------------------------------

@dataclass
class BulkResult:
    case_id: int
    tracking_code: str | None
    ok: bool
    message: str | None = None


@dataclass
class BulkReport:
    results: list[BulkResult] = field(default_factory=list)

    @property
    def assigned(self) -> list[BulkResult]:
        return [r for r in self.results if r.ok]

    @property
    def skipped(self) -> list[BulkResult]:
        return [r for r in self.results if not r.ok]


MAX_BULK = 200


def bulk_assign(actor: Actor, case_ids: list[int], unit: Unit | None,
                classification: str) -> BulkReport:
    """Assign each case through the workflow; a case that may not be assigned (state, access)
    is skipped with the reason, the others go ahead. Each case runs in a savepoint so a
    refusal leaves no half-done change. Flushes; the caller commits."""
    if classification not in (Classification.CONDUCT.value, Classification.IN_COMPETENCE.value):
        raise ServiceError(_("Classify the case: conduct of an official, or within our "
                             "competence."), status=400, field="classification")
    if unit is None or not unit.active:
        raise ServiceError(_("Choose an active handling unit."), status=400,
                           field="handling_unit")
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise ServiceError(_("Tick the cases to assign first."), status=400, field="case_ids")
    if len(ids) > MAX_BULK:
        raise ServiceError(_("At most %(n)d cases at once.", n=MAX_BULK), status=400,
                           field="case_ids")
    report = BulkReport()
    visible = {case.id: case for case in db.session.execute(
        select(FeedbackCase).where(FeedbackCase.id.in_(ids),
                                   case_scope_clause(actor, Permission.FEEDBACK_VIEW))
    ).scalars()}
    for case_id in ids:
        case = visible.get(case_id)
        if case is None:
            report.results.append(BulkResult(case_id, None, False, _("Case not found.")))
            continue
        try:
            with db.session.begin_nested():
                transition_case(case, "assign", actor, TransitionInput(
                    classification=classification, handling_unit=unit))
        except ServiceError as error:
            db.session.refresh(case)
            report.results.append(BulkResult(case_id, case.tracking_code, False,
                                             error.message))
            continue
        report.results.append(BulkResult(case_id, case.tracking_code, True))
    return report


# --- Labels shown in queues, on the case page and in exports. -----------------------------

LIGHT_LABELS = {
    "red": _l("Overdue"),
    "amber": _l("Due soon"),
    "green": _l("On time"),
    "none": _l("No deadline"),
}
DUE_LABELS = {
    "overdue": _l("Overdue"),
    "soon": _l("Due within 2 working days"),
    "none": _l("No deadline"),
}


def label(mapping: dict, value: str | None) -> str:
    if value is None:
        return ""
    return str(mapping.get(value, value))
