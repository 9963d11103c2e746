"""Work lists ("Việc của tôi"): the sections of each role's landing page.

``core`` knows no capability package: each one registers its sections in its ``init_app``
with ``register_section(app, Section(...))``, and set-up checks for administrators with
``register_setup_check``. A section belongs to one role and is shown to a user holding it;
its query takes the user and returns a ``WorkResult`` (a count and the first items, most
urgent first), scoped to the user's unit subtree for the section's permission
(``core.access.unit_scope_clause``). Registrations live on the app, not in a module global,
so two apps in one process (tests) never see each other's sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.access import Permission, can_globally, unit_scope_clause
from core.extensions import db
from core.models import Role, RoleGrant, SettingValue, Unit, User
from core.settings import SETTINGS

EXTENSION = "langnghe_worklists"
ITEMS_SHOWN = 8
# The order of the roles' groups on the page: administration last, it is set-up work.
ROLE_ORDER = (Role.PAKN_OFFICER, Role.HANDLER, Role.APPROVER, Role.ANALYST, Role.DESK_STAFF,
              Role.UNIT_ADMIN, Role.SYSTEM_ADMIN)


@dataclass(frozen=True)
class WorkItem:
    title: str
    url: str
    code: str | None = None          # a tracking code, a point code
    due_at: datetime | None = None
    overdue: bool = False
    note: str | None = None          # a state, a unit, a figure
    new: bool = False


@dataclass
class WorkResult:
    count: int
    items: list[WorkItem] = field(default_factory=list)
    more_url: str | None = None
    # Figures shown as a small table (label, value) instead of items: the analyst's list.
    figures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    key: str
    role: Role
    title: object                    # a lazy string
    query: Callable[[User], WorkResult]
    order: int = 100
    empty: object = _l("Nothing to do here.")


@dataclass(frozen=True)
class SetupGap:
    label: str
    url: str | None = None


SetupCheck = Callable[[User], SetupGap | None]


@dataclass
class Registry:
    sections: dict[str, Section] = field(default_factory=dict)
    setup_checks: list[SetupCheck] = field(default_factory=list)


def _registry(app: Flask) -> Registry:
    return app.extensions.setdefault(EXTENSION, Registry())


def register_section(app: Flask, section: Section) -> None:
    _registry(app).sections[section.key] = section


def register_setup_check(app: Flask, check: SetupCheck) -> None:
    checks = _registry(app).setup_checks
    if check not in checks:
        checks.append(check)


@dataclass
class RoleGroup:
    role: Role
    sections: list[tuple[Section, WorkResult]]


def user_roles(user: User) -> list[Role]:
    held = {Role(grant.role) for grant in user.grants if grant.role in Role._value2member_map_}
    return [role for role in ROLE_ORDER if role in held]


def work_lists(user: User) -> list[RoleGroup]:
    """Every section of every role the user holds, each with its query's result."""
    sections = sorted(_registry(current_app).sections.values(), key=lambda s: s.order)
    groups = []
    for role in user_roles(user):
        mine = [(section, section.query(user)) for section in sections if section.role == role]
        if mine:
            groups.append(RoleGroup(role, mine))
    return groups


# --- Administrators: what set-up is still missing. ----------------------------------------

def setup_gaps(user: User) -> WorkResult:
    gaps = [gap for check in _registry(current_app).setup_checks
            if (gap := check(user)) is not None]
    return WorkResult(len(gaps), [WorkItem(title=gap.label, url=gap.url or "") for gap in gaps])


def _count_in_scope(stmt, user: User, perm: Permission) -> int:
    return db.session.scalar(stmt.where(unit_scope_clause(user, perm))) or 0


def check_units(user: User) -> SetupGap | None:
    """Only the top unit: no department, commune or desk below it yet."""
    units = _count_in_scope(select(func.count(Unit.id)).where(Unit.active.is_(True)), user,
                            Permission.UNITS_MANAGE)
    if units > 1:
        return None
    return SetupGap(str(_l("No units under yours yet: add the departments, communes and "
                           "one-stop desks.")), url_for("admin.units"))


def check_staff(user: User) -> SetupGap | None:
    """Nobody but administrators holds a role in the user's units."""
    stmt = (select(func.count(RoleGrant.id)).join(Unit, Unit.id == RoleGrant.unit_id)
            .where(RoleGrant.role.not_in([Role.SYSTEM_ADMIN.value, Role.UNIT_ADMIN.value])))
    if _count_in_scope(stmt, user, Permission.USERS_MANAGE):
        return None
    return SetupGap(str(_l("No staff account has a working role yet (PAKN officer, handler, "
                           "approver, analyst, desk staff).")), url_for("admin.users"))


def check_settings(user: User) -> SetupGap | None:
    """Settings whose default no legal text fixes, never decided by the agency."""
    if not can_globally(user, Permission.SETTINGS_MANAGE):
        return None  # those defaults are decided system-wide
    pending = [key for key, definition in SETTINGS.items() if definition.needs_confirmation]
    decided = set(db.session.scalars(select(SettingValue.key).where(
        SettingValue.key.in_(pending)).distinct())) if pending else set()
    left = [key for key in pending if key not in decided]
    if not left:
        return None
    return SetupGap(str(_l("%(n)d setting(s) still use an unconfirmed default: %(keys)s.",
                           n=len(left), keys=", ".join(left))), url_for("admin.settings"))


def register_core_work_lists(app: Flask) -> None:
    for role in (Role.SYSTEM_ADMIN, Role.UNIT_ADMIN):
        register_section(app, Section(
            key=f"setup_{role.value}", role=role, title=_l("Set-up still missing"),
            query=setup_gaps, order=10, empty=_l("Nothing is missing: the set-up is complete.")))
    for check in (check_units, check_staff, check_settings):
        register_setup_check(app, check)
