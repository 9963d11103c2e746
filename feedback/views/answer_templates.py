"""Back office: answer templates (mẫu trả lời) of a unit, kept by its handlers and approvers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.access import Permission, can_globally, unit_scope_clause, visible_units
from core.audit import record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.views.admin import require_staff
from feedback import answers as services
from feedback.models import AnswerTemplate
from feedback.queues import TOPIC_LABELS
from feedback.views.queue import office_labels

bp = Blueprint("feedback_answer_templates", __name__, url_prefix="/quan-tri/pakn/mau-tra-loi")
bp.before_request(require_staff)
bp.context_processor(office_labels)

PERMS = (Permission.FEEDBACK_HANDLE, Permission.FEEDBACK_APPROVE)
SHARED = "shared"


class TemplateForm(BaseForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(
        max=services.MAX_TEMPLATE_TITLE)])
    unit = SelectField(_l("Unit"), validators=[InputRequired()])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    body = TextAreaField(_l("Text"), validators=[InputRequired(), Length(
        max=services.MAX_ANSWER)])
    active = BooleanField(_l("In use"), default=True)


def _units() -> list[Unit]:
    seen: dict[int, Unit] = {}
    for perm in PERMS:
        for unit in visible_units(current_user, perm):
            if unit.active and unit.kind != UnitKind.DESK.value:
                seen[unit.id] = unit
    return sorted(seen.values(), key=lambda u: u.path)


def _is_global() -> bool:
    return any(can_globally(current_user, perm) for perm in PERMS)


def _require_any() -> None:
    if not _units() and not _is_global():
        record_audit_now("access.denied", reason=Permission.FEEDBACK_HANDLE.value)
        abort(403)


def _form(template: AnswerTemplate | None = None) -> TemplateForm:
    form = TemplateForm(obj=None)
    choices = [(str(u.id), "— " * u.depth + u.name_vi) for u in _units()]
    if _is_global():
        choices.insert(0, (SHARED, _("Every unit (shared)")))
    form.unit.choices = choices
    form.topic.choices = [("", _("Any topic"))] + [(k, str(v)) for k, v in TOPIC_LABELS.items()]
    if template is not None and not form.is_submitted():
        form.title.data = template.title
        form.unit.data = str(template.unit_id) if template.unit_id else SHARED
        form.topic.data = template.topic or ""
        form.body.data = template.body
        form.active.data = template.active
    return form


def _data(form: TemplateForm) -> services.TemplateData:
    unit = None if form.unit.data == SHARED else db.session.get(Unit, int(form.unit.data))
    return services.TemplateData(title=form.title.data, body=form.body.data, unit=unit,
                                 topic=form.topic.data or None, active=bool(form.active.data))


@bp.get("/")
def index():
    """The answer templates of the user's units and the shared ones, active first."""
    _require_any()
    in_scope = or_(*[AnswerTemplate.unit_id.in_(
        select(Unit.id).where(unit_scope_clause(current_user, perm))) for perm in PERMS])
    templates = db.session.execute(
        select(AnswerTemplate).where(or_(in_scope, AnswerTemplate.unit_id.is_(None)))
        .order_by(AnswerTemplate.active.desc(), AnswerTemplate.title)).scalars().all()
    return render_template("feedback/office/answer_templates.html", templates=templates,
                           can_manage=services.can_manage_templates,
                           placeholders=services.PLACEHOLDERS)


def _save(form: TemplateForm, template: AnswerTemplate | None):
    if not form.validate_on_submit():
        return None
    try:
        if template is None:
            template = services.create_template(current_user, _data(form))
        else:
            template = services.update_template(template, current_user, _data(form))
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "title").errors.append(error.message)
        return error.status
    db.session.commit()
    flash(_("Template saved."), "success")
    return redirect(url_for(".index"), code=303)


@bp.route("/moi", methods=["GET", "POST"])
def new():
    """Write a new answer template, for one unit or shared."""
    _require_any()
    form = _form()
    result = _save(form, None)
    if result is not None and not isinstance(result, int):
        return result
    status = result if isinstance(result, int) else (400 if form.errors else 200)
    return render_template("feedback/office/answer_template_form.html", form=form,
                           template=None, placeholders=services.PLACEHOLDERS), status


@bp.route("/<int:template_id>", methods=["GET", "POST"])
def edit(template_id: int):
    """Edit an answer template the user may manage."""
    template = db.session.get(AnswerTemplate, template_id)
    if template is None:
        abort(404)
    if not services.can_manage_templates(current_user, template.unit):
        record_audit_now("access.denied", object_type="answer_template",
                         object_id=template.id, unit_id=template.unit_id,
                         reason=Permission.FEEDBACK_HANDLE.value)
        abort(404)
    form = _form(template)
    result = _save(form, template)
    if result is not None and not isinstance(result, int):
        return result
    status = result if isinstance(result, int) else (400 if form.errors else 200)
    return render_template("feedback/office/answer_template_form.html", form=form,
                           template=template, placeholders=services.PLACEHOLDERS), status
