"""Random-sample invitations end to end in a real browser: an analyst draws a sample of a
department's consenting dossiers, sends the invitations, a holder opens the single-use link
from the outbox on a phone and rates, and the bias report shows the invited sample beside the
self-selected ratings. Screenshots of the draw page and the report at 360 and 1280 px go to
test-artifacts/screenshots/sample-*.png (and to $SAMPLE_SHOTS_DIR when set)."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from core.clock import today
from core.db import write_intent
from core.extensions import db
from core.models import OutboxMessage, User
from core.org import unit_by_code
from core.outbox import deliver_due
from surveys.dossiers import DossierData, upsert_dossier
from surveys.instruments import get_version
from surveys.responses import SubmittedResponse, submit_response
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_survey_flow import REQUIRED, axe_violations, fill, submit

pytestmark = pytest.mark.browser

ANALYST = "phantich.snv"  # core.demo: analyst of the whole province (LS)
DEPARTMENT = "LS-SNV"


def _shot(driver, name: str) -> None:
    path = save_screenshot(driver, name, full_page=True)
    target = os.environ.get("SAMPLE_SHOTS_DIR")
    if target:
        shutil.copy(path, Path(target) / path.name)


def _load(server: LiveServer, year: int) -> int:
    """Twelve consenting dossiers and ten self-selected desk ratings (all 5) in June of
    ``year`` (before the demo data's months); returns the department's id."""
    with server.app.app_context(), write_intent():
        unit = unit_by_code(DEPARTMENT)
        admin = db.session.execute(db.select(User).where(User.username == "admin")) \
            .scalar_one_or_none()
        actor = admin or db.session.execute(db.select(User).order_by(User.id)).scalars().first()
        received = datetime(year, 6, 2, 2, 0, tzinfo=UTC)
        for number in range(12):
            upsert_dossier(DossierData(
                code=f"E2E-{year}-{number:03d}", unit_code=DEPARTMENT, received_at=received
                + timedelta(hours=number), procedure_code=f"2.00{number % 2}", online=number < 4,
                contact_consent=True, contact_phone=f"0913{number:06d}"), actor=actor)
        version = get_version("sipas-desk")
        for number in range(10):
            submit_response(SubmittedResponse(
                version=version, unit=unit, channel="desk_qr",
                answers=dict.fromkeys(REQUIRED, 5),
                submitted_at=datetime(year, 6, 10, 3, number, tzinfo=UTC)))
        db.session.commit()
        unit_id = unit.id
        db.session.remove()
    return unit_id


def _invitation_link(server: LiveServer) -> str:
    """Deliver the outbox (SMS is only logged: no provider is configured) and return the first
    invitation's link."""
    with server.app.app_context(), write_intent():
        deliver_due(limit=10_000)  # the demo's own messages are pending too
        sent = db.session.scalar(
            db.select(db.func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "survey.sample_invitation",
                   OutboxMessage.status == "sent"))
        assert sent == 6
        body = db.session.scalars(
            db.select(OutboxMessage.body)
            .where(OutboxMessage.purpose == "survey.sample_invitation")
            .order_by(OutboxMessage.id)).first()
        db.session.remove()
    match = re.search(r"(https?://\S+/d/\S+)", body or "")
    assert match, body
    return match.group(1)


def test_draw_send_rate_and_see_the_bias_report(make_browser, live_server):
    if not live_server.app.config.get("SQLALCHEMY_DATABASE_URI"):
        pytest.skip("no database")
    year = today().year - 2
    unit_id = _load(live_server, year)
    period = f"{year}-Q2"
    staff = make_browser("desktop")
    sign_in(staff, ANALYST)
    staff.get(live_server("/quan-tri/mau-ngau-nhien/"))
    form = staff.find_element(By.ID, "draw-form")
    Select(form.find_element(By.NAME, "unit")).select_by_value(str(unit_id))
    for name, value in (("period", period), ("size", "6"), ("seed", "2024")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(staff, gone(button))
    wait_for(staff, EC.presence_of_element_located((By.ID, "draw-facts")))
    assert staff.find_element(By.ID, "seed").text == "2024"
    # "có: …" (Vietnamese, the default language): the seed draws the same dossiers again.
    assert staff.find_element(By.ID, "reproduced").text.startswith("có")
    strata = staff.find_elements(By.CSS_SELECTOR, "#strata tbody tr")
    assert len(strata) == 4  # 2 procedures × in person / online
    draw_url = staff.current_url
    send = staff.find_element(By.CSS_SELECTOR, "#send-invitations button")
    send.click()
    wait_for(staff, gone(send))
    wait_for(staff, EC.presence_of_element_located((By.ID, "delivery")))
    assert "6 trên 6" in staff.find_element(By.ID, "delivery").text  # queued: 6 of 6
    assert axe_violations(staff) == []
    _shot(staff, "sample-draw-1280")

    # The holder opens the link from the outbox on a phone and rates (all 2: less pleased
    # than the self-selected raters).
    citizen = make_browser("phone")
    citizen.get(_invitation_link(live_server))
    time.sleep(4)  # a person reads first; a faster form is flagged and left out of indices
    fill(citizen, dict.fromkeys(REQUIRED, 2))
    submit(citizen)
    assert "/d/" in citizen.current_url

    staff.get(live_server(f"/quan-tri/bao-cao/sai-lech-mau/?unit={unit_id}&period={period}"))
    row = staff.find_element(By.CSS_SELECTOR, "#bias-table tr[data-element='II.A']")
    cells = [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td")]
    # Self-selected 100 (10 raters), sample 0 (1 rater: below the minimum cell, figures hidden).
    assert cells[0].startswith("100") and cells[1] == "10" and cells[3] == "1"
    assert "mời 6 hồ sơ, 1 đã trả lời" in staff.find_element(By.ID, "sample-summary").text
    assert axe_violations(staff) == []
    _shot(staff, "sample-bias-1280")

    phone = make_browser("phone")
    sign_in(phone, ANALYST)
    phone.get(draw_url)
    wait_for(phone, EC.presence_of_element_located((By.ID, "draw-facts")))
    delivery = phone.find_element(By.ID, "delivery").text
    assert "Đã gửi: 6" in delivery and "Đã trả lời: 1" in delivery
    _shot(phone, "sample-draw-360")
    phone.get(live_server(f"/quan-tri/bao-cao/sai-lech-mau/?unit={unit_id}&period={period}"))
    wait_for(phone, EC.presence_of_element_located((By.ID, "bias-table")))
    width = phone.execute_script("return [document.documentElement.scrollWidth, "
                                 "document.documentElement.clientWidth]")
    assert width[0] <= width[1], width
    _shot(phone, "sample-bias-360")
