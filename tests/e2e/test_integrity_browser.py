"""The integrity page in a real browser: an analyst recomputes a period's checks, reads the
flagged desk with its evidence and the index with and without the flagged responses, and
marks a flag reviewed with a note (stored and audited). The same page at 360 px must not
scroll sideways. axe-core checks the page; screenshots go to
test-artifacts/screenshots/integrity-1280.png and integrity-360.png.

The ratings are loaded two years back, before the demo data, so the figures are known exactly:
desk Q01 gives twelve all-5 kiosk ratings in a row on the first Monday of March and three
rated 1 at 22:00 the next day; desk Q02 thirty
ratings, half all 4 and half all 2. All: 27 of 45 satisfied = 60%; without the 15 flagged
ones 15 of 30 = 50% (tests/reports/test_integrity_page.py works the same case by hand)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select

from core.clock import LOCAL_TZ, today
from core.db import write_intent
from core.extensions import db
from core.models import AuditEntry
from core.org import unit_by_code
from reports.models import IntegrityFlag
from surveys.instruments import get_version
from surveys.responses import SubmittedResponse, submit_response
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_dashboard_browser import PAGE_WIDTH_JS
from tests.e2e.test_survey_flow import axe_violations
from tests.reports.sipas_helpers import DESK_ITEMS

pytestmark = pytest.mark.browser

ANALYST = "phantich.snv"          # core.demo: analyst of the whole province (LS)
NOTE = "Đã gọi quầy: cán bộ tự bấm phiếu, đã nhắc nhở"


def _load(server: LiveServer, year: int) -> int:
    with server.app.app_context(), write_intent():
        version = get_version("sipas-desk")
        desk, peer = unit_by_code("LS-TTPVHCC-Q01"), unit_by_code("LS-TTPVHCC-Q02")
        monday = date(year, 3, 1) + timedelta(days=-date(year, 3, 1).weekday() % 7)

        def rate(unit, value, when, channel):
            submit_response(SubmittedResponse(
                version=version, unit=unit, channel=channel, submitted_at=when,
                answers={code: value for code in DESK_ITEMS}))

        for minute in range(0, 60, 5):
            rate(desk, 5, datetime(year, 3, monday.day, 9, minute, tzinfo=LOCAL_TZ), "kiosk")
        for second in range(3):
            rate(desk, 1, datetime(year, 3, monday.day + 1, 22, 0, second,
                                     tzinfo=LOCAL_TZ), "kiosk")
        for n in range(30):
            rate(peer, 4 if n % 2 else 2, datetime(year, 3, monday.day + 2, 9 + n % 8,
                                           tzinfo=LOCAL_TZ),
                 "online")
        db.session.commit()
        province = unit_by_code("LS").id
        db.session.remove()
    return province


def _index_cells(driver) -> tuple[float, float]:
    row = driver.find_element(By.CSS_SELECTOR, "#index-table tbody tr[data-key='0']")
    cells = row.find_elements(By.CSS_SELECTOR, "td[data-value]")
    return float(cells[0].get_attribute("data-value")), float(cells[1].get_attribute(
        "data-value"))


def test_recompute_read_and_review_a_flag(make_browser, live_server):
    year = today().year - 2
    province = _load(live_server, year)
    page = live_server(f"/quan-tri/bao-cao/toan-ven/?period={year}-Q1&unit={province}")
    driver = make_browser("desktop")
    sign_in(driver, ANALYST)
    driver.get(page)
    assert driver.find_element(By.ID, "not-computed")
    button = driver.find_element(By.ID, "recompute")
    button.click()
    wait_for(driver, gone(button))
    flag = wait_for(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, ".flag[data-rule='all_five_run']")))
    assert "Quầy Sở Nội vụ" in flag.find_element(By.XPATH, "./..").text
    hours = driver.find_element(By.CSS_SELECTOR, ".flag[data-rule='outside_hours']")
    assert "3 responses" in hours.text or "3 phiếu" in hours.text
    # Two desks are no peer group: the distribution test needs two peers of 30 responses.
    assert not driver.find_elements(By.CSS_SELECTOR, ".flag[data-rule='peer_distribution']")
    assert _index_cells(driver) == (pytest.approx(60.0), pytest.approx(50.0))

    flag_id = int(flag.get_attribute("id").removeprefix("flag-"))
    flag.find_element(By.TAG_NAME, "textarea").send_keys(NOTE)
    submit = flag.find_element(By.CSS_SELECTOR, "button[type=submit]")
    submit.click()
    wait_for(driver, gone(submit))
    reviewed = wait_for(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"#flag-{flag_id}.reviewed")))
    assert NOTE in reviewed.find_element(By.CSS_SELECTOR, ".review-note").text
    save_screenshot(driver, "integrity-1280", full_page=True)
    assert axe_violations(driver) == []

    # The link to the flag's responses lists the twelve.
    link = reviewed.find_element(By.CSS_SELECTOR, "a[href$='/phan-hoi']")
    link.click()
    wait_for(driver, EC.presence_of_element_located((By.ID, "responses-table")))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#responses-table tr[data-response]")) \
        == 12

    with live_server.app.app_context():
        stored = db.session.get(IntegrityFlag, flag_id)
        assert stored.review_note == NOTE
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "integrity.flag_reviewed",
            AuditEntry.object_id == str(flag_id)))
        assert entry is not None and entry.after["review_note"] == NOTE
        db.session.remove()

    phone = make_browser("phone")
    sign_in(phone, ANALYST)
    phone.get(page)
    widths = phone.execute_script(PAGE_WIDTH_JS)
    assert widths["scroll"] <= widths["client"], widths
    assert phone.find_element(By.CSS_SELECTOR, f"#flag-{flag_id}.reviewed")
    save_screenshot(phone, "integrity-360", full_page=True)
