"""Per-request plumbing: request ids, write intent for SQLite, security headers."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, request

from core.db import run_deferred_writes, set_write_intent

# A proxy's request id is kept when it looks like one (nginx's $request_id, a UUID…): it then
# ties the proxy's log line to ours. Anything else is replaced, never logged as sent.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _begin_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
    # Writes on SQLite must take the lock at BEGIN (core.db); GETs stay concurrent readers.
    set_write_intent(request.method in UNSAFE_METHODS)


def init_request_hooks(app: Flask) -> None:
    # Before every other hook, so that even a request they refuse has its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)

    app.teardown_request(run_deferred_writes)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["HSTS_ENABLED"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint and not request.endpoint.startswith("static"):
            # Pages carry CSRF tokens and names; do not let shared caches keep them.
            headers.setdefault("Cache-Control", "no-store")
        return response
