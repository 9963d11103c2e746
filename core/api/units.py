"""GET /api/v1/units: the organisation tree within the calling key's scope.

A key sees its own unit and everything under it. A unit outside that subtree answers 404
exactly like an unknown code, so codes of other units reveal nothing.
"""

from __future__ import annotations

import contextlib

import marshmallow as ma
from flask import abort, g
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from core.access import Permission, can, require, unit_scope_clause
from core.api import Blueprint
from core.api.auth import require_api_key
from core.extensions import db
from core.models import Unit, UnitKind
from core.org import unit_by_code

blp = Blueprint("units", __name__, url_prefix="/api/v1/units",
                description="Units (agencies, offices, desks) within the key's scope.")


class UnitSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Stable unit code"})
    name_vi = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    kind = ma.fields.String(metadata={"enum": [kind.value for kind in UnitKind]})
    depth = ma.fields.Integer(metadata={"description": "0 for a root of the tree"})
    parent_code = ma.fields.String(
        allow_none=True,
        metadata={"description": "Null for the key's own unit and for roots"})
    active = ma.fields.Boolean()
    hotline = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.String(allow_none=True)


class UnitQuerySchema(ma.Schema):
    active = ma.fields.Boolean(metadata={"description": "Only active (true) or inactive units"})
    kind = ma.fields.String(validate=ma.validate.OneOf([kind.value for kind in UnitKind]))


def _as_dict(unit: Unit) -> dict:
    # The parent is named only when it is itself within the key's scope.
    inside = unit.parent is not None and unit.id != g.api_key.unit_id
    return {
        "code": unit.code, "name_vi": unit.name_vi, "name_en": unit.name_en,
        "kind": unit.kind, "depth": unit.depth,
        "parent_code": unit.parent.code if inside else None, "active": unit.active,
        "hotline": unit.hotline, "email": unit.email, "address": unit.address,
        "opening_hours": unit.opening_hours,
    }


@blp.route("")
@require_api_key(Permission.UNITS_VIEW)
@blp.arguments(UnitQuerySchema, location="query", as_kwargs=True)
@blp.response(200, UnitSchema(many=True))
@blp.paginate(page_size=50, max_page_size=200)
def list_units(pagination_parameters, active: bool | None = None, kind: str | None = None):
    """Units in the key's subtree, in tree order (page with ?page=&page_size=)."""
    stmt = db.select(Unit).where(unit_scope_clause(g.api_key, Permission.UNITS_VIEW))
    if active is not None:
        stmt = stmt.where(Unit.active.is_(active))
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind)
    pagination_parameters.item_count = db.session.scalar(
        db.select(func.count()).select_from(stmt.subquery()))
    page = db.session.scalars(
        stmt.options(selectinload(Unit.parent)).order_by(Unit.path)
        .offset(pagination_parameters.first_item).limit(pagination_parameters.page_size))
    return [_as_dict(unit) for unit in page]


@blp.route("/<code>")
@require_api_key(Permission.UNITS_VIEW)
@blp.response(200, UnitSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_unit(code: str):
    """One unit by its code, if it is within the key's scope."""
    unit = unit_by_code(code)
    if unit is not None and can(g.api_key, Permission.UNITS_VIEW, unit):
        return _as_dict(unit)
    if unit is not None:
        with contextlib.suppress(NotFound):
            require(g.api_key, Permission.UNITS_VIEW, unit)  # logs the refusal
    abort(404, description=_("There is no unit with this code within this key's scope."))
