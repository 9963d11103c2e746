"""The integrity page (issue 14 §3): flags per desk and official for a period, the index with
and without the flagged responses, the responses a flag names, and marking a flag reviewed.

Reading needs REPORTS_VIEW on the unit (a flag outside the actor's units answers 404);
recomputing a period and reviewing a flag need REPORTS_PUBLISH (the analyst who defends the
figures)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analysis.periods import parse_period
from core.access import Permission, can, require, require_somewhere
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.views.admin import require_staff
from reports.filters import FilterError
from reports.integrity import recompute_integrity, review_flag
from reports.integrity_page import (
    EVIDENCE_LABELS,
    RULE_LABELS,
    build_integrity_page,
    computed_label,
)
from reports.models import IntegrityFlag
from reports.page_context import filter_context, request_filters
from surveys.integrity_frames import listed_responses
from surveys.labels import CHANNEL_LABELS

bp = Blueprint("reports_integrity", __name__, url_prefix="/quan-tri/bao-cao/toan-ven")
bp.before_request(require_staff)

PER_PAGE = 100


@bp.get("/")
def index():
    """Integrity flags of a period for a unit subtree, with the index with and without them."""
    filters = request_filters()
    if filters.campaign is not None or filters.channel:
        raise FilterError(_("This page covers every campaign and channel: remove the "
                            "campaign and channel filters."))
    page = build_integrity_page(db.session.get(Unit, filters.unit_id), filters)
    return render_template(
        "reports/integrity.html", p=page, rule_labels=RULE_LABELS,
        evidence_labels=EVIDENCE_LABELS, computed_label=computed_label,
        may_review=can(current_user, Permission.REPORTS_PUBLISH, page.root),
        **filter_context(filters, endpoint="reports_integrity.index"))


@bp.post("/tinh-lai")
def recompute():
    """Run the integrity rules over a period again (every unit's flags; audited)."""
    require_somewhere(current_user, Permission.REPORTS_PUBLISH)
    period = request.form.get("period", "")
    try:
        parse_period(period)
    except ValueError:
        raise FilterError(_("Unknown period “%(value)s”: use 2026, 2026-H1, 2026-Q2 or "
                            "2026-06.", value=period)) from None
    run = recompute_integrity(period)
    db.session.commit()
    flash(_("Integrity checks recomputed for %(period)s over %(count)s responses.",
            period=period, count=run.responses), "success")
    return redirect(url_for(".index", period=period, unit=request.form.get("unit") or None))


def _flag_or_404(flag_id: int, perm: Permission) -> IntegrityFlag:
    flag = db.session.get(IntegrityFlag, flag_id)
    if flag is None:
        abort(404)
    require(current_user, perm, db.session.get(Unit, flag.unit_id),
            object_type="integrity_flag", object_id=flag.id)
    return flag


@bp.post("/co/<int:flag_id>/xem-xet")
def review(flag_id: int):
    """Mark a flag reviewed with a note (audited; the responses are not touched)."""
    flag = _flag_or_404(flag_id, Permission.REPORTS_PUBLISH)
    try:
        review_flag(flag, request.form.get("note", ""), reviewer_id=current_user.id)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".index", period=flag.period, unit=flag.unit_id,
                                _anchor=f"flag-{flag.id}"), 303)
    db.session.commit()
    flash(_("The flag is marked reviewed."), "success")
    return redirect(url_for(".index", period=flag.period, unit=request.form.get("unit")
                            or flag.unit_id, _anchor=f"flag-{flag.id}"), 303)


@bp.get("/co/<int:flag_id>/phan-hoi")
def responses(flag_id: int):
    """The responses a flag names (for a desk-wide flag, all the desk's in the period)."""
    flag = _flag_or_404(flag_id, Permission.REPORTS_VIEW)
    raw_page = request.args.get("page", "1")
    if not raw_page.isdigit() or not 0 < int(raw_page) < 100_000:
        return render_template("reports/integrity_responses.html", flag=flag, rows=[],
                               total=0, page=1, pages=1, channels=CHANNEL_LABELS,
                               rule_labels=RULE_LABELS,
                               error=_("The page number must be a whole number.")), 400
    page = int(raw_page)
    offset = (page - 1) * PER_PAGE
    if flag.response_ids:
        total, rows = listed_responses(ids=flag.response_ids, offset=offset, limit=PER_PAGE)
    else:
        _freq, first, last = parse_period(flag.period)
        total, rows = listed_responses(
            **{"desk_id" if flag.subject_kind == "desk" else "official_id": flag.subject_id},
            first_day=first, last_day=last, offset=offset, limit=PER_PAGE)
    return render_template("reports/integrity_responses.html", flag=flag, rows=rows,
                           total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
                           channels=CHANNEL_LABELS, rule_labels=RULE_LABELS, error=None,
                           unit=db.session.get(Unit, flag.unit_id))
