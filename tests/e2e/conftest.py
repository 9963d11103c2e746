"""Browser-test harness: the real app on a live HTTP server, driven by Debian's headless Chromium.

Each test gets a fresh copy of a database loaded with the whole demo (`demo_template_db` of
tests/conftest.py, seeded once per test process), served by Werkzeug on a free port of
127.0.0.1. CSRF stays on, unlike the unit tests: the browser submits the real forms with their
real tokens.

Without /usr/bin/chromium or /usr/bin/chromedriver the browser tests skip, except under CI
(CI=true), where they fail: CI must never pass by silently skipping them.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from core.demo import DEMO_PASSWORD
from tests.conftest import TEST_DATABASE_URL, clone_database, replace_sqlite_file

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"

# CSS pixels: a small Android phone, and a laptop.
WINDOW_SIZES = {"phone": (360, 640), "desktop": (1280, 900)}
WAIT_SECONDS = 10

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine's network is closed: without these Chromium keeps dialling Google's hosts.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return (f"{' and '.join(missing)} not found: install Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver) to run the browser tests")


@dataclass
class LiveServer:
    url: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def database_url(demo_template_db: str, tmp_path: Path,
                 worker_sqlite_path: Path) -> Iterator[str]:
    """Browser tests start from a copy of the demo database (seeded once per test process);
    on SQLite at one path per process, so the live server's app is built once
    (tests/app_pool.py)."""
    if not TEST_DATABASE_URL:
        demo_path = worker_sqlite_path.with_name("demo.sqlite3")
        replace_sqlite_file(Path(sa.make_url(demo_template_db).database), demo_path)
        yield f"sqlite:///{demo_path}"
        return
    with clone_database(demo_template_db, tmp_path) as url:
        yield url


@pytest.fixture
def live_server(make_app) -> Iterator[LiveServer]:
    # SERVER_NAME is cleared so that the app answers to 127.0.0.1:<port>. The session cookie
    # stays Secure (the default): Chromium counts http://127.0.0.1 as a secure context.
    app = make_app(SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # QR codes and printed links point at this server, as they would at the public site.
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _chrome_options(width: int, height: int, profile: Path,
                    javascript: bool = True) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    # Console messages (CSP violations among them) are read back with get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        # As a citizen's phone with JavaScript switched off; WebDriver's own scripts still run.
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    return options


@pytest.fixture
def make_browser(live_server, tmp_path, monkeypatch) -> Iterator[Callable[..., WebDriver]]:
    """Start a headless Chromium: make_browser("phone") or make_browser("desktop"), and
    make_browser("phone", javascript=False) for a browser that runs no page script."""
    problem = missing_browser()
    if problem:
        if in_ci():
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    # Both paths are given explicitly; this also stops Selenium Manager from fetching anything.
    monkeypatch.setenv("SE_OFFLINE", "true")
    drivers: list[WebDriver] = []

    def start(size: str = "desktop", javascript: bool = True) -> WebDriver:
        width, height = WINDOW_SIZES[size]
        profile = tmp_path / f"chromium-profile-{len(drivers)}"
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                                  options=_chrome_options(width, height, profile, javascript))
        driver.set_window_size(width, height)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        driver.base_url = live_server.url  # type: ignore[attr-defined]
        drivers.append(driver)
        return driver

    yield start
    # Quit the browsers before the live server stops, so no keep-alive connection hangs.
    for driver in drivers:
        driver.quit()


@pytest.fixture
def browser(request, make_browser) -> WebDriver:
    """A desktop-sized browser; parametrise indirectly with "phone" or "desktop"."""
    return make_browser(getattr(request, "param", "desktop"))


def screenshot_path(name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    # "test_x[phone]-full" becomes "test_x_phone-full.png"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("]", "")).strip("_")
    return SCREENSHOT_DIR / (name + ".png")


def save_screenshot(driver: WebDriver, name: str, full_page: bool = False) -> Path:
    """Write test-artifacts/screenshots/<name>.png: the viewport, or the whole page."""
    path = screenshot_path(name)
    if full_page:
        # Capturing beyond the viewport lays the page out without a scrollbar, so take the
        # window's full width (not the content width measured beside the scrollbar).
        width, height = driver.execute_script(
            "const d = document.documentElement;"
            "return [Math.max(window.innerWidth, d.scrollWidth), d.scrollHeight];")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        })
        path.write_bytes(base64.b64decode(shot["data"]))
    else:
        driver.save_screenshot(str(path))
    return path


@pytest.fixture
def screenshot(request) -> Callable[..., Path]:
    """screenshot(driver) saves test-artifacts/screenshots/<test name>[-<suffix>].png."""

    def take(driver: WebDriver, suffix: str = "", full_page: bool = False) -> Path:
        name = request.node.name + (f"-{suffix}" if suffix else "")
        return save_screenshot(driver, name, full_page=full_page)

    return take


def wait_for(driver: WebDriver, condition, seconds: float = WAIT_SECONDS):
    return WebDriverWait(driver, seconds).until(condition)


def gone(element):
    """A wait condition: ``element`` left the page (the page was replaced). Unlike Selenium's
    ``staleness_of`` it also accepts ChromeDriver's "Node with given id does not belong to the
    document", which Chromium reports instead of a stale reference when the check races the
    navigation."""
    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:
            return True
        return False
    return check


def sign_in(driver: WebDriver, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form and wait for the back office to open."""
    driver.get(driver.base_url + "/dang-nhap")  # type: ignore[attr-defined]
    form = driver.find_element(By.CSS_SELECTOR, "main form[method=post]")
    form.find_element(By.NAME, "username").send_keys(username)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, EC.url_contains("/quan-tri/"))
    # Signed in: the header shows the sign-out button (a failed sign-in would not).
    wait_for(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, "header form[action$='/dang-xuat'] button")))


def console_messages(driver: WebDriver) -> list[dict]:
    """Console entries since the last call (Chromium hands each entry out once)."""
    return driver.get_log("browser")
