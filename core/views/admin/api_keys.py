"""Admin pages for API keys: list, issue (the key is shown once), revoke, usage log."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.access import API_KEY_PERMISSIONS, Permission, can, require, visible_units
from core.apikeys import (
    issue_api_key,
    key_status,
    keys_in_scope,
    latest_uses,
    revoke_api_key,
    use_counts,
)
from core.clock import LOCAL_TZ
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import ApiKey, Unit
from core.views.admin import bp

PERMISSION_LABELS = {
    Permission.UNITS_VIEW: _l("Read the organisation tree and public contact details"),
    Permission.DOSSIERS_WRITE: _l("Send dossiers and ask for rating tokens (one-stop system)"),
    Permission.FEEDBACK_INTAKE: _l("Submit citizen feedback (portal)"),
    Permission.FEEDBACK_VIEW: _l("Read feedback and its answers"),
    Permission.REPORTS_VIEW: _l("Read reports and statistics"),
    Permission.METRICS_VIEW: _l("Read the operating metrics (Prometheus, /metrics)"),
}
STATUS_LABELS = {
    "active": _l("active"),
    "revoked": _l("revoked"),
    "expired": _l("expired"),
    "unit_inactive": _l("unit inactive"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IssueKeyForm(BaseForm):
    name = StringField(_l("Name (which system uses this key)"),
                       validators=[InputRequired(), Length(max=120)])
    # Any id is accepted here; the view answers 404/403 for a unit outside the user's scope.
    unit_id = SelectField(_l("Unit (the key sees it and everything under it)"), coerce=int,
                          validate_choice=False, validators=[InputRequired()])
    permissions = CheckboxesField(
        _l("Permissions"),
        choices=[SelectChoice(perm.value, label) for perm, label in PERMISSION_LABELS.items()
                 if perm in API_KEY_PERMISSIONS])
    expires_at = DateField(_l("Valid until (inclusive, optional)"), validators=[Optional()])


class RevokeForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=500)])


def _end_of_local_day(day: date) -> datetime:
    # "Valid until 31/01" means through that day in Vietnam.
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)


def _load_key(key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        abort(404)
    require(current_user, Permission.APIKEYS_MANAGE, key.unit, object_type="api_key",
            object_id=key.id)
    return key


def _labels() -> dict:
    return {"permission_labels": {p.value: label for p, label in PERMISSION_LABELS.items()},
            "status_labels": STATUS_LABELS, "key_status": key_status}


@bp.get("/khoa-api")
def api_keys():
    """The keys of the units this admin manages, with their use over 30 days."""
    if not can(current_user, Permission.APIKEYS_MANAGE):
        abort(403)
    keys = keys_in_scope(current_user)
    return render_template("admin/api_keys.html", keys=keys,
                           counts=use_counts(key.id for key in keys), **_labels())


@bp.route("/khoa-api/moi", methods=["GET", "POST"])
def api_key_new():
    """Issue a key; its secret is shown on this one page only."""
    if not can(current_user, Permission.APIKEYS_MANAGE):
        abort(403)
    form = IssueKeyForm()
    form.unit_id.choices = [SelectChoice(unit.id, "— " * unit.depth + unit.name_vi)
                            for unit in visible_units(current_user, Permission.APIKEYS_MANAGE)]
    # Offer only what the admin holds; issue_api_key checks it on the key's unit.
    form.permissions.choices = [choice for choice in form.permissions.choices
                                if can(current_user, Permission(choice.value))]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        if unit is None:
            abort(404)
        require(current_user, Permission.APIKEYS_MANAGE, unit)
        expires = _end_of_local_day(form.expires_at.data) if form.expires_at.data else None
        try:
            key, plaintext = issue_api_key(form.name.data, unit, form.permissions.data or [],
                                           expires_at=expires, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
            return render_template("admin/api_key_form.html", form=form), error.status
        db.session.commit()
        return render_template("admin/api_key_created.html", key=key, plaintext=plaintext,
                               **_labels())
    return render_template("admin/api_key_form.html", form=form), 400 if form.errors else 200


@bp.get("/khoa-api/<int:key_id>")
def api_key_detail(key_id: int):
    """One key: its scope, status and latest uses."""
    key = _load_key(key_id)
    return render_template("admin/api_key_detail.html", key=key, uses=latest_uses(key),
                           form=RevokeForm(), **_labels())


@bp.post("/khoa-api/<int:key_id>/thu-hoi")
def api_key_revoke(key_id: int):
    """Revoke a key, with a reason."""
    key = _load_key(key_id)
    form = RevokeForm()
    if not form.validate():
        return render_template("admin/api_key_detail.html", key=key, uses=latest_uses(key),
                               form=form, **_labels()), 400
    try:
        revoke_api_key(key, reason=form.reason.data, actor=current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.api_key_detail", key_id=key_id))
    db.session.commit()
    flash(_("Key %(prefix)s revoked; systems using it are refused from now on.",
            prefix=key.prefix), "success")
    return redirect(url_for("admin.api_key_detail", key_id=key_id))
