"""League tables in a real browser, on the demo's figures.

A citizen's phone (320 px; the page has no script) opens the province's public figures, follows the
link to the league table, and reads it: no horizontal scrolling, no script, no request to
another host, one row per sub-unit, rank bands that hold each unit's rank, figures best first;
then it switches to another half-year. An analyst then opens the internal league table at
1280 px through the filter form, for the same period and unit, and finds the same figures for
every unit both pages show; a desk officer is refused. axe-core checks both pages; screenshots
at 360 and 1280 px go to test-artifacts/screenshots/league-*.png."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from core.clock import today
from core.org import unit_by_code
from reports.league import league_units
from reports.public import public_periods
from tests.e2e.conftest import LiveServer, gone, save_screenshot, sign_in, wait_for
from tests.e2e.test_dashboard_browser import PAGE_WIDTH_JS, RESOURCES_JS
from tests.e2e.test_survey_flow import axe_violations

pytestmark = pytest.mark.browser

ANALYST = "phantich.snv"           # core.demo: analyst of the whole province (LS)
DESK_OFFICER = "motcua.tinh"       # core.demo: desk staff, no reports
PROVINCE = "LS"


def _emulate(driver: WebDriver, width: int) -> None:
    # Chromium's window cannot be made narrower than ~500 px everywhere: emulate the screen.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 740, "deviceScaleFactor": 1, "mobile": width < 500})


def _units_and_period(server: LiveServer) -> tuple[dict[str, str], str, str]:
    """Sub-unit id → name of the province, its id, and the default (last complete) period."""
    with server.app.app_context():
        province = unit_by_code(PROVINCE)
        units = {str(unit.id): unit.name_vi for unit in league_units(province)}
        return units, str(province.id), public_periods(today())[1].label


def _rows(driver: WebDriver, table: str) -> dict[str, dict]:
    """Row key → what its cells say, in page order."""
    rows = {}
    for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr[data-key]"):
        band = row.find_elements(By.CSS_SELECTOR, "td.lg-band")
        value = row.find_elements(By.CSS_SELECTOR, "td.pf-index")
        rows[row.get_attribute("data-key")] = {
            "name": row.find_element(By.CSS_SELECTOR, "th").text,
            "best": int(band[0].get_attribute("data-best")) if band else None,
            "worst": int(band[0].get_attribute("data-worst")) if band else None,
            "value": float(value[0].get_attribute("data-value")) if value else None,
            "text": row.text}
    return rows


def _check_ranking(rows: dict[str, dict]) -> None:
    shown = [row for row in rows.values() if row["value"] is not None]
    values = [row["value"] for row in shown]
    assert values == sorted(values, reverse=True), values
    for position, row in enumerate(shown, start=1):
        # The point rank (ties share the better one) lies inside the band.
        rank = 1 + sum(value > row["value"] for value in values)
        assert row["best"] <= rank <= row["worst"] <= len(shown), (position, row)
    # Shown rows first, then the hidden or empty ones, which carry no figure.
    assert [row["value"] is not None for row in rows.values()] == \
        sorted((row["value"] is not None for row in rows.values()), reverse=True)


def test_public_league_table_on_a_phone(make_browser, live_server):
    units, _province_id, period = _units_and_period(live_server)
    # The page carries no script at all (checked below), so it works with JavaScript off; the
    # browser keeps it on for axe-core.
    driver = make_browser("phone")
    _emulate(driver, 320)
    driver.get(live_server(f"/cong-khai/{PROVINCE}"))
    link = driver.find_element(By.ID, "league-link")
    link.click()
    wait_for(driver, gone(link))
    assert urlsplit(driver.current_url).path == f"/cong-khai/{PROVINCE}/xep-hang"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert driver.find_element(By.TAG_NAME, "h1").text == \
        "Bảng xếp hạng các đơn vị thuộc UBND tỉnh Lạng Sơn"
    current = driver.find_element(By.CSS_SELECTOR, ".pf-toc a[aria-current=page]")
    assert f"period={period}" in current.get_attribute("href")

    widths = driver.execute_script(PAGE_WIDTH_JS)
    assert widths["client"] == 320 and widths["scroll"] <= 320, widths
    assert not driver.find_elements(By.TAG_NAME, "script")
    hosts = {urlsplit(name).netloc for name in driver.execute_script(RESOURCES_JS)}
    assert hosts == {urlsplit(live_server.url).netloc}, hosts

    for table in ("league-sipas", "league-pakn"):
        rows = _rows(driver, table)
        assert {key: row["name"] for key, row in rows.items()} == units, table
        _check_ranking(rows)
    sipas = _rows(driver, "league-sipas")
    assert any(row["value"] is not None for row in sipas.values()), sipas
    assert "Cách đọc" in driver.find_element(By.ID, "how-to-read").text
    assert axe_violations(driver) == []
    _emulate(driver, 360)
    save_screenshot(driver, "league-public-360", full_page=True)

    # Another half-year, by its link (plain navigation, no script).
    other = driver.find_elements(By.CSS_SELECTOR, ".pf-toc a:not([aria-current])")[0]
    target = other.get_attribute("href")
    other.click()
    wait_for(driver, EC.url_to_be(target))
    assert driver.find_element(By.CSS_SELECTOR, ".pf-toc a[aria-current=page]") \
        .get_attribute("href") == target
    _check_ranking(_rows(driver, "league-sipas"))

    _emulate(driver, 1280)
    driver.get(live_server(f"/cong-khai/{PROVINCE}/xep-hang"))
    save_screenshot(driver, "league-public-1280", full_page=True)


def test_internal_league_table_agrees_with_the_public_one(make_browser, live_server):
    units, province_id, period = _units_and_period(live_server)
    driver = make_browser("desktop")
    sign_in(driver, ANALYST)
    driver.get(live_server("/quan-tri/bao-cao/xep-hang/"))
    form = driver.find_element(By.CSS_SELECTOR, "form.report-filters")
    Select(form.find_element(By.ID, "f-period")).select_by_value(period)
    Select(form.find_element(By.ID, "f-unit")).select_by_value(province_id)
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(driver, gone(button))
    wait_for(driver, EC.presence_of_element_located((By.ID, "league-sipas")))
    assert f"period={period}" in urlsplit(driver.current_url).query
    internal = {table: _rows(driver, table) for table in ("league-sipas", "league-pakn")}
    for table, rows in internal.items():
        assert {key: row["name"] for key, row in rows.items()} == units, table
        _check_ranking(rows)
    export = driver.find_element(By.ID, "export-csv").get_attribute("href")
    assert f"period={period}" in export and f"unit={province_id}" in export
    widths = driver.execute_script(PAGE_WIDTH_JS)
    assert widths["scroll"] <= widths["client"], widths
    assert axe_violations(driver) == []
    save_screenshot(driver, "league-internal-1280", full_page=True)
    _emulate(driver, 360)
    save_screenshot(driver, "league-internal-360", full_page=True)
    _emulate(driver, 1280)

    # The public table of the same period shows the same figure for every unit it publishes
    # (it may hide more: complementary suppression).
    driver.get(live_server(f"/cong-khai/{PROVINCE}/xep-hang?period={period}"))
    for table in ("league-sipas", "league-pakn"):
        public = _rows(driver, table)
        for key, row in public.items():
            if row["value"] is not None:
                assert row["value"] == pytest.approx(internal[table][key]["value"]), key


def test_a_desk_officer_may_not_open_the_internal_league(make_browser, live_server):
    driver = make_browser("desktop")
    sign_in(driver, DESK_OFFICER)
    driver.get(live_server("/quan-tri/bao-cao/xep-hang/"))
    assert not driver.find_elements(By.ID, "league-sipas")
    assert driver.find_element(By.CSS_SELECTOR, ".error-page")
