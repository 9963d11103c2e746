"""Signing in and out: credentials, throttling, server-side login sessions, password changes.

The browser's signed cookie holds only a random session token. Its row in ``login_sessions``
decides whether the session is alive, so a disabled account, a password reset or a timeout ends
it at once on every device, and each sign-in starts a new token (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

from flask import current_app, has_request_context, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, func, update

from core.audit import record_audit, snapshot
from core.clock import now
from core.db import defer_write
from core.extensions import db
from core.models import LoginFailure, LoginSession, User
from core.passwords import hash_password, needs_rehash, password_problems, verify_password

SESSION_KEY = "sid"


class LoginOutcome(Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _account_key(username: str) -> str:
    return hashlib.sha256(normalise_username(username).encode()).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def recent_failures(username: str) -> int:
    since = now() - current_app.config["LOGIN_FAILURE_WINDOW"]
    stmt = db.select(func.count(LoginFailure.id)).where(
        LoginFailure.account_key == _account_key(username), LoginFailure.at >= since
    )
    return db.session.scalar(stmt) or 0


def check_credentials(username: str, password: str) -> LoginResult:
    """Verify a sign-in attempt. Unknown accounts and wrong passwords look the same, and both
    count towards the per-account throttle."""
    if recent_failures(username) >= current_app.config["LOGIN_FAILURE_LIMIT"]:
        return LoginResult(LoginOutcome.THROTTLED)
    user = db.session.scalar(
        db.select(User).where(User.username == normalise_username(username))
    )
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.active:
        db.session.add(LoginFailure(account_key=_account_key(username)))
        record_audit("auth.login_failed", object_type="user", object_id=user.id if user else None)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.account_key == _account_key(username))
    )
    return LoginResult(LoginOutcome.OK, user)


def start_login_session(user: User) -> None:
    """Sign ``user`` in with a brand-new session: anything in the old cookie is dropped."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    user.last_login_at = now()
    login_user(user)  # first, so the audit entry names the user as its actor
    record_audit("auth.login", object_type="user", object_id=user.id)
    session[SESSION_KEY] = token


def end_login_session(reason: str = "logout") -> None:
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _token_hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=now(), end_reason=reason)
        )
    logout_user()
    session.clear()


def end_all_sessions(user: User, reason: str, *, keep_current: bool = False) -> None:
    """End every live session of ``user``; with ``keep_current``, all but the one of this
    request (the person who just changed their password stays signed in here)."""
    stmt = (update(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .values(ended_at=now(), end_reason=reason))
    token = session.get(SESSION_KEY) if keep_current and has_request_context() else None
    if token:
        stmt = stmt.where(LoginSession.token_hash != _token_hash(token))
    db.session.execute(stmt)


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only while their session row is alive."""
    token = session.get(SESSION_KEY)
    if not token or not user_id.isdigit():
        return None
    login = db.session.scalar(
        db.select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
    )
    if login is None or login.user_id != int(user_id) or login.ended_at is not None:
        return None
    user = db.session.get(User, login.user_id)
    if user is None or not user.active:
        return None
    moment = now()
    config = current_app.config
    expired_by = None
    if moment - login.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        expired_by = "absolute_timeout"
    elif moment - login.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        expired_by = "idle_timeout"
    if expired_by or moment - login.last_seen_at > config["SESSION_TOUCH_INTERVAL"]:
        _touch_or_end(login.id, moment, expired_by)
    return None if expired_by else user


def _touch_or_end(login_id: int, moment, ended_reason: str | None) -> None:
    # After the request, in its own short transaction: a GET must not turn its read
    # transaction into a write just to note that the session is still in use.
    values = {"ended_at": moment, "end_reason": ended_reason} if ended_reason else {
        "last_seen_at": moment
    }
    defer_write(lambda session: session.execute(
        update(LoginSession).where(LoginSession.id == login_id).values(**values)))


def change_password(user: User, current: str, new: str) -> list[str]:
    """Change one's own password; returns the problems, empty on success."""
    if not verify_password(user.password_hash, current):
        return ["current"]
    problems = password_problems(new, username=user.username, full_name=user.full_name)
    if problems:
        return problems
    _set_password(user, new)
    # Whoever may have learnt the old password (a stolen laptop, a shared screen) is
    # signed out on every other device.
    end_all_sessions(user, "password_changed", keep_current=True)
    record_audit("user.password_changed", object_type="user", object_id=user.id)
    return []


def reset_password(user: User, new: str, reason: str) -> list[str]:
    """An admin sets a temporary password; the user must change it and is signed out."""
    problems = password_problems(new, username=user.username, full_name=user.full_name)
    if problems:
        return problems
    _set_password(user, new)
    user.must_change_password = True
    end_all_sessions(user, "password_reset")
    record_audit("user.password_reset", object_type="user", object_id=user.id, reason=reason)
    return []


def _set_password(user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = now()
    user.must_change_password = False


def set_user_active(user: User, active: bool, reason: str) -> None:
    before = snapshot(user, ["active"])
    user.active = active
    if not active:
        end_all_sessions(user, "disabled")
    record_audit(
        "user.enabled" if active else "user.disabled",
        object_type="user",
        object_id=user.id,
        before=before,
        after=snapshot(user, ["active"]),
        reason=reason,
    )
