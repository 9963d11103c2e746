"""The one access check: "may this user (or API key) do X on unit U / on this object?".

Every view, API endpoint, export and CLI command asks here. Roles are granted on a unit and
hold for its whole subtree; a grant with no unit (system admin) holds everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from flask import abort
from sqlalchemy import ColumnElement, false, or_, true

from core.audit import record_audit_now
from core.extensions import db
from core.models import ApiKey, Role, Unit, User


class Permission(StrEnum):
    UNITS_VIEW = "units.view"
    UNITS_MANAGE = "units.manage"
    USERS_MANAGE = "users.manage"
    AUDIT_VIEW = "audit.view"
    SETTINGS_MANAGE = "settings.manage"
    CALENDAR_MANAGE = "calendar.manage"
    APIKEYS_MANAGE = "apikeys.manage"
    SURVEYS_MANAGE = "surveys.manage"
    SURVEYS_ENTER = "surveys.enter"
    QR_PRINT = "qr.print"
    DOSSIERS_WRITE = "dossiers.write"
    FEEDBACK_INTAKE = "feedback.intake"
    FEEDBACK_VIEW = "feedback.view"
    FEEDBACK_TRIAGE = "feedback.triage"
    FEEDBACK_HANDLE = "feedback.handle"
    FEEDBACK_APPROVE = "feedback.approve"
    FEEDBACK_CONTACT_VIEW = "feedback.contact_view"
    REPORTS_VIEW = "reports.view"
    REPORTS_PUBLISH = "reports.publish"
    # Read /metrics (core.metrics): only system-wide (the system administrator) or on a key.
    METRICS_VIEW = "metrics.view"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SYSTEM_ADMIN: frozenset(Permission),
    Role.UNIT_ADMIN: frozenset(
        {P.UNITS_VIEW, P.UNITS_MANAGE, P.USERS_MANAGE, P.AUDIT_VIEW, P.SETTINGS_MANAGE,
         P.APIKEYS_MANAGE, P.SURVEYS_MANAGE, P.QR_PRINT, P.REPORTS_VIEW}
    ),
    Role.PAKN_OFFICER: frozenset(
        {P.UNITS_VIEW, P.FEEDBACK_INTAKE, P.FEEDBACK_VIEW, P.FEEDBACK_TRIAGE,
         P.FEEDBACK_CONTACT_VIEW}
    ),
    Role.HANDLER: frozenset(
        {P.UNITS_VIEW, P.FEEDBACK_VIEW, P.FEEDBACK_HANDLE, P.FEEDBACK_CONTACT_VIEW}
    ),
    Role.APPROVER: frozenset(
        {P.UNITS_VIEW, P.FEEDBACK_VIEW, P.FEEDBACK_APPROVE, P.FEEDBACK_CONTACT_VIEW,
         P.REPORTS_VIEW}
    ),
    Role.ANALYST: frozenset(
        {P.UNITS_VIEW, P.SURVEYS_MANAGE, P.REPORTS_VIEW, P.REPORTS_PUBLISH}
    ),
    Role.DESK_STAFF: frozenset(
        {P.UNITS_VIEW, P.SURVEYS_ENTER, P.QR_PRINT, P.DOSSIERS_WRITE, P.FEEDBACK_INTAKE}
    ),
}

# Permissions an API key may carry: what other systems do, never administration.
API_KEY_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.UNITS_VIEW, P.DOSSIERS_WRITE, P.FEEDBACK_INTAKE, P.FEEDBACK_VIEW, P.REPORTS_VIEW,
     P.METRICS_VIEW}
)

Actor = User | ApiKey


def scopes(actor: Actor, perm: Permission) -> list[str] | None:
    """Unit paths under which ``actor`` holds ``perm``; None means everywhere."""
    if isinstance(actor, ApiKey):
        if not actor.is_usable or perm.value not in (actor.permissions or []):
            return []
        return [actor.unit.path]
    if not getattr(actor, "is_authenticated", False) or not actor.active:
        return []
    paths: list[str] = []
    for grant in actor.grants:
        if perm not in ROLE_PERMISSIONS.get(Role(grant.role), frozenset()):
            continue
        if grant.unit_id is None:
            return None
        if grant.unit is not None and grant.unit.active:
            paths.append(grant.unit.path)
    return paths


def can(actor: Actor | None, perm: Permission, unit: Unit | None = None) -> bool:
    """May ``actor`` do ``perm`` on ``unit``? With unit None: on some unit at least (menus).
    System-wide actions (the holiday calendar) ask ``can_globally`` instead."""
    if actor is None:
        return False
    held = scopes(actor, perm)
    if held is None:
        return True
    if unit is None:
        return bool(held)
    return any(unit.path.startswith(path) for path in held)


def can_globally(actor: Actor | None, perm: Permission) -> bool:
    """True only for a grant that covers every unit (system-wide settings such as holidays)."""
    return actor is not None and scopes(actor, perm) is None


def unit_scope_clause(actor: Actor, perm: Permission, path_column=None) -> ColumnElement[bool]:
    """A WHERE clause limiting a query to units (or rows joined to units) in the actor's scope."""
    column = path_column if path_column is not None else Unit.path
    held = scopes(actor, perm)
    if held is None:
        return true()
    if not held:
        return false()
    return or_(*[column.like(path + "%") for path in _outermost(held)])


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by an ancestor path in the list."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def require(
    actor: Actor | None,
    perm: Permission,
    unit: Unit | None,
    *,
    object_type: str | None = None,
    object_id: object = None,
) -> None:
    """Abort unless allowed, and log the refusal.

    Someone who cannot even see the unit gets 404, so object ids in other units reveal
    nothing; someone who can see it but lacks this permission gets 403.
    """
    if can(actor, perm, unit):
        return
    visible = unit is not None and can(actor, Permission.UNITS_VIEW, unit)
    record_audit_now(
        "access.denied",
        object_type=object_type or ("unit" if unit is not None else None),
        object_id=object_id if object_id is not None else (unit.id if unit is not None else None),
        unit_id=unit.id if unit is not None else None,
        reason=perm.value,
    )
    abort(403 if visible or unit is None else 404)


def require_global(actor: Actor | None, perm: Permission) -> None:
    if can_globally(actor, perm):
        return
    record_audit_now("access.denied", reason=perm.value)
    abort(403)


def require_somewhere(actor: Actor | None, perm: Permission) -> None:
    """Abort with 403 (and log it) unless ``actor`` holds ``perm`` on at least one unit: for
    pages that then show only the units in the actor's scope."""
    if actor is not None and scopes(actor, perm) != []:
        return
    record_audit_now("access.denied", reason=perm.value)
    abort(403)


def may_grant_role(actor: Actor, role: Role, unit: Unit | None) -> bool:
    """May ``actor`` hand out ``role`` on ``unit`` (None: everywhere)? Only where they manage
    accounts, and only a role whose every permission they hold there themselves: otherwise a
    unit administrator could grant a colleague, or an account of their own making, the PAKN
    roles that read citizens' contact data."""
    needed = ROLE_PERMISSIONS[role] | {Permission.USERS_MANAGE}
    if unit is None:
        return all(can_globally(actor, perm) for perm in needed)
    return all(can(actor, perm, unit) for perm in needed)


def grantable_roles(actor: Actor) -> list[Role]:
    """Roles ``actor`` may hand out on at least one unit (``may_grant_role`` decides per unit)."""
    return [role for role in Role if _grantable_somewhere(actor, role)]


def _grantable_somewhere(actor: Actor, role: Role) -> bool:
    held = [scopes(actor, perm) for perm in ROLE_PERMISSIONS[role] | {Permission.USERS_MANAGE}]
    if any(paths == [] for paths in held):
        return False
    # Subtrees meet in the subtree of the deepest of their roots, so trying every root suffices.
    roots = [path for paths in held if paths is not None for path in paths] or [""]
    return any(all(paths is None or any(root.startswith(p) for p in paths) for paths in held)
               for root in roots)


def visible_units(actor: Actor, perm: Permission = Permission.UNITS_VIEW) -> list[Unit]:
    stmt = db.select(Unit).where(unit_scope_clause(actor, perm)).order_by(Unit.path)
    return list(db.session.scalars(stmt))
