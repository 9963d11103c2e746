"""Back office: the PAKN officer inbox (the whole register) and the handling unit's queue,
with GET filters that work without JavaScript, bulk assignment and CSV/XLSX exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.access import Permission, can, require, visible_units
from core.audit import record_audit_now
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.spreadsheets import csv_response, xlsx_response
from core.views.admin import require_staff
from feedback import queues
from feedback.deadlines import traffic_light
from feedback.models import CaseState, Classification
from feedback.queues import (
    CHANNEL_LABELS,
    CLASSIFICATION_LABELS,
    DUE_LABELS,
    KIND_LABELS,
    LIGHT_LABELS,
    TOPIC_LABELS,
    CaseFilters,
    QueueRow,
    label,
)
from feedback.tracking import format_tracking_code
from feedback.workflow import HANDLING_STATES, state_label

bp = Blueprint("feedback_queue", __name__, url_prefix="/quan-tri/pakn")
bp.before_request(require_staff)

MAX_PAGE = 100_000
P = Permission


def office_labels() -> dict:
    """Labels every PAKN back-office template uses (registered on each PAKN blueprint)."""
    return {"light_labels": LIGHT_LABELS, "kind_labels": KIND_LABELS,
            "topic_labels": TOPIC_LABELS, "channel_labels": CHANNEL_LABELS,
            "classification_labels": CLASSIFICATION_LABELS, "state_label": state_label,
            "format_code": format_tracking_code}


bp.context_processor(office_labels)


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form: nothing changes

    q = StringField(_l("Search (text, tracking code or register number)"),
                    validators=[Optional(), Length(max=queues.MAX_QUERY)])
    # Tick boxes, not a list that needs Ctrl to choose several.
    state = SelectMultipleField(_l("State"), validators=[Optional()],
                                widget=widgets.ListWidget(prefix_label=False),
                                option_widget=widgets.CheckboxInput())
    due = SelectField(_l("Deadline"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    handling_unit = SelectField(_l("Handling unit"), validators=[Optional()])
    agency = SelectField(_l("Register (agency)"), validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])

    def validate_received_to(self, field) -> None:
        if field.data and self.received_from.data and field.data < self.received_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class BulkAssignForm(BaseForm):
    # Own ids: the filter form above has a "handling_unit" too (ids must be unique).
    handling_unit = SelectField(_l("Handling unit"), coerce=int, validators=[InputRequired()],
                                id="bulk-handling_unit")
    classification = SelectField(_l("Classification"), validators=[InputRequired()],
                                 id="bulk-classification")


def _any(mapping: dict, blank) -> list[tuple[str, str]]:
    return [("", str(blank))] + [(key, str(value)) for key, value in mapping.items()]


def _unit_choice(unit: Unit) -> tuple[str, str]:
    return str(unit.id), "— " * unit.depth + unit.name_vi


def _scope_states(scope: str) -> list[CaseState]:
    if scope == "unit":
        return [s for s in CaseState if s in HANDLING_STATES or s in queues.UNIT_EXTRA_STATES]
    return list(CaseState)


def _filter_form(scope: str) -> tuple[QueueFilterForm, list[Unit]]:
    form = QueueFilterForm(formdata=request.args)
    units = visible_units(current_user, P.FEEDBACK_VIEW)
    form.state.choices = [(s.value, state_label(s)) for s in _scope_states(scope)]
    form.due.choices = _any(DUE_LABELS, _("Any"))
    form.kind.choices = _any(KIND_LABELS, _("Any"))
    form.topic.choices = _any(TOPIC_LABELS, _("Any"))
    form.channel.choices = _any(CHANNEL_LABELS, _("Any"))
    form.handling_unit.choices = [("", _("Any"))] + [
        _unit_choice(u) for u in units if u.kind != UnitKind.DESK.value]
    form.agency.choices = [("", _("Any"))] + [
        _unit_choice(u) for u in units
        if u.kind in (UnitKind.PROVINCE.value, UnitKind.COMMUNE.value) or u.depth == 0]
    return form, units


def _filters(form: QueueFilterForm) -> CaseFilters:
    return CaseFilters(
        states=list(form.state.data or []), channel=form.channel.data or None,
        kind=form.kind.data or None, topic=form.topic.data or None,
        handling_unit_id=int(form.handling_unit.data) if form.handling_unit.data else None,
        agency_id=int(form.agency.data) if form.agency.data else None,
        due=form.due.data or None, received_from=form.received_from.data,
        received_to=form.received_to.data, q=form.q.data or None)


def _page_number() -> int | None:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def _require_queue(scope: str) -> None:
    if scope == "inbox":
        require(current_user, P.FEEDBACK_VIEW, None)
    elif not (can(current_user, P.FEEDBACK_HANDLE) or can(current_user, P.FEEDBACK_APPROVE)):
        record_audit_now("access.denied", reason=P.FEEDBACK_HANDLE.value)
        abort(403)


def _assign_units() -> list[Unit]:
    """Active units an officer may hand cases to: those under their triage scope."""
    return [u for u in visible_units(current_user, P.FEEDBACK_TRIAGE)
            if u.active and u.kind != UnitKind.DESK.value]


def _bulk_form() -> BulkAssignForm | None:
    if not can(current_user, P.FEEDBACK_TRIAGE):
        return None
    form = BulkAssignForm(formdata=None)
    _bulk_choices(form)
    return form


def _bulk_choices(form: BulkAssignForm) -> None:
    form.handling_unit.choices = [(u.id, "— " * u.depth + u.name_vi) for u in _assign_units()]
    form.classification.choices = [
        (c.value, str(CLASSIFICATION_LABELS[c.value]))
        for c in (Classification.IN_COMPETENCE, Classification.CONDUCT)]


def _queue(scope: str):
    _require_queue(scope)
    form, _units = _filter_form(scope)
    page = _page_number()
    args = [(key, value) for key, value in request.args.items(multi=True)
            if key != "page" and value]
    context = {"form": form, "scope": scope, "args": args, "rows": [], "total": 0,
               "page": page or 1, "pages": 1, "bad_page": page is None,
               "bulk_form": _bulk_form() if scope == "inbox" else None,
               "query": urlencode(args)}
    if page is None or not form.validate():
        return render_template("feedback/office/queue.html", **context), 400
    rows, total = queues.list_cases(current_user, _filters(form), scope=scope, page=page,
                                    per_page=queues.PER_PAGE)
    moment = now()
    context.update(rows=rows, total=total, pages=max(1, -(-total // queues.PER_PAGE)),
                   lights={row.id: traffic_light(row, at=moment).value for row in rows})
    return render_template("feedback/office/queue.html", **context)


@bp.get("/")
def inbox():
    """The PAKN inbox: open cases of the officer's units, most urgent first, with filters."""
    return _queue("inbox")


@bp.get("/don-vi")
def unit():
    """The handling unit's queue: cases its handlers and approvers work on, most urgent first."""
    return _queue("unit")


# --- Bulk assignment. ----------------------------------------------------------------------

def _back_to_inbox() -> str:
    """The inbox with the filters the officer had (rebuilt from parsed pairs: no open
    redirect, nothing but a query string)."""
    pairs = parse_qsl(request.form.get("back", ""), keep_blank_values=False)[:40]
    query = urlencode([(k, v) for k, v in pairs if k in QueueFilterForm.__dict__ or k == "page"])
    return url_for(".inbox") + (f"?{query}" if query else "")


@bp.post("/giao-hang-loat")
def bulk_assign():
    """Assign the ticked inbox cases to one handling unit at once."""
    require(current_user, P.FEEDBACK_TRIAGE, None)
    form = BulkAssignForm()
    _bulk_choices(form)
    raw_ids = request.form.getlist("case_ids")
    if not all(value.isascii() and value.isdigit() for value in raw_ids):
        abort(400)
    if not form.validate():
        for error in chain(*form.errors.values()):
            flash(str(error), "error")
        return redirect(_back_to_inbox(), code=303)
    unit = db.session.get(Unit, form.handling_unit.data) or abort(404)
    try:
        report = queues.bulk_assign(current_user, [int(v) for v in raw_ids], unit,
                                    form.classification.data)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back_to_inbox(), code=303)
    db.session.commit()
    if report.assigned:
        flash(_("%(n)d case(s) assigned to %(unit)s.", n=len(report.assigned),
                unit=unit.name_vi), "success")
    for skipped in report.skipped:
        code = skipped.tracking_code or f"#{skipped.case_id}"
        flash(_("%(code)s skipped: %(reason)s", code=code, reason=skipped.message), "error")
    return redirect(_back_to_inbox(), code=303)


# --- Exports. ------------------------------------------------------------------------------

def _export_header() -> list[str]:
    return [_("Tracking code"), _("Register number"), _("Received"), _("Kind"), _("Topic"),
            _("Channel"), _("State"), _("Agency"), _("Handling unit"), _("Due"),
            _("Deadline status"), _("Title")]


def _stamp(value: datetime | None) -> str:
    return local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _export_rows(rows: Iterator[QueueRow]) -> Iterator[list[object]]:
    moment = now()
    for row in rows:
        yield [row.tracking_code, row.register_number or "", _stamp(row.received_at),
               label(KIND_LABELS, row.kind), label(TOPIC_LABELS, row.topic),
               label(CHANNEL_LABELS, row.channel), state_label(row.state),
               row.agency_name or "", row.handling_unit_name or "", _stamp(row.due_at),
               label(LIGHT_LABELS, traffic_light(row, at=moment).value), row.title]


def _export(scope: str, fmt: str):
    _require_queue(scope)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    form, _units = _filter_form(scope)
    if not form.validate():
        abort(400)
    filters = _filters(form)
    record_audit_now("feedback.exported", after={
        "scope": scope, "format": fmt,
        **{key: value for key, value in request.args.items() if value and key != "q"},
        **({"search": True} if filters.q else {})})
    name = f"pakn-{'don-vi' if scope == 'unit' else 'hop-thu'}-{local(now()):%Y%m%d}.{fmt}"
    rows = _export_rows(queues.iter_cases(current_user, filters, scope=scope))
    if fmt == "csv":
        return csv_response(chain([_export_header()], rows), name)
    return xlsx_response(chain([_export_header()], rows), name, "PAKN")


@bp.get("/xuat.<fmt>")
def export(fmt: str):
    """The inbox, with its filters, as a CSV or XLSX file (the export is logged)."""
    return _export("inbox", fmt)


@bp.get("/don-vi/xuat.<fmt>")
def unit_export(fmt: str):
    """The unit queue, with its filters, as a CSV or XLSX file (the export is logged)."""
    return _export("unit", fmt)
