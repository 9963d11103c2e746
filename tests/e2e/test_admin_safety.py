"""Safe administration in a real browser: the audit log fits a 1280 px screen, the account form
has no serious accessibility problem (axe-core), and the grouped sidebar works on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from core.clock import now
from core.extensions import db
from core.models import AuditEntry
from tests.e2e.conftest import sign_in, wait_for
from tests.e2e.test_admin_tree import axe_violations, horizontal_overflow

AUDIT = "/quan-tri/nhat-ky"


def _add_long_entry(app) -> int:
    """An entry with the long unbroken values that used to widen the table."""
    with app.app_context():
        entry = AuditEntry(
            action="feedback.contact_reveal", at=now(),
            actor_label="quantri.mot.ten.tai.khoan.rat.dai.khong.co.cho.xuong.dong",
            object_type="feedback_case", object_id="9" * 40,
            after={"ghi_chu_rat_dai_" * 4: "x" * 300, "dia_chi": "Số 1 đường " * 40},
            reason="Lý do: " + "kiểm-tra-nội-dung-dài-" * 20, request_id="a" * 32)
        db.session.add(entry)
        db.session.commit()
        return entry.id


@pytest.mark.parametrize("browser", ["desktop"], indirect=True)
def test_the_audit_log_fits_1280_px_and_speaks_in_words(browser, live_server, screenshot):
    entry_id = _add_long_entry(live_server.app)
    sign_in(browser, "admin")
    browser.get(live_server(AUDIT))
    assert browser.execute_script("return window.innerWidth") == 1280
    screenshot(browser, "list", full_page=True)
    assert horizontal_overflow(browser) == 0
    table = browser.find_element(By.ID, "audit-entries")
    assert table.rect["x"] + table.rect["width"] <= 1280
    row = browser.find_element(By.CSS_SELECTOR, f"a[href$='/nhat-ky/{entry_id}']")
    cells = row.find_element(By.XPATH, "./ancestor::tr").find_elements(By.TAG_NAME, "td")
    assert cells[2].text == "Xem thông tin liên hệ của người gửi"  # not its code
    assert cells[6].text.endswith("…")
    # The entry's own page shows every value whole, wrapped, still within the screen.
    browser.get(row.get_attribute("href"))
    wait_for(browser, EC.presence_of_element_located((By.ID, "audit-diff")))
    screenshot(browser, "entry", full_page=True)
    assert horizontal_overflow(browser) == 0
    assert "kiểm-tra-nội-dung-dài-" * 20 in browser.find_element(By.ID, "audit-entry").text


@pytest.mark.parametrize("browser", ["desktop", "phone"], indirect=True)
def test_the_account_form_has_no_serious_accessibility_problem(browser, live_server,
                                                               screenshot):
    sign_in(browser, "admin")
    browser.get(live_server("/quan-tri/nguoi-dung/moi"))
    role = Select(browser.find_element(By.ID, "role"))
    unit = Select(browser.find_element(By.ID, "unit_id"))
    assert role.first_selected_option.get_attribute("value") == ""
    assert unit.first_selected_option.get_attribute("value") == ""
    found = {"blank": axe_violations(browser)}
    browser.find_element(By.CSS_SELECTOR, "main button.primary").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "role-err")))
    screenshot(browser, "errors", full_page=True)
    # Each error sits in its field's box, named by the field (aria-describedby).
    assert browser.find_element(By.ID, "role").get_attribute("aria-describedby") == "role-err"
    assert browser.find_element(By.ID, "unit_id").get_attribute(
        "aria-describedby") == "unit_id-err"
    found["errors"] = axe_violations(browser)
    assert found == {"blank": [], "errors": []}
    assert horizontal_overflow(browser) == 0


@pytest.mark.parametrize("browser", ["phone"], indirect=True)
def test_the_grouped_sidebar_is_usable_on_a_360_px_phone(browser, live_server, screenshot):
    sign_in(browser, "admin")
    browser.get(live_server("/quan-tri/"))
    assert browser.execute_script("return window.innerWidth") == 360
    screenshot(browser, "folded")
    # Folded behind the header's "Menu" link: the page itself starts near the top.
    assert browser.find_element(By.TAG_NAME, "h1").rect["y"] < 200
    assert not browser.find_element(By.CSS_SELECTOR, "nav.o-nav a").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "header a.menu-link").click()
    wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "nav.o-nav h2")))
    screenshot(browser, "open", full_page=True)
    assert horizontal_overflow(browser) == 0
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "nav.o-nav h2")]
    assert headings == ["CƠ CẤU TỔ CHỨC", "KHẢO SÁT", "PHẢN ÁNH, KIẾN NGHỊ", "BÁO CÁO",
                        "HỆ THỐNG"]  # shown in capitals by the style sheet
    # Every page is listed, each link a tap target of at least 24 px, inside the screen.
    links = browser.find_elements(By.CSS_SELECTOR, "nav.o-nav ul a")
    assert len(links) >= 25 and all(link.is_displayed() for link in links)
    assert min(link.rect["height"] for link in links) >= 24
    assert max(link.rect["x"] + link.rect["width"] for link in links) <= 360
    last = links[-1]
    href = last.get_attribute("href")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", last)
    last.click()
    wait_for(browser, EC.url_to_be(href))
    screenshot(browser, "after-tap")
    assert horizontal_overflow(browser) == 0
    assert not browser.find_element(By.CSS_SELECTOR, "nav.o-nav a").is_displayed()
