"""Desk staff work lists: their live collection points (linking to the posters) with today's
responses, and today's responses by channel, scoped to the staff's own desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from core.clock import now
from core.extensions import db
from core.models import Role
from surveys.models import CollectionPoint
from surveys.responses import SubmittedResponse, submit_response
from surveys.worklists import desk_points, desk_today
from tests.surveys.survey_page_helpers import build_desk


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


@pytest.fixture
def english(app):
    """A request context in English: the lists build URLs and translated labels."""
    with app.test_request_context(), force_locale("en"):
        yield


def _rate(desk, point, channel="desk_qr", when=None):
    submit_response(SubmittedResponse(version=desk.version, unit=point.unit if point else
                                      desk.desk, point=point, channel=channel,
                                      answers={"q9_24": 5, "q9_25": 4}, submitted_at=when))


def test_desk_points_list_the_staffs_live_points_with_todays_count(desk, english, make_user,
                                                                  make_unit):
    staff = make_user(Role.DESK_STAFF, desk.desk)
    retired = CollectionPoint(unit_id=desk.desk.id, public_code="RETIRE1",
                              version_id=desk.version.id, retired_at=now())
    other_desk = make_unit("OTHER-Q", parent=desk.agency, kind="desk")
    theirs = CollectionPoint(unit_id=other_desk.id, public_code="THEIRS2",
                             version_id=desk.version.id)
    db.session.add_all([retired, theirs])
    db.session.commit()
    _rate(desk, desk.point)
    _rate(desk, desk.point)
    _rate(desk, desk.point, when=now() - timedelta(days=2))
    db.session.commit()
    result = desk_points(staff)
    assert result.count == 1
    [item] = result.items
    assert item.code == desk.point.public_code
    assert item.url.endswith(f"/quan-tri/diem-khao-sat/{desk.point.id}/poster")
    assert item.note == "2 response(s) today"


def test_desk_today_counts_by_channel_in_scope(desk, english, make_user, make_unit):
    staff = make_user(Role.DESK_STAFF, desk.desk)
    _rate(desk, desk.point)
    _rate(desk, None, channel="paper")
    _rate(desk, desk.point, when=now() - timedelta(days=1, hours=1))
    elsewhere = make_unit("ELSE", kind="commune")
    submit_response(SubmittedResponse(version=desk.version, unit=elsewhere, channel="online",
                                      answers={"q9_24": 5, "q9_25": 5}))
    db.session.commit()
    result = desk_today(staff)
    assert result.count == 2
    figures = dict(result.figures)
    assert figures["All responses today"] == "2"
    assert figures["Desk QR code"] == "1" and figures["Paper form"] == "1"
    assert "Online link" not in figures


def test_desk_staff_landing_page(client, login, desk, make_user):
    staff = make_user(Role.DESK_STAFF, desk.desk)
    login(client, staff)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-desk_points"' in html and 'id="wl-desk_today"' in html
    assert f"/quan-tri/diem-khao-sat/{desk.point.id}/poster" in html
    assert 'id="wl-officer_register"' not in html
