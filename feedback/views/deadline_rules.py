"""Back office: PAKN deadline rules (per step, kind, topic and unit, effective-dated), the
core settings they fall back on (and which of those the agency must still confirm), and a
calculator of the deadlines a case would get. Admins with SETTINGS_MANAGE on the unit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.access import Permission, can_globally, require, visible_units
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from feedback import deadline_rules as services
from feedback.deadlines import Step
from feedback.labels import KIND_LABELS, TOPIC_LABELS
from feedback.models import Topic

bp = Blueprint("feedback_deadline_rules", __name__, url_prefix="/quan-tri/pakn/thoi-han")
bp.before_request(require_staff)
MANAGE = Permission.SETTINGS_MANAGE
STEP_LABELS = {
    Step.TRANSFER.value: _l("Transfer outside our competence"),
    Step.ACKNOWLEDGE.value: _l("Tell the sender it was accepted or transferred"),
    Step.ANSWER.value: _l("Answer in writing"),
}


def _kinds(blank):
    return [SelectChoice("", blank)] + [SelectChoice(k, KIND_LABELS.get(k, k))
                                        for k in services.RULE_KINDS]


def _topics(blank):
    return [SelectChoice("", blank)] + [SelectChoice(t.value, TOPIC_LABELS.get(t.value, t.value))
                                        for t in Topic]


class RuleForm(BaseForm):
    step = SelectField(_l("Step"), validators=[InputRequired()],
                       choices=[SelectChoice(k, v) for k, v in STEP_LABELS.items()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    unit_id = SelectField(_l("Unit (and everything under it)"), coerce=int,
                          validate_choice=False, validators=[InputRequired()])
    days = IntegerField(_l("Working days"), validators=[InputRequired(),
                                                        NumberRange(min=1, max=365)])
    effective_from = DateField(_l("In force from"), validators=[InputRequired()])
    reason = StringField(_l("Reason (for example the decision that sets it)"),
                         validators=[InputRequired(), Length(max=2000)])


class CalculatorForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    unit_id = SelectField(_l("Handling unit"), coerce=int, validate_choice=False,
                          validators=[InputRequired()])
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    received_time = TimeField(_l("at (time)"), validators=[Optional()])


def _units() -> list[Unit]:
    return visible_units(current_user, MANAGE)


def _rule_form(formdata=None) -> RuleForm:
    form = RuleForm(formdata) if formdata is not None else RuleForm()
    form.kind.choices = _kinds(_l("Any kind"))
    form.topic.choices = _topics(_l("Any topic"))
    choices = [SelectChoice(0, _l("Every unit"))] if can_globally(current_user, MANAGE) else []
    form.unit_id.choices = choices + [SelectChoice(u.id, u.name_vi) for u in _units()]
    if not form.is_submitted():
        form.effective_from.data = today()
    return form


def _calc_form() -> CalculatorForm:
    form = CalculatorForm(request.args)
    form.kind.choices = _kinds(_l("Choose a kind"))[1:]
    form.topic.choices = _topics(_l("Any topic"))
    form.unit_id.choices = [SelectChoice(u.id, u.name_vi) for u in _units()]
    if "received_on" not in request.args:
        form.received_on.data = today()
        form.received_time.data = services.DEFAULT_RECEIVED_TIME
    return form


def _unit_or_404(unit_id: int | None) -> Unit | None:
    if not unit_id:
        return None
    unit = db.session.get(Unit, unit_id) or abort(404)
    require(current_user, MANAGE, unit, object_type="unit")
    return unit


def _calculation(form: CalculatorForm):
    if "received_on" not in request.args or not form.validate():
        return None
    unit = _unit_or_404(form.unit_id.data)
    return services.calculate_deadlines(kind=form.kind.data, topic=form.topic.data or None,
                                        unit=unit, received_on=form.received_on.data,
                                        received_time=form.received_time.data)


def _render(form: RuleForm, status: int = 200):
    require(current_user, MANAGE, None)
    calc_form = _calc_form()
    calculation = _calculation(calc_form)
    if calc_form.errors and status == 200:
        status = 400
    in_force, future = services.visible_rules(current_user)
    return render_template(
        "feedback/deadlines/index.html", form=form, calc_form=calc_form,
        calculation=calculation, in_force=in_force, future=future,
        fallbacks=services.fallback_settings(), receipt_rules=services.receipt_rules(),
        step_labels=STEP_LABELS,
        kind_labels=KIND_LABELS, topic_labels=TOPIC_LABELS,
        may_manage_global=can_globally(current_user, MANAGE)), status


@bp.get("/")
def index():
    """PAKN deadline rules in force and scheduled, their fallbacks and a deadline calculator."""
    return _render(_rule_form())


@bp.post("/")
def add():
    """Add an effective-dated deadline rule for a step, kind, topic and unit."""
    require(current_user, MANAGE, None)
    form = _rule_form(request.form)
    if not form.validate():
        return _render(form, 400)
    unit = _unit_or_404(form.unit_id.data)
    try:
        services.add_deadline_rule(current_user, services.DeadlineRuleData(
            step=form.step.data, kind=form.kind.data or None, topic=form.topic.data or None,
            unit=unit, days=form.days.data, effective_from=form.effective_from.data,
            reason=form.reason.data))
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "step").errors.append(error.message)
        return _render(form, error.status)
    db.session.commit()
    flash(_("Deadline rule saved."), "success")
    return redirect(url_for("feedback_deadline_rules.index"))
