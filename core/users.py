"""Services for staff accounts and role grants. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from core.access import Permission, can, can_globally, may_grant_role
from core.audit import record_audit
from core.auth import normalise_username, reset_password
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
    """Give ``user`` a role on ``unit`` (None: everywhere, system admin only). ``admin`` None
    is the command line (first set-up), which needs no grantor."""
    if role is Role.SYSTEM_ADMIN and unit is not None:
        unit = None  # a system administrator's role holds everywhere by definition
    if admin is not None:
        check_grant_allowed(admin, user, role, unit)
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


def check_grant_allowed(admin: User, user: User, role: Role, unit: Unit | None) -> None:
    """Refuse (ServiceError 403) a grant ``admin`` may not make: outside the units where they
    manage accounts, a role holding a permission they lack there, or a role for themself."""
    if user.id == admin.id and not can_globally(admin, Permission.USERS_MANAGE):
        # Self-service would let one person both ask for and approve a new power: a role for
        # oneself comes from another administrator, whose name the grant and the log keep. A
        # system administrator is exempt: they already hold every permission everywhere, so
        # a role for themself (say, to appear on the PAKN officers' work list) adds no power.
        raise ServiceError(_("You cannot grant a role to yourself; ask another administrator."),
                           field="role", status=403)
    if role is Role.SYSTEM_ADMIN and not can_globally(admin, Permission.USERS_MANAGE):
        raise ServiceError(_("Only a system administrator can grant this role."), field="role",
                           status=403)
    if unit is None and not can_globally(admin, Permission.USERS_MANAGE):
        raise ServiceError(_("Only a system administrator can grant a role on every unit."),
                           field="unit_id", status=403)
    if unit is not None and not can(admin, Permission.USERS_MANAGE, unit):
        raise ServiceError(_("You can only grant roles within the units you administer."),
                           field="unit_id", status=403)
    if not may_grant_role(admin, role, unit):
        raise ServiceError(_("You can only grant a role whose permissions you hold yourself on "
                             "that unit."), field="role", status=403)


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


def may_reset_password(admin: User, user: User) -> bool:
    """Whoever sets a password can sign in with it, so an admin resets only the password of an
    account whose every role they could grant: a unit administrator may disable a PAKN officer
    of their unit, but not take over the account and read citizens' contact data through it."""
    return may_manage_user(admin, user) and all(
        may_grant_role(admin, Role(grant.role), grant.unit) for grant in user.grants)


def reset_user_password(admin: User, user: User, new: str, reason: str) -> list[str]:
    """``admin`` gives ``user`` a temporary password (core.auth.reset_password: every session of
    the account ends); returns the password's problems, empty on success."""
    if not may_reset_password(admin, user):
        raise ServiceError(_("Only an administrator holding every permission of this account's "
                             "roles can reset its password."), status=403)
    return reset_password(user, new, reason)


def manageable_users(admin: User) -> list[User]:
    users = db.session.scalars(db.select(User).order_by(User.full_name)).all()
    return [user for user in users if may_manage_user(admin, user)]
