"""The citizen front door in a real browser (issue 12): from the home page each citizen action is
one tap away, at 360 and 1280 px; a citizen with no QR code finds the agency by typing its name
without accents and rates it online, and the rating is counted under the channel "online" on
the dashboard; no page scrolls sideways at 320, 360 or 412 px in Vietnamese or English; axe
finds nothing serious on the new pages.

Screenshots: test-artifacts/screenshots/test_home_*, test_online_rating_*, and
front-door-<page>-<lang>-<width>.png for the width sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from core.extensions import db
from core.models import Unit
from surveys.models import Response, RollupCount
from surveys.points import online_point
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_survey_flow import all_fours, axe_violations, fill, submit

pytestmark = pytest.mark.browser

# Where each action of the home page lands (core.citizen_actions).
HOME_ACTIONS = {"rate": "/danh-gia/", "pakn": "/phan-anh/", "lookup": "/tra-cuu/",
                "answers": "/tra-loi-pakn/", "figures": "/cong-khai/"}
AGENCY = "LS-SNV"  # Sở Nội vụ (core.demo)
LONG_NAME = "LS-KKTCK"  # the demo's longest agency name, for the width sweep
ANALYST = "phantich.snv"  # core.demo: analyst of the whole province
ONLINE_VI = "Đường dẫn trực tuyến"  # surveys.labels: the channel "online" in Vietnamese


@pytest.fixture(autouse=True)
def quick_fill(live_server):
    # A test fills the form in about a second: not "too fast" here (test_survey_flow explains).
    live_server.app.config["SURVEY_MIN_FILL_SECONDS"] = 0


def path_of(driver: WebDriver) -> str:
    return urlsplit(driver.current_url).path


def click_and_wait(driver: WebDriver, element) -> None:
    element.click()
    wait_for(driver, gone(element))


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_home_leads_to_each_citizen_action_in_one_click(make_browser, live_server, size,
                                                        screenshot):
    citizen = make_browser(size)
    citizen.get(live_server("/"))
    shown = [a.get_attribute("class").split()[-1].removeprefix("action-")
             for a in citizen.find_elements(By.CSS_SELECTOR, "ul.actions a.action")]
    assert shown == list(HOME_ACTIONS)
    # The actions come first: the first one is in view without scrolling.
    top = citizen.execute_script(
        "return document.querySelector('a.action-rate').getBoundingClientRect().bottom")
    assert top <= citizen.execute_script("return window.innerHeight")
    screenshot(citizen, "home")
    for key, path in HOME_ACTIONS.items():
        citizen.get(live_server("/"))
        click_and_wait(citizen, citizen.find_element(By.CSS_SELECTOR, f"a.action-{key}"))
        assert path_of(citizen) == path, key
        assert citizen.find_element(By.TAG_NAME, "h1").text.strip(), key
        assert not citizen.find_elements(By.CSS_SELECTOR, ".error-page"), key


def test_a_unit_page_pre_fills_the_pakn_form_and_the_rating(make_browser, live_server):
    citizen = make_browser("phone")
    citizen.get(live_server(f"/don-vi/{AGENCY}"))
    click_and_wait(citizen, citizen.find_element(By.CSS_SELECTOR, "a.action-pakn"))
    assert parse_qs(urlsplit(citizen.current_url).query) == {"unit": [AGENCY]}
    chosen = Select(citizen.find_element(By.NAME, "unit")).first_selected_option
    assert chosen.get_attribute("value") == AGENCY
    citizen.get(live_server(f"/don-vi/{AGENCY}"))
    click_and_wait(citizen, citizen.find_element(By.CSS_SELECTOR, "a.action-rate"))
    assert citizen.find_element(By.CSS_SELECTOR, ".unit-name").text == "Sở Nội vụ"
    assert citizen.find_elements(By.NAME, "procedure")


@dataclass
class Counted:
    responses: int  # online responses of the agency
    rollup: int  # its rollup count of q9_24 = 4 on the channel "online"


def online_counts(server: LiveServer) -> Counted:
    with server.app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == AGENCY))
        responses = db.session.scalar(select(func.count(Response.id)).where(
            Response.unit_id == unit_id, Response.channel == "online"))
        rollup = db.session.scalar(select(func.coalesce(func.sum(RollupCount.count), 0)).where(
            RollupCount.unit_id == unit_id, RollupCount.channel == "online",
            RollupCount.item_code == "q9_24", RollupCount.value == 4))
        db.session.remove()
    return Counted(responses or 0, rollup or 0)


def dashboard_online_rows(driver: WebDriver, server: LiveServer) -> dict[str, int]:
    """{unit: responses} of the dashboard's sample table, filtered to the channel online."""
    driver.get(server("/quan-tri/bao-cao/?channel=online"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#sample-table tbody tr")
    found: dict[str, int] = {}
    for row in rows:
        unit, channel, _quality, count = (cell.text for cell in
                                          row.find_elements(By.TAG_NAME, "td"))
        assert channel == ONLINE_VI
        found[unit] = found.get(unit, 0) + int(count.replace(".", "").replace(",", ""))
    return found


def test_online_rating_without_a_qr_code_is_counted_under_online(make_browser, live_server,
                                                                 screenshot):
    analyst = make_browser("desktop")
    sign_in(analyst, ANALYST)
    before_dashboard = dashboard_online_rows(analyst, live_server).get("Sở Nội vụ", 0)
    before = online_counts(live_server)

    citizen = make_browser("phone")
    citizen.get(live_server("/"))
    click_and_wait(citizen, citizen.find_element(By.CSS_SELECTOR, "a.action-rate"))
    # Typed as on a phone without Vietnamese keyboard: no accents.
    citizen.find_element(By.ID, "q").send_keys("noi vu")
    screenshot(citizen, "entry")
    click_and_wait(citizen, citizen.find_element(By.CSS_SELECTOR, "form.search button"))
    results = citizen.find_elements(By.CSS_SELECTOR, "#results a")
    assert [a.text for a in results][:1] == ["Sở Nội vụ"]
    screenshot(citizen, "results", full_page=True)
    click_and_wait(citizen, results[0])
    with live_server.app.app_context():
        point = online_point(db.session.scalar(select(Unit).where(Unit.code == AGENCY)))
        code = point.public_code
        db.session.remove()
    assert path_of(citizen) == f"/k/{code}"
    citizen.find_element(By.NAME, "procedure").send_keys("Cấp giấy phép")
    fill(citizen, all_fours())
    legends = [el.text for el in citizen.find_elements(By.CSS_SELECTOR, ".sec legend .step")]
    assert legends == [f"Phần {n}/6" for n in range(1, 7)]
    screenshot(citizen, "form", full_page=True)
    submit(citizen)
    assert path_of(citizen) == f"/k/{code}/cam-on"
    next_steps = {urlsplit(a.get_attribute("href")).path
                  for a in citizen.find_elements(By.CSS_SELECTOR, ".next-steps a")}
    assert next_steps == {"/phan-anh/", "/tra-loi-pakn/", "/danh-gia/", "/"}
    screenshot(citizen, "thanks", full_page=True)

    after = online_counts(live_server)
    assert (after.responses, after.rollup) == (before.responses + 1, before.rollup + 1)
    with live_server.app.app_context():
        latest = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
        assert (latest.channel, latest.procedure_name) == ("online", "Cấp giấy phép")
        db.session.remove()
    shown = dashboard_online_rows(analyst, live_server)
    save_screenshot(analyst, "test_online_rating-dashboard", full_page=True)
    assert shown.get("Sở Nội vụ", 0) == before_dashboard + 1


WIDTHS = (320, 360, 412)


def sweep_pages(server: LiveServer) -> dict[str, str]:
    with server.app.app_context():
        point = online_point(db.session.scalar(select(Unit).where(Unit.code == LONG_NAME)))
        code = point.public_code
        db.session.remove()
    return {"home": "/", "unit": f"/don-vi/{LONG_NAME}", "desk": "/don-vi/LS-TTPVHCC-Q03",
            "entry": "/danh-gia/?q=quay", "survey": f"/k/{code}",
            "thanks": f"/k/{code}/cam-on?pakn=1"}


def emulate_width(driver: WebDriver, width: int) -> None:
    # Not "mobile": a phone's browser would zoom out to fit a too-wide page, widening the
    # window with it, and the overflow measured below would hide.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 700, "deviceScaleFactor": 1, "mobile": False})
    # As on a phone, the scrollbar takes no width.
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_page_scrolls_sideways_on_small_phones(make_browser, live_server, lang):
    citizen = make_browser("phone")
    citizen.get(live_server(f"/lang/{lang}?next=/"))
    problems = []
    for name, path in sweep_pages(live_server).items():
        for width in WIDTHS:
            emulate_width(citizen, width)
            citizen.get(live_server(path))
            assert citizen.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
            page_width, window = citizen.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            if page_width > window or window != width:
                problems.append(f"{name} {lang} {width}px: {page_width} in {window}")
            if width in (320, 360):
                save_screenshot(citizen, f"front-door-{name}-{lang}-{width}", full_page=True)
    assert problems == []


def test_new_pages_have_no_serious_accessibility_problems(make_browser, live_server):
    citizen = make_browser("phone")
    found = {}
    for name, path in sweep_pages(live_server).items():
        citizen.get(live_server(path))
        found[name] = axe_violations(citizen)
    assert found == dict.fromkeys(found, [])


def test_the_consent_box_is_a_big_target_with_a_clickable_label(make_browser, live_server):
    citizen = make_browser("phone")
    citizen.get(live_server("/phan-anh/"))
    box = citizen.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=consent]")
    size = box.size
    assert size["width"] >= 24 and size["height"] >= 24, size
    label = box.find_element(By.XPATH, "ancestor::label")
    assert label.size["height"] >= 24
    assert not box.is_selected()
    label.find_element(By.XPATH, ".").click()
    assert box.is_selected()
    wait_for(citizen, EC.element_to_be_selected(box))
