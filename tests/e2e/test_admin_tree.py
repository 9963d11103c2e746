"""The back office in a real browser: sign in, the organisation tree, the language switch,
scoped views, sign out, the Content Security Policy and accessibility (axe-core)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import axe_selenium_python
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC

from core.demo import DEMO_PASSWORD, UNITS
from tests.e2e.conftest import console_messages, gone, sign_in, wait_for

pytestmark = pytest.mark.browser

TREE = "/quan-tri/don-vi"
# core.demo.UNITS is written parent-first and each unit's sort_order is its index there, so
# the tree lists the codes in exactly this order (a depth-first walk).
ALL_CODES = [code for code, *_rest in UNITS]
# Đình Lập's subtree: LS-DINHLAP and the 7 units below it (core.demo.UNITS).
DINHLAP_CODES = [code for code in ALL_CODES if code.startswith("LS-DINHLAP")]
# The page title "Organisation" in translations/vi/LC_MESSAGES/messages.po.
TREE_TITLE_VI = "Cơ cấu tổ chức"
AXE_JS = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def tree_codes(driver: WebDriver) -> list[str]:
    return [el.text for el in driver.find_elements(By.CSS_SELECTOR, "#unit-tree .tree-row > code")]


def root_codes(driver: WebDriver) -> list[str]:
    return [el.text for el in driver.find_elements(
        By.CSS_SELECTOR, "#unit-tree > li.tree-node > .tree-row > code")]


def ancestor_codes(driver: WebDriver, code: str) -> list[str]:
    """Codes of the tree nodes that contain the node of `code`, outermost first (DOM order)."""
    node = f"//li[contains(@class,'tree-node')][div/code[.='{code}']]"
    return [el.text for el in driver.find_elements(
        By.XPATH, node + "/ancestor::li[contains(@class,'tree-node')]/div/code")]


def unit_name(driver: WebDriver, code: str) -> str:
    return driver.find_element(
        By.XPATH, f"//div[contains(@class,'tree-row')][code[.='{code}']]/span[@class='unit-name']"
    ).text


def horizontal_overflow(driver: WebDriver) -> int:
    """CSS pixels by which the page is wider than the window (0 when nothing sticks out)."""
    return driver.execute_script(
        "const d = document.documentElement; return d.scrollWidth - d.clientWidth;")


@pytest.mark.parametrize("browser", ["phone", "desktop"], indirect=True)
def test_system_admin_sees_the_whole_tree_nested(browser, live_server, screenshot):
    sign_in(browser, "admin")
    menu_link = browser.find_element(By.CSS_SELECTOR, "header a.menu-link")
    if menu_link.is_displayed():  # on a phone the menu is folded behind the header's link
        menu_link.click()
    browser.find_element(By.CSS_SELECTOR, f"nav.o-nav a[href='{TREE}']").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "unit-tree")))

    assert browser.find_element(By.TAG_NAME, "h1").text == TREE_TITLE_VI
    assert tree_codes(browser) == ALL_CODES
    assert root_codes(browser) == ["LS", "KH"]
    for code, name in [("LS-SNV", "Sở Nội vụ"),
                       ("LS-KKTCK", "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn"),
                       ("LS-DINHLAP", "UBND xã Đình Lập"),
                       ("KH-KKTVP", "Ban Quản lý Khu kinh tế Vân Phong")]:
        assert unit_name(browser, code) == name
    # A desk sits inside its service centre's <li>, which sits inside its parent's, and so on.
    assert ancestor_codes(browser, "LS-TTPVHCC-Q01") == ["LS", "LS-TTPVHCC"]
    assert ancestor_codes(browser, "LS-DINHLAP-Q02") == ["LS", "LS-DINHLAP",
                                                         "LS-DINHLAP-TTPVHCC"]
    assert ancestor_codes(browser, "KH-KKTVP-MC") == ["KH", "KH-KKTVP"]
    assert ancestor_codes(browser, "LS-SNV") == ["LS"]
    screenshot(browser)
    screenshot(browser, "full", full_page=True)
    # Nothing may stick out sideways, on a phone least of all.
    assert horizontal_overflow(browser) == 0


def test_language_switch_turns_the_page_english_and_back(browser, live_server):
    sign_in(browser, "admin")
    browser.get(live_server(TREE))
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == "vi"
    assert browser.find_element(By.TAG_NAME, "h1").text == TREE_TITLE_VI
    assert unit_name(browser, "LS-SNV") == "Sở Nội vụ"

    switch = browser.find_element(By.CSS_SELECTOR, "nav.lang a")
    assert switch.text == "English"
    switch.click()
    wait_for(browser, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "nav.lang a"),
                                                       "Tiếng Việt"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    # The switch brings the user back to the page they were on, with English unit names.
    assert browser.current_url == live_server(TREE)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Organisation"
    assert unit_name(browser, "LS-SNV") == "Department of Home Affairs"
    assert unit_name(browser, "KH-KKTVP") == "Vân Phong Economic Zone Authority"

    browser.find_element(By.CSS_SELECTOR, "nav.lang a").click()
    wait_for(browser, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "nav.lang a"),
                                                       "English"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert browser.current_url == live_server(TREE)
    assert browser.find_element(By.TAG_NAME, "h1").text == TREE_TITLE_VI
    assert unit_name(browser, "LS-SNV") == "Sở Nội vụ"


def test_unit_admin_sees_only_their_subtree(browser, live_server, screenshot):
    sign_in(browser, "quantri.dinhlap")
    browser.get(live_server(TREE))
    assert tree_codes(browser) == DINHLAP_CODES
    assert root_codes(browser) == ["LS-DINHLAP"]
    assert ancestor_codes(browser, "LS-DINHLAP-Q01") == ["LS-DINHLAP", "LS-DINHLAP-TTPVHCC"]
    page = browser.find_element(By.ID, "main").text
    assert "Sở Nội vụ" not in page
    assert "Vân Phong" not in page
    # A unit admin manages their own subtree but may not add a top-level unit.
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href$='/quan-tri/don-vi/moi']")
    screenshot(browser)


def test_sign_out_ends_the_session(browser, live_server):
    sign_in(browser, "admin")
    browser.get(live_server(TREE))
    browser.find_element(By.CSS_SELECTOR, "header form[action$='/dang-xuat'] button").click()
    wait_for(browser, EC.url_to_be(live_server("/dang-nhap")))
    assert browser.find_element(By.CSS_SELECTOR, ".flash[role=status]").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/dang-xuat']")

    browser.get(live_server(TREE))
    landed = urlsplit(browser.current_url)
    assert (landed.path, parse_qs(landed.query)) == ("/dang-nhap", {"next": [TREE]})
    assert not browser.find_elements(By.ID, "unit-tree")


def test_login_form_refuses_a_wrong_password_and_a_missing_csrf_token(browser, live_server):
    browser.get(live_server("/dang-nhap"))
    form = browser.find_element(By.CSS_SELECTOR, "main form")
    form.find_element(By.NAME, "username").send_keys("admin")
    form.find_element(By.NAME, "password").send_keys("not-the-password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".flash[role=alert]")))
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/dang-xuat']")

    # CSRF protection is on for the live server: the right password without the token fails.
    form = browser.find_element(By.CSS_SELECTOR, "main form")
    browser.execute_script("arguments[0].querySelector('input[name=csrf_token]').remove()", form)
    form.find_element(By.NAME, "username").clear()
    form.find_element(By.NAME, "username").send_keys("admin")
    form.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, gone(form))
    assert "/quan-tri/" not in browser.current_url
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action$='/dang-xuat']")


INLINE_CODE_JS = """
const found = [];
document.querySelectorAll('script:not([src])').forEach(() => found.push('inline <script>'));
document.querySelectorAll('[style]').forEach(el => found.push('style= on <' + el.tagName + '>'));
document.querySelectorAll('*').forEach(el => {
  for (const attr of el.attributes) {
    if (attr.name.startsWith('on')) found.push(attr.name + '= on <' + el.tagName + '>');
  }
});
document.querySelectorAll('a[href^="javascript:"]').forEach(() => found.push('javascript: link'));
return found;
"""


def csp_complaints(messages: list[dict]) -> list[str]:
    return [m["message"] for m in messages
            if "Content Security Policy" in m["message"] or "Refused to" in m["message"]]


def test_pages_keep_to_the_content_security_policy(browser, live_server):
    pages = ["/", "/don-vi/LS-SNV", "/dang-nhap"]
    for path in pages:
        browser.get(live_server(path))
        assert browser.execute_script(INLINE_CODE_JS) == [], path
    sign_in(browser, "admin")
    for path in ["/quan-tri/", TREE, "/quan-tri/nguoi-dung"]:
        browser.get(live_server(path))
        assert browser.find_element(By.TAG_NAME, "h1").is_displayed(), path
        assert browser.execute_script(INLINE_CODE_JS) == [], path

    messages = console_messages(browser)
    assert csp_complaints(messages) == []
    # No other console errors either; the browser's own /favicon.ico request is the known
    # exception until the layout links an icon (reported to the lead).
    errors = [m["message"] for m in messages
              if m["level"] == "SEVERE" and "/favicon.ico" not in m["message"]]
    assert errors == []

    # The check above can see a violation: an inline script is refused and reported.
    browser.execute_script("const s = document.createElement('script');"
                           "s.textContent = 'window.cspProbe = 1;';"
                           "document.body.appendChild(s);")
    assert browser.execute_script("return window.cspProbe === undefined;")
    assert any("inline script" in text for text in csp_complaints(console_messages(browser)))


def axe_violations(driver: WebDriver) -> list[str]:
    """Run axe-core on the current page; "critical" and "serious" violations, one per line."""
    # Scripts injected through WebDriver are not subject to the page's CSP.
    driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    violations = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document).then(
            r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                              nodes: v.nodes.map(n => n.target.join(' '))}))),
            e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
    """)
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'][:5])}"
            for v in violations if v["impact"] in ("critical", "serious")]


@pytest.mark.parametrize("browser", ["phone", "desktop"], indirect=True)
def test_no_serious_accessibility_violations(browser, live_server, screenshot):
    found: dict[str, list[str]] = {}
    browser.get(live_server("/dang-nhap"))
    screenshot(browser, "login")
    found["login"] = axe_violations(browser)
    browser.get(live_server("/"))
    screenshot(browser, "home", full_page=True)
    found["home"] = axe_violations(browser)
    sign_in(browser, "admin")
    browser.get(live_server(TREE))
    found["tree"] = axe_violations(browser)
    assert found == {"login": [], "home": [], "tree": []}
    # axe really ran: it defines its global and knows its rules.
    assert browser.execute_script("return axe.getRules().length") > 20
