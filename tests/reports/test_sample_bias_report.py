"""The draw pages and the bias report page: role checks, bad input, and the figures of a small
world (self-selected desk ratings against an invited sample) read back from the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.extensions import db
from core.models import OutboxMessage, Role
from reports.sample_bias import build_bias_report
from surveys.models import Channel, SampleDraw
from surveys.responses import SubmittedResponse, submit_response
from surveys.sampling import draw_sample, send_invitations
from tests.surveys.dossier_helpers import publish_desk_form, valid_form
from tests.surveys.sample_helpers import build_sample_world, link_of

JUNE = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def world(app, make_unit, make_user):
    return build_sample_world(make_unit, make_user)


def _self_selected(world, version, satisfied: int, dissatisfied: int) -> None:
    """Desk QR ratings in June: ``satisfied`` answer 5 and 4, the others 2 and 2."""
    for answers in [{"q9_24": 5, "q9_25": 4}] * satisfied + [{"q9_24": 2, "q9_25": 2}] * \
            dissatisfied:
        submit_response(SubmittedResponse(version=version, unit=world.office.desk,
                                          channel=Channel.DESK_QR.value, answers=answers,
                                          submitted_at=JUNE))
    db.session.commit()


def _invite_and_answer(client, world, version, size: int, answering: int) -> SampleDraw:
    draw = draw_sample(world.office.agency, "2026-Q2", size, actor=world.analyst, seed=11)
    send_invitations(draw, actor=world.analyst)
    db.session.commit()
    bodies = db.session.scalars(db.select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    for body in bodies[:answering]:
        # Invited holders are less pleased here: 3 and 2.
        response = client.post(link_of(body), data=valid_form(version, q9_24="3", q9_25="2"))
        assert response.status_code == 303
    return draw


def test_report_compares_self_selected_with_the_sample(client, login, world):
    version = publish_desk_form()
    _self_selected(world, version, satisfied=18, dissatisfied=2)
    _invite_and_answer(client, world, version, size=10, answering=6)
    report = build_bias_report(world.analyst, world.office.agency.id, "2026-Q2")
    row = report.comparison.set_index("element").loc["II.A"]
    # Self-selected: both items 18 of 20 → 90; sample: both items 0 of 6 → 0.
    assert (row["self_index"], row["self_n"]) == (90.0, 20)
    assert (row["sample_index"], row["sample_n"]) == (0.0, 6)
    assert row["difference"] == pytest.approx(90.0) and row["p_value"] < 0.001
    # Every dossier of the period, consenting or not (30 + HS-NO; HS-OLD is in March).
    assert report.population == 31
    post = report.post.set_index("element").loc["II.A"]
    assert post["post_index"] == pytest.approx(0.0)

    login(client, world.analyst)
    page = client.get(f"/quan-tri/bao-cao/sai-lech-mau/?unit={world.office.agency.id}"
                      "&period=2026-Q2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-element="II.A"' in html and "+90.0" in html
    assert re.search(r"10 dossiers invited, 6 answered", html)


@pytest.mark.parametrize("query, status", [
    ("?period=2026-Q9", 400),
    ("?period=x" * 5, 400),
    ("?unit=999999&period=2026-Q2", 400),
    ("?unit=abc&period=2026-Q2", 400),
])
def test_bad_report_filters_get_a_message(client, login, world, query, status):
    login(client, world.analyst)
    page = client.get("/quan-tri/bao-cao/sai-lech-mau/" + query)
    assert page.status_code == status
    assert "Some filters are not valid" in page.get_data(as_text=True)


def test_roles_without_reports_get_403_and_anonymous_are_sent_to_sign_in(client, login, world,
                                                                         make_user):
    assert client.get("/quan-tri/bao-cao/sai-lech-mau/").status_code in (302, 401)
    handler = make_user(Role.HANDLER, unit=world.office.agency)
    login(client, handler)
    assert client.get("/quan-tri/bao-cao/sai-lech-mau/").status_code == 403
    assert client.get("/quan-tri/mau-ngau-nhien/").status_code == 403


def test_the_other_agencys_analyst_sees_neither_the_report_nor_the_draw(client, login, world,
                                                                       make_user):
    draw = draw_sample(world.office.agency, "2026-Q2", 3, actor=world.analyst, seed=1)
    db.session.commit()
    outsider = make_user(Role.ANALYST, unit=world.office.other)
    login(client, outsider)
    # A unit the analyst cannot even see answers 404 (core.access.require).
    assert client.get(f"/quan-tri/mau-ngau-nhien/{draw.id}").status_code == 404
    assert client.post(f"/quan-tri/mau-ngau-nhien/{draw.id}/gui").status_code in (400, 404)
    page = client.get(f"/quan-tri/bao-cao/sai-lech-mau/?unit={world.office.agency.id}"
                      "&period=2026-Q2")
    assert page.status_code == 400  # not among the units offered


def test_draw_page_draws_shows_and_sends(client, login, world):
    login(client, world.analyst)
    assert client.get("/quan-tri/mau-ngau-nhien/").status_code == 200
    page = client.get("/quan-tri/mau-ngau-nhien/")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    data = {"unit": world.office.agency.id, "period": "2026-Q2", "size": "6", "seed": "99"}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/quan-tri/mau-ngau-nhien/", data=data)
    assert response.status_code == 302
    draw = db.session.scalars(db.select(SampleDraw)).one()
    assert (draw.seed, draw.sample_size) == (99, 6)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ">99<" in shown and "the recorded seed draws the same dossiers" in shown
    sent = client.post(f"/quan-tri/mau-ngau-nhien/{draw.id}/gui",
                       data={"csrf_token": token.group(1)} if token else {})
    assert sent.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 6


@pytest.mark.parametrize("fields, message", [
    ({"period": "2026-Q7"}, "Write the period as"),
    ({"size": "0"}, "Number must be between"),
    ({"size": "lots"}, "Not a valid integer"),
    ({"period": "2024-Q1"}, "No dossier of this unit and period"),
])
def test_bad_draw_input_is_explained(client, login, world, fields, message):
    login(client, world.analyst)
    page = client.get("/quan-tri/mau-ngau-nhien/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"unit": world.office.agency.id, "period": "2026-Q2", "size": "6", **fields}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/quan-tri/mau-ngau-nhien/", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SampleDraw)) == 0
