"""What every report page's template needs beside its figures: the filter form's choices
(periods, units in scope, campaigns, channels) and the label helpers of the shared macros."""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission, require_somewhere, visible_units
from core.clock import today
from core.extensions import db
from core.models import Unit
from feedback.labels import TOPIC_LABELS
from reports.dashboard import period_choices
from reports.dashboard_model import element_name
from reports.filters import FilterError, ReportFilters, parse_filters, report_roots
from reports.indices import subtree_units
from surveys.labels import CHANNEL_LABELS
from surveys.models import Campaign


def campaign_choices(unit: Unit) -> list[Campaign]:
    """Campaigns run by the unit, one of its ancestors or anyone in its subtree."""
    owners = [*unit.ancestor_ids(), *(u.id for u in subtree_units(unit))]
    return list(db.session.scalars(
        select(Campaign).where(Campaign.owner_unit_id.in_(owners))
        .order_by(Campaign.starts_on.desc())))




def filter_context(filters: ReportFilters, *, endpoint: str) -> dict:
    """What the filter form and the shared report templates need."""
    root = db.session.get(Unit, filters.unit_id)
    names = {unit.id: unit.name_vi for unit in subtree_units(root)}
    return {
        "element_label": element_name,
        "topic_label": lambda topic: str(TOPIC_LABELS.get(topic, topic)),
        "unit_name": lambda unit_id: names.get(unit_id) or (
            db.session.get(Unit, unit_id).name_vi if unit_id else "—"),
        "filters": filters, "endpoint": endpoint,
        "periods": period_choices(today()),
        "units": visible_units(current_user, Permission.REPORTS_VIEW),
        "campaigns": campaign_choices(root),
        "channels": CHANNEL_LABELS,
    }


def request_filters(*, allowed_extra: Iterable[str] = ()) -> ReportFilters:
    """The request's report filters: 403 for a user with no reports anywhere; bad filters
    raise FilterError, which ``filter_error_page`` answers with a 400 page."""
    require_somewhere(current_user, Permission.REPORTS_VIEW)
    return parse_filters(request.args, current_user, allowed_extra=allowed_extra)


def filter_error_page(error: FilterError):
    return render_template("reports/filter_error.html", message=str(error),
                           roots=report_roots(current_user)), 400
