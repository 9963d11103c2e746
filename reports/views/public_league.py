"""The public league table of an agency's units (/cong-khai/<code>/xep-hang): SIPAS index and
PAKN on-time rate with intervals, rank bands and the comparison with the median unit. No login,
citizen layout, no JavaScript, Vietnamese first; aggregates only (reports.league), small cells
hidden, cacheable by anyone for five minutes like the other public figures."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext as _

from core.clock import now, today
from core.errors import error_response
from core.replica import reads_from_replica
from reports.filters import ReportFilters
from reports.league import LeagueInputError, build_league, public_league_period
from reports.public import find_public_agency, public_periods

bp = Blueprint("reports_public_league", __name__, url_prefix="/cong-khai")

PARAMETERS = frozenset({"period"})
MAX_AGE = 300


def _public(body: str):
    """Cacheable by anyone for five minutes, one copy per language (as /cong-khai/)."""
    response = make_response(body)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Cookie")
    return response


def _period_arg() -> str | None:
    """The one parameter the page takes; anything else, or it twice, raises LeagueInputError."""
    unknown = sorted(set(request.args) - PARAMETERS)
    if unknown:
        raise LeagueInputError(_("Unknown parameter: %(names)s. This page takes only "
                                 "“period”.", names=", ".join(unknown)))
    values = request.args.getlist("period")
    if len(values) > 1:
        raise LeagueInputError(_("The filter “%(name)s” is given twice.", name="period"))
    return values[0] if values else None


@bp.get("/<code>/xep-hang")
@reads_from_replica
def league(code: str):
    """The public league table of an agency's units for one of the public half-years."""
    unit = find_public_agency(code)
    if unit is None:
        abort(404)
    day = today()
    try:
        label, _first, last = public_league_period(_period_arg(), day)
    except LeagueInputError as error:
        return error_response(400, str(error))
    filters = ReportFilters(period=label, unit_id=unit.id, campaign=None, channel=None,
                            include_flagged=False)
    page = build_league(unit, filters, moment=now(), public=True, last_day=last)
    return _public(render_template("reports/public/league.html", page=page,
                                   periods=public_periods(day)))
