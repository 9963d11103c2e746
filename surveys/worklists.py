"""Survey work lists: the desk staff's sections of "Việc của tôi" (their collection points with
their posters, and today's responses) and the administrators' set-up checks (a published
questionnaire, collection points), registered by ``surveys.init_app`` (core.worklists).

Scoped to the units where the user may enter surveys (desk staff) or manage units (admins).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Flask, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.access import Permission, unit_scope_clause
from core.clock import LOCAL_TZ, local, now
from core.extensions import db
from core.models import Role, Unit, User
from core.worklists import (
    ITEMS_SHOWN,
    Section,
    SetupGap,
    WorkItem,
    WorkResult,
    register_section,
    register_setup_check,
)
from surveys.labels import CHANNEL_LABELS
from surveys.models import CollectionPoint, InstrumentVersion, Response, VersionStatus

P = Permission


def _today_start() -> datetime:
    return datetime.combine(local(now()).date(), time.min, tzinfo=LOCAL_TZ)


def _live_points(user: User):
    return (select(CollectionPoint.id, CollectionPoint.public_code, CollectionPoint.channel,
                   Unit.name_vi)
            .join(Unit, Unit.id == CollectionPoint.unit_id)
            .where(unit_scope_clause(user, P.SURVEYS_ENTER), CollectionPoint.active.is_(True),
                   CollectionPoint.retired_at.is_(None)))


def desk_points(user: User) -> WorkResult:
    """The live collection points of the staff's desks, each linking to its printable poster,
    with the responses it had today."""
    count = db.session.scalar(select(func.count()).select_from(_live_points(user).subquery()))
    if not count:
        return WorkResult(0, more_url=url_for("surveys_points.index"))
    rows = db.session.execute(_live_points(user).order_by(Unit.path, CollectionPoint.id)
                              .limit(ITEMS_SHOWN)).all()
    today = dict(db.session.execute(
        select(Response.point_id, func.count()).where(
            Response.point_id.in_([row.id for row in rows]),
            Response.submitted_at >= _today_start()).group_by(Response.point_id)).all())
    items = [WorkItem(
        title=f"{row.name_vi} · {CHANNEL_LABELS.get(row.channel, row.channel)}",
        url=url_for("surveys_points.poster", point_id=row.id), code=row.public_code,
        note=_("%(n)d response(s) today", n=today.get(row.id, 0))) for row in rows]
    return WorkResult(count, items, url_for("surveys_points.index"))


def desk_today(user: User) -> WorkResult:
    """Today's responses in the staff's units, by channel and by quality check."""
    rows = db.session.execute(
        select(Response.channel, Response.quality, func.count())
        .join(Unit, Unit.id == Response.unit_id)
        .where(unit_scope_clause(user, P.SURVEYS_ENTER),
               Response.submitted_at >= _today_start(),
               Response.submitted_at < _today_start() + timedelta(days=1))
        .group_by(Response.channel, Response.quality)).all()
    total = sum(count for _channel, _quality, count in rows)
    by_channel: dict[str, int] = {}
    for channel, _quality, count in rows:
        by_channel[channel] = by_channel.get(channel, 0) + count
    flagged = sum(count for _channel, quality, count in rows if quality != "ok")
    figures = [(str(_l("All responses today")), str(total))]
    figures += [(str(CHANNEL_LABELS.get(channel, channel)), str(count))
                for channel, count in sorted(by_channel.items())]
    if flagged:
        figures.append((str(_l("Flagged for review")), str(flagged)))
    return WorkResult(total, figures=figures, more_url=url_for("surveys_paper.index"))


# --- Set-up checks for administrators. -----------------------------------------------------

def check_questionnaire(user: User) -> SetupGap | None:
    published = db.session.scalar(select(func.count(InstrumentVersion.id)).where(
        InstrumentVersion.status == VersionStatus.PUBLISHED.value))
    if published:
        return None
    return SetupGap(str(_l("No questionnaire is published: citizens cannot rate yet.")),
                    url_for("surveys_admin.instruments"))


def check_points(user: User) -> SetupGap | None:
    live = db.session.scalar(
        select(func.count(CollectionPoint.id)).join(Unit, Unit.id == CollectionPoint.unit_id)
        .where(unit_scope_clause(user, P.UNITS_MANAGE), CollectionPoint.active.is_(True),
               CollectionPoint.retired_at.is_(None), CollectionPoint.channel == "desk_qr"))
    if live:
        return None
    return SetupGap(str(_l("No desk has a collection point (QR poster) yet.")),
                    url_for("surveys_points.index"))


def register_work_lists(app: Flask) -> None:
    register_section(app, Section(
        key="desk_points", role=Role.DESK_STAFF, title=_l("My collection points and posters"),
        query=desk_points, order=60, empty=_l("No live collection point at your desk: ask "
                                              "your administrator to create one.")))
    register_section(app, Section(
        key="desk_today", role=Role.DESK_STAFF, title=_l("Today's responses"),
        query=desk_today, order=61))
    register_setup_check(app, check_questionnaire)
    register_setup_check(app, check_points)
