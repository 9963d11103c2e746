"""Admin pages for the organisation tree."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

from core.access import Permission, can, can_globally, require, visible_units
from core.audit import record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.org import UnitData, build_tree, create_unit, delete_unit, set_unit_active, update_unit
from core.views.admin import bp

KIND_LABELS = {
    UnitKind.PROVINCE: _l("Province"),
    UnitKind.AGENCY: _l("Agency (department, board, authority)"),
    UnitKind.DEPARTMENT: _l("Division or office"),
    UnitKind.SERVICE_CENTRE: _l("Public service centre"),
    UnitKind.COMMUNE: _l("Commune or ward"),
    UnitKind.DESK: _l("Desk"),
    UnitKind.OTHER: _l("Other"),
}
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40), Regexp(
        CODE_PATTERN, message=_l("Use letters, digits, dot, dash or underscore only."))])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[InputRequired(),
                                                               Length(max=255)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=255)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[InputRequired()],
    )
    parent_id = SelectField(_l("Belongs to"), coerce=int, validators=[InputRequired()])
    sort_order = IntegerField(_l("Order among siblings"), default=0,
                              validators=[Optional(), NumberRange(min=0, max=100000)])
    hotline = StringField(_l("Hotline"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("Public email"), validators=[Optional(), Email(), Length(max=254)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Optional(), Length(max=500)])
    reason = StringField(_l("Reason for the change (kept in the audit log)"),
                         validators=[Optional(), Length(max=500)])

    def to_data(self, active: bool = True) -> UnitData:
        return UnitData(
            code=self.code.data, name_vi=self.name_vi.data, name_en=self.name_en.data or None,
            kind=self.kind.data, parent_id=self.parent_id.data or None,
            sort_order=self.sort_order.data or 0, hotline=self.hotline.data or None,
            email=self.email.data or None, address=self.address.data or None,
            opening_hours=self.opening_hours.data or None, active=active,
        )


def _parent_choices(exclude: Unit | None = None) -> list[SelectChoice]:
    choices: list[SelectChoice] = []
    if can_globally(current_user, Permission.UNITS_MANAGE):
        choices.append(SelectChoice(0, str(_l("(top level)"))))
    for unit in visible_units(current_user, Permission.UNITS_MANAGE):
        if exclude is not None and unit.is_within(exclude):
            continue
        choices.append(SelectChoice(unit.id, "— " * unit.depth + unit.name_vi))
    return choices


def _load(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def _require_manage_parent(parent_id: int | None) -> None:
    if parent_id:
        require(current_user, Permission.UNITS_MANAGE, _load(parent_id))
    elif not can_globally(current_user, Permission.UNITS_MANAGE):
        abort(403)


@bp.get("/don-vi")
def units():
    """The organisation tree of the units the user may see, with what they may do to each."""
    if not can(current_user, Permission.UNITS_VIEW):
        abort(403)
    return _render_tree()


def _render_tree():
    return render_template(
        "admin/units.html",
        tree=build_tree(visible_units(current_user)),
        kind_labels=KIND_LABELS,
        may_manage=lambda unit: can(current_user, Permission.UNITS_MANAGE, unit),
        may_place=may_place,
        may_create_root=can_globally(current_user, Permission.UNITS_MANAGE),
        may_import=can(current_user, Permission.UNITS_MANAGE),
    )


@bp.route("/don-vi/moi", methods=["GET", "POST"])
def unit_new():
    """Create a unit, at the top or under a parent the user manages."""
    form = UnitForm()
    form.parent_id.choices = _parent_choices()
    if request.method == "GET":
        form.parent_id.data = request.args.get("parent", type=int) or 0
    if form.validate_on_submit():
        _require_manage_parent(form.parent_id.data)
        try:
            unit = create_unit(form.to_data())
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template("admin/unit_form.html", form=form,
                                   unit=None), error.status
        else:
            db.session.commit()
            flash(_("Unit %(name)s created.", name=unit.name_vi), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None), _status(form)


@bp.route("/don-vi/<int:unit_id>/sua", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    """Edit a unit's details; moving it under another parent is decided one level up."""
    unit = _load(unit_id)
    require(current_user, Permission.UNITS_MANAGE, unit)
    form = UnitForm(obj=unit) if request.method == "GET" else UnitForm()
    form.parent_id.choices = _parent_choices(exclude=unit)
    if unit.parent_id and all(c.value != unit.parent_id for c in form.parent_id.choices):
        form.parent_id.choices.insert(0, SelectChoice(unit.parent_id, unit.parent.name_vi))
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        if form.parent_id.data != (unit.parent_id or 0):
            _require_place(unit)
            _require_manage_parent(form.parent_id.data)
        try:
            update_unit(unit, form.to_data(active=unit.active), reason=form.reason.data or None)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template("admin/unit_form.html", form=form,
                                   unit=unit), error.status
        else:
            db.session.commit()
            flash(_("Changes to %(name)s saved.", name=unit.name_vi), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit), _status(form)


def may_place(unit: Unit) -> bool:
    """Deactivating, deleting or moving a unit is decided one level up: a unit admin may
    edit their own unit's details but not switch off or remove the unit their role sits on
    (which would also lock them out)."""
    if unit.parent_id is None:
        return can_globally(current_user, Permission.UNITS_MANAGE)
    return can(current_user, Permission.UNITS_MANAGE, unit.parent)


def _require_place(unit: Unit) -> None:
    require(current_user, Permission.UNITS_MANAGE, unit)
    if not may_place(unit):
        record_audit_now("access.denied", object_type="unit", object_id=unit.id,
                         unit_id=unit.id, reason="units.manage(parent)")
        abort(403)


@bp.post("/don-vi/<int:unit_id>/trang-thai")
def unit_set_active(unit_id: int):
    """Switch a unit on, or off together with its sub-units (decided one level up)."""
    unit = _load(unit_id)
    _require_place(unit)
    active = request.form.get("active") == "1"
    set_unit_active(unit, active, reason=request.form.get("reason") or None)
    db.session.commit()
    flash(_("%(name)s is now active.", name=unit.name_vi) if active else
          _("%(name)s and its sub-units are now inactive.", name=unit.name_vi), "success")
    return redirect(url_for("admin.units"))


@bp.get("/don-vi/<int:unit_id>/xoa")
def unit_delete_confirm(unit_id: int):
    """Confirm deleting a unit for good, with a reason for the audit log."""
    unit = _load(unit_id)
    _require_place(unit)
    return render_template("admin/unit_delete.html", unit=unit)


@bp.post("/don-vi/<int:unit_id>/xoa")
def unit_delete(unit_id: int):
    """Delete a unit that holds nothing; one still in use is refused (409)."""
    unit = _load(unit_id)
    _require_place(unit)
    name = unit.name_vi
    try:
        delete_unit(unit, reason=request.form.get("reason") or None)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_tree(), 409
    db.session.commit()
    flash(_("%(name)s deleted.", name=name), "success")
    return redirect(url_for("admin.units"))


def _status(form: BaseForm) -> int:
    return 400 if form.is_submitted() and form.errors else 200
