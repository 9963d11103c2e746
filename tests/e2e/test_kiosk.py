"""The kiosk (/k/<code>/kiosk, a tablet at the desk) in a real browser: it never empties a form
while the citizen is answering, asks "Tiếp tục?" after a while with no touch, and empties the
form for the next person when nobody answers; no link leads away from it.

Time is shortened, not waited out: static/js/kiosk.js reads its delays from the form's
data-kiosk-idle and data-kiosk-prompt attributes each time it starts waiting, so the test sets
them to 3 s and 1.5 s instead of 90 s and 15 s. One second then stands for 30: twelve answers
tapped over about 5.5 s are the "150 s of activity" of the issue.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.conftest import console_messages, save_screenshot, wait_for
from tests.e2e.test_survey_flow import (
    REQUIRED,
    DeskPoint,
    axe_violations,
    checked,
    desk_point,
    submit,
    tap,
)

pytestmark = pytest.mark.browser

IDLE, PROMPT = 3.0, 1.5  # seconds, standing for 90 and 15
SCALE = 90 / IDLE  # real seconds per test second
TWELVE = dict.fromkeys(REQUIRED[:12], 4)


@pytest.fixture
def point(live_server) -> DeskPoint:
    return desk_point(live_server)


def shorten(driver: WebDriver, prompt: float = PROMPT) -> None:
    driver.execute_script(
        "const form = document.querySelector('form[data-kiosk-reset]');"
        "form.dataset.kioskIdle = arguments[0]; form.dataset.kioskPrompt = arguments[1];",
        str(IDLE), str(prompt))


def prompt_shown(driver: WebDriver) -> bool:
    return driver.find_element(By.ID, "kiosk-prompt").is_displayed()


def tap_slowly(driver: WebDriver, answers: dict[str, int], seconds: float) -> float:
    """Tap the answers spread over ``seconds``; return the time it took."""
    started = time.monotonic()
    pause = seconds / len(answers)
    for name, value in answers.items():
        tap(driver, name, value)
        assert not prompt_shown(driver)  # never asked while answering
        time.sleep(pause)
    return time.monotonic() - started


def test_kiosk_keeps_answers_while_active_and_resets_after_inactivity(make_browser,
                                                                     live_server, point,
                                                                     screenshot):
    kiosk = f"/k/{point.code}/kiosk"
    tablet = make_browser("phone")
    console_messages(tablet)
    tablet.get(live_server(kiosk))
    form = tablet.find_element(By.CSS_SELECTOR, "form.survey")
    assert (form.get_attribute("data-kiosk-idle"), form.get_attribute("data-kiosk-prompt")) \
        == ("90", "15")
    assert not tablet.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    assert not prompt_shown(tablet)
    shorten(tablet)

    # 150 s of answering (5 s here), far past the 90 s wait: nothing is lost, nothing asked.
    took = tap_slowly(tablet, TWELVE, 150 / SCALE)
    assert took * SCALE >= 150 and took > IDLE + PROMPT
    assert checked(tablet) == {name: "4" for name in TWELVE}
    assert urlsplit(tablet.current_url).path == kiosk

    # The citizen stops: "Tiếp tục?" comes up over the form, answers still there (the question
    # stays up long enough here for axe to read it).
    shorten(tablet, prompt=60)
    wait_for(tablet, prompt_shown, seconds=IDLE + 5)
    assert tablet.find_element(By.ID, "kiosk-prompt-title").text == "Tiếp tục?"
    assert checked(tablet) == {name: "4" for name in TWELVE}
    screenshot(tablet, "prompt")
    found = axe_violations(tablet)
    assert found == []
    # "Có, tiếp tục" keeps everything.
    tablet.find_element(By.CSS_SELECTOR, "[data-kiosk-continue]").click()
    assert not prompt_shown(tablet)
    assert checked(tablet) == {name: "4" for name in TWELVE}
    shorten(tablet)

    # Gone for good: asked again, no answer, and the form is empty for the next person.
    wait_for(tablet, prompt_shown, seconds=IDLE + 5)
    wait_for(tablet, lambda d: not d.find_elements(By.CSS_SELECTOR, "form.survey input:checked"),
             seconds=PROMPT + 5)
    assert urlsplit(tablet.current_url).path == kiosk
    assert not prompt_shown(tablet)
    assert tablet.get_cookies() == []  # a shared tablet keeps nothing
    errors = [m["message"] for m in console_messages(tablet) if m["level"] == "SEVERE"]
    assert errors == []  # the script runs under the CSP (script-src 'self')


def test_no_link_leaves_the_kiosk(make_browser, live_server, point):
    kiosk = f"/k/{point.code}/kiosk"
    tablet = make_browser("phone")
    tablet.get(live_server(kiosk))
    tablet.find_element(By.CSS_SELECTOR, "nav.lang a").click()  # the citizen reads English
    wait_for(tablet, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    for path in (kiosk, kiosk + "/cam-on?pakn=1"):
        tablet.get(live_server(path))
        for link in tablet.find_elements(By.CSS_SELECTOR, "a[href]"):
            target = urlsplit(link.get_attribute("href"))
            back = parse_qs(target.query).get("next", [""])[0]
            # The kiosk's own pages, or the language switch coming back to them.
            assert target.path.startswith(kiosk) or (
                target.path.startswith("/lang/") and urlsplit(back).path.startswith(kiosk)
            ), target
        assert tablet.find_elements(By.CSS_SELECTOR, "header .brand:not(a)")
    save_screenshot(tablet, "test_no_link_leaves_the_kiosk-thanks")


def test_without_javascript_nothing_resets_on_a_timer(make_browser, live_server, point):
    kiosk = f"/k/{point.code}/kiosk"
    tablet = make_browser("phone", javascript=False)
    tablet.get(live_server(kiosk))
    assert not tablet.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    assert not prompt_shown(tablet)
    shorten(tablet)  # what the script would read, had it run
    answers = dict.fromkeys(REQUIRED, 4)
    for name, value in list(answers.items())[:3]:
        tap(tablet, name, value)
    time.sleep(IDLE + PROMPT + 1)
    assert not prompt_shown(tablet)
    assert len(checked(tablet)) == 3 and urlsplit(tablet.current_url).path == kiosk
    # The thank-you page is the reset: it returns to the empty form by itself.
    for name, value in list(answers.items())[3:]:
        tap(tablet, name, value)
    submit(tablet)
    refresh = tablet.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    assert refresh.get_attribute("content") == f"15;url={kiosk}"
