"""One PAKN end to end in real browsers: a citizen on a 360×740 phone sends a formal report on
/phan-anh/ and notes the tracking code; the PAKN officer registers and assigns it to the Sở
Nội vụ; the handler starts, drafts and submits an answer; the approver approves and sends it;
the citizen reads the answer on /tra-cuu/ with the code and the phone's last 4 digits; the
handler prepares the public text and the approver publishes it; the public page /tra-loi-pakn/
shows it without the sender's name, phone, email or address. Screenshots of every step go to
test-artifacts/screenshots/, and axe-core checks the citizen pages."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from core.extensions import db
from feedback.models import FeedbackCase, Publication
from feedback.tracking import normalise_tracking_code
from tests.e2e.conftest import LiveServer, gone, sign_in, wait_for
from tests.e2e.test_survey_flow import axe_violations

pytestmark = pytest.mark.browser

OFFICER, HANDLER, APPROVER = "pakn.vanphong", "xuly.snv", "lanhdao.snv"   # core.demo
DEPARTMENT = "LS-SNV"
NAME = "Phạm Thị Hồng Nhung"
ADDRESS = "Số 27 đường Bà Triệu, phường Chi Lăng, tỉnh Lạng Sơn"
PHONE = "0912 468 135"
EMAIL = "hongnhung.pham@example.vn"
CONTENT = ("Ngày 12/5 tôi nộp hồ sơ chứng thực tại quầy nhưng phải chờ hơn hai giờ vì chỉ có "
           "một cán bộ tiếp nhận. Đề nghị bố trí thêm người vào giờ cao điểm.")
ANSWER = ("Sở Nội vụ đã bố trí thêm một cán bộ tiếp nhận hồ sơ từ 8 giờ đến 10 giờ sáng các "
          "ngày làm việc. Xin cảm ơn ý kiến đóng góp.")


def _phone(make_browser) -> WebDriver:
    driver = make_browser("phone")
    driver.set_window_size(360, 740)
    return driver


def _js_click(driver: WebDriver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _submit(driver: WebDriver, form) -> None:
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit].send, "
                                                "button[type=submit].primary, "
                                                "button[type=submit]")
    _js_click(driver, button)
    wait_for(driver, gone(button))


def _act(driver: WebDriver, server: LiveServer, case_id: int, action: str,
         **fields: str) -> None:
    """Open the action's panel on the case page, fill it and submit it."""
    driver.get(server(f"/quan-tri/pakn/{case_id}"))
    panel = driver.find_element(By.ID, f"action-{action}")
    if panel.get_attribute("open") is None:
        _js_click(driver, panel.find_element(By.TAG_NAME, "summary"))
    form = panel.find_element(By.TAG_NAME, "form")
    for name, value in fields.items():
        element = form.find_element(By.NAME, f"{action}-{name}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    _submit(driver, form)
    wait_for(driver, EC.url_contains(f"/quan-tri/pakn/{case_id}"))


def _case(server: LiveServer, code: str) -> tuple[int, str, int | None]:
    with server.app.app_context():
        case = db.session.scalar(select(FeedbackCase).where(FeedbackCase.tracking_code == code))
        assert case is not None
        found = (case.id, case.state, case.handling_unit_id)
        db.session.remove()
    return found


def _department_id(server: LiveServer) -> int:
    from core.models import Unit

    with server.app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == DEPARTMENT))
        db.session.remove()
    return unit_id


def _no_personal_data(text: str) -> None:
    for secret in (NAME, "Hồng Nhung", ADDRESS, "Bà Triệu", PHONE, "0912468135", "468 135",
                   EMAIL, "example.vn"):
        assert secret not in text, secret


def test_a_pakn_from_the_citizens_phone_to_the_public_answer(
        make_browser, live_server, screenshot):
    violations: dict[str, list[str]] = {}

    # 1. The citizen sends a formal report from a phone.
    citizen = _phone(make_browser)
    citizen.get(live_server("/phan-anh/"))
    assert citizen.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    violations["form"] = axe_violations(citizen)
    form = citizen.find_element(By.CSS_SELECTOR, "form.pakn-form")
    _js_click(citizen, form.find_element(By.CSS_SELECTOR, "input[name=kind][value=report]"))
    Select(form.find_element(By.NAME, "topic")).select_by_value("procedures")
    form.find_element(By.NAME, "content").send_keys(CONTENT)
    Select(form.find_element(By.NAME, "unit")).select_by_value(DEPARTMENT)
    form.find_element(By.NAME, "name").send_keys(NAME)
    form.find_element(By.NAME, "address").send_keys(ADDRESS)
    form.find_element(By.NAME, "phone").send_keys(PHONE)
    form.find_element(By.NAME, "email").send_keys(EMAIL)
    _js_click(citizen, form.find_element(By.CSS_SELECTOR,
                                         "input[name=reply_channel][value=email]"))
    _js_click(citizen, form.find_element(By.NAME, "consent"))
    screenshot(citizen, "1-citizen-form", full_page=True)
    _submit(citizen, form)
    wait_for(citizen, EC.url_contains("/phan-anh/da-gui"))
    shown = citizen.find_element(By.CSS_SELECTOR, ".pakn-code").text.strip()
    assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", shown), shown
    code = normalise_tracking_code(shown)
    assert code is not None
    violations["sent"] = axe_violations(citizen)
    screenshot(citizen, "2-citizen-code", full_page=True)
    case_id, state, _unit = _case(live_server, code)
    assert state == "received"

    # 2. The PAKN officer finds it in the inbox and assigns it to the Sở Nội vụ.
    officer = make_browser("desktop")
    sign_in(officer, OFFICER)
    officer.get(live_server("/quan-tri/pakn/"))
    link = officer.find_element(By.CSS_SELECTOR,
                                f"#pakn-cases a[href='/quan-tri/pakn/{case_id}']")
    screenshot(officer, "3-officer-inbox")
    _js_click(officer, link)
    wait_for(officer, EC.url_contains(f"/quan-tri/pakn/{case_id}"))
    page = officer.find_element(By.TAG_NAME, "main").text
    _no_personal_data(page)          # contact details stay hidden until revealed
    _act(officer, live_server, case_id, "assign", classification="in_competence",
         handling_unit=str(_department_id(live_server)))
    screenshot(officer, "4-officer-assigned", full_page=True)
    assert _case(live_server, code)[1:] == ("assigned", _department_id(live_server))

    # 3. The handler starts, drafts and submits the answer.
    handler = make_browser("desktop")
    sign_in(handler, HANDLER)
    handler.get(live_server("/quan-tri/pakn/don-vi"))
    handler.find_element(By.CSS_SELECTOR, f"#pakn-cases a[href='/quan-tri/pakn/{case_id}']")
    _act(handler, live_server, case_id, "start")
    assert _case(live_server, code)[1] == "in_progress"
    answer_form = handler.find_element(By.ID, "answer-form")
    answer_form.find_element(By.NAME, "body").send_keys(ANSWER)
    # Its legal basis, from the demo's list (an in-scope answer needs it to be approved).
    legal = Select(answer_form.find_element(By.NAME, "legal_document"))
    legal.select_by_value(next(option.get_attribute("value") for option in legal.options
                               if " 61/2018/NĐ-CP (" in option.text))
    answer_form.find_element(By.NAME, "legal_article").send_keys("Điều 19")
    submit = answer_form.find_element(By.CSS_SELECTOR,
                                      "button[name=submit_for_approval][value='1']")
    screenshot(handler, "5-handler-draft", full_page=True)
    _js_click(handler, submit)
    wait_for(handler, gone(submit))
    assert _case(live_server, code)[1] == "answer_drafted"

    # 4. The approver approves and sends it.
    approver = make_browser("desktop")
    sign_in(approver, APPROVER)
    _act(approver, live_server, case_id, "approve", letter_number="215/SNV-VP",
         signer_title="Giám đốc")
    assert _case(live_server, code)[1] == "approved"
    _act(approver, live_server, case_id, "send_answer")
    screenshot(approver, "6-approver-sent", full_page=True)
    assert _case(live_server, code)[1] == "answered"

    # 5. The citizen reads the answer with the code and the phone's last 4 digits.
    citizen.get(live_server("/tra-cuu/"))
    violations["status-form"] = axe_violations(citizen)
    form = citizen.find_element(By.CSS_SELECTOR, "form.pakn-form")
    form.find_element(By.NAME, "code").send_keys(shown.lower())
    form.find_element(By.NAME, "digits").send_keys("8135")
    _submit(citizen, form)
    answer = wait_for(citizen, EC.presence_of_element_located(
        (By.CSS_SELECTOR, ".pakn-answer .pakn-answer-text")))
    assert ANSWER in answer.text
    status_page = citizen.find_element(By.TAG_NAME, "main").text
    assert "Sở Nội vụ" in status_page
    _no_personal_data(status_page)
    violations["status"] = axe_violations(citizen)
    screenshot(citizen, "7-citizen-status", full_page=True)

    # 6. The handler prepares the public text (redacted); the approver, a second person (four
    #    eyes, feedback.four_eyes), reads it and publishes it.
    handler.get(live_server(f"/quan-tri/pakn/{case_id}/cong-khai"))
    prepare = handler.find_element(By.ID, "prepare-button")
    _js_click(handler, prepare)
    wait_for(handler, gone(prepare))
    approver.get(live_server(f"/quan-tri/pakn/{case_id}/cong-khai"))
    publish = wait_for(approver, EC.presence_of_element_located((By.ID, "publish-button")))
    screenshot(approver, "8-approver-preview", full_page=True)
    _js_click(approver, publish)
    wait_for(approver, gone(publish))
    assert _case(live_server, code)[1] == "published"
    with live_server.app.app_context():
        slug = db.session.scalar(select(Publication.slug).where(
            Publication.case_id == case_id, Publication.status == "published"))
        db.session.remove()
    assert slug

    # 7. Anyone reads it on the public page, without the sender's personal data.
    reader = _phone(make_browser)
    reader.get(live_server("/tra-loi-pakn/"))
    listing = reader.find_element(By.CSS_SELECTOR, f"a[href='/tra-loi-pakn/{slug}']")
    _no_personal_data(reader.find_element(By.TAG_NAME, "body").text)
    violations["answers"] = axe_violations(reader)
    screenshot(reader, "9-public-list", full_page=True)
    _js_click(reader, listing)
    wait_for(reader, EC.url_contains(f"/tra-loi-pakn/{slug}"))
    text = reader.find_element(By.TAG_NAME, "body").text
    assert "Sở Nội vụ đã bố trí thêm một cán bộ" in text
    assert "chờ hơn hai giờ" in text
    assert "Nghị định 61/2018/NĐ-CP, Điều 19, ngày 23/04/2018" in text
    _no_personal_data(text)
    _no_personal_data(reader.page_source)
    violations["answer"] = axe_violations(reader)
    screenshot(reader, "10-public-answer", full_page=True)
    feed = live_server("/tra-loi-pakn/atom.xml")
    reader.get(feed)
    _no_personal_data(reader.page_source)
    assert slug in reader.page_source

    assert violations == dict.fromkeys(violations, []), violations
