"""Back office: improvement plans (Phụ lục II). The list of plans, drafting one from the
elements under target, the editor (server-rendered: every row's fields, add from the catalogue
or blank, delete, move up and down), the printable plan and its XLSX export. Viewing needs
REPORTS_VIEW on the plan's unit, every change REPORTS_PUBLISH."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission, can, require, unit_scope_clause, visible_units
from core.audit import record_audit_now
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind
from core.spreadsheets import XLSX_MIMETYPE, content_disposition
from core.views.admin import require_staff
from reports import indices
from reports import plans as services
from reports.filters import campaign_period
from reports.models import ImprovementPlan, ImprovementTask
from reports.plan_catalogue import (
    ELEMENT_ORDER,
    TEXT_FIELDS,
    TaskData,
    element_name,
    shipped_sources,
    usable_tasks,
)
from reports.plan_export import plan_workbook
from reports.plan_forms import DraftForm, PlanForm
from surveys.models import Campaign

bp = Blueprint("reports_plans", __name__, url_prefix="/quan-tri/bao-cao/ke-hoach")
bp.before_request(require_staff)

P = Permission
ACTION = re.compile(r"^(save|add-task|add-blank|(remove|up|down)-([0-9]{1,9}))$")
MAX_LISTED = 500


def locale() -> str:
    return str(get_locale() or "vi")


def pct(value: float | None) -> str:
    """A percentage for display, one decimal in the reader's locale (rounded only here)."""
    return "–" if value is None else format_decimal(value, format="#,##0.0")


@bp.context_processor
def plan_helpers() -> dict:
    return {"element_name": lambda code: element_name(code, locale()), "pct": pct,
            "part_name": lambda names: names[1] if locale() == "en" else names[0]}


def _load(plan_id: int, perm: Permission) -> ImprovementPlan:
    plan = db.session.get(ImprovementPlan, plan_id)
    if plan is None:
        abort(404)
    require(current_user, perm, db.session.get(Unit, plan.unit_id),
            object_type="improvement_plan", object_id=plan.id)
    return plan


@bp.get("/")
def index():
    """The improvement plans of the user's units, most recently changed first."""
    require(current_user, P.REPORTS_VIEW, None)
    plans = db.session.execute(
        select(ImprovementPlan, Unit).join(Unit, Unit.id == ImprovementPlan.unit_id)
        .where(unit_scope_clause(current_user, P.REPORTS_VIEW))
        .order_by(ImprovementPlan.updated_at.desc(), ImprovementPlan.id.desc())
        .limit(MAX_LISTED)).all()
    return render_template("reports/plans/index.html", plans=plans,
                           can_draft=can(current_user, P.REPORTS_PUBLISH),
                           max_listed=MAX_LISTED)


# --- Drafting. ------------------------------------------------------------------------------

def _draft_units() -> list[Unit]:
    return [u for u in visible_units(current_user, P.REPORTS_PUBLISH)
            if u.active and u.kind != UnitKind.DESK.value]


def _related(campaign: Campaign, unit: Unit) -> bool:
    """A campaign answers for a unit run by the unit, a unit above it or a unit below it."""
    owner = db.session.get(Unit, campaign.owner_unit_id)
    return owner is not None and (unit.is_within(owner) or owner.is_within(unit))


def _draft_form(units: list[Unit]) -> tuple[DraftForm, dict[str, Campaign]]:
    form = DraftForm()
    form.unit.choices = [(str(u.id), "— " * u.depth + u.name_vi) for u in units]
    above = {i for u in units for i in u.ancestor_ids()}
    campaigns = {str(c.id): c for c in db.session.scalars(
        select(Campaign).where(Campaign.owner_unit_id.in_(above))
        .order_by(Campaign.starts_on.desc()))}
    form.campaign.choices = [("", _("None"))] + [
        (key, (c.name_en if locale() == "en" and c.name_en else c.name_vi))
        for key, c in campaigns.items()]
    form.source.choices = [("", _("Every catalogue task"))] + [
        (name, name) for name in shipped_sources()]
    return form, campaigns


@bp.route("/lap", methods=["GET", "POST"])
def draft():
    """Draft an improvement plan for a unit from its elements under target."""
    require(current_user, P.REPORTS_PUBLISH, None)
    units = _draft_units()
    form, campaigns = _draft_form(units)
    if not form.is_submitted():
        # No period filled in for the user: with a campaign, its own half-year is the right
        # one, and a pre-filled current half-year would silently override it.
        return render_template("reports/plans/draft.html", form=form)
    if not form.validate():
        return render_template("reports/plans/draft.html", form=form), 400
    unit = db.session.get(Unit, int(form.unit.data))
    campaign = campaigns.get(form.campaign.data or "")
    if campaign is not None and not _related(campaign, unit):
        form.campaign.errors.append(_("This campaign did not survey this unit."))
        return render_template("reports/plans/draft.html", form=form), 400
    period = form.period_label.data or (campaign_period(campaign) if campaign else None)
    try:
        gaps = indices.element_gaps_for_plan(unit, campaign_id=campaign.id if campaign else None,
                                     period_label=period)
    except ValueError as error:
        form.period_label.errors.append(str(error))
        return render_template("reports/plans/draft.html", form=form), 400
    try:
        result = services.draft_plan(
            unit, gaps, period_label=period,
            campaign_id=campaign.id if campaign else None, actor=current_user,
            source=form.source.data or None,
            campaign_name=campaign.name_vi if campaign else None)
    except ServiceError as error:
        db.session.rollback()
        abort(error.status)
    db.session.commit()
    _flash_draft(result)
    return redirect(url_for(".edit", plan_id=result.plan.id), code=303)


def _flash_draft(result: services.DraftResult) -> None:
    names = lambda codes: ", ".join(f"{c} {element_name(c, locale())}" for c in codes)  # noqa: E731
    if result.drafted or result.without_tasks:
        flash(_("Plan drafted for the elements under target: %(list)s.",
                list=names(result.drafted + result.without_tasks)), "success")
    else:
        flash(_("No element is under its target: the plan starts empty."), "success")
    if result.without_tasks:
        flash(_("The catalogue has no task for %(list)s: a blank row was added to fill in.",
                list=names(result.without_tasks)), "error")
    if result.suppressed:
        flash(_("Not drafted, too few answers to publish an index: %(list)s.",
                list=names(result.suppressed)), "error")


# --- The editor. ----------------------------------------------------------------------------

def _element_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {element_name(code, locale())}") for code in ELEMENT_ORDER]


def _task_choices(unit: Unit) -> list[tuple[str, str]]:
    def label(task: ImprovementTask) -> str:
        text = task.task_vi if len(task.task_vi) <= 90 else task.task_vi[:89] + "…"
        return f"{task.element} · {text} ({task.source or ''})"

    return [("", "—")] + [(str(t.id), label(t)) for t in usable_tasks(unit)]


def _plan_form(plan: ImprovementPlan, unit: Unit, *, submitted: bool) -> PlanForm:
    """The editor form: the posted one, or (``submitted`` False) the plan as stored."""
    if submitted:
        form = PlanForm()
    else:
        form = PlanForm(formdata=None, data={
            "version": services.plan_version(plan), "title_vi": plan.title_vi,
            "rows": [{"id": r.id, **{f: getattr(r, f) or "" for f in ("element", *TEXT_FIELDS)}}
                     for r in services.ordered_rows(plan)]})
    for entry in form.rows:
        entry.form.element.choices = _element_choices()
    form.new_task.choices = _task_choices(unit)
    form.new_element.choices = [("", "—")] + _element_choices()
    return form


def _edits(form: PlanForm, action: str, unit: Unit) -> services.PlanEdits:
    edits = services.PlanEdits(title_vi=form.title_vi.data, rows=[
        services.RowEdit(row_id=entry.form.id.data, data=TaskData(
            element=entry.form.element.data,
            **{name: getattr(entry.form, name).data for name in TEXT_FIELDS}))
        for entry in form.rows])
    match = ACTION.match(action)
    if match.group(2) == "remove":
        edits.remove.append(int(match.group(3)))
    elif match.group(2) in ("up", "down"):
        edits.move.append((int(match.group(3)), -1 if match.group(2) == "up" else 1))
    elif action == "add-task":
        task = next((t for t in usable_tasks(unit) if str(t.id) == form.new_task.data), None)
        if task is None:
            raise ServiceError(_("Choose a task from the catalogue."), status=400,
                               field="new_task")
        edits.add.append(TaskData.from_row(task))
    elif action == "add-blank":
        if not form.new_element.data:
            raise ServiceError(_("Choose the element of the new row."), status=400,
                               field="new_element")
        edits.add.append(TaskData(element=form.new_element.data, task_vi=""))
    return edits


def _editor(plan: ImprovementPlan, unit: Unit, form: PlanForm, status: int = 200):
    entries = {entry.form.id.data: entry.form for entry in form.rows}
    return render_template(
        "reports/plans/edit.html", plan=plan, unit=unit, form=form, entry_for=entries.get,
        can_edit=can(current_user, P.REPORTS_PUBLISH, unit), layout=services.plan_layout(plan),
        campaign=db.session.get(Campaign, plan.campaign_id) if plan.campaign_id else None,
        blank_rows=sum(1 for r in plan.rows if not r.task_vi)), status


@bp.route("/<int:plan_id>", methods=["GET", "POST"])
def edit(plan_id: int):
    """An improvement plan's editor: edit, add, delete and reorder its rows."""
    plan = _load(plan_id, P.REPORTS_VIEW)
    unit = db.session.get(Unit, plan.unit_id)
    if request.method == "POST":
        require(current_user, P.REPORTS_PUBLISH, unit, object_type="improvement_plan",
                object_id=plan.id)
    form = _plan_form(plan, unit, submitted=request.method == "POST")
    if request.method == "GET":
        return _editor(plan, unit, form)
    action = request.form.get("action", "save")
    if not ACTION.match(action):
        abort(400)
    if form.version.data != services.plan_version(plan):
        flash(_("Someone changed this plan since you opened it. Your changes were not saved: "
                "here is the current plan."), "error")
        return _editor(plan, unit, _plan_form(plan, unit, submitted=False), 409)
    if not form.validate():
        return _editor(plan, unit, form, 400)
    try:
        changed = services.update_plan_rows(plan, _edits(form, action, unit),
                                            actor=current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _editor(plan, unit, form, error.status)
    db.session.commit()
    if changed:
        flash(_("Plan saved."), "success")
    anchor = "add" if action.startswith("add-") else "rows"
    return redirect(url_for(".edit", plan_id=plan.id, _anchor=anchor), code=303)


@bp.post("/<int:plan_id>/xoa")
def delete(plan_id: int):
    """Delete an improvement plan, once confirmed."""
    plan = _load(plan_id, P.REPORTS_PUBLISH)
    if request.form.get("confirm") != "yes":
        abort(400)
    try:
        services.delete_plan(plan, actor=current_user)
    except ServiceError as error:
        db.session.rollback()
        abort(error.status)
    db.session.commit()
    flash(_("Plan deleted."), "success")
    return redirect(url_for(".index"), code=303)


# --- Printing and export. -------------------------------------------------------------------

@bp.get("/<int:plan_id>/in")
def printable(plan_id: int):
    """An improvement plan laid out for printing (Phụ lục II)."""
    plan = _load(plan_id, P.REPORTS_VIEW)
    unit = db.session.get(Unit, plan.unit_id)
    return render_template("reports/plans/print.html", plan=plan, unit=unit,
                           layout=services.plan_layout(plan), printed_on=local(now()).date())


@bp.get("/<int:plan_id>/ke-hoach.xlsx")
def export(plan_id: int):
    """An improvement plan as an XLSX file (the export is logged)."""
    plan = _load(plan_id, P.REPORTS_VIEW)
    unit = db.session.get(Unit, plan.unit_id)
    record_audit_now("reports.plan.exported", object_type="improvement_plan",
                     object_id=plan.id, unit_id=plan.unit_id, after={"format": "xlsx"})
    response = Response(
        plan_workbook(plan, unit, locale()),
        mimetype=XLSX_MIMETYPE)
    name = f"ke-hoach-{unit.code}-{plan.period_label or plan.id}.xlsx"
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
