"""One PAKN case walked through every role's work list ("Việc của tôi", /quan-tri/) in
Chromium at 360 and 1280 px: the PAKN officer finds it under "To register", registers it,
finds it under "To classify and pass on" and assigns it; the handler finds it under "Assigned
to my unit", starts it and submits an answer with a letter number; the approver finds it under
"Waiting for my approval", sees the handler's letter number in the approve form, approves it,
finds it under "Approved, waiting to be sent" and sends it. After each step the case is in the
right list and gone from the previous one; every landing page and the inbox fit the screen
(no sideways scrolling) and axe-core finds nothing serious. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from core.extensions import db
from core.models import Unit
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase
from tests.e2e.conftest import LiveServer, gone, sign_in, wait_for
from tests.e2e.test_survey_flow import axe_violations

pytestmark = pytest.mark.browser

OFFICER, HANDLER, APPROVER = "pakn.vanphong", "xuly.snv", "lanhdao.snv"   # core.demo
DEPARTMENT = "LS-SNV"
TITLE = "Quầy chứng thực chỉ có một cán bộ, người dân chờ hơn hai giờ vào buổi sáng"
ANSWER = "Sở Nội vụ đã bố trí thêm một cán bộ tiếp nhận hồ sơ vào giờ cao điểm buổi sáng."


def _new_case(server: LiveServer) -> tuple[int, int]:
    """A formal report about the Sở Nội vụ, received just now (in the province's register)."""
    with server.app.app_context():
        department = db.session.scalar(select(Unit).where(Unit.code == DEPARTMENT))
        case, _created = submit_feedback(FeedbackSubmission(
            content=f"{TITLE}. Đề nghị bố trí thêm người.", title=TITLE, kind="report",
            topic="procedures", origin_unit=department,
            contact=Contact(name="Lê Văn Bình", address="Số 5 đường Lê Lợi, Lạng Sơn",
                            phone="0913 222 333")))
        db.session.commit()
        found = (case.id, department.id)
        db.session.remove()
    return found


def _state(server: LiveServer, case_id: int) -> str:
    with server.app.app_context():
        state = db.session.get(FeedbackCase, case_id).state
        db.session.remove()
    return state


def _overflow(driver: WebDriver) -> int:
    return driver.execute_script(
        "const d = document.documentElement; return d.scrollWidth - d.clientWidth;")


def _landing(driver: WebDriver, server: LiveServer, shots, name: str,
             problems: dict[str, list[str]]) -> None:
    driver.get(server("/quan-tri/"))
    wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "h1")))
    assert _overflow(driver) <= 0, name
    problems[name] = axe_violations(driver)
    shots(driver, name, full_page=True)


def _in_list(driver: WebDriver, key: str, case_id: int):
    return driver.find_element(By.CSS_SELECTOR,
                               f"#wl-{key} a[href='/quan-tri/pakn/{case_id}']")


def _not_in(driver: WebDriver, keys: tuple[str, ...], case_id: int) -> None:
    for key in keys:
        with pytest.raises(NoSuchElementException):
            _in_list(driver, key, case_id)


def _click(driver: WebDriver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _act(driver: WebDriver, case_id: int, action: str, **fields: str) -> None:
    """On the open case page: unfold the action, fill it in and submit it."""
    panel = driver.find_element(By.ID, f"action-{action}")
    if panel.get_attribute("open") is None:
        _click(driver, panel.find_element(By.TAG_NAME, "summary"))
    form = panel.find_element(By.TAG_NAME, "form")
    for name, value in fields.items():
        element = form.find_element(By.NAME, f"{action}-{name}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    _click(driver, button)
    wait_for(driver, gone(button))
    wait_for(driver, EC.url_contains(f"/quan-tri/pakn/{case_id}"))


def _open_from(driver: WebDriver, key: str, case_id: int) -> None:
    """One click from the work list to the case."""
    _click(driver, _in_list(driver, key, case_id))
    wait_for(driver, EC.url_contains(f"/quan-tri/pakn/{case_id}"))
    assert _overflow(driver) <= 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_one_case_through_every_roles_work_list(make_browser, live_server, screenshot, size):
    case_id, department_id = _new_case(live_server)
    problems: dict[str, list[str]] = {}

    # The PAKN officer: to register → to classify and pass on → gone once assigned.
    officer = make_browser(size)
    sign_in(officer, OFFICER)
    _landing(officer, live_server, screenshot, "1-officer-to-register", problems)
    item = _in_list(officer, "officer_register", case_id)
    assert TITLE[:40] in item.text
    assert item.find_element(By.XPATH, "..").find_elements(By.CSS_SELECTOR, ".badge-new")
    officer.get(live_server("/quan-tri/pakn/"))
    assert _overflow(officer) <= 0
    problems["officer-inbox"] = axe_violations(officer)
    row = officer.find_element(By.CSS_SELECTOR,
                               f"#pakn-cases a.case-title[href='/quan-tri/pakn/{case_id}']")
    assert row.size["width"] >= (200 if size == "phone" else 300), row.size  # readable title
    screenshot(officer, "2-officer-inbox", full_page=True)
    officer.get(live_server("/quan-tri/"))
    _open_from(officer, "officer_register", case_id)
    _act(officer, case_id, "register")
    assert _state(live_server, case_id) == "registered"
    _landing(officer, live_server, screenshot, "3-officer-to-classify", problems)
    _not_in(officer, ("officer_register",), case_id)
    _open_from(officer, "officer_classify", case_id)
    _act(officer, case_id, "assign", classification="in_competence",
         handling_unit=str(department_id))
    assert _state(live_server, case_id) == "assigned"
    _landing(officer, live_server, screenshot, "4-officer-passed-on", problems)
    _not_in(officer, ("officer_register", "officer_classify", "officer_transfer"), case_id)

    # The handler: assigned to my unit → answer with a letter number → waits for approval.
    handler = make_browser(size)
    sign_in(handler, HANDLER)
    _landing(handler, live_server, screenshot, "5-handler-assigned", problems)
    _open_from(handler, "handler_assigned", case_id)
    _act(handler, case_id, "start")
    answer = handler.find_element(By.ID, "answer-form")
    body = answer.find_element(By.NAME, "body")
    assert body.get_attribute("rows") == "12"
    body.send_keys(ANSWER)
    answer.find_element(By.NAME, "letter_number").send_keys("215/SNV-VP")
    answer.find_element(By.NAME, "signer_title").send_keys("GIÁM ĐỐC")
    # Its legal basis, from the demo's list (an in-scope answer needs it to be approved).
    legal = Select(answer.find_element(By.NAME, "legal_document"))
    legal.select_by_value(next(option.get_attribute("value") for option in legal.options
                               if " 61/2018/NĐ-CP (" in option.text))
    answer.find_element(By.NAME, "legal_article").send_keys("Điều 19")
    screenshot(handler, "6-handler-answer", full_page=True)
    submit = answer.find_element(By.CSS_SELECTOR, "button[name=submit_for_approval][value='1']")
    _click(handler, submit)
    wait_for(handler, gone(submit))
    assert _state(live_server, case_id) == "answer_drafted"
    _landing(handler, live_server, screenshot, "7-handler-submitted", problems)
    _not_in(handler, ("handler_assigned", "handler_returned"), case_id)

    # The approver: waiting for my approval (the handler's letter number shown) → approved,
    # waiting to be sent → sent, gone from both lists.
    approver = make_browser(size)
    sign_in(approver, APPROVER)
    _landing(approver, live_server, screenshot, "8-approver-to-approve", problems)
    _open_from(approver, "approver_approve", case_id)
    panel = approver.find_element(By.ID, "action-approve")
    _click(approver, panel.find_element(By.TAG_NAME, "summary"))
    assert panel.find_element(By.NAME, "approve-letter_number").get_attribute(
        "value") == "215/SNV-VP"
    assert panel.find_element(By.NAME, "approve-signer_title").get_attribute(
        "value") == "GIÁM ĐỐC"
    _act(approver, case_id, "approve")
    assert _state(live_server, case_id) == "approved"
    _landing(approver, live_server, screenshot, "9-approver-to-send", problems)
    _not_in(approver, ("approver_approve",), case_id)
    _open_from(approver, "approver_send", case_id)
    _act(approver, case_id, "send_answer")
    assert _state(live_server, case_id) == "answered"
    _landing(approver, live_server, screenshot, "10-approver-sent", problems)
    _not_in(approver, ("approver_approve", "approver_send"), case_id)

    # The reply letter: addressed generically until a reason is given (nothing revealed by
    # opening it), the national title on one line.
    approver.get(live_server(f"/quan-tri/pakn/{case_id}/cong-van"))
    assert "Lê Văn Bình" not in approver.find_element(By.ID, "letter").text
    approver.find_element(By.ID, "letter-reveal-form")
    lines = approver.execute_script(
        "const e = document.querySelector('.letter-top .nation');"
        "return e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight);")
    if size == "desktop":
        assert lines < 1.5, lines
    else:
        assert _overflow(approver) <= 0
    screenshot(approver, "11-letter", full_page=True)

    assert {name: found for name, found in problems.items() if found} == {}
