"""The back office: every page here needs a signed-in staff account."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.access import Permission, can, can_globally
from core.models import Role

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: object
    permission: Permission | None = None
    global_only: bool = False
    # Other permissions that also show the item (e.g. handlers or approvers).
    any_of: tuple[Permission, ...] = ()


# Later capabilities append their own entries with ``add_menu_item``.
MENU: list[MenuItem] = [
    MenuItem("admin.dashboard", _l("Overview")),
    MenuItem("admin.units", _l("Organisation"), Permission.UNITS_VIEW),
    MenuItem("admin.users", _l("Staff accounts"), Permission.USERS_MANAGE),
    MenuItem("admin.settings", _l("Settings"), Permission.SETTINGS_MANAGE),
    MenuItem("admin.calendar", _l("Working-day calendar"), Permission.UNITS_VIEW),
    MenuItem("admin.api_keys", _l("API keys"), Permission.APIKEYS_MANAGE),
    MenuItem("admin.audit", _l("Audit log"), Permission.AUDIT_VIEW),
]


def add_menu_item(item: MenuItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in MENU):
        MENU.append(item)


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
    return render_template("admin/dashboard.html", grants=current_user.grants)


def office_menu() -> list[dict]:
    from flask import current_app

    items = []
    for item in MENU:
        if item.endpoint not in current_app.view_functions:
            continue
        if item.permission is not None:
            check = can_globally if item.global_only else can
            allowed = any(check(current_user, perm) for perm in (item.permission, *item.any_of))
            if not allowed:
                continue
        url = url_for(item.endpoint)
        items.append({"url": url, "label": item.label, "active": request.path == url})
    return items


def register(app: Flask) -> None:
    # Every module of this package adds its routes to ``bp``; import them all before
    # registering, so a new admin page is one new module.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    app.register_blueprint(bp)
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["office_menu"] = office_menu
