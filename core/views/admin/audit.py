"""Admin pages: the audit log, filtered, paginated, one entry in detail, and a CSV export.

A unit administrator sees only entries of units in their subtree; entries with no unit (sign-ins,
system settings) are for system-wide administrators only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import chain
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, or_
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from core.access import Permission, can_globally, require, unit_scope_clause, visible_units
from core.audit import record_audit_now
from core.audit_labels import AREA_LABELS, action_label, object_type_label
from core.clock import LOCAL_TZ, local
from core.extensions import db
from core.forms import BaseForm
from core.models import AuditEntry, Unit, User
from core.spreadsheets import csv_response
from core.views.admin import bp

PER_PAGE = 50
MAX_PAGE = 100_000
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$"  # "unit.created", or a prefix "unit."


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form: nothing changes

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    actor = StringField(_l("Account name"), validators=[Optional(), Length(max=120)])
    action = SelectField(_l("Action"), validate_choice=False, validators=[
        Optional(), Length(max=64), Regexp(ACTION_PATTERN, message=_l("Unknown action."))])
    object_type = StringField(_l("Object type"), validators=[
        Optional(), Length(max=64), Regexp(r"^[a-z][a-z0-9_.]*$", message=_l("Unknown type."))])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    unit = SelectField(_l("Unit (and its sub-units)"), validators=[Optional()])
    request_id = StringField(_l("Request id"), validators=[Optional(), Regexp(
        r"^[A-Za-z0-9-]{1,32}$", message=_l("A request id has letters, digits and dashes."))])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


@dataclass
class DiffLine:
    key: str
    before: str
    after: str
    changed: bool


@bp.get("/nhat-ky")
def audit():
    """The audit log, filtered and paginated, newest first."""
    form, units = _filter_form()
    page = _page_number()
    if not form.validate() or page is None:
        return _render_list(form, units, [], 0, page or 1, bad_page=page is None), 400
    stmt = _filtered(form, units)
    total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery())) or 0
    entries = db.session.scalars(_newest_first(stmt).limit(PER_PAGE)
                                 .offset((page - 1) * PER_PAGE)).all()
    return _render_list(form, units, entries, total, page)


@bp.get("/nhat-ky/<int:entry_id>")
def audit_entry(entry_id: int):
    """One audit entry with its values before and after."""
    require(current_user, Permission.AUDIT_VIEW, None)
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None or not _in_scope(entry):
        abort(404)
    unit = db.session.get(Unit, entry.unit_id) if entry.unit_id else None
    return render_template("admin/audit_detail.html", entry=entry, unit=unit,
                           lines=diff_lines(entry.before, entry.after), action_label=action_label,
                           object_type_label=object_type_label)


@bp.get("/nhat-ky/xuat.csv")
def audit_export():
    """The filtered entries as CSV (the export itself is logged)."""
    form, units = _filter_form()
    if not form.validate():
        return _render_list(form, units, [], 0, 1), 400
    stmt = _newest_first(_filtered(form, units))
    record_audit_now("audit.exported", unit_id=int(form.unit.data) if form.unit.data else None,
                     after={f.name: request.args[f.name] for f in form
                            if request.args.get(f.name)})
    header = [_("Id"), _("Time"), _("Account"), _("Action"), _("What happened"),
              _("Object type"), _("Object id"), _("Unit"), _("Before"), _("After"), _("Reason"),
              _("Request id")]
    return csv_response(chain([header], _export_rows(stmt, units)), "nhat-ky.csv")


def _export_rows(stmt: Select, units: list[Unit]) -> Iterator[list[Any]]:
    """Read while the response streams (the query starts on the first row), in batches."""
    codes = {unit.id: unit.code for unit in units}
    for e in db.session.scalars(stmt, execution_options={"yield_per": 500}):
        yield [e.id, local(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_label, e.action,
               action_label(e.action), e.object_type, e.object_id,
               codes.get(e.unit_id, e.unit_id), _json(e.before), _json(e.after), e.reason,
               e.request_id]


def _filter_form() -> tuple[AuditFilterForm, list[Unit]]:
    require(current_user, Permission.AUDIT_VIEW, None)
    form = AuditFilterForm(formdata=request.args)
    units = visible_units(current_user, Permission.AUDIT_VIEW)
    form.unit.choices = [("", _("All units"))] + [
        (str(unit.id), "— " * unit.depth + unit.name_vi) for unit in units]
    actions = db.session.scalars(db.select(AuditEntry.action).distinct()
                                 .order_by(AuditEntry.action)).all()
    prefixes = sorted({action.split(".")[0] + "." for action in actions})
    choices = sorted({*actions, *prefixes, *([form.action.data] if form.action.data else [])})
    form.action.choices = [("", _("All actions"))] + [
        (action, _action_choice(action)) for action in choices]
    return form, units


def _action_choice(action: str) -> str:
    """"PAKN approved", or for a prefix such as "feedback." every action of its area."""
    if action.endswith("."):
        area = AREA_LABELS.get(action[:-1])
        return _("%(area)s: every action (%(code)s*)", area=area or action[:-1], code=action)
    return action_label(action)


def _page_number() -> int | None:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def _scoped(stmt: Select) -> Select:
    if can_globally(current_user, Permission.AUDIT_VIEW):
        return stmt
    in_scope = db.select(Unit.id).where(unit_scope_clause(current_user, Permission.AUDIT_VIEW))
    return stmt.where(AuditEntry.unit_id.in_(in_scope))


def _in_scope(entry: AuditEntry) -> bool:
    return db.session.scalar(_scoped(db.select(AuditEntry.id))
                             .where(AuditEntry.id == entry.id)) is not None


def _filtered(form: AuditFilterForm, units: list[Unit]) -> Select:
    stmt = _scoped(db.select(AuditEntry))
    if form.date_from.data:
        stmt = stmt.where(AuditEntry.at >= _local_midnight(form.date_from.data))
    if form.date_to.data:
        stmt = stmt.where(AuditEntry.at < _local_midnight(form.date_to.data + timedelta(days=1)))
    if form.actor.data:
        name = form.actor.data.lower()
        # The label is what was written at the time; the id also finds entries with no label.
        account = db.select(User.id).where(User.username == name).scalar_subquery()
        stmt = stmt.where(or_(func.lower(AuditEntry.actor_label) == name,
                              AuditEntry.actor_user_id == account))
    action = form.action.data
    if action and action.endswith("."):
        # ACTION_PATTERN allows only [a-z0-9_.]; "_" is a LIKE wildcard, so escape it.
        stmt = stmt.where(AuditEntry.action.like(action.replace("_", "\\_") + "%", escape="\\"))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    for name in ("object_type", "object_id", "request_id"):
        if getattr(form, name).data:
            stmt = stmt.where(getattr(AuditEntry, name) == getattr(form, name).data)
    if form.unit.data:
        chosen = next(unit for unit in units if str(unit.id) == form.unit.data)
        subtree = db.select(Unit.id).where(Unit.path.like(chosen.path + "%"))
        stmt = stmt.where(AuditEntry.unit_id.in_(subtree))
    return stmt


def _newest_first(stmt: Select) -> Select:
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def _render_list(form, units, entries, total, page, bad_page=False):
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "admin/audit.html", form=form, entries=entries, total=total, page=page, bad_page=bad_page,
        pages=max(1, -(-total // PER_PAGE)), args=args, action_label=action_label,
        object_type_label=object_type_label,
        units={unit.id: unit for unit in units},
        changes={entry.id: [line for line in diff_lines(entry.before, entry.after)
                            if line.changed] for entry in entries})


def diff_lines(before: Any, after: Any) -> list[DiffLine]:
    """Every key of the before/after snapshots, in order, marking those whose value changed.
    A missing key and a null value read the same ("empty"), so a creation lists only the
    fields it filled in as changes."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    keys = [*before, *(key for key in after if key not in before)]
    return [DiffLine(key, _show(before.get(key)), _show(after.get(key)),
                     before.get(key) != after.get(key)) for key in keys]


def _show(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
