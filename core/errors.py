"""Error pages in both languages for people, JSON with a stable code under /api/."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.extensions import db
from core.request_input import InvalidEncoding, InvalidJson

log = logging.getLogger(__name__)

# Stable machine codes for API clients; never change a published one.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in first"),
    403: _l("You do not have permission to do this"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This conflicts with the current state"),
    410: _l("This link is no longer in use"),
    413: _l("What you sent is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is restarting"),
}

ADVICE = {
    400: _l("Please go back, check what you entered and try again."),
    401: _l("Sign in, or send an API key that may read this."),
    403: _l("If you think you should have access, ask your unit's administrator."),
    404: _l("Check the address, or start again from the home page."),
    405: _l("Please go back and use the buttons on the page."),
    409: _l("Someone may have changed this already. Reload the page and try again."),
    410: _l("Please ask at the desk for the current link."),
    413: _l("Please send a smaller file or shorter text."),
    429: _l("Please wait a minute and try again."),
    500: _l("Your data already saved is safe. Please try again in a few minutes."),
    503: _l("Your data already saved is safe. Please try again in a moment."),
}
# Seconds a client is asked to wait when the database is gone for a moment (a restart or a
# fail-over takes a few seconds; nginx and phones retry after this).
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None,
                   details: object = None):
    if wants_json():
        body: dict[str, object] = {
            "error": {
                "code": code or ERROR_CODES.get(status, "error"),
                "status": status,
                "message": message or ERROR_CODES.get(status, "error").replace("_", " "),
            }
        }
        if details is not None:
            body["error"]["details"] = details  # type: ignore[index]
        return body, status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, TITLES[500]),
            advice=ADVICE.get(status, ADVICE[500]),
            message=message,
        ),
        status,
    )


def _kept_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers (Allow on a 405, WWW-Authenticate, Retry-After…), which a
    page rendered in its place would otherwise lose; its Content-Type is ours to set."""
    return [(name, value) for name, value in error.get_headers()
            if name.lower() not in ("content-type", "content-length")]


def database_unavailable(error: Exception) -> bool:
    """The database could not be reached or dropped the connection (a PostgreSQL restart, a
    locked SQLite file past its busy timeout): the request may succeed again in a moment."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def _unavailable_response():
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()  # the connection is gone: drop it instead of returning it
    body, status = error_response(503)
    return body, status, [("Retry-After", str(RETRY_AFTER_SECONDS))]


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_response(
            400, str(_l("The form expired or was sent twice. Please reload the page and try "
                        "again.")), code="csrf_failed"
        )

    @app.errorhandler(InvalidEncoding)
    @app.errorhandler(InvalidJson)
    def _bad_input(error: InvalidEncoding | InvalidJson):
        # Said in words on citizen pages too: "check what you entered" would not help here.
        body, status = error_response(400, str(error.description), code=error.code_name)
        return body, status, _kept_headers(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        message = None
        data = getattr(error, "data", None)
        details = None
        if isinstance(data, dict) and "messages" in data:  # webargs/smorest validation
            details = data["messages"]
            status = 422 if status == 422 else status
        if wants_json() and status not in (500,):
            message = error.description
        body, status = error_response(status, message if wants_json() else None,
                                      details=details)
        return body, status, _kept_headers(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS") is not False:
            raise error  # let the test see the real traceback
        if database_unavailable(error):
            log.warning("database unavailable: %s", type(error.orig).__name__
                        if isinstance(error, DBAPIError) else type(error).__name__)
            return _unavailable_response()
        log.exception("unhandled error")
        db.session.rollback()
        return error_response(500)

    app.register_error_handler(InternalServerError, _http)
