"""Closing the loop in real browsers (issue 14 §1): the approver sends the answer to a formal
PAKN; the rating link the sender receives is read from the outbox; the sender, on a 360 px
phone with JavaScript off, rates the handling and answers "Chưa" with a reason; the handler
finds the case reopened in their unit's list, with the reopening and its reason on the
timeline and a new deadline. Screenshots of the rating page at 360 and 1280 px go to
test-artifacts/screenshots/ and, when the folder exists, to /work/wt/shots/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select

from core.clock import now
from core.extensions import db
from core.models import OutboxMessage, Unit, User
from feedback.answers import save_answer_draft
from feedback.evidence import LegalBasis, find_legal_document
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase
from feedback.workflow import TransitionInput, transition_case
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_survey_flow import axe_violations

pytestmark = pytest.mark.browser

OFFICER, HANDLER, APPROVER = "pakn.vanphong", "xuly.snv", "lanhdao.snv"   # core.demo
SHOTS = Path("/work/wt/shots")
REASON = "Cống trước nhà vẫn tắc, nước vẫn tràn ra đường khi mưa."


def _approved_case(server: LiveServer) -> int:
    """A formal report to the Sở Nội vụ, answered and approved (not yet sent), through the
    services as the demo's officer, handler and approver."""
    with server.app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User).where(
            User.username.in_([OFFICER, HANDLER, APPROVER])))}
        department = db.session.scalar(select(Unit).where(Unit.code == "LS-SNV"))
        case, _new = submit_feedback(FeedbackSubmission(
            content="Cống thoát nước trước số 5 phố Tam Thanh bị tắc, mưa là ngập.",
            kind="report", topic="other", origin_unit=department, reply_channel="email",
            contact=Contact(name="Đỗ Văn Thành", address="Số 5 phố Tam Thanh, Lạng Sơn",
                            phone="0915 222 333", email="thanh.do@example.vn")))
        transition_case(case, "assign", users[OFFICER], TransitionInput(
            classification="in_competence", handling_unit=department))
        transition_case(case, "start", users[HANDLER])
        # The demo lists Decree 61/2018 (feedback.demo_evidence): the answer cites it, as an
        # approvable answer must (issue 14 §2).
        basis = LegalBasis(find_legal_document("61/2018/NĐ-CP"), "Điều 19")
        save_answer_draft(case, users[HANDLER], "Sở đã đề nghị đơn vị quản lý thông cống.",
                          legal_basis=basis)
        transition_case(case, "submit_answer", users[HANDLER])
        transition_case(case, "approve", users[APPROVER])
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def _state(server: LiveServer, case_id: int) -> tuple[str, object]:
    with server.app.app_context():
        case = db.session.get(FeedbackCase, case_id)
        found = (case.state, case.answer_due_at)
        db.session.remove()
    return found


def _rating_link(server: LiveServer, case_id: int) -> str:
    with server.app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(
            OutboxMessage.purpose == "feedback.followup",
            OutboxMessage.object_id == str(case_id)))
        db.session.remove()
    assert body is not None, "no rating link in the outbox"
    [link] = re.findall(re.escape(server.url) + r"/p/\S+", body)
    return link


def _click(driver: WebDriver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _keep(path: Path, name: str) -> None:
    if SHOTS.is_dir():
        shutil.copyfile(path, SHOTS / name)


def test_sender_reopens_an_answered_case_from_the_rating_link(make_browser, live_server):
    case_id = _approved_case(live_server)

    # 1. The approver sends the answer from the case page.
    approver = make_browser("desktop")
    sign_in(approver, APPROVER)
    approver.get(live_server(f"/quan-tri/pakn/{case_id}"))
    panel = approver.find_element(By.ID, "action-send_answer")
    if panel.get_attribute("open") is None:
        _click(approver, panel.find_element(By.TAG_NAME, "summary"))
    button = panel.find_element(By.CSS_SELECTOR, "button[type=submit]")
    _click(approver, button)
    wait_for(approver, gone(button))
    assert _state(live_server, case_id)[0] == "answered"

    # 2. The sender opens the link from the message on a phone without JavaScript.
    link = _rating_link(live_server, case_id)
    assert "thanh" not in link.lower() and "0915" not in link
    desktop = make_browser("desktop")
    desktop.get(link)
    _keep(save_screenshot(desktop, "pakn-followup-1280", full_page=True),
          "loop-rating-1280.png")
    phone = make_browser("phone", javascript=False)
    phone.get(link)
    assert phone.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    page = phone.find_element(By.TAG_NAME, "main").text
    assert "Vấn đề của Ông/Bà đã được giải quyết chưa?" in page
    assert "mở lại" in phone.find_element(By.ID, "reopen-window").text
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, width
    assert axe_violations(desktop) == []
    _keep(save_screenshot(phone, "pakn-followup-360", full_page=True), "loop-rating-360.png")
    form = phone.find_element(By.CSS_SELECTOR, "form.survey")
    for code, value in (("q9_37", "4"), ("q9_38", "3"), ("q9_39", "2"), ("resolved", "2")):
        _click(phone, form.find_element(By.CSS_SELECTOR,
                                        f"input[name={code}][value='{value}']"))
    form.find_element(By.NAME, "reason").send_keys(REASON)
    send = form.find_element(By.CSS_SELECTOR, "button.send")
    _click(phone, send)
    wait_for(phone, EC.url_contains("/cam-on"))
    assert "đã được mở lại" in phone.find_element(By.ID, "outcome").text
    _keep(save_screenshot(phone, "pakn-followup-thanks-360", full_page=True),
          "loop-thanks-360.png")
    # The link is spent: a second visit is refused, in Vietnamese.
    phone.get(link)
    assert "đã được sử dụng" in phone.find_element(By.TAG_NAME, "main").text

    # 3. The handler sees the case back in their unit's list, reopened, with a new deadline.
    # (Received and reopened the same day here, so the fresh period ends where the first did;
    # tests/feedback/test_followups.py checks a reopening days later.)
    state, new_due = _state(live_server, case_id)
    assert state == "in_progress" and new_due is not None and new_due > now()
    handler = make_browser("desktop")
    sign_in(handler, HANDLER)
    handler.get(live_server("/quan-tri/pakn/don-vi"))
    handler.find_element(By.CSS_SELECTOR, f"#pakn-cases a[href='/quan-tri/pakn/{case_id}']")
    handler.get(live_server(f"/quan-tri/pakn/{case_id}"))
    timeline = handler.find_element(By.ID, "timeline").text
    assert "người gửi cho biết vấn đề chưa được giải quyết" in timeline
    assert REASON in timeline
    assert handler.find_elements(By.ID, "answer-form")  # they can answer again
    _keep(save_screenshot(handler, "pakn-followup-case-1280", full_page=True),
          "loop-case-1280.png")
