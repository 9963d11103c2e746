"""Effective-dated settings: what is in force today, what is scheduled, and scheduling a value."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from core.access import (
    Permission,
    can_globally,
    require,
    require_global,
    unit_scope_clause,
    visible_units,
)
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.settings import (
    SETTINGS,
    SettingDefinition,
    SettingType,
    get_setting,
    set_setting,
    setting_overview,
)
from core.views.admin import bp

P = Permission.SETTINGS_MANAGE


class ScheduleForm(BaseForm):
    effective_from = DateField(_l("In force from"), validators=[InputRequired()])
    unit_id = SelectField(_l("Applies to"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note (for example the decision behind the value)"),
                         validators=[Optional(), Length(max=1000)])


def _schedule_form(definition: SettingDefinition) -> ScheduleForm:
    class Form(ScheduleForm):
        pass

    if definition.type is SettingType.BOOL:
        options = [SelectChoice("1", _l("Yes")), SelectChoice("0", _l("No"))]
    else:
        options = [SelectChoice(value, label) for value, label in definition.choices]
    if options:
        Form.value = SelectField(_l("New value"), choices=options, validators=[InputRequired()])
    else:
        Form.value = StringField(_l("New value"), validators=[InputRequired(), Length(max=200)])
    form = Form()
    form.unit_id.choices = _unit_choices(definition)
    if request.method == "GET":
        form.effective_from.data = today()
        form.value.data = _as_input(definition, get_setting(definition.key))
    return form


def _as_input(definition: SettingDefinition, value: Any) -> str:
    if definition.type is SettingType.BOOL:
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unit_choices(definition: SettingDefinition) -> list[SelectChoice]:
    choices = ([SelectChoice(0, str(_l("Every unit (global value)")))]
               if can_globally(current_user, P) else [])
    if definition.per_unit:
        choices += [SelectChoice(unit.id, "— " * unit.depth + unit.name_vi)
                    for unit in visible_units(current_user, P)]
    return choices


def show_value(definition: SettingDefinition, value: Any) -> str:
    """A stored value as an admin reads it: labels for choices, yes/no, a unit of measure."""
    if definition.type is SettingType.BOOL:
        return str(_("Yes") if value else _("No"))
    if definition.choices:
        return str(dict(definition.choices).get(value, value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {definition.unit_label}" if definition.unit_label else str(value)


def _definition(key: str) -> SettingDefinition:
    definition = SETTINGS.get(key)
    if definition is None:
        abort(404)
    return definition


def _overview(key: str):
    return setting_overview(key, unit_scope=unit_scope_clause(current_user, P))


@bp.get("/cai-dat")
def settings():
    """Every setting: the value in force, what is scheduled and the units' own values."""
    require(current_user, P, None)
    return render_template("admin/settings.html", show=show_value,
                           overviews=[_overview(key) for key in sorted(SETTINGS)])


def _target_unit() -> Unit | None:
    """The unit the posted value is for, after the access check (refusals are audited)."""
    unit_id = request.form.get("unit_id", type=int) or 0
    if not unit_id:
        require_global(current_user, P)
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    require(current_user, P, unit, object_type="setting")
    return unit


@bp.route("/cai-dat/<key>", methods=["GET", "POST"])
def setting_detail(key: str):
    """One setting's values over time; schedule a new value, globally or for a unit."""
    definition = _definition(key)
    require(current_user, P, None)
    unit = _target_unit() if request.method == "POST" else None
    form = _schedule_form(definition)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            set_setting(key, form.value.data, effective_from=form.effective_from.data,
                        unit=unit, note=form.note.data, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "value", form.value).errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("The new value is scheduled."), "success")
            return redirect(url_for("admin.setting_detail", key=key))
    return render_template("admin/setting_detail.html", form=form, show=show_value,
                           overview=_overview(key), today=today()), status
