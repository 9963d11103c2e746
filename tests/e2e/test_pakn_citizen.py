"""The PAKN citizen path on a 360 px phone: a link with the unit pre-selects
it, the sent page shows the tracking code and the dates, its status link fills the code in so
only the phone's last 4 digits are typed, and the status page names the unit the citizen chose
and states the same dates, in the same words, as the sent page and the receipt email.
The pages carry no script at all, so they work as well with JavaScript off (the browser keeps it
on only for axe-core). Screenshots go to test-artifacts/screenshots/test_sent_page_link_*."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxMessage
from feedback.models import FeedbackCase
from feedback.tracking import normalise_tracking_code
from tests.e2e.conftest import LiveServer, gone, wait_for
from tests.e2e.test_survey_flow import axe_violations

pytestmark = pytest.mark.browser

CHOSEN = "LS-STC"  # Sở Tài chính, registered by the province's PAKN office (core.demo)
CONTENT = ("Tôi nộp hồ sơ đề nghị hoàn trả tiền sử dụng đất từ tháng trước nhưng chưa nhận "
           "được kết quả. Đề nghị Sở kiểm tra và thông báo thời gian trả kết quả.")
DEADLINE = re.compile(r"(Thụ lý hoặc chuyển đơn: [^\n]*\.|Trả lời: [^\n]*\.)")


def _overflow(driver) -> int:
    return driver.execute_script(
        "const d = document.documentElement; return d.scrollWidth - d.clientWidth;")


def _send(driver, form) -> None:
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_for(driver, gone(button))


def _receipt(server: LiveServer, code: str) -> tuple[str, str]:
    """(the case's chosen unit code, the body of its "received" email) from the database."""
    with server.app.app_context():
        case = db.session.scalar(select(FeedbackCase).where(FeedbackCase.tracking_code == code))
        body = db.session.scalar(select(OutboxMessage.body).where(
            OutboxMessage.object_id == str(case.id),
            OutboxMessage.purpose == "feedback.received"))
        found = (case.origin_unit.code, body)
        db.session.remove()
    return found


def test_sent_page_link_fills_in_the_code_and_the_status_agrees(
        make_browser, live_server, screenshot):
    phone = make_browser("phone")
    phone.get(live_server(f"/phan-anh/?unit={CHOSEN}"))
    form = phone.find_element(By.CSS_SELECTOR, "form.pakn-form")
    assert Select(form.find_element(By.NAME, "unit")).first_selected_option.get_attribute(
        "value") == CHOSEN
    form.find_element(By.CSS_SELECTOR, "input[name=kind][value=report]").click()
    form.find_element(By.NAME, "content").send_keys(CONTENT)
    form.find_element(By.NAME, "name").send_keys("Hoàng Văn Bảy")
    form.find_element(By.NAME, "address").send_keys("Số 5 đường Lê Lợi, phường Lương Văn Tri")
    form.find_element(By.NAME, "phone").send_keys("0987 654 321")
    form.find_element(By.NAME, "email").send_keys("bay.hoang@example.vn")
    form.find_element(By.CSS_SELECTOR, "input[name=reply_channel][value=email]").click()
    form.find_element(By.NAME, "consent").click()
    _send(phone, form)

    # The sent page: the code, the dates, and a link that carries the code.
    wait_for(phone, EC.url_contains("/phan-anh/da-gui"))
    shown = phone.find_element(By.CSS_SELECTOR, ".pakn-code").text.strip()
    code = normalise_tracking_code(shown)
    assert code is not None, shown
    sent_text = phone.find_element(By.TAG_NAME, "main").text
    sent_dates = DEADLINE.findall(sent_text)
    assert [s.split(":")[0] for s in sent_dates] == ["Thụ lý hoặc chuyển đơn", "Trả lời"]
    assert "Ông/Bà" in sent_text and " bạn" not in sent_text.lower()
    assert "<script" not in phone.page_source
    assert _overflow(phone) == 0
    assert axe_violations(phone) == []
    screenshot(phone, "1-sent", full_page=True)
    chosen, receipt = _receipt(live_server, code)
    assert chosen == CHOSEN
    assert DEADLINE.findall(receipt) == sent_dates  # the email says the same
    link = phone.find_element(By.CSS_SELECTOR, "a.button[href*='/tra-cuu/']")
    assert f"ma={shown}" in link.get_attribute("href")
    link.click()

    # The status form: the code is filled in; only the four digits are typed.
    form = wait_for(phone, EC.presence_of_element_located(
        (By.CSS_SELECTOR, "form.pakn-form")))
    assert form.find_element(By.NAME, "code").get_attribute("value") == shown
    form.find_element(By.NAME, "digits").send_keys("4321")
    screenshot(phone, "2-status-form")
    _send(phone, form)
    status = wait_for(phone, EC.presence_of_element_located(
        (By.CSS_SELECTOR, ".pakn-status")))
    facts = status.find_element(By.CSS_SELECTOR, ".pakn-facts").text
    assert "Gửi đến\nSở Tài chính" in facts and "UBND tỉnh" not in facts
    assert DEADLINE.findall(phone.find_element(By.TAG_NAME, "main").text) == sent_dates
    assert "<script" not in phone.page_source
    assert _overflow(phone) == 0
    assert axe_violations(phone) == []
    screenshot(phone, "3-status", full_page=True)
