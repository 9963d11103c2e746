"""/api/v1/feedback: portals and other systems send PAKN and follow their status.

POST needs a key with ``feedback.intake``; the unit named must be inside the key's subtree
(anything else answers 404, like an unknown code). An ``Idempotency-Key`` header makes a retry
return the case already created (200 with the same body) instead of a second case. GET by
tracking code needs ``feedback.view`` on the case's agency or handling unit and shows the
status only: never the text or the sender.
"""

from __future__ import annotations

import base64
import binascii
import re

import marshmallow as ma
from flask import abort, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import UnprocessableEntity

from core.access import Permission, can
from core.api import Blueprint
from core.api.auth import require_api_key
from core.clock import LOCAL_TZ, now
from core.exceptions import ServiceError
from core.extensions import db
from core.org import unit_by_code
from feedback import attachments as files
from feedback.case_access import can_on_case
from feedback.intake import MAX_CONTENT, Contact, FeedbackSubmission, submit_feedback
from feedback.models import (
    FeedbackAttachment,
    FeedbackCase,
    IntakeChannel,
    Kind,
    ReplyChannel,
    Topic,
)
from feedback.tracking import format_tracking_code, normalise_tracking_code
from feedback.workflow import state_label

blp = Blueprint("feedback_api", __name__, url_prefix="/api/v1/feedback",
                description="PAKN (citizens' reports and recommendations) from portals and "
                            "other systems, and their status.")

INTAKE = Permission.FEEDBACK_INTAKE
VIEW = Permission.FEEDBACK_VIEW
IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_VALUE = re.compile(r"^[\x21-\x7e]{1,60}$")
_NAIVE = "Without a UTC offset the time is read as Vietnam time (UTC+7)."


class SenderSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(validate=ma.validate.Length(max=300), load_default="")
    address = ma.fields.String(validate=ma.validate.Length(max=300), load_default="")
    phone = ma.fields.String(validate=ma.validate.Length(max=30), load_default="")
    email = ma.fields.Email(validate=ma.validate.Length(max=300), load_default="")


class AttachmentInSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    filename = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    content_base64 = ma.fields.String(required=True, metadata={
        "description": "The file's bytes in base64 (images or PDF, each at most 10 MB)"})


class FeedbackInSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    unit_code = ma.fields.String(required=True, metadata={
        "description": "The unit the PAKN is about (within the key's subtree); a desk code "
                       "is accepted"})
    channel = ma.fields.String(load_default=IntakeChannel.API.value, validate=ma.validate.OneOf(
        [IntakeChannel.PORTAL.value, IntakeChannel.API.value]))
    kind = ma.fields.String(load_default=Kind.REPORT.value,
                            validate=ma.validate.OneOf([k.value for k in Kind]), metadata={
                                "description": "Without name, address and phone a report or "
                                               "recommendation is kept as a suggestion"})
    topic = ma.fields.String(load_default=Topic.OTHER.value,
                             validate=ma.validate.OneOf([t.value for t in Topic]))
    title = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    content = ma.fields.String(required=True,
                               validate=ma.validate.Length(min=1, max=MAX_CONTENT))
    procedure_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    procedure_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))
    dossier_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    location_text = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=300))
    latitude = ma.fields.Float(allow_none=True, validate=ma.validate.Range(min=-90, max=90))
    longitude = ma.fields.Float(allow_none=True,
                                validate=ma.validate.Range(min=-180, max=180))
    sender_type = ma.fields.String(load_default="person", validate=ma.validate.OneOf(
        ["person", "organisation"]))
    sender = ma.fields.Nested(SenderSchema, load_default=None, allow_none=True)
    reply_channel = ma.fields.String(load_default=ReplyChannel.NONE.value,
                                     validate=ma.validate.OneOf([r.value for r in ReplyChannel]))
    received_at = ma.fields.AwareDateTime(default_timezone=LOCAL_TZ, allow_none=True, metadata={
        "description": "When the portal received it (not in the future). " + _NAIVE})
    attachments = ma.fields.List(ma.fields.Nested(AttachmentInSchema), load_default=list)

    @ma.validates("received_at")
    def _not_future(self, value, **_kw):
        if value is not None and value > now():
            raise ma.ValidationError(_("The time received cannot be in the future."))


class UnitRefSchema(ma.Schema):
    code = ma.fields.String()
    name_vi = ma.fields.String()


class FeedbackStatusSchema(ma.Schema):
    tracking_code = ma.fields.String(metadata={"description": "e.g. K7M-39Q-XDT"})
    state = ma.fields.String()
    state_label = ma.fields.String()
    kind = ma.fields.String()
    topic = ma.fields.String()
    channel = ma.fields.String()
    is_formal = ma.fields.Boolean(metadata={
        "description": "False: kept as a suggestion (no name, address and phone)"})
    agency = ma.fields.Nested(UnitRefSchema)
    handling_unit = ma.fields.Nested(UnitRefSchema, allow_none=True)
    received_at = ma.fields.DateTime()
    transfer_due_at = ma.fields.DateTime(allow_none=True)
    acknowledge_due_at = ma.fields.DateTime(allow_none=True)
    answer_due_at = ma.fields.DateTime(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "The deadline that matters in the current state"})
    answered_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    attachments = ma.fields.Integer(metadata={"description": "How many files were kept"})


def _unit_ref(unit):
    return None if unit is None else {"code": unit.code, "name_vi": unit.name_vi}


def status_of(case: FeedbackCase) -> dict:
    """What a system may know of a case: states, units and dates; nothing personal."""
    kept = db.session.scalar(db.select(db.func.count(FeedbackAttachment.id)).where(
        FeedbackAttachment.case_id == case.id, FeedbackAttachment.role == "sender"))
    return {
        "tracking_code": format_tracking_code(case.tracking_code), "state": case.state,
        "state_label": state_label(case.state), "kind": case.kind, "topic": case.topic,
        "channel": case.channel, "is_formal": case.is_formal, "agency": _unit_ref(case.agency),
        "handling_unit": _unit_ref(case.handling_unit), "received_at": case.received_at,
        "transfer_due_at": case.transfer_due_at, "acknowledge_due_at": case.acknowledge_due_at,
        "answer_due_at": case.answer_due_at, "due_at": case.due_at,
        "answered_at": case.answered_at, "closed_at": case.closed_at, "attachments": kept,
    }


def validation_failure(location: str, field: str, message: str):
    failure = UnprocessableEntity(description=message)
    failure.data = {"messages": {location: {field: [message]}}}
    raise failure


def _idempotency_key() -> str | None:
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not _IDEMPOTENCY_VALUE.match(value):
        validation_failure("headers", IDEMPOTENCY_HEADER,
                           _("Use 1 to 60 visible ASCII characters (a UUID is fine)."))
    return f"api:{g.api_key.id}:{value}"


def _decoded(attachments: list[dict]) -> list[tuple[str, bytes]]:
    try:
        files.validate_count(len(attachments))
    except ServiceError as error:
        validation_failure("json", "attachments", error.message)
    decoded = []
    for number, item in enumerate(attachments):
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            validation_failure("json", f"attachments.{number}.content_base64",
                               _("This is not valid base64."))
        decoded.append((item["filename"], content))
    return decoded


def target_unit(code: str, permission: Permission):
    """The unit named in a request, if the key may act on it; 404 otherwise (unknown and
    out-of-scope codes look the same)."""
    unit = unit_by_code(code)
    if unit is None or not unit.active or not can(g.api_key, permission, unit):
        abort(404, description=_("There is no unit with this code within this key's scope."))
    return unit


def service_abort(error: ServiceError):
    db.session.rollback()
    if error.status == 400 and error.field:
        validation_failure("json", error.field, error.message)
    abort(error.status, description=error.message)


@blp.route("", methods=["POST"])
@require_api_key(INTAKE)
@blp.arguments(FeedbackInSchema)
@blp.doc(parameters=[{"in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
                      "schema": {"type": "string", "maxLength": 60},
                      "description": "Send the same value again on a retry: the case "
                                     "already created is returned (200), never a second."}])
@blp.response(201, FeedbackStatusSchema, description="Created")
@blp.alt_response(200, schema=FeedbackStatusSchema,
                  description="Already created with this Idempotency-Key")
@blp.alt_response(404, response="NOT_FOUND")
def post_feedback(fields: dict):
    """Send a PAKN. The answer carries the tracking code to give the citizen."""
    key = _idempotency_key()
    unit = target_unit(fields["unit_code"], INTAKE)
    uploads = _decoded(fields["attachments"])
    sender = fields["sender"] or {}
    is_desk = unit.kind == "desk"
    submission = FeedbackSubmission(
        content=fields["content"], kind=fields["kind"], topic=fields["topic"],
        channel=fields["channel"], title=fields["title"],
        origin_unit=None if is_desk else unit, desk=unit if is_desk else None,
        procedure_code=fields.get("procedure_code"),
        procedure_name=fields.get("procedure_name"), dossier_code=fields.get("dossier_code"),
        location_text=fields.get("location_text"), latitude=fields.get("latitude"),
        longitude=fields.get("longitude"), sender_type=fields["sender_type"],
        contact=Contact(**{k: sender.get(k, "") for k in ("name", "address", "phone",
                                                           "email")}),
        reply_channel=fields["reply_channel"], idempotency_key=key,
        received_at=fields.get("received_at"), api_key=g.api_key)
    stored = []
    try:
        case, created = submit_feedback(submission)
        if created:
            stored = [files.store_attachment(case, name, content, role="sender")
                      for name, content in uploads]
    except ServiceError as error:
        files.discard_files(stored)
        if error.field == "attachments":
            db.session.rollback()
            validation_failure("json", "attachments", error.message)
        service_abort(error)
    body = status_of(case)
    db.session.commit()
    return body, 201 if created else 200


@blp.route("/<code>", methods=["GET"])
@require_api_key(VIEW)
@blp.response(200, FeedbackStatusSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_feedback(code: str):
    """The status of a case by its tracking code (no text, no sender data)."""
    normalised = normalise_tracking_code(code)
    case = None
    if normalised is not None:
        case = db.session.scalar(db.select(FeedbackCase).where(
            FeedbackCase.tracking_code == normalised))
    if case is None or not can_on_case(g.api_key, VIEW, case):
        abort(404, description=_("There is no case with this tracking code within this "
                                 "key's scope."))
    return status_of(case)
