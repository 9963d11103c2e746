"""GET /api/v1/me: what the calling key is, so an integrator can check their set-up."""

from __future__ import annotations

import marshmallow as ma
from flask import g

from core.api import Blueprint
from core.api.auth import require_api_key

blp = Blueprint("meta", __name__, url_prefix="/api/v1",
                description="About the calling API key.")


class MeSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "The name given when the key was issued"})
    prefix = ma.fields.String(metadata={"description": "Public part of the key"})
    unit_code = ma.fields.String(metadata={"description": "Root of the key's scope"})
    unit_name = ma.fields.String()
    permissions = ma.fields.List(ma.fields.String())
    expires_at = ma.fields.DateTime(allow_none=True)


@blp.route("/me")
@require_api_key()
@blp.response(200, MeSchema)
def me():
    """The calling key: its name, prefix, unit and permissions."""
    key = g.api_key
    return {"name": key.name, "prefix": key.prefix, "unit_code": key.unit.code,
            "unit_name": key.unit.name_vi, "permissions": sorted(key.permissions or []),
            "expires_at": key.expires_at}
