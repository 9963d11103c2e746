"""Public transparency pages: the agencies with figures, and per agency its SIPAS indices and
PAKN handling for the last half-years. No login, citizen layout, no JavaScript, Vietnamese
first; only aggregates (reports.public), cacheable by anyone for five minutes."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext as _

from core.clock import now, today
from core.errors import error_response
from core.replica import reads_from_replica
from feedback.reasons import NON_PUBLICATION_REASONS
from reports.moderation_log import build_moderation_page
from reports.public import build_agency_page, find_public_agency, list_public_agencies

bp = Blueprint("reports_public", __name__, url_prefix="/cong-khai")

MAX_AGE = 300


def _public(body: str):
    response = make_response(body)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # The language comes from a cookie: a shared cache must keep one copy per language.
    response.vary.add("Cookie")
    return response


def _no_parameters():
    """These pages take no query parameters: a link with any is a mistake, not a filter to
    ignore silently (the figures shown would not be what was asked for)."""
    if request.args:
        names = ", ".join(sorted(request.args))
        return error_response(400, _("Unknown parameter: %(names)s. This page takes none.",
                                     names=names))
    return None


@bp.get("/")
@reads_from_replica
def index():
    """The public list of agencies with figures, grouped under their top-level unit."""
    if (refused := _no_parameters()) is not None:
        return refused
    return _public(render_template("reports/public/index.html",
                                   groups=list_public_agencies(today())))


@bp.get("/kiem-duyet")
@reads_from_replica
def moderation():
    """The public moderation log of an agency and period: PAKN kept off the public pages and
    why, answers published with text removed, days from answer to publication (counts only)."""
    page = build_moderation_page(request.args.to_dict(), today())
    body = render_template("reports/public/moderation.html", page=page,
                           reason_labels=NON_PUBLICATION_REASONS)
    if page.status != 200:
        return body, page.status
    return _public(body)


@bp.get("/<code>")
@reads_from_replica
def agency(code: str):
    """An agency's public page: its SIPAS indices and PAKN handling for recent half-years."""
    unit = find_public_agency(code)
    if unit is None:
        abort(404)
    if (refused := _no_parameters()) is not None:
        return refused
    page = build_agency_page(unit, today=today(), moment=now())
    return _public(render_template("reports/public/agency.html", page=page))
