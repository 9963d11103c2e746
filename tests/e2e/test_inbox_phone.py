"""The PAKN inbox on a 360 px phone: the ten filters are folded away, so the first case shows
on the first screen; tapping "Filter the cases" opens them, and a filter in use stays open.
On a 1280 px screen the filters show without a tap. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

OFFICER = "pakn.vanphong"   # core.demo


def _top(driver, selector: str) -> float:
    return driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top;", selector)


def _visible(driver, element_id: str) -> bool:
    # Not WebElement.is_displayed(): Selenium's atom calls anything inside a <details> without
    # the open attribute hidden, whatever CSS shows; checkVisibility() asks the browser's layout.
    return driver.execute_script(
        "const el = document.getElementById(arguments[0]);"
        "const box = el.getBoundingClientRect();"
        "return el.checkVisibility({contentVisibilityAuto: true}) && box.height > 0;",
        element_id)


def test_on_a_phone_the_cases_come_before_the_filters(make_browser, screenshot):
    driver = make_browser("phone")
    sign_in(driver, OFFICER)
    driver.get(driver.base_url + "/quan-tri/pakn/")
    search = driver.find_element(By.ID, "q")
    assert not _visible(driver, "q")                      # folded
    first_case = "#pakn-cases tbody tr a.case-title"
    assert _top(driver, first_case) < driver.execute_script("return window.innerHeight;")
    screenshot(driver, "folded")
    driver.find_element(By.CSS_SELECTOR, ".pakn-filter-box > summary").click()
    assert _visible(driver, "q")
    search.send_keys("giấy phép")
    search.submit()
    box = driver.find_element(By.CSS_SELECTOR, ".pakn-filter-box")
    assert box.get_attribute("open") is not None         # a filter in use stays open
    assert "đang lọc" in box.text                       # "filters in use" (Vietnamese first)
    screenshot(driver, "filtered")


def test_on_a_wide_screen_the_filters_show_without_a_tap(make_browser, screenshot):
    driver = make_browser("desktop")
    sign_in(driver, OFFICER)
    driver.get(driver.base_url + "/quan-tri/pakn/")
    assert _visible(driver, "q")
    assert driver.find_element(By.CSS_SELECTOR, ".pakn-filter-box").get_attribute("open") is None
    screenshot(driver, "wide")
