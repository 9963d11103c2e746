"""SIPAS figures as JSON, for portals, the press and other systems.

- ``GET /api/v1/sipas/{code}``: a key with ``reports.view`` on the unit gets what the dashboard
  shows (overall, components, elements, items and the ranking of the units under it) for the
  same filters (``period``, ``campaign``, ``channel``, ``flagged``); anything unknown is a 400.
- ``GET /api/v1/sipas/public/{code}``: no key; the agency's public figures (the public page's
  periods, suppression and PAKN counts), flagged responses always left out.

A figure resting on fewer answers than the minimum has ``index`` null and ``suppressed`` true,
with its answer counts left out; never 0.
"""

from __future__ import annotations

import contextlib

import marshmallow as ma
from flask import abort, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from core.access import Permission, can, require
from core.api import Blueprint
from core.api.auth import require_api_key
from core.clock import now, today
from core.org import unit_by_code
from core.replica import reads_from_replica
from reports.dashboard import build_dashboard
from reports.dashboard_model import IndexRow
from reports.filters import FilterError, parse_filters
from reports.indices import build_sipas_report
from reports.public import PublicFigure, build_agency_page, find_public_agency

blp = Blueprint("sipas_api", __name__, url_prefix="/api/v1/sipas",
                description="SIPAS satisfaction indices with 95% Wilson intervals.")


class FigureSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "element code (II.A …), item code, unit "
                                                    "code or 'overall'"})
    label = ma.fields.String()
    index = ma.fields.Float(allow_none=True,
                            metadata={"description": "percent satisfied; null when hidden"})
    ci_low = ma.fields.Float(allow_none=True)
    ci_high = ma.fields.Float(allow_none=True)
    n = ma.fields.Integer(allow_none=True, metadata={"description": "valid answers"})
    mean_score = ma.fields.Float(allow_none=True)
    suppressed = ma.fields.Boolean(metadata={"description": "fewer answers than min_n"})
    change_points = ma.fields.Float(allow_none=True)
    significant = ma.fields.Boolean()
    target = ma.fields.Float(allow_none=True)
    below_target = ma.fields.Boolean()
    rank = ma.fields.Integer(allow_none=True)


class SipasSchema(ma.Schema):
    unit_code = ma.fields.String()
    period = ma.fields.String()
    previous_period = ma.fields.String()
    aggregation = ma.fields.String()
    min_n = ma.fields.Integer()
    target = ma.fields.Float()
    include_flagged = ma.fields.Boolean()
    overall = ma.fields.Nested(FigureSchema, allow_none=True)
    components = ma.fields.List(ma.fields.Nested(FigureSchema))
    elements = ma.fields.List(ma.fields.Nested(FigureSchema))
    items = ma.fields.List(ma.fields.Nested(FigureSchema))
    units = ma.fields.List(ma.fields.Nested(FigureSchema))


class PublicFigureSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    index = ma.fields.Float(allow_none=True)
    ci_low = ma.fields.Float(allow_none=True)
    ci_high = ma.fields.Float(allow_none=True)
    n = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean()


class PublicPaknSchema(ma.Schema):
    received = ma.fields.Integer()
    answered = ma.fields.Integer()
    with_deadline = ma.fields.Integer()
    on_time = ma.fields.Integer()


class PublicPeriodSchema(ma.Schema):
    period = ma.fields.String()
    first_day = ma.fields.Date()
    last_day = ma.fields.Date()
    complete = ma.fields.Boolean()
    overall = ma.fields.Nested(PublicFigureSchema, allow_none=True)
    elements = ma.fields.List(ma.fields.Nested(PublicFigureSchema))
    pakn = ma.fields.Nested(PublicPaknSchema)


class PublicSipasSchema(ma.Schema):
    unit_code = ma.fields.String()
    unit_name = ma.fields.String()
    min_n = ma.fields.Integer()
    target = ma.fields.Float()
    periods = ma.fields.List(ma.fields.Nested(PublicPeriodSchema))


def _figure(row: IndexRow) -> dict:
    hidden = row.suppressed or row.index is None
    return {
        "key": row.key, "label": row.label,
        "index": None if hidden else row.index,
        "ci_low": None if hidden else row.ci_low, "ci_high": None if hidden else row.ci_high,
        "n": row.n, "mean_score": None if hidden else row.mean_score,
        "suppressed": row.suppressed, "change_points": row.change,
        "significant": row.significant, "target": row.target,
        "below_target": row.below_target, "rank": row.rank,
    }


@blp.route("/<code>")
@require_api_key(Permission.REPORTS_VIEW)
@blp.doc(parameters=[{"in": "query", "name": name, "required": False,
                      "schema": {"type": "string"}}
                     for name in ("period", "campaign", "channel", "flagged")])
@blp.response(200, SipasSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@reads_from_replica
def get_sipas(code: str):
    """The dashboard's figures for a unit in the key's scope."""
    unit = unit_by_code(code)
    if unit is None or not can(g.api_key, Permission.REPORTS_VIEW, unit):
        if unit is not None:
            with contextlib.suppress(NotFound):
                require(g.api_key, Permission.REPORTS_VIEW, unit)  # logs the refusal
        abort(404, description=_("There is no unit with this code within this key's scope."))
    if "unit" in request.args:
        abort(400, description=_("Give the unit in the path, not as a filter."))
    try:
        filters = parse_filters([*request.args.items(multi=True), ("unit", str(unit.id))],
                                g.api_key)
    except FilterError as error:
        abort(400, description=str(error))
    report = build_sipas_report(g.api_key, filters)
    dashboard = build_dashboard(g.api_key, report, with_pakn=False)
    units = [{**_figure(row), "key": unit_code}
             for row, unit_code in zip(dashboard.units, _unit_codes(report, dashboard),
                                       strict=True)]
    return {
        "unit_code": unit.code, "period": filters.period,
        "previous_period": report.previous_label, "aggregation": report.aggregation,
        "min_n": report.min_n, "target": report.target,
        "include_flagged": filters.include_flagged,
        "overall": None if dashboard.overall is None else _figure(dashboard.overall),
        "components": [_figure(row) for row in dashboard.components],
        "elements": [_figure(row) for row in dashboard.elements],
        "items": [_figure(row) for row in dashboard.items],
        "units": units,
    }


def _unit_codes(report, dashboard) -> list[str]:
    codes = {unit.id: unit.code for unit in [report.root, *report.units]}
    return [codes.get(int(row.key), row.key) for row in dashboard.units]


def _public_figure(figure: PublicFigure | None) -> dict | None:
    if figure is None:
        return None
    hidden = figure.hidden is not None or figure.index is None
    return {"key": figure.key, "label": figure.label,
            "index": None if hidden else figure.index,
            "ci_low": None if hidden else figure.ci_low,
            "ci_high": None if hidden else figure.ci_high,
            "n": None if hidden else figure.n, "suppressed": hidden}


@blp.route("/public/<code>")
@blp.doc(security=[])
@blp.response(200, PublicSipasSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(404, response="NOT_FOUND")
@reads_from_replica
def get_public_sipas(code: str):
    """An agency's public figures: no key needed, no personal data, suppression applied."""
    if request.args:
        abort(400, description=_("This address takes no parameters."))
    unit = find_public_agency(code)
    if unit is None:
        abort(404, description=_("There is no public agency with this code."))
    page = build_agency_page(unit, today=today(), moment=now())
    return {
        "unit_code": unit.code, "unit_name": unit.name_vi, "min_n": page.min_n,
        "target": page.target,
        "periods": [{
            "period": figures.period.label, "first_day": figures.period.first_day,
            "last_day": figures.period.last_day, "complete": figures.period.complete,
            "overall": _public_figure(figures.overall),
            "elements": [_public_figure(figure) for figure in figures.elements],
            "pakn": {"received": figures.pakn.received, "answered": figures.pakn.answered,
                     "with_deadline": figures.pakn.timed, "on_time": figures.pakn.on_time},
        } for figures in page.periods],
    }
