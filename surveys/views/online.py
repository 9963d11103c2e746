"""Rating without a QR code (/danh-gia/): the citizen finds the agency or desk by name, with or
without accents, in a plain GET form (no JavaScript), then rates on its standing online point
(/k/<code>, channel "online"), where the same flags, privacy rules and rollups apply.

Like the survey pages it sets no cookie and needs no CSRF token: it only reads, except that
the first citizen to pick a unit makes its online point (surveys.points.ensure_online_point).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from surveys.online import active_unit, find_rateable_units, nearest_rateable
from surveys.points import ensure_online_point, is_live, online_point
from surveys.views.public import Gone, _gone, _take_write_lock

bp = Blueprint("surveys_online", __name__, url_prefix="/danh-gia")
bp.errorhandler(Gone)(_gone)

QUERY_MAX = 100


@bp.get("/")
def entry():
    """Search the units that serve citizens by name; each result opens its rating form."""
    query = " ".join(request.args.get("q", "").split())[:QUERY_MAX]
    search = find_rateable_units(query)
    return render_template("surveys/online_entry.html", query=query, search=search)


@bp.get("/<code>")
def start(code: str):
    """Open the unit's online rating form, making its standing online point on first use."""
    unit = nearest_rateable(active_unit(code) or abort(404))
    if unit is None:  # a province's page: let the citizen pick the agency
        return redirect(url_for(".entry"))
    point = online_point(unit)
    live, public_code = (is_live(point), point.public_code) if point else _make_point(unit)
    if not live:
        raise Gone("closed", unit)
    return redirect(url_for("surveys_public.survey", code=public_code))


def _make_point(unit: Unit) -> tuple[bool, str]:
    """(live, public code) of the point made for ``unit``, read before the commit expires it."""
    _take_write_lock()
    try:
        point = ensure_online_point(unit)
    except ServiceError as error:
        db.session.rollback()
        raise Gone("closed", unit, error.status, error.message) from error
    made = (is_live(point), point.public_code)
    db.session.commit()
    return made
