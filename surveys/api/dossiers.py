"""/api/v1/dossiers: the one-stop system registers dossiers and asks for rating tokens.

A key with ``dossiers.write`` works within its unit's subtree. A dossier or unit outside that
subtree answers 404 exactly like an unknown code, so codes of other units reveal nothing.

``legal_appointed_at`` is the appointment date of the receipt (form 01 of TT 01/2018/TT-VPCP);
``appointed_at``, its name before the re-set date existed, is still read and written as the
same value. ``reset_appointed_at`` with ``apology_number`` and ``apology_date`` records the
apology letter (form 04) that re-set the date, at most once: a different re-set answers 409.
"""

from __future__ import annotations

import marshmallow as ma
from flask import abort, g
from flask_babel import gettext as _
from werkzeug.exceptions import UnprocessableEntity

from core.access import Permission, can
from core.api import Blueprint
from core.api.auth import require_api_key
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from surveys.dossiers import CREATED, DossierData, dossier_by_code, dossier_facts, upsert_dossier
from surveys.models import Dossier
from surveys.tokens import issue_rating_token, token_url

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1/dossiers",
                description="Dossiers from the one-stop system and their single-use rating "
                            "links.")

WRITE = Permission.DOSSIERS_WRITE
_NAIVE = "Without a UTC offset the time is read as Vietnam time (UTC+7)."


class DossierInSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    unit_code = ma.fields.String(required=True, metadata={
        "description": "The unit handling the dossier (within the key's subtree)"})
    desk_code = ma.fields.String(allow_none=True, metadata={
        "description": "The desk (a unit under unit_code) that received it"})
    procedure_code = ma.fields.String(allow_none=True)
    procedure_name = ma.fields.String(allow_none=True)
    received_at = ma.fields.DateTime(required=True, metadata={"description": _NAIVE})
    legal_appointed_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "The appointment date of the receipt (form 01). " + _NAIVE})
    appointed_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "Deprecated name of legal_appointed_at"})
    reset_appointed_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "The new date set by the apology letter (form 04), at most once. "
                       + _NAIVE})
    apology_number = ma.fields.String(allow_none=True, metadata={
        "description": "The apology letter's number or reference"})
    apology_date = ma.fields.Date(allow_none=True, metadata={
        "description": "The apology letter's date (local day)"})
    returned_at = ma.fields.DateTime(allow_none=True, metadata={"description": _NAIVE})
    supplement_requests = ma.fields.Integer(
        load_default=0, strict=True, validate=ma.validate.Range(min=0, max=32767))
    online = ma.fields.Boolean(load_default=False)
    apology_issued = ma.fields.Boolean(load_default=False, metadata={
        "description": "An apology letter (Phiếu xin lỗi) was issued for lateness"})
    contact_consent = ma.fields.Boolean(allow_none=True, metadata={
        "description": "The holder consented to be invited to a satisfaction survey; false "
                       "deletes a stored phone; omitted: unchanged"})
    contact_phone = ma.fields.String(allow_none=True, load_only=True, metadata={
        "description": "The holder's phone, kept (encrypted) only with contact_consent; "
                       "never returned"})
    contact_channel = ma.fields.String(allow_none=True, metadata={
        "description": "sms (default) or zalo"})

    @ma.post_load
    def legal_date(self, fields: dict, **_kwargs) -> dict:
        """Old clients send ``appointed_at``: it is the legal date under its former name."""
        old = fields.pop("appointed_at", None)
        new = fields.get("legal_appointed_at")
        if old is not None and new is not None and old != new:
            raise ma.ValidationError(_("Send the legal appointed date once, as "
                                       "legal_appointed_at."), "appointed_at")
        if new is None and old is not None:
            fields["legal_appointed_at"] = old
        return fields


class DossierSchema(ma.Schema):
    code = ma.fields.String()
    unit_code = ma.fields.String()
    desk_code = ma.fields.String(allow_none=True)
    procedure_code = ma.fields.String(allow_none=True)
    procedure_name = ma.fields.String(allow_none=True)
    received_at = ma.fields.DateTime()
    legal_appointed_at = ma.fields.DateTime(allow_none=True)
    appointed_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "Deprecated name of legal_appointed_at (the same value)"})
    reset_appointed_at = ma.fields.DateTime(allow_none=True)
    apology_number = ma.fields.String(allow_none=True)
    apology_date = ma.fields.Date(allow_none=True)
    returned_at = ma.fields.DateTime(allow_none=True)
    supplement_requests = ma.fields.Integer()
    online = ma.fields.Boolean()
    apology_issued = ma.fields.Boolean()
    source = ma.fields.String(metadata={"description": "api, import or manual"})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class TokenSchema(ma.Schema):
    url = ma.fields.String(metadata={"description": "The single-use rating link for the QR"})
    expires_at = ma.fields.DateTime()


def _service_abort(error: ServiceError):
    db.session.rollback()
    if error.status == 400 and error.field:
        # A bad field is a validation failure like marshmallow's, with the same details shape.
        failure = UnprocessableEntity(description=error.message)
        failure.data = {"messages": {"json": {error.field: [error.message]}}}
        raise failure
    abort(error.status, description=error.message)


def _visible(code: str) -> Dossier:
    dossier = dossier_by_code(code)
    if dossier is None or not can(g.api_key, WRITE, dossier.unit):
        abort(404, description=_("There is no dossier with this code within this key's "
                                 "scope."))
    return dossier


@blp.route("/<code>", methods=["PUT"])
@require_api_key(WRITE)
@blp.arguments(DossierInSchema)
@blp.response(200, DossierSchema, description="Updated (or unchanged)")
@blp.alt_response(201, schema=DossierSchema, description="Created")
@blp.alt_response(404, response="NOT_FOUND")
def put_dossier(fields: dict, code: str):
    """Create or update a dossier by its code (send the whole dossier each time)."""
    try:
        dossier, outcome = upsert_dossier(DossierData(code=code, source="api", **fields),
                                          actor=g.api_key)
    except ServiceError as error:
        _service_abort(error)
    db.session.commit()
    return dossier_facts(dossier), 201 if outcome == CREATED else 200


@blp.route("/<code>", methods=["GET"])
@require_api_key(WRITE)
@blp.response(200, DossierSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_dossier(code: str):
    """The dossier's facts (never a rating token)."""
    return dossier_facts(_visible(code))


@blp.route("/<code>/rating-token", methods=["POST"])
@require_api_key(WRITE)
@blp.response(201, TokenSchema)
@blp.alt_response(404, response="NOT_FOUND")
def post_rating_token(code: str):
    """A new single-use rating link for the receipt's QR; the link is returned only now."""
    dossier = _visible(code)
    try:
        token, plaintext = issue_rating_token(dossier)
    except ServiceError as error:
        _service_abort(error)
    record_audit("dossier.token_issue", object_type="dossier", object_id=dossier.id,
                 unit_id=dossier.unit_id, after={"token_id": token.id,
                                                 "expires_at": token.expires_at})
    db.session.commit()
    return {"url": token_url(plaintext), "expires_at": token.expires_at}
