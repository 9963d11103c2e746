"""Sign in, sign out, change one's own password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from core.auth import (
    LoginOutcome,
    change_password,
    check_credentials,
    end_login_session,
    start_login_session,
)
from core.extensions import db, limiter
from core.views.public import _safe_next

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Account name"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("new")],
        render_kw={"autocomplete": "new-password"},
    )


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_IP"]


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
def login():
    """Sign in (throttled per account and per address)."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    result = check_credentials(form.username.data, form.password.data)
    if result.outcome is LoginOutcome.THROTTLED:
        db.session.rollback()
        flash(_("Too many failed attempts. Wait 15 minutes and try again."), "error")
        return render_template("auth/login.html", form=form), 429
    if result.outcome is LoginOutcome.BAD_CREDENTIALS:
        db.session.commit()
        flash(_("Account name or password is not correct."), "error")
        return render_template("auth/login.html", form=form), 401
    start_login_session(result.user)
    db.session.commit()
    if result.user.must_change_password:
        return redirect(url_for("auth.password"))
    return redirect(_safe_next(request.args.get("next", "")) if request.args.get("next")
                    else url_for("admin.dashboard"))


@bp.post("/dang-xuat")
def logout():
    """Sign out: the session row ends at once."""
    end_login_session()
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/tai-khoan/mat-khau", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; the account's other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        problems = change_password(current_user, form.current.data, form.new.data)
        if not problems:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("admin.dashboard"))
        db.session.rollback()
        if problems == ["current"]:
            form.current.errors.append(_("The current password is not correct."))
        else:
            form.new.errors.extend(problems)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
