"""Admin pages for staff accounts: create, grant and revoke roles, disable, reset password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from core.access import Permission, can, grantable_roles, visible_units
from core.auth import reset_password, set_user_active
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
    revoke_role,
)
from core.views.admin import ROLE_LABELS, bp


class GrantForm(BaseForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])
    unit_id = SelectField(_l("On unit (and everything under it)"), coerce=int,
                          validators=[InputRequired()])


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


def _fill_grant_choices(form: GrantForm) -> None:
    form.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r]))
                         for r in grantable_roles(current_user)]
    form.unit_id.choices = [SelectChoice(0, str(_l("(all units — system administrator only)")))] + [
        SelectChoice(u.id, "— " * u.depth + u.name_vi)
        for u in visible_units(current_user, Permission.USERS_MANAGE)
    ]


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not may_manage_user(current_user, user):
        abort(404)
    return user


@bp.get("/nguoi-dung")
def users():
    if not can(current_user, Permission.USERS_MANAGE):
        abort(403)
    return render_template("admin/users.html", users=manageable_users(current_user))


@bp.route("/nguoi-dung/moi", methods=["GET", "POST"])
def user_new():
    if not can(current_user, Permission.USERS_MANAGE):
        abort(403)
    form = NewUserForm()
    _fill_grant_choices(form)
    if form.validate_on_submit():
        try:
            user = create_user(NewUser(username=form.username.data, full_name=form.full_name.data,
                                       password=form.password.data,
                                       email=form.email.data or None))
            unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
            grant_role(current_user, user, Role(form.role.data), unit)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "username").errors.append(error.message)
            return render_template("admin/user_new.html", form=form), error.status
        db.session.commit()
        flash(_("Account %(name)s created. Give the temporary password to its owner in "
                "person; they must change it at first sign-in.", name=user.username), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


@bp.get("/nguoi-dung/<int:user_id>")
def user_detail(user_id: int):
    user = _load_user(user_id)
    grant_form = GrantForm(prefix="g")
    _fill_grant_choices(grant_form)
    return render_template("admin/user_detail.html", user=user, grant_form=grant_form,
                           reset_form=ResetForm(prefix="r"))


@bp.post("/nguoi-dung/<int:user_id>/vai-tro")
def user_grant(user_id: int):
    user = _load_user(user_id)
    form = GrantForm(prefix="g")
    _fill_grant_choices(form)
    if not form.validate():
        flash(_("Choose a role and a unit."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
    try:
        grant_role(current_user, user, Role(form.role.data), unit)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    db.session.commit()
    flash(_("Role granted."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/nguoi-dung/<int:user_id>/vai-tro/<int:grant_id>/thu-hoi")
def user_revoke(user_id: int, grant_id: int):
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
    user = _load_user(user_id)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return user_detail(user_id), 409
    active = request.form.get("active") == "1"
    set_user_active(user, active, reason=request.form.get("reason") or "")
    db.session.commit()
    flash(_("Account enabled.") if active else
          _("Account disabled; it has been signed out everywhere."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/nguoi-dung/<int:user_id>/dat-lai-mat-khau")
def user_reset_password(user_id: int):
    user = _load_user(user_id)
    form = ResetForm(prefix="r")
    if form.validate():
        problems = reset_password(user, form.password.data, reason=form.reason.data)
        if not problems:
            db.session.commit()
            flash(_("Temporary password set. The account was signed out everywhere and must "
                    "choose a new password at next sign-in."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        form.password.errors.extend(problems)
    db.session.rollback()
    grant_form = GrantForm(prefix="g")
    _fill_grant_choices(grant_form)
    return render_template("admin/user_detail.html", user=user, grant_form=grant_form,
                           reset_form=form), 400
