"""The SIPAS dashboard and the public agency page in a real browser.

An analyst signs in on a 1280×900 window, chooses the period in the dashboard's filter form
(select + submit), and the test reads the page through the DOM: every element bar's
data-value equals the number in the elements table, the ranking chart lists the units of the
units table in the same order with the same values, and the target line is drawn. The public
agency page is then read on a 320 px wide phone: no horizontal scrolling of the page, no
script, no request to another host. axe-core checks both pages; screenshots go to
test-artifacts/screenshots/dashboard.png, public-agency-320.png and
public-index-320.png.

The ratings loaded here are two years back, before the demo data's 14 months, so the two
departments' figures are known exactly."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from core.clock import today
from core.db import write_intent
from core.extensions import db
from core.org import unit_by_code
from surveys.instruments import get_version
from surveys.responses import SubmittedResponse, submit_response
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_survey_flow import axe_violations
from tests.reports.sipas_helpers import ELEMENT_ITEMS, at

pytestmark = pytest.mark.browser

ANALYST = "phantich.snv"              # core.demo: analyst of the whole province (LS)
# Per department, how many of its responses rate each element's items 5 (the others 2):
# Sở Nội vụ 10 responses → II.A 90%, II.B 70%, II.C 80%, II.D 60%, II.E 100%, SIPAS (mean of
# the elements) 80%; Sở Tài chính 8 responses → 100, 100, 75, 87.5, 50, SIPAS 82.5%.
SATISFIED = {"LS-SNV": (10, {"II.A": 9, "II.B": 7, "II.C": 8, "II.D": 6, "II.E": 10}),
             "LS-STC": (8, {"II.A": 8, "II.B": 8, "II.C": 6, "II.D": 7, "II.E": 4})}
EXPECTED_SIPAS = {"LS-SNV": 80.0, "LS-STC": 82.5}
PUBLIC_UNIT = "LS"                    # the province: demo desk ratings and PAKN


def _load_ratings(server: LiveServer, year: int) -> dict[str, int]:
    """Submit the responses through the surveys service; return the departments' unit ids."""
    ids = {}
    with server.app.app_context(), write_intent():
        version = get_version("sipas-desk")
        for code, (responses, satisfied) in SATISFIED.items():
            unit = unit_by_code(code)
            ids[code] = unit.id
            for i in range(responses):
                answers = {item: 5 if i < satisfied[element] else 2
                           for element, items in ELEMENT_ITEMS.items() for item in items}
                submit_response(SubmittedResponse(version=version, unit=unit, channel="online",
                                                  answers=answers,
                                                  submitted_at=at(year, 6, 10 + i)))
        db.session.commit()
        db.session.remove()
    return ids


def _number(text: str) -> float:
    """"82,5%" or "▼ 82,5" (Vietnamese decimal comma) → 82.5."""
    return float(re.sub(r"[^\d,.\-]", "", text).replace(",", "."))


def _table_values(driver: WebDriver, table: str) -> dict[str, tuple[float, str]]:
    """Row key → (data-value, shown text) of each row's index cell."""
    values = {}
    for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr[data-key]"):
        cells = row.find_elements(By.CSS_SELECTOR, "td[data-value]")
        if cells and cells[0].get_attribute("data-value"):
            values[row.get_attribute("data-key")] = (
                float(cells[0].get_attribute("data-value")), cells[0].text)
    return values


def _chart_marks(driver: WebDriver, section: str) -> list[tuple[str, float, str]]:
    """(data-key, data-value, printed value) of every bar of the section's first chart."""
    marks = []
    for mark in driver.find_elements(By.CSS_SELECTOR,
                                     f"#{section} svg g.mark[data-key][data-value]"):
        value = mark.get_attribute("data-value")
        if value:
            label = mark.find_element(By.CSS_SELECTOR, "text.value-label")
            marks.append((mark.get_attribute("data-key"), float(value),
                          label.get_attribute("textContent")))
    return marks


def _target_drawn(driver: WebDriver, section: str) -> float:
    """The value of the section chart's target line, after checking it is on screen."""
    target = driver.find_element(By.CSS_SELECTOR, f"#{section} svg g.target")
    line = target.find_element(By.CSS_SELECTOR, "line.target-line")
    box = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", line)
    assert max(box) > 50, box          # a real line across the plot, not a dot
    assert line.get_attribute("stroke-dasharray")
    return float(target.get_attribute("data-value"))


def test_dashboard_charts_agree_with_their_tables(make_browser, live_server):
    year = today().year - 2
    ids = _load_ratings(live_server, year)
    driver = make_browser("desktop")
    sign_in(driver, ANALYST)
    driver.get(live_server("/quan-tri/bao-cao/"))
    # The demo's current half-year: the widest table (items, with their distribution and "not
    # applicable" counts) scrolls in its own box, never the page.
    width = driver.execute_script(PAGE_WIDTH_JS)
    assert width["scroll"] <= width["client"], width
    form = driver.find_element(By.CSS_SELECTOR, "form.report-filters")
    Select(form.find_element(By.ID, "f-period")).select_by_value(str(year))
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(driver, gone(button))
    wait_for(driver, EC.presence_of_element_located((By.ID, "elements-table")))
    assert f"period={year}" in urlsplit(driver.current_url).query
    assert Select(driver.find_element(By.ID, "f-period")).first_selected_option \
        .get_attribute("value") == str(year)

    # Elements: one bar per row of the table, same value, same printed figure.
    table = _table_values(driver, "elements-table")
    marks = _chart_marks(driver, "elements")
    assert {key for key, _value, _text in marks} == set(table) == set(ELEMENT_ITEMS)
    for key, value, printed in marks:
        assert value == pytest.approx(table[key][0], abs=1e-6), key
        assert _number(printed) == pytest.approx(_number(table[key][1])), key
    assert _target_drawn(driver, "elements") == 85.0

    # Ranking: the units table's rows, in the same order (rank), with the same values.
    units = _table_values(driver, "units-table")
    ranking = _chart_marks(driver, "units")
    assert [key for key, _value, _text in ranking] == list(units)
    for key, value, printed in ranking:
        assert value == pytest.approx(units[key][0], abs=1e-6), key
        assert _number(printed) == pytest.approx(_number(units[key][1])), key
    for code, expected in EXPECTED_SIPAS.items():
        assert units[str(ids[code])][0] == pytest.approx(expected)
    order = [key for key in units if key in {str(i) for i in ids.values()}]
    assert order == [str(ids["LS-STC"]), str(ids["LS-SNV"])]      # 82.5 ranks above 80
    ranks = [row.find_element(By.CSS_SELECTOR, "td.num").text for row in
             driver.find_elements(By.CSS_SELECTOR, "#units-table tbody tr[data-key]")]
    assert ranks == sorted(ranks, key=lambda text: int(text) if text.isdigit() else 10**6)
    assert _target_drawn(driver, "units") == 85.0

    save_screenshot(driver, "dashboard", full_page=True)
    assert axe_violations(driver) == []


PAGE_WIDTH_JS = """
const d = document.documentElement;
return {client: d.clientWidth, scroll: d.scrollWidth, body: document.body.scrollWidth};
"""
RESOURCES_JS = """
return performance.getEntriesByType('resource').map(r => r.name)
    .concat([performance.getEntriesByType('navigation')[0].name]);
"""


def test_public_agency_page_at_320_px(make_browser, live_server):
    driver = make_browser("phone")
    # Chromium's window cannot be made narrower than ~500 px on every platform; emulate the
    # 320 px screen of a small phone instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True})
    driver.get(live_server(f"/cong-khai/{PUBLIC_UNIT}"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert heading == "UBND tỉnh Lạng Sơn"
    # Nothing wider than the screen: the charts scroll inside their own frames.
    widths = driver.execute_script(PAGE_WIDTH_JS)
    assert widths["client"] == 320 and widths["scroll"] <= 320, widths
    # The demo's desk ratings give figures for the last complete half-year.
    rows = driver.find_elements(By.CSS_SELECTOR, "#trend-table tbody tr[data-key]")
    assert len(rows) == 3
    shown = [cell.get_attribute("data-value") for cell in driver.find_elements(
        By.CSS_SELECTOR, "#trend-table td[data-value]")]
    assert any(shown), shown
    assert not driver.find_elements(By.TAG_NAME, "script")
    hosts = {urlsplit(name).netloc for name in driver.execute_script(RESOURCES_JS)}
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    save_screenshot(driver, "public-agency-320", full_page=True)
    assert axe_violations(driver) == []
    driver.get(live_server("/cong-khai/"))
    assert driver.find_element(By.CSS_SELECTOR, f"a[href='/cong-khai/{PUBLIC_UNIT}']")
    assert driver.execute_script(PAGE_WIDTH_JS)["scroll"] <= 320
    save_screenshot(driver, "public-index-320", full_page=True)
    assert axe_violations(driver) == []
