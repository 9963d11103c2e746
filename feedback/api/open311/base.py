"""The Open311 blueprint, its errors in the specification's format, and the routing of each
resource under both extensions.

Errors follow the specification: a list of ``{"code": <HTTP status>, "description": "…"}``
in JSON, or ``<errors><error><code/><description/></error></errors>`` in XML, whichever
format the path asked for.
"""

from __future__ import annotations

import logging
from functools import wraps

import flask
import marshmallow as ma
from flask import current_app
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from core.api import Blueprint
from core.extensions import db
from feedback.api.open311.rendering import XML, requested_format, xml_response

blp = Blueprint(
    "open311", __name__, url_prefix="/api/v1/open311",
    description="PAKN as Open311 GeoReport v2. Each path is documented with its .json "
                "extension and answers the same in XML with .xml instead (the "
                "specification's default format). Errors are [{\"code\", \"description\"}] "
                "(<errors><error>… in XML) as the specification says. The discovery document "
                "lists the endpoint.")
log = logging.getLogger(__name__)


class Open311Error(Exception):
    """One or more problems with the request, all answered with one status."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def error_answer(status: int, *descriptions: str, headers: dict | None = None):
    items = [{"code": status, "description": text} for text in descriptions]
    if requested_format() == XML:
        response = xml_response("errors", items, "error", status=status)
        response.headers.update(headers or {})
        return response
    return items, status, headers or {}


@blp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    db.session.rollback()
    return error_answer(error.status, *error.descriptions)


@blp.errorhandler(Exception)
def _error(error: Exception):
    """Every error in the specification's format, as the OpenAPI document says."""
    if not isinstance(error, HTTPException):
        if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS") is not False:
            raise error
        log.exception("unhandled error in the Open311 API")
        db.session.rollback()
        error = InternalServerError()
    status = error.code or 500
    description = str(error.description if status != 500 else "internal error")
    headers = {k: v for k, v in error.get_response().headers.items()
               if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return error_answer(status, description, headers=headers)


# Flask prefers an app-wide handler for a status code (core.errors) to a blueprint's handler
# for a class, so the errors raised before the view (core.request_input's 400 for input that
# is not UTF-8 text) would leave in the API's format: register this handler per code too.
for _code in default_exceptions:
    blp.register_error_handler(_code, _error)


class ErrorItemSchema(ma.Schema):
    code = ma.fields.Integer()
    description = ma.fields.String()


_ERROR_TEXTS = {
    "400": "Bad request", "401": "No usable API key", "403": "The key lacks the permission",
    "404": "Not found", "413": "The body is too large", "429": "Too many requests with this key",
    "default": "Any other error",
}


def documented_errors(*statuses: int):
    """Document the spec's error list for these statuses (and any other), replacing the API's
    usual error envelope in the OpenAPI document: this blueprint answers every error so."""
    def described(key: str) -> dict:
        return {"description": _ERROR_TEXTS[key],
                "content": {"application/json": {"schema": ErrorItemSchema(many=True)}}}

    keys = [str(status) for status in statuses] + ["default"]
    return blp.doc(responses={key: described(key) for key in keys})


def route(json_rule: str, method: str):
    """Register a view under ``json_rule`` (in the OpenAPI document) and under its ``.xml``
    twin, as the same endpoint: flask-smorest documents one rule per endpoint (the first),
    and the access rules and url_for see one view."""
    def decorator(view):
        blp.route(json_rule, methods=[method])(view)
        xml_rule = json_rule.removesuffix(".json") + ".xml"
        flask.Blueprint.add_url_rule(blp, xml_rule, endpoint=view.__name__, view_func=view,
                                     methods=[method])
        return view

    return decorator


def in_requested_format(root_tag: str, item_tag: str | None, schema: ma.Schema):
    """Below ``blp.response``: for an ``.xml`` path, answer the view's result dumped with
    ``schema``, as XML; a ``.json`` path goes on to flask-smorest's JSON as before."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            result = view(*args, **kwargs)
            if requested_format() != XML:
                return result
            body, status = result if isinstance(result, tuple) else (result, 200)
            return xml_response(root_tag, schema.dump(body), item_tag, status=status)

        return wrapper

    return decorator
