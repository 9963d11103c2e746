"""POST requests, GET requests and GET one request.

- ``POST requests``: a key with ``feedback.intake`` (header, or the spec's ``api_key``
  parameter); form-encoded or JSON; ``jurisdiction_id`` is a unit code within the key's
  subtree (default: the key's unit); the service definition's attributes as
  ``attribute[code]``. An ``Idempotency-Key`` header is honoured as in /api/v1/feedback.
- ``GET requests`` and ``GET requests/<id>``: without a key, only requests whose answer has
  been published (the public record); with a key carrying ``feedback.view``, also the
  requests in its subtree. Either way only public fields: no sender, no address or
  position, and the text only as the published, redacted question.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import wraps

import marshmallow as ma
from flask import abort, g, request
from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select
from werkzeug.exceptions import HTTPException

from core.access import Permission, can
from core.api.auth import API_KEY_SECURITY, authenticate_request, require_api_key
from core.clock import LOCAL_TZ, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from feedback import open311
from feedback.api.feedback import target_unit
from feedback.api.open311.attributes import flat_attributes, unit_attribute
from feedback.api.open311.base import (
    Open311Error,
    blp,
    documented_errors,
    in_requested_format,
    route,
)
from feedback.api.open311.schemas import CreatedSchema, RequestInSchema, RequestSchema
from feedback.api.open311.services import jurisdiction
from feedback.case_access import case_scope_clause
from feedback.models import FeedbackCase, Publication, Topic
from feedback.tracking import normalise_tracking_code

INTAKE = Permission.FEEDBACK_INTAKE
VIEW = Permission.FEEDBACK_VIEW
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
_IDEMPOTENCY_VALUE = re.compile(r"^[\x21-\x7e]{1,60}$")


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
    return flat_attributes({key: value for key, value in data.items()
                            if value not in (None, "")})


def _loaded() -> dict:
    try:
        return RequestInSchema().load(_payload())
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        parts = [f"{field}: {_flat(msgs)}" for field, msgs in sorted(messages.items())]
        raise Open311Error(400, *(parts or [_("The request is not valid.")])) from error


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


def _agency(fields: dict) -> Unit:
    try:
        return target_unit(fields.get("jurisdiction_id") or g.api_key.unit.code, INTAKE)
    except HTTPException as error:
        raise Open311Error(404, _("Unknown jurisdiction_id, or outside this key's scope.")
                           ) from error


def _request_of(fields: dict, agency: Unit, key: str | None) -> open311.Open311Request:
    return open311.Open311Request(
        service_code=fields["service_code"], description=fields["description"],
        agency=agency, latitude=fields.get("lat"), longitude=fields.get("long"),
        address_string=fields["address_string"], email=fields["email"],
        first_name=fields["first_name"], last_name=fields["last_name"],
        phone=fields["phone"], sender_address=fields["sender_address"],
        kind=fields["kind"], unit=unit_attribute(fields.get("unit"), agency),
        sender_type=fields["sender_type"], consent="consent" in fields,
        idempotency_key=key, api_key=g.api_key)


_REQUEST_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": RequestInSchema},
    "application/json": {"schema": RequestInSchema}}}


@route("/requests.json", "POST")
@documented_errors(400, 401, 403, 404, 413, 429)
@_accept_api_key_parameter
@require_api_key(INTAKE)
@blp.doc(requestBody=_REQUEST_BODY)
@blp.response(201, CreatedSchema(many=True), description="Created")
@blp.alt_response(200, schema=CreatedSchema(many=True),
                  description="Already created with this Idempotency-Key")
@in_requested_format("service_requests", "request", CreatedSchema(many=True))
def post_request():
    """Create a service request (a PAKN). With the sender's name, phone,
    attribute[sender_address] and attribute[consent]=true, and a kind other than suggestion,
    it is a formal PAKN with its legal deadlines; otherwise a suggestion. The answer's
    service_request_id is the tracking code to give the citizen."""
    fields = _loaded()
    key = _idempotency_key()
    try:
        case, created = open311.submit_request(_request_of(fields, _agency(fields), key))
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


@route("/requests.json", "GET")
@documented_errors(400, 401, 403, 404)
@blp.doc(parameters=_LIST_PARAMETERS, security=[{}, *API_KEY_SECURITY])
@blp.response(200, RequestSchema(many=True))
@in_requested_format("service_requests", "request", RequestSchema(many=True))
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
    unit = jurisdiction(request.args.get("jurisdiction_id"))
    if unit is not None:
        stmt = stmt.where(FeedbackCase.agency_id.in_(
            select(Unit.id).where(and_(Unit.path.startswith(unit.path)))))
    return stmt


@route("/requests/<request_id>.json", "GET")
@documented_errors(401, 403, 404)
@blp.doc(security=[{}, *API_KEY_SECURITY])
@blp.response(200, RequestSchema(many=True))
@in_requested_format("service_requests", "request", RequestSchema(many=True))
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
