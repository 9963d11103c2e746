"""Open311 GeoReport v2 under /api/v1/open311 (JSON only).

- ``GET services.json``: one service per PAKN topic.
- ``POST requests.json``: a key with ``feedback.intake`` (header, or the spec's ``api_key``
  parameter); form-encoded or JSON; ``jurisdiction_id`` is a unit code within the key's
  subtree (default: the key's unit). An ``Idempotency-Key`` header is honoured as in
  /api/v1/feedback.
- ``GET requests.json`` and ``GET requests/<id>.json``: without a key, only requests whose
  answer has been published (the public record); with a key carrying ``feedback.view``, also
  the requests in its subtree. Either way only public fields: no sender, no address or
  position, and the text only as the published, redacted question.

Errors follow the spec: a JSON list ``[{"code": <HTTP status>, "description": "…"}]``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import wraps

import marshmallow as ma
from flask import abort, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from core.access import Permission, can
from core.api import Blueprint
from core.api.auth import API_KEY_SECURITY, authenticate_request, require_api_key
from core.clock import LOCAL_TZ, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.org import unit_by_code
from feedback import open311
from feedback.api.feedback import target_unit
from feedback.case_access import case_scope_clause
from feedback.intake import MAX_CONTENT
from feedback.models import FeedbackCase, Publication, Topic
from feedback.tracking import normalise_tracking_code

blp = Blueprint("open311", __name__, url_prefix="/api/v1/open311",
                description="PAKN as Open311 GeoReport v2 (JSON). Errors are "
                            "[{\"code\", \"description\"}] as the specification says.")

INTAKE = Permission.FEEDBACK_INTAKE
VIEW = Permission.FEEDBACK_VIEW
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
_IDEMPOTENCY_VALUE = re.compile(r"^[\x21-\x7e]{1,60}$")
log = logging.getLogger(__name__)


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _error_body(status: int, description: str):
    return [{"code": status, "description": description}], status


@blp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    db.session.rollback()
    return _error_body(error.status, error.description)


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
    body, status = _error_body(status, str(error.description if status != 500
                                           else "internal error"))
    headers = {k: v for k, v in error.get_response().headers.items()
               if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return body, status, headers


# Flask prefers an app-wide handler for a status code (core.errors) to a blueprint's handler
# for a class, so the errors raised before the view (core.request_input's 400 for input that
# is not UTF-8 text) would leave in the API's format: register this handler per code too.
for _code in default_exceptions:
    blp.register_error_handler(_code, _error)


# -- schemas (for the OpenAPI document and for reading the POST) ---------------------------

class ServiceSchema(ma.Schema):
    service_code = ma.fields.String()
    service_name = ma.fields.String()
    description = ma.fields.String()
    metadata = ma.fields.Boolean()
    type = ma.fields.String()
    keywords = ma.fields.String()
    group = ma.fields.String()


class RequestInSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # api_key, device_id, account_id, media_url, attribute[…]

    jurisdiction_id = ma.fields.String(metadata={
        "description": "A unit code within the key's subtree (default: the key's unit)"})
    service_code = ma.fields.String(required=True, validate=ma.validate.OneOf(
        [t.value for t in Topic]))
    description = ma.fields.String(required=True,
                                   validate=ma.validate.Length(min=1, max=MAX_CONTENT))
    lat = ma.fields.Float(validate=ma.validate.Range(min=-90, max=90))
    long = ma.fields.Float(validate=ma.validate.Range(min=-180, max=180))
    address_string = ma.fields.String(validate=ma.validate.Length(max=300), load_default="")
    email = ma.fields.Email(validate=ma.validate.Length(max=300), load_default="")
    first_name = ma.fields.String(validate=ma.validate.Length(max=150), load_default="")
    last_name = ma.fields.String(validate=ma.validate.Length(max=150), load_default="")
    phone = ma.fields.String(validate=ma.validate.Length(max=30), load_default="")
    media_url = ma.fields.String(metadata={"description": "Ignored: attach files through "
                                                          "/api/v1/feedback"})

    @ma.validates_schema
    def _both_coordinates(self, data, **_kw):
        if ("lat" in data) != ("long" in data):
            raise ma.ValidationError(_("Give both lat and long, or neither."), "lat")


class CreatedSchema(ma.Schema):
    service_request_id = ma.fields.String()
    service_notice = ma.fields.String()
    account_id = ma.fields.String(allow_none=True)


class RequestSchema(ma.Schema):
    service_request_id = ma.fields.String(metadata={"description": "The tracking code"})
    status = ma.fields.String(metadata={"enum": ["open", "closed"]})
    status_notes = ma.fields.String()
    service_name = ma.fields.String()
    service_code = ma.fields.String()
    description = ma.fields.String(metadata={
        "description": "The published, redacted question; absent until published"})
    agency_responsible = ma.fields.String()
    service_notice = ma.fields.String(allow_none=True)
    requested_datetime = ma.fields.String()
    updated_datetime = ma.fields.String()
    expected_datetime = ma.fields.String(allow_none=True)


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


# -- services ------------------------------------------------------------------------------

@blp.route("/services.json", methods=["GET"])
@documented_errors(404)
@blp.doc(parameters=[{"in": "query", "name": "jurisdiction_id", "required": False,
                      "schema": {"type": "string"}}])
@blp.response(200, ServiceSchema(many=True))
def get_services():
    """The services: one per PAKN topic (no extra attributes)."""
    _jurisdiction(request.args.get("jurisdiction_id"))
    return open311.services()


def _jurisdiction(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = unit_by_code(code)
    if unit is None or not unit.active:
        raise Open311Error(404, _("Unknown jurisdiction_id."))
    return unit


# -- POST requests -------------------------------------------------------------------------

def _accept_api_key_parameter(view):
    """The spec sends the key as an ``api_key`` parameter; turn it into the header the
    common authentication reads (a header, when sent, wins)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not request.headers.get("Authorization") and not request.headers.get("X-API-Key"):
            payload = request.get_json(silent=True) if request.is_json else request.form
            value = payload.get("api_key") if hasattr(payload, "get") else None
            value = value or request.args.get("api_key")
            if isinstance(value, str) and value:
                request.environ["HTTP_X_API_KEY"] = value
        return view(*args, **kwargs)

    return wrapper


def _payload() -> dict:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Open311Error(400, _("The body is not a JSON object."))
    else:
        data = {key: request.form.get(key) for key in request.form}
    # Clients often send every field, empty ones included: an empty field is an absent one.
    return {key: value for key, value in data.items() if value not in (None, "")}


def _loaded() -> dict:
    try:
        return RequestInSchema().load(_payload())
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        parts = [f"{field}: {_flat(msgs)}" for field, msgs in sorted(messages.items())]
        raise Open311Error(400, "; ".join(parts) or _("The request is not valid.")) from error


def _flat(messages) -> str:
    if isinstance(messages, dict):
        return " ".join(_flat(m) for m in messages.values())
    if isinstance(messages, list):
        return " ".join(_flat(m) for m in messages)
    return str(messages)


def _idempotency_key() -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _IDEMPOTENCY_VALUE.match(value):
        raise Open311Error(400, _("Idempotency-Key: use 1 to 60 visible ASCII characters."))
    return f"open311:{g.api_key.id}:{value}"


_REQUEST_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": RequestInSchema},
    "application/json": {"schema": RequestInSchema}}}


@blp.route("/requests.json", methods=["POST"])
@documented_errors(400, 401, 403, 404, 413, 429)
@_accept_api_key_parameter
@require_api_key(INTAKE)
@blp.doc(requestBody=_REQUEST_BODY)
@blp.response(201, CreatedSchema(many=True), description="Created")
@blp.alt_response(200, schema=CreatedSchema(many=True),
                  description="Already created with this Idempotency-Key")
def post_request():
    """Create a service request (a PAKN). The answer's service_request_id is the tracking
    code to give the citizen."""
    fields = _loaded()
    key = _idempotency_key()
    code = fields.get("jurisdiction_id") or g.api_key.unit.code
    try:
        agency = target_unit(code, INTAKE)
    except HTTPException as error:
        raise Open311Error(404, _("Unknown jurisdiction_id, or outside this key's scope.")
                           ) from error
    try:
        case, created = open311.submit_request(open311.Open311Request(
            service_code=fields["service_code"], description=fields["description"],
            agency=agency, latitude=fields.get("lat"), longitude=fields.get("long"),
            address_string=fields["address_string"], email=fields["email"],
            first_name=fields["first_name"], last_name=fields["last_name"],
            phone=fields["phone"], idempotency_key=key, api_key=g.api_key))
    except ServiceError as error:
        raise Open311Error(400 if error.status in (400, 422) else error.status,
                           f"{error.field}: {error.message}" if error.field
                           else error.message) from error
    body = [{"service_request_id": open311.request_record(case, None)["service_request_id"],
             "service_notice": open311.service_notice(case), "account_id": None}]
    db.session.commit()
    return body, 201 if created else 200


# -- GET requests --------------------------------------------------------------------------

def _optional_key():
    """The caller's key when one is presented (401 if it is not usable, 403 without
    feedback.view); None for an anonymous caller."""
    if not (request.headers.get("Authorization") or request.headers.get("X-API-Key")
            or request.args.get("api_key")):
        return None
    if request.args.get("api_key") and not request.headers.get("X-API-Key"):
        request.environ["HTTP_X_API_KEY"] = request.args["api_key"]
    key = authenticate_request()
    if not can(key, VIEW, None):
        abort(403, description=_("This API key does not carry the permission %(permission)s.",
                                 permission=VIEW.value))
    return key


def _visible_clause(key):
    published = exists().where(Publication.case_id == FeedbackCase.id,
                               Publication.status == "published")
    if key is None:
        return published
    return or_(published, case_scope_clause(key, VIEW))


def _date(name: str) -> datetime | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise Open311Error(400, _("%(name)s: use a W3C date and time, e.g. "
                                  "2026-06-01T00:00:00+07:00.", name=name)) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


_LIST_PARAMETERS = [
    {"in": "query", "name": name, "required": False, "schema": {"type": "string"},
     "description": text} for name, text in (
        ("service_request_id", "Comma-separated tracking codes; the other filters are then "
                               "ignored"),
        ("service_code", "A topic"),
        ("start_date", "W3C date and time; default 90 days ago"),
        ("end_date", "W3C date and time; default now"),
        ("status", "open, closed or open,closed"),
        ("jurisdiction_id", "A unit code: requests of its subtree"),
    )]


@blp.route("/requests.json", methods=["GET"])
@documented_errors(400, 401, 403, 404)
@blp.doc(parameters=_LIST_PARAMETERS, security=[{}, *API_KEY_SECURITY])
@blp.response(200, RequestSchema(many=True))
def get_requests():
    """Service requests, newest first (at most 1000). Anonymous callers see published ones;
    a key with feedback.view also sees its subtree's."""
    key = _optional_key()
    stmt = select(FeedbackCase).where(_visible_clause(key))
    ids = request.args.get("service_request_id")
    if ids:
        codes = [normalise_tracking_code(part) for part in ids.split(",") if part.strip()]
        stmt = stmt.where(FeedbackCase.tracking_code.in_([c for c in codes if c]))
    else:
        stmt = _filtered(stmt)
    cases = db.session.scalars(stmt.order_by(FeedbackCase.received_at.desc(),
                                             FeedbackCase.id.desc()).limit(MAX_RESULTS)).all()
    return open311.request_records(list(cases))


def _filtered(stmt):
    service_code = request.args.get("service_code")
    if service_code:
        if service_code not in Topic._value2member_map_:
            raise Open311Error(400, _("Unknown service_code."))
        stmt = stmt.where(FeedbackCase.topic == service_code)
    end = _date("end_date") or now()
    start = _date("start_date") or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise Open311Error(400, _("start_date is after end_date."))
    stmt = stmt.where(FeedbackCase.received_at >= start, FeedbackCase.received_at <= end)
    statuses = {s.strip() for s in (request.args.get("status") or "").split(",") if s.strip()}
    if statuses - {open311.OPEN, open311.CLOSED}:
        raise Open311Error(400, _("status: use open, closed or both."))
    if len(statuses) == 1:
        stmt = stmt.where(open311.status_clause(statuses.pop()))
    unit = _jurisdiction(request.args.get("jurisdiction_id"))
    if unit is not None:
        stmt = stmt.where(FeedbackCase.agency_id.in_(
            select(Unit.id).where(and_(Unit.path.startswith(unit.path)))))
    return stmt


@blp.route("/requests/<request_id>.json", methods=["GET"])
@documented_errors(401, 403, 404)
@blp.doc(security=[{}, *API_KEY_SECURITY])
@blp.response(200, RequestSchema(many=True))
def get_request(request_id: str):
    """One service request (a list of one, as the specification says)."""
    key = _optional_key()
    code = normalise_tracking_code(request_id)
    case = None
    if code is not None:
        case = db.session.scalar(select(FeedbackCase).where(
            FeedbackCase.tracking_code == code, _visible_clause(key)))
    if case is None:
        raise Open311Error(404, _("There is no such service request."))
    return open311.request_records([case])
