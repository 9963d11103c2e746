"""Back office: the improvement-task catalogue, listed by element. Shipped tasks (from the seed
plans) are read-only and can be copied into a unit's own catalogue; a unit's own tasks are
added, edited and taken out of use by whoever publishes reports for that unit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission, can, can_globally, require, require_global, visible_units
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind
from core.views.admin import require_staff
from reports import plan_catalogue as catalogue
from reports.models import ImprovementTask
from reports.plan_catalogue import ELEMENT_ORDER, TEXT_FIELDS, TaskData, element_name
from reports.plan_forms import TaskForm

bp = Blueprint("reports_plan_catalogue", __name__,
               url_prefix="/quan-tri/bao-cao/ke-hoach/danh-muc")
bp.before_request(require_staff)

P = Permission
OWN = "own"


def _locale() -> str:
    return str(get_locale() or "vi")


@bp.context_processor
def helpers() -> dict:
    return {"element_name": lambda code: element_name(code, _locale()),
            "can_edit_task": lambda task: catalogue.can_edit_task(current_user, task)}


def _visible_owner_ids() -> set[int]:
    """Units whose own tasks the actor sees: those they report on and the units above them
    (whose tasks their plans may use)."""
    return {i for unit in visible_units(current_user, P.REPORTS_VIEW) for i in unit.ancestor_ids()}


def _visible(task: ImprovementTask) -> bool:
    return task.owner_unit_id is None or task.owner_unit_id in _visible_owner_ids()


@bp.get("/")
def index():
    """The improvement-task catalogue by element: shipped tasks and the units' own."""
    require(current_user, P.REPORTS_VIEW, None)
    element = request.args.get("element", "")
    source = request.args.get("source", "")
    sources = catalogue.shipped_sources()
    if (element and element not in ELEMENT_ORDER) or (
            source and source != OWN and source not in sources):
        abort(400)
    stmt = select(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_(None)
        | ImprovementTask.owner_unit_id.in_(_visible_owner_ids()))
    if element:
        stmt = stmt.where(ImprovementTask.element == element)
    if source == OWN:
        stmt = stmt.where(ImprovementTask.owner_unit_id.is_not(None))
    elif source:
        stmt = stmt.where(ImprovementTask.owner_unit_id.is_(None),
                          ImprovementTask.source == source)
    tasks = sorted(db.session.scalars(stmt), key=lambda t: (
        catalogue.element_rank(t.element), t.owner_unit_id is not None, t.position, t.id))
    groups: dict[str, list[ImprovementTask]] = {}
    for task in tasks:
        groups.setdefault(task.element, []).append(task)
    return render_template(
        "reports/plans/catalogue.html", groups=groups, elements=ELEMENT_ORDER,
        sources=sources, element=element, source=source, own=OWN,
        can_add=can(current_user, P.REPORTS_PUBLISH),
        can_reload=can_globally(current_user, P.REPORTS_PUBLISH),
        owners={u.id: u for u in db.session.scalars(
            select(Unit).where(Unit.id.in_({t.owner_unit_id for t in tasks} - {None})))})


def _units() -> list[Unit]:
    return [u for u in visible_units(current_user, P.REPORTS_PUBLISH)
            if u.active and u.kind != UnitKind.DESK.value]


def _form(task: ImprovementTask | None) -> TaskForm:
    form = TaskForm()
    form.unit.choices = [(str(u.id), "— " * u.depth + u.name_vi) for u in _units()]
    form.element.choices = [(c, f"{c} {element_name(c, _locale())}") for c in ELEMENT_ORDER]
    if task is not None and not form.is_submitted():
        form.element.data = task.element
        for name in TEXT_FIELDS:
            getattr(form, name).data = getattr(task, name) or ""
        form.active.data = task.active
        if task.owner_unit_id is not None:
            form.unit.data = str(task.owner_unit_id)
    return form


def _data(form: TaskForm) -> TaskData:
    return TaskData(element=form.element.data,
                    **{name: getattr(form, name).data for name in TEXT_FIELDS})


def _render(form: TaskForm, task: ImprovementTask | None, copied: ImprovementTask | None,
            status: int):
    return render_template("reports/plans/task_form.html", form=form, task=task,
                           copied=copied), status


@bp.route("/moi", methods=["GET", "POST"])
def new():
    """Add a task to a unit's own catalogue, blank or copied from a task listed."""
    require(current_user, P.REPORTS_PUBLISH, None)
    copied = None
    raw = request.args.get("from", "")
    if raw:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            abort(400)
        copied = db.session.get(ImprovementTask, int(raw))
        if copied is None or not _visible(copied):
            abort(404)
    form = _form(copied)
    if not form.validate_on_submit():
        return _render(form, None, copied, 400 if form.is_submitted() else 200)
    owner = db.session.get(Unit, int(form.unit.data))
    try:
        task = catalogue.create_task(owner, _data(form), current_user,
                                     active=bool(form.active.data))
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "task_vi").errors.append(error.message)
        return _render(form, None, copied, error.status)
    db.session.commit()
    flash(_("Task saved in %(unit)s's catalogue.", unit=owner.name_vi), "success")
    return redirect(url_for(".index", element=task.element, source=OWN), code=303)


@bp.route("/<int:task_id>", methods=["GET", "POST"])
def edit(task_id: int):
    """Edit a unit's own catalogue task or take it out of use (shipped tasks are read-only)."""
    task = db.session.get(ImprovementTask, task_id)
    if task is None or not _visible(task):
        abort(404)
    if task.owner_unit_id is None:
        abort(409)  # shipped tasks are read-only: the catalogue offers a copy instead
    owner = db.session.get(Unit, task.owner_unit_id)
    require(current_user, P.REPORTS_PUBLISH, owner, object_type="improvement_task",
            object_id=task.id)
    form = _form(task)
    form.unit.choices = [(str(owner.id), owner.name_vi)]
    form.unit.data = str(task.owner_unit_id)  # a task stays with its unit
    if not form.validate_on_submit():
        return _render(form, task, None, 400 if form.is_submitted() else 200)
    try:
        catalogue.update_task(task, _data(form), current_user, active=bool(form.active.data))
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "task_vi").errors.append(error.message)
        return _render(form, task, None, error.status)
    db.session.commit()
    flash(_("Task saved."), "success")
    return redirect(url_for(".index", element=task.element, source=OWN), code=303)


@bp.post("/nap-lai")
def reload():
    """Load the shipped catalogue from its file again (system-wide publishers only)."""
    require_global(current_user, P.REPORTS_PUBLISH)
    report = catalogue.load_shipped_catalogue()
    record_audit("reports.catalogue.loaded", object_type="improvement_task",
                 after=report.__dict__)
    db.session.commit()
    flash(_("Shipped catalogue loaded: %(created)d new, %(updated)d updated, %(retired)d "
            "taken out of use.", created=report.created, updated=report.updated,
            retired=report.retired), "success")
    return redirect(url_for(".index"), code=303)
