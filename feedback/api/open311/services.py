"""GET services, GET a service definition, and the discovery document."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from core.models import Unit
from core.org import unit_by_code
from core.public_urls import public_url_for
from feedback import open311
from feedback.api.open311.base import (
    Open311Error,
    blp,
    documented_errors,
    in_requested_format,
    route,
)
from feedback.api.open311.rendering import XML_MIMETYPE
from feedback.api.open311.schemas import DiscoverySchema, ServiceDefinitionSchema, ServiceSchema

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the services, their definitions or the endpoint last changed (W3C date and time):
# clients cache the definitions by it. Move it with any change to what they describe.
CHANGESET = "2026-12-07T00:00:00Z"
FORMATS = [XML_MIMETYPE, "application/json"]
_JURISDICTION = [{"in": "query", "name": "jurisdiction_id", "required": False,
                  "schema": {"type": "string"}}]


def jurisdiction(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = unit_by_code(code)
    if unit is None or not unit.active:
        raise Open311Error(404, _("Unknown jurisdiction_id."))
    return unit


@route("/services.json", "GET")
@documented_errors(404)
@blp.doc(parameters=_JURISDICTION)
@blp.response(200, ServiceSchema(many=True))
@in_requested_format("services", "service", ServiceSchema(many=True))
def get_services():
    """The services: one per PAKN topic, each with a definition (metadata true)."""
    jurisdiction(request.args.get("jurisdiction_id"))
    return open311.services()


@route("/services/<service_code>.json", "GET")
@documented_errors(404)
@blp.doc(parameters=_JURISDICTION)
@blp.response(200, ServiceDefinitionSchema)
@in_requested_format("service_definition", None, ServiceDefinitionSchema())
def get_service_definition(service_code: str):
    """The attributes a POST may send as attribute[code]: the sender's postal address, the
    kind, the unit it is about, the sender type and the consent a formal PAKN needs."""
    jurisdiction(request.args.get("jurisdiction_id"))
    definition = open311.service_definition(service_code)
    if definition is None:
        raise Open311Error(404, _("Unknown service_code."))
    return definition


@route("/discovery.json", "GET")
@documented_errors()
@blp.response(200, DiscoverySchema)
@in_requested_format("discovery", None, DiscoverySchema())
def get_discovery():
    """GeoReport v2 discovery: where the endpoint is, its formats and how to get a key."""
    url = public_url_for("open311.get_discovery").removesuffix("/discovery.json")
    return {
        "changeset": CHANGESET,
        "contact": "Quản trị viên hệ thống Lắng nghe của cơ quan. Tài liệu API: "
                   + public_url_for("api-docs.openapi_json"),
        "key_service": "Khóa API có quyền feedback.intake do quản trị viên hệ thống cấp "
                       "(Quản trị › Khóa API); đọc danh sách yêu cầu không cần khóa.",
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": CHANGESET,
                       "type": "production", "formats": FORMATS}],
    }
