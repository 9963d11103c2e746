"""API key authentication for endpoints, the per-key rate limit and the use log.

An endpoint is protected with ``@require_api_key(Permission.X)`` placed right under
``@blp.route``, so that authentication comes before argument parsing. The order of checks is:
the key (401) → the key's rate limit (429) → the permission (403) → the view. Every request
made with a genuine key (right prefix and secret), refused or not, is logged in
``api_key_uses`` with its final status by an after-request hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import Flask, Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import Forbidden

from core.access import Permission, require
from core.apikeys import find_api_key, key_status, record_api_key_use, split_key
from core.db import defer_write
from core.extensions import limiter
from core.models import ApiKey

log = logging.getLogger(__name__)

# Either header works; the OpenAPI document lists both as alternatives.
API_KEY_SECURITY = [{"ApiKey": []}, {"ApiKeyHeader": []}]
_USE_KEY = "api_key_use_id"  # g attribute: id of the genuine key this request presented


class ApiErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Stable machine code, e.g. not_found"})
    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    message = ma.fields.String(metadata={"description": "Human-readable explanation"})
    details = ma.fields.Raw(metadata={"description": "Field errors, when validation failed"})


class ApiErrorSchema(ma.Schema):
    """The error envelope core.errors sends for every /api/ error."""

    error = ma.fields.Nested(ApiErrorBodySchema)


def _rate_limit_value() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _rate_limit_key() -> str:
    # The limit is checked after authentication, so the key is known; the address is only a
    # fallback should the limiter ever evaluate this earlier.
    key = g.get("api_key")
    return f"key:{key.prefix}" if key is not None else f"ip:{get_remote_address()}"


# One bucket per key across every endpoint ("shared" limit with one scope).
_api_limit = limiter.shared_limit(
    _rate_limit_value,
    scope="api",
    key_func=_rate_limit_key,
    error_message=lambda: _("Too many requests with this API key. Please slow down."),
)


def _presented_key() -> str | None:
    authorization = request.headers.get("Authorization")
    if split_key(authorization) is not None:
        return authorization
    return request.headers.get("X-API-Key") or authorization


def authenticate_request() -> ApiKey:
    """Put the request's usable key on ``g.api_key`` or abort with 401."""
    key = find_api_key(_presented_key())
    if key is None:
        abort(401, description=_("A valid API key is required. Send it as "
                                 "'Authorization: Bearer <key>' or 'X-API-Key: <key>'."))
    g.setdefault(_USE_KEY, key.id)
    status = key_status(key)
    if status == "revoked":
        abort(401, description=_("This API key has been revoked."))
    if status == "expired":
        abort(401, description=_("This API key has expired."))
    if status != "active":
        abort(401, description=_("The unit this API key belongs to is inactive."))
    g.api_key = key
    return key


def _require_permission(key: ApiKey, permission: Permission) -> None:
    try:
        require(key, permission, None)  # logs the refusal in the audit log
    except Forbidden:
        abort(403, description=_("This API key does not carry the permission %(permission)s.",
                                 permission=permission.value))


def require_api_key(permission: Permission | None = None) -> Callable:
    """Protect an endpoint; with no permission any usable key may call it."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def permitted(*args: Any, **kwargs: Any) -> Any:
            if permission is not None:
                _require_permission(g.api_key, permission)
            return view(*args, **kwargs)

        limited = _api_limit(permitted)

        @wraps(view)
        def authenticated(*args: Any, **kwargs: Any) -> Any:
            authenticate_request()
            return limited(*args, **kwargs)

        responses = {"401": "UNAUTHORIZED", "429": "TOO_MANY_REQUESTS"}
        if permission is not None:
            responses["403"] = "FORBIDDEN"
        return Blueprint.doc(security=API_KEY_SECURITY, responses=responses)(authenticated)

    return decorator


def _forget_key() -> None:
    # Tests reuse one app context (and so one ``g``) across requests: start clean each time.
    g.pop("api_key", None)
    g.pop(_USE_KEY, None)


def _after_api_request(response: Response) -> Response:
    if response.status_code == 401 and request.path.startswith("/api/"):
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    key_id = g.pop(_USE_KEY, None)
    if key_id is None:
        return response
    # Written after the request in its own short transaction (core.db.defer_write): the
    # refused request's pending work is never saved with it, and a GET never upgrades its read
    # transaction to a write on SQLite.
    method, path, status, request_id = (request.method, request.path, response.status_code,
                                        g.get("request_id"))
    defer_write(lambda session: record_api_key_use(key_id, method, path, status, request_id,
                                                   session=session))
    return response


def init_api_auth(app: Flask, api: Api) -> None:
    """Declare the security schemes in the OpenAPI document and install the request hooks."""
    api.spec.components.security_scheme("ApiKey", {
        "type": "http", "scheme": "bearer",
        "description": "Authorization: Bearer ln_<prefix>_<secret>",
    })
    api.spec.components.security_scheme("ApiKeyHeader", {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "The same key in an X-API-Key header",
    })
    app.before_request(_forget_key)
    app.after_request(_after_api_request)
