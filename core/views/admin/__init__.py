"""The back office: every page here needs a signed-in staff account."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# The menu registry lives in core.menu; packages import it from here with require_staff.
from core.menu import MENU, MenuGroup, MenuItem, add_menu_item, office_menu  # noqa: F401
from core.models import Role
from core.worklists import register_core_work_lists, work_lists

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")


ROLE_LABELS = {
    Role.SYSTEM_ADMIN: _l("System administrator"),
    Role.UNIT_ADMIN: _l("Unit administrator"),
    Role.PAKN_OFFICER: _l("PAKN officer"),
    Role.HANDLER: _l("Handler"),
    Role.APPROVER: _l("Leader / approver"),
    Role.ANALYST: _l("Analyst"),
    Role.DESK_STAFF: _l("Desk staff"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(Role(role), role)) if role in Role._value2member_map_ else role


def require_staff():
    """``before_request`` of every back-office blueprint: signed-in staff only, and a
    temporary password must be changed first."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.must_change_password:
        return redirect(url_for("auth.password"))
    return None


bp.before_request(require_staff)


@bp.get("/")
def dashboard():
    """Việc của tôi: the work lists of every role the user holds, most urgent first."""
    return render_template("admin/dashboard.html", grants=current_user.grants,
                           groups=work_lists(current_user))


def register(app: Flask) -> None:
    # Every module of this package adds its routes to ``bp``; import them all before
    # registering, so a new admin page is one new module.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    app.register_blueprint(bp)
    register_core_work_lists(app)
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["office_menu"] = office_menu
