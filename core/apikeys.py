"""API keys for other systems: issue, revoke, authenticate, log each use.

A key reads ``ln_<prefix>_<secret>``. The prefix is public (lists, logs, rate-limit buckets);
only SHA-256 of the secret is stored, which is enough because the secret is 256 random bits.
Services flush and leave the commit to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlalchemy.orm import Session

from core.access import API_KEY_PERMISSIONS, Permission, can, unit_scope_clause
from core.audit import record_audit, snapshot
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import ApiKey, ApiKeyUse, Unit, User

KEY_SCHEME = "ln"
PREFIX_LENGTH = 8
# Letters and digits only (a subset of the URL-safe alphabet), so the prefix never contains
# the "_" separator and a key splits at fixed positions.
PREFIX_ALPHABET = string.ascii_letters + string.digits
AUDIT_FIELDS = ("name", "prefix", "unit_id", "permissions", "expires_at", "revoked_at")
# Compared against when the prefix is unknown, so a miss costs the same work as a hit.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    for _attempt in range(10):
        prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if db.session.scalar(db.select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            return prefix
    raise RuntimeError("could not find a free API key prefix")  # 62**8 values: never happens


def issue_api_key(
    name: str,
    unit: Unit,
    permissions: Iterable[str],
    *,
    expires_at: datetime | None = None,
    actor: User,
) -> tuple[ApiKey, str]:
    """Create a key for ``unit``'s subtree; returns it with the plaintext, shown only once."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the key a name that says which system uses it."),
                           field="name", status=400)
    if not can(actor, Permission.APIKEYS_MANAGE, unit):
        raise ServiceError(_("You can only issue keys for the units you administer."),
                           status=403, field="unit_id")
    wanted = sorted(set(permissions))
    allowed = {perm.value for perm in API_KEY_PERMISSIONS}
    unknown = [perm for perm in wanted if perm not in allowed]
    if unknown:
        raise ServiceError(_("An API key cannot carry these permissions: %(names)s.",
                             names=", ".join(unknown)), field="permissions", status=400)
    if not wanted:
        raise ServiceError(_("Choose at least one permission."), field="permissions",
                           status=400)
    # A key acts on its own, so it may do nothing its creator could not do on its unit: a unit
    # administrator must not mint, say, dossier rating tokens they cannot issue themselves.
    lacking = [perm for perm in wanted if not can(actor, Permission(perm), unit)]
    if lacking:
        raise ServiceError(_("You cannot give a key permissions you do not hold on its unit: "
                             "%(names)s.", names=", ".join(lacking)), field="permissions",
                           status=403)
    if expires_at is not None and expires_at <= now():
        raise ServiceError(_("The expiry must be in the future."), field="expires_at",
                           status=400)
    prefix = _new_prefix()
    secret = secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=prefix, secret_hash=hash_secret(secret), unit_id=unit.id,
                 permissions=wanted, created_by_id=actor.id, expires_at=expires_at)
    db.session.add(key)
    db.session.flush()
    record_audit("apikey.issued", object_type="api_key", object_id=key.id, unit_id=unit.id,
                 after=snapshot(key, AUDIT_FIELDS), actor_user_id=actor.id)
    return key, f"{KEY_SCHEME}_{prefix}_{secret}"


def revoke_api_key(key: ApiKey, *, reason: str, actor: User) -> None:
    if not can(actor, Permission.APIKEYS_MANAGE, key.unit):
        raise ServiceError(_("You can only revoke keys of the units you administer."),
                           status=403)
    if key.revoked_at is not None:
        raise ServiceError(_("This key was already revoked."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the key is revoked."), field="reason", status=400)
    before = snapshot(key, AUDIT_FIELDS)
    key.revoked_at = now()
    db.session.flush()
    record_audit("apikey.revoked", object_type="api_key", object_id=key.id,
                 unit_id=key.unit_id, before=before, after=snapshot(key, AUDIT_FIELDS),
                 reason=reason, actor_user_id=actor.id)


def split_key(header_value: str | None) -> tuple[str, str] | None:
    """(prefix, secret) from ``Bearer ln_<prefix>_<secret>`` or the bare key, else None."""
    value = (header_value or "").strip()
    scheme, _sep, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    head = f"{KEY_SCHEME}_"
    cut = len(head) + PREFIX_LENGTH
    if not value.startswith(head) or len(value) <= cut + 1 or value[cut] != "_":
        return None
    prefix, secret = value[len(head):cut], value[cut + 1:]
    if any(ch not in PREFIX_ALPHABET for ch in prefix):
        return None
    return prefix, secret


def find_api_key(header_value: str | None) -> ApiKey | None:
    """The key whose prefix and secret both match, whatever its state (revoked, expired)."""
    parts = split_key(header_value)
    if parts is None:
        return None
    prefix, secret = parts
    key = db.session.scalar(db.select(ApiKey).where(ApiKey.prefix == prefix))
    stored = key.secret_hash if key is not None else _DUMMY_HASH
    if not hmac.compare_digest(stored, hash_secret(secret)) or key is None:
        return None
    return key


def key_status(key: ApiKey) -> str:
    """"active", or why the key is refused: "revoked", "expired", "unit_inactive"."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now():
        return "expired"
    if not key.unit.active:
        return "unit_inactive"
    return "active"


def authenticate_api_key(header_value: str | None) -> ApiKey | None:
    """The usable key named by an ``Authorization: Bearer`` or ``X-API-Key`` value."""
    key = find_api_key(header_value)
    return key if key is not None and key_status(key) == "active" else None


def record_api_key_use(key: ApiKey | int, method: str, path: str, status: int,
                       request_id: str | None, *, session: Session | None = None) -> None:
    """Log one use (the path without its query string, which may carry data) and touch
    ``last_used_at``. Takes the key or its id, so a caller that has just rolled back need
    not reload it."""
    key_id = key if isinstance(key, int) else key.id
    moment = now()
    session = session or db.session
    session.add(ApiKeyUse(api_key_id=key_id, at=moment, method=method[:8],
                          path=path.split("?", 1)[0][:255], status=status,
                          request_id=request_id))
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=moment))
    session.flush()


def keys_in_scope(actor: User) -> list[ApiKey]:
    """Keys of the units where ``actor`` manages keys, newest first."""
    stmt = (db.select(ApiKey).join(Unit, ApiKey.unit_id == Unit.id)
            .where(unit_scope_clause(actor, Permission.APIKEYS_MANAGE))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    return list(db.session.scalars(stmt))


def use_counts(key_ids: Iterable[int], days: int = 30) -> dict[int, int]:
    """Uses per key over the last ``days`` days (keys with none are absent)."""
    ids = list(key_ids)
    if not ids:
        return {}
    since = now() - timedelta(days=days)
    stmt = (db.select(ApiKeyUse.api_key_id, func.count(ApiKeyUse.id))
            .where(ApiKeyUse.api_key_id.in_(ids), ApiKeyUse.at >= since)
            .group_by(ApiKeyUse.api_key_id))
    return {key_id: count for key_id, count in db.session.execute(stmt)}


def latest_uses(key: ApiKey, limit: int = 100) -> list[ApiKeyUse]:
    stmt = (db.select(ApiKeyUse).where(ApiKeyUse.api_key_id == key.id)
            .order_by(ApiKeyUse.at.desc(), ApiKeyUse.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))
