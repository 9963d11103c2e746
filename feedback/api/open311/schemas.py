"""Marshmallow schemas of the Open311 answers and of the POST (for the OpenAPI document and
for reading the request)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _

from feedback.api.open311.attributes import AttributesSchema
from feedback.intake import MAX_CONTENT
from feedback.models import Topic


class ServiceSchema(ma.Schema):
    service_code = ma.fields.String()
    service_name = ma.fields.String()
    description = ma.fields.String()
    metadata = ma.fields.Boolean()
    type = ma.fields.String()
    keywords = ma.fields.String()
    group = ma.fields.String()


class AttributeValueSchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()


class AttributeSchema(ma.Schema):
    variable = ma.fields.Boolean()
    code = ma.fields.String()
    datatype = ma.fields.String(metadata={"enum": [
        "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]})
    required = ma.fields.Boolean()
    datatype_description = ma.fields.String()
    order = ma.fields.Integer()
    description = ma.fields.String()
    values = ma.fields.List(ma.fields.Nested(AttributeValueSchema))


class ServiceDefinitionSchema(ma.Schema):
    service_code = ma.fields.String()
    attributes = ma.fields.List(ma.fields.Nested(AttributeSchema))


class RequestInSchema(AttributesSchema):
    class Meta:
        unknown = ma.EXCLUDE  # api_key, device_id, account_id

    jurisdiction_id = ma.fields.String(metadata={
        "description": "A unit code within the key's subtree (default: the key's unit)"})
    service_code = ma.fields.String(required=True, validate=ma.validate.OneOf(
        [t.value for t in Topic]))
    description = ma.fields.String(required=True,
                                   validate=ma.validate.Length(min=1, max=MAX_CONTENT))
    lat = ma.fields.Float(validate=ma.validate.Range(min=-90, max=90))
    long = ma.fields.Float(validate=ma.validate.Range(min=-180, max=180))
    address_string = ma.fields.String(validate=ma.validate.Length(max=300), load_default="",
                                      metadata={"description": "Where it happened (not the "
                                                               "sender's address)"})
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


class EndpointSchema(ma.Schema):
    specification = ma.fields.String()
    url = ma.fields.String()
    changeset = ma.fields.String()
    type = ma.fields.String(metadata={"enum": ["production", "test"]})
    formats = ma.fields.List(ma.fields.String())


class DiscoverySchema(ma.Schema):
    changeset = ma.fields.String()
    contact = ma.fields.String()
    key_service = ma.fields.String()
    endpoints = ma.fields.List(ma.fields.Nested(EndpointSchema))
