"""Services for staff accounts and role grants. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from core.access import Permission, can, can_globally, grantable_roles
from core.audit import record_audit
from core.auth import normalise_username
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Role, RoleGrant, Unit, User
from core.passwords import hash_password, password_problems


@dataclass
class NewUser:
    username: str
    full_name: str
    password: str
    email: str | None = None
    must_change_password: bool = True


def create_user(data: NewUser) -> User:
    username = normalise_username(data.username)
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise ServiceError(_("This account name is already taken."), field="username")
    problems = password_problems(data.password, username=username, full_name=data.full_name)
    if problems:
        raise ServiceError(" ".join(problems), field="password", status=400)
    user = User(username=username, full_name=data.full_name, email=data.email,
                password_hash=hash_password(data.password),
                must_change_password=data.must_change_password)
    db.session.add(user)
    db.session.flush()
    record_audit("user.created", object_type="user", object_id=user.id,
                 after={"username": username, "full_name": data.full_name})
    return user


def grant_role(admin: User | None, user: User, role: Role, unit: Unit | None) -> RoleGrant:
    """Give ``user`` a role on ``unit`` (None: everywhere, system admin only)."""
    if admin is not None:
        if unit is None and not can_globally(admin, Permission.USERS_MANAGE):
            raise ServiceError(_("Only a system administrator can grant a role on every unit."),
                               status=403)
        if unit is not None and not can(admin, Permission.USERS_MANAGE, unit):
            raise ServiceError(_("You can only grant roles within the units you administer."),
                               status=403)
        if role not in grantable_roles(admin):
            raise ServiceError(_("Only a system administrator can grant this role."), status=403)
    if role is Role.SYSTEM_ADMIN and unit is not None:
        unit = None  # a system administrator's role holds everywhere by definition
    if role is not Role.SYSTEM_ADMIN and unit is None:
        raise ServiceError(_("Choose the unit this role applies to."), field="unit_id",
                           status=400)
    exists = db.session.scalar(db.select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role.value,
        RoleGrant.unit_id.is_(None) if unit is None else RoleGrant.unit_id == unit.id))
    if exists is not None:
        raise ServiceError(_("This person already has that role on that unit."))
    grant = RoleGrant(user=user, role=role.value, unit_id=unit.id if unit else None,
                      granted_by_id=admin.id if admin else None)
    db.session.add(grant)
    db.session.flush()
    record_audit("user.role_granted", object_type="user", object_id=user.id,
                 unit_id=unit.id if unit else None, after={"role": role.value,
                                                          "unit_id": unit.id if unit else None})
    return grant


def revoke_role(admin: User, grant: RoleGrant, reason: str | None = None) -> None:
    if not may_manage_grant(admin, grant):
        raise ServiceError(_("You can only change roles within the units you administer."),
                           status=403)
    record_audit("user.role_revoked", object_type="user", object_id=grant.user_id,
                 unit_id=grant.unit_id, before={"role": grant.role, "unit_id": grant.unit_id},
                 reason=reason)
    db.session.delete(grant)
    db.session.flush()


def may_manage_grant(admin: User, grant: RoleGrant) -> bool:
    if grant.unit_id is None or grant.role == Role.SYSTEM_ADMIN.value:
        return can_globally(admin, Permission.USERS_MANAGE)
    return can(admin, Permission.USERS_MANAGE, grant.unit)


def may_manage_user(admin: User, user: User) -> bool:
    """An admin manages an account when every role it holds lies within the admin's units;
    accounts with no role, or with a role everywhere, belong to system administrators."""
    if can_globally(admin, Permission.USERS_MANAGE):
        return True
    return bool(user.grants) and all(may_manage_grant(admin, g) for g in user.grants)


def manageable_users(admin: User) -> list[User]:
    users = db.session.scalars(db.select(User).order_by(User.full_name)).all()
    return [user for user in users if may_manage_user(admin, user)]
