"""The service definitions' attributes on a POST (GeoReport v2: ``attribute[code]=value``).

A form-encoded body sends them as the specification says; a JSON body may send the same keys
or nest them as ``{"attribute": {"code": "value"}}``. An attribute no definition declares,
or a value outside its list, is refused (400) rather than dropped: a client that believes
it sent the sender's address must not get a suggestion without being told.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask_babel import gettext as _

from core.models import Unit
from core.org import unit_by_code
from feedback.api.open311.base import Open311Error
from feedback.models import Kind
from feedback.open311 import (
    ATTRIBUTES,
    CONSENT,
    CONSENT_GIVEN,
    KIND,
    MAX_ADDRESS,
    SENDER_ADDRESS,
    SENDER_TYPE,
    SENDER_TYPE_NAMES,
    UNIT,
)

_KEY = re.compile(r"^attribute\[(?P<code>[^\]]*)\](?:\[\])?$")
_CODES = {attribute["code"] for attribute in ATTRIBUTES}


def _key(code: str) -> str:
    return f"attribute[{code}]"


def _described(code: str) -> dict:
    attribute = next(a for a in ATTRIBUTES if a["code"] == code)
    return {"description": f"{attribute['description']}. {attribute['datatype_description']}"}


class AttributesSchema(ma.Schema):
    """The attributes as fields, named by their ``attribute[code]`` keys."""

    sender_address = ma.fields.String(
        data_key=_key(SENDER_ADDRESS), load_default="",
        validate=ma.validate.Length(max=MAX_ADDRESS), metadata=_described(SENDER_ADDRESS))
    kind = ma.fields.String(
        data_key=_key(KIND), load_default=Kind.REPORT.value,
        validate=ma.validate.OneOf([k.value for k in Kind]), metadata=_described(KIND))
    unit = ma.fields.String(data_key=_key(UNIT), validate=ma.validate.Length(min=1, max=64),
                            metadata=_described(UNIT))
    sender_type = ma.fields.String(
        data_key=_key(SENDER_TYPE), load_default="person",
        validate=ma.validate.OneOf(list(SENDER_TYPE_NAMES)), metadata=_described(SENDER_TYPE))
    consent = ma.fields.String(data_key=_key(CONSENT),
                               validate=ma.validate.OneOf([CONSENT_GIVEN]),
                               metadata=_described(CONSENT))


def flat_attributes(payload: dict) -> dict:
    """``payload`` with a nested ``attribute`` object spread into ``attribute[code]`` keys;
    400 for an attribute that no service declares."""
    nested = payload.pop("attribute", None)
    if isinstance(nested, dict):
        payload.update({_key(str(code)): value for code, value in nested.items()})
    elif nested is not None:
        raise Open311Error(400, "attribute: " + _("Send the attributes as attribute[code]."))
    unknown = sorted(match["code"] for match in map(_KEY.match, payload)
                     if match is not None and match["code"] not in _CODES)
    if unknown:
        raise Open311Error(400, *(_key(code) + ": " + _("The service has no such attribute.")
                                  for code in unknown))
    return payload


def unit_attribute(code: str | None, jurisdiction: Unit) -> Unit | None:
    """The unit the PAKN is about: an active unit of the jurisdiction's subtree."""
    if not code:
        return None
    unit = unit_by_code(code)
    if unit is None or not unit.active or not unit.is_within(jurisdiction):
        raise Open311Error(400, _key(UNIT) + ": " + _(
            "There is no active unit with this code within the jurisdiction."))
    return unit
