"""Admin pages for staff accounts: create, grant and revoke roles, disable, reset password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from core.access import Permission, can, can_globally, grantable_roles, visible_units
from core.auth import set_user_active
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Role, RoleGrant, Unit, User
from core.users import (
    NewUser,
    create_user,
    grant_role,
    manageable_users,
    may_manage_user,
    may_reset_password,
    reset_user_password,
    revoke_role,
)
from core.views.admin import ROLE_LABELS, bp


def _blank_or_int(value: object) -> int | str:
    """A select's value: "" while nothing is chosen (the placeholder), else the unit id."""
    return "" if value in ("", None) else int(value)


class GrantForm(BaseForm):
    # Nothing is pre-selected: the first option used to be "System administrator" on
    # "(all units)", the most dangerous grant, made by anyone who did not look.
    role = SelectField(_l("Role"), coerce=lambda value: value or "",
                       validators=[InputRequired(message=_l("Choose a role."))])
    unit_id = SelectField(_l("On unit (and everything under it)"), coerce=_blank_or_int,
                          validators=[InputRequired(message=_l("Choose a unit."))])


class NewUserForm(GrantForm):
    username = StringField(_l("Account name"), validators=[
        InputRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, dash or underscore."))])
    full_name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=255)])
    email = EmailField(_l("Work email"), validators=[Optional(), Email(), Length(max=254)])
    password = PasswordField(_l("Temporary password"), validators=[InputRequired(),
                                                                  Length(max=256)])


class ResetForm(BaseForm):
    password = PasswordField(_l("New temporary password"), validators=[InputRequired(),
                                                                      Length(max=256)])
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=500)])


ALL_UNITS = 0  # the unit select's value for a grant on every unit (system administrators)


def _fill_grant_choices(form: GrantForm) -> None:
    """Offer the roles and units this admin may grant; a unit administrator's own unit is
    chosen for them, and they are never offered "all units"."""
    locale = str(get_locale() or "vi")
    form.role.choices = [SelectChoice("", _("— Choose a role —"))] + [
        SelectChoice(r.value, str(ROLE_LABELS[r])) for r in grantable_roles(current_user)]
    units = visible_units(current_user, Permission.USERS_MANAGE)
    everywhere = can_globally(current_user, Permission.USERS_MANAGE)
    form.unit_id.choices = [
        SelectChoice("", _("— Choose a unit —")),
        *([SelectChoice(ALL_UNITS, _("(all units — system administrator only)"))]
          if everywhere else []),
        *(SelectChoice(u.id, "— " * u.depth + u.name(locale)) for u in units)]
    own = [u for u in units if not any(u.path.startswith(o.path) and o is not u for o in units)]
    if not everywhere and len(own) == 1 and not form.unit_id.raw_data:
        form.unit_id.data = own[0].id


def _chosen_unit(form: GrantForm) -> Unit | None:
    """The unit picked in the form; None for "all units". The choices hold only the admin's
    units, so any other id was refused by the form already."""
    return db.session.get(Unit, form.unit_id.data) if form.unit_id.data != ALL_UNITS else None


def _show_service_error(form, error: ServiceError, default_field: str) -> None:
    """Put a refusal beside the field it is about (the unit, the role, the password…)."""
    getattr(form, error.field or default_field).errors.append(error.message)


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not may_manage_user(current_user, user):
        abort(404)
    return user


@bp.get("/nguoi-dung")
def users():
    """The accounts this admin manages."""
    if not can(current_user, Permission.USERS_MANAGE):
        abort(403)
    return render_template("admin/users.html", users=manageable_users(current_user))


@bp.route("/nguoi-dung/moi", methods=["GET", "POST"])
def user_new():
    """Create an account with its first role."""
    if not can(current_user, Permission.USERS_MANAGE):
        abort(403)
    form = NewUserForm()
    _fill_grant_choices(form)
    if form.validate_on_submit():
        try:
            user = create_user(NewUser(username=form.username.data, full_name=form.full_name.data,
                                       password=form.password.data,
                                       email=form.email.data or None))
            grant_role(current_user, user, Role(form.role.data), _chosen_unit(form))
        except ServiceError as error:
            db.session.rollback()
            _show_service_error(form, error, "username")
            return render_template("admin/user_new.html", form=form), error.status
        db.session.commit()
        flash(_("Account %(name)s created. Give the temporary password to its owner in "
                "person; they must change it at first sign-in.", name=user.username), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


@bp.get("/nguoi-dung/<int:user_id>")
def user_detail(user_id: int):
    """One account: its roles, the grant form, enabling and the password reset."""
    return _render_detail(_load_user(user_id))


def _render_detail(user: User, grant_form: GrantForm | None = None,
                   reset_form: ResetForm | None = None):
    if grant_form is None:
        grant_form = GrantForm(prefix="g", formdata=None)
        _fill_grant_choices(grant_form)
    return render_template("admin/user_detail.html", user=user, grant_form=grant_form,
                           reset_form=reset_form or ResetForm(prefix="r", formdata=None),
                           may_reset=may_reset_password(current_user, user),
                           may_grant=user.id != current_user.id
                           or can_globally(current_user, Permission.USERS_MANAGE))


@bp.post("/nguoi-dung/<int:user_id>/vai-tro")
def user_grant(user_id: int):
    """Grant a role; a refusal is shown beside the role or unit it is about."""
    user = _load_user(user_id)
    form = GrantForm(prefix="g")
    _fill_grant_choices(form)
    if not form.validate():
        return _render_detail(user, grant_form=form), 400
    try:
        grant_role(current_user, user, Role(form.role.data), _chosen_unit(form))
    except ServiceError as error:
        db.session.rollback()
        _show_service_error(form, error, "role")
        return _render_detail(user, grant_form=form), error.status
    db.session.commit()
    flash(_("Role granted."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/nguoi-dung/<int:user_id>/vai-tro/<int:grant_id>/thu-hoi")
def user_revoke(user_id: int, grant_id: int):
    """Remove one role of an account."""
    user = _load_user(user_id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.user_id != user.id:
        abort(404)
    try:
        revoke_role(current_user, grant, reason=request.form.get("reason") or None)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/nguoi-dung/<int:user_id>/trang-thai")
def user_set_active(user_id: int):
    """Disable an account (signed out everywhere at once) or enable it again."""
    user = _load_user(user_id)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return _render_detail(user), 409
    active = request.form.get("active") == "1"
    set_user_active(user, active, reason=request.form.get("reason") or "")
    db.session.commit()
    flash(_("Account enabled.") if active else
          _("Account disabled; it has been signed out everywhere."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/nguoi-dung/<int:user_id>/dat-lai-mat-khau")
def user_reset_password(user_id: int):
    """Set a temporary password: every session of the account ends."""
    user = _load_user(user_id)
    form = ResetForm(prefix="r")
    if form.validate():
        try:
            problems = reset_user_password(current_user, user, form.password.data,
                                           reason=form.reason.data)
        except ServiceError as error:
            db.session.rollback()
            _show_service_error(form, error, "password")
            return _render_detail(user, reset_form=form), error.status
        if not problems:
            db.session.commit()
            flash(_("Temporary password set. The account was signed out everywhere and must "
                    "choose a new password at next sign-in."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        form.password.errors.extend(problems)
    db.session.rollback()
    return _render_detail(user, reset_form=form), 400
