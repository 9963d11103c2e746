"""Typing in paper forms: channel "paper" with entered_by, every box checked at once, typed
values kept on error, the running count, CSRF, and who may use the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g

from core.clock import today
from core.extensions import db
from core.models import AuditEntry, Role
from surveys.models import Campaign, CampaignUnit, Response, ResponseDemographics, ResponseText
from tests.surveys.survey_page_helpers import build_desk, stored_counts

GOOD = {"i_q9_24": "4", "i_q9_25": "5", "i_overall": "", "i_q2": "3 1", "i_q8_1": "1",
        "i_a_age": "2", "i_comment": "Chờ hơi lâu"}


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


@pytest.fixture
def staff(desk, make_user):
    return make_user(Role.DESK_STAFF, desk.desk)


def url(desk, **args) -> str:
    query = "".join(f"?{key}={value}" for key, value in args.items())
    return f"/quan-tri/nhap-phieu/{desk.desk.id}/{desk.version.id}{query}"


def test_page_focuses_the_first_box_and_shows_the_count(client, login, desk, staff):
    login(client, staff)
    page = client.get(url(desk)).get_data(as_text=True)
    assert 'id="i_q9_24" name="i_q9_24" type="text" value="" class="paper-box" ' \
           'inputmode="numeric" maxlength="3" autofocus' in page
    assert page.count("autofocus") == 1
    assert "Forms typed in this session: 0" in page
    assert 'name="csrf_token"' in page


def test_saving_stores_a_paper_response_entered_by_the_user(client, login, desk, staff):
    login(client, staff)
    saved = client.post(url(desk), data=GOOD)
    assert saved.status_code == 303 and saved.headers["Location"].endswith(url(desk))
    response = db.session.scalar(db.select(Response))
    assert (response.channel, response.entered_by_id, response.unit_id) == (
        "paper", staff.id, desk.desk.id)
    assert response.answers == {"q9_24": 4, "q9_25": 5, "q2": [1, 3], "q8_1": 1}
    assert db.session.get(ResponseText, (response.id, "comment")).text == "Chờ hơi lâu"
    assert db.session.get(ResponseDemographics, response.id).answers == {"a_age": 2}
    # The audit names the unit, not the response: no per-response trail of who typed what.
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "survey.paper_entered"))
    assert (entry.object_type, entry.object_id) == ("unit", str(desk.desk.id))
    again = client.get(url(desk)).get_data(as_text=True)
    assert "Forms typed in this session: 1" in again and 'value="4"' not in again


def test_the_running_count_increments_per_user_and_unit(client, login, desk, staff, make_user):
    colleague = make_user(Role.DESK_STAFF, desk.desk)
    login(client, colleague)
    client.post(url(desk), data=GOOD)
    login(client, staff)
    for expected in (1, 2):
        page = client.post(url(desk), data=GOOD, follow_redirects=True)
        assert f"Forms typed in this session: {expected}" in page.get_data(as_text=True)


def test_bad_boxes_are_all_marked_values_kept_and_nothing_stored(client, login, desk, staff):
    login(client, staff)
    typed = {**GOOD, "i_q9_24": "7", "i_q9_25": "bốn", "i_q2": "1 1"}
    answer = client.post(url(desk), data=typed)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="i_q9_24-err">Type one of 1, 2, 3, 4, 5.' in page
    assert 'id="i_q9_25-err">Type a number, not text.' in page
    assert 'id="i_q2-err">A choice was typed twice.' in page
    assert 'value="7"' in page and 'value="bốn"' in page and 'value="Chờ hơi lâu"' in page
    assert 'id="i_q9_24" name="i_q9_24" type="text" value="7" class="paper-box" ' \
           'inputmode="numeric" maxlength="3" autofocus' in page  # the first wrong box
    assert stored_counts() == (0, 0, 0, 0)


def test_a_required_box_left_empty_and_a_long_comment_are_refused(client, login, desk, staff):
    login(client, staff)
    answer = client.post(url(desk), data={**GOOD, "i_q9_25": "", "i_comment": "x" * 51})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="i_q9_25-err">This question needs an answer.' in page
    assert 'id="i_comment-err">Keep this answer to 50 characters or fewer.' in page
    assert stored_counts() == (0, 0, 0, 0)


def test_an_open_campaign_is_attached_and_shown(client, login, desk, staff):
    campaign = Campaign(code="SIPAS-26", name_vi="SIPAS 2026 – đợt 1",
                        owner_unit_id=desk.agency.id, version_id=desk.version.id,
                        starts_on=today() - timedelta(days=1), ends_on=today(),
                        channels=["paper"])
    campaign.units.append(CampaignUnit(unit_id=desk.agency.id, quota=10))
    db.session.add(campaign)
    db.session.commit()
    login(client, staff)
    setup = client.post("/quan-tri/nhap-phieu/", data={
        "unit_id": desk.desk.id, "version_id": desk.version.id, "campaign_id": campaign.id})
    assert setup.status_code == 303
    assert setup.headers["Location"].endswith(url(desk, campaign=campaign.id))
    assert "SIPAS 2026 – đợt 1" in client.get(url(desk)).get_data(as_text=True)
    client.post(url(desk, campaign=campaign.id), data=GOOD)
    assert db.session.scalar(db.select(Response.campaign_id)) == campaign.id


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_stays_on(client, desk, staff):
    referer = {"Referer": "https://localhost/dang-nhap"}
    token = _token(client.get("/dang-nhap").get_data(as_text=True))
    client.post("/dang-nhap", data={"username": staff.username, "csrf_token": token,
                                    "password": "correct horse battery staple"},
                headers=referer)
    # Requests share the test's app context and so ``g``, where Flask-WTF caches the token
    # of the signed-out session; a real request starts with an empty ``g``.
    g.pop("csrf_token", None)
    assert client.post(url(desk), data=GOOD, headers=referer).status_code == 400
    assert stored_counts() == (0, 0, 0, 0)
    token = _token(client.get(url(desk)).get_data(as_text=True))
    saved = client.post(url(desk), data={**GOOD, "csrf_token": token}, headers=referer)
    assert saved.status_code == 303 and stored_counts()[0] == 1


def _token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_another_units_desk_staff_gets_404_and_it_is_logged(client, login, desk, make_unit,
                                                            make_user):
    other = make_unit("UBND-PHUONG-2", kind="commune")
    login(client, make_user(Role.DESK_STAFF, other))
    assert client.get(url(desk)).status_code == 404
    assert client.post(url(desk), data=GOOD).status_code == 404
    assert stored_counts() == (0, 0, 0, 0)
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.unit_id == desk.desk.id)).all()
    assert len(denied) == 2 and denied[0].reason == "surveys.enter"


def test_a_handler_without_the_permission_gets_403(client, login, desk, make_user):
    login(client, make_user(Role.HANDLER, desk.agency))
    assert client.get("/quan-tri/nhap-phieu/").status_code == 403
    assert client.post(url(desk), data=GOOD).status_code == 403
    assert stored_counts() == (0, 0, 0, 0)


def test_a_campaign_closed_after_setup_is_a_409_with_the_typing_kept(client, login, desk,
                                                                     staff):
    campaign = Campaign(code="SIPAS-26", name_vi="SIPAS 2026 – đợt 1",
                        owner_unit_id=desk.agency.id, version_id=desk.version.id,
                        starts_on=today(), ends_on=today(), channels=[])
    campaign.units.append(CampaignUnit(unit_id=desk.agency.id, quota=10))
    db.session.add(campaign)
    db.session.commit()
    login(client, staff)
    menu = client.get(url(desk, campaign=campaign.id)).get_data(as_text=True)
    assert 'href="/quan-tri/nhap-phieu/">Type in paper forms</a>' in menu
    campaign.closed_at = campaign.created_at
    db.session.commit()
    answer = client.post(url(desk, campaign=campaign.id), data=GOOD)
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "This survey campaign is closed" in page and 'value="Chờ hơi lâu"' in page
    assert stored_counts() == (0, 0, 0, 0)
