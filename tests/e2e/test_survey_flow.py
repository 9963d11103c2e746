"""The citizen survey in a real browser on a 360×640 phone: a desk's poster QR decoded with zbar,
the form filled by tapping labels (with JavaScript on and off), answers kept through a failed
submission, the PAKN offer after a low rating, the kiosk reset, accessibility and page weight.

The desk form is the shipped "sipas-desk" questionnaire: 16 required 5-point items (q9_24 …
q9_39), an optional overall rating and an optional comment (surveys/data/sipas-desk.json).
"""

from __future__ import annotations

import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import func, select

from core.extensions import db
from core.models import Unit
from surveys.models import CollectionPoint, Response, RollupCount
from tests.e2e.conftest import LiveServer, console_messages, gone, sign_in, wait_for
from tests.e2e.test_admin_tree import AXE_JS

pytestmark = pytest.mark.browser

ZBARIMG = Path("/usr/bin/zbarimg")
DESK = "LS-TTPVHCC-Q01"  # "Quầy Sở Nội vụ", under the provincial service centre (core.demo)
STAFF = "motcua.tinh"  # desk staff of LS-TTPVHCC (core.demo.ACCOUNTS)
# sipas-desk.json: the 16 required Part II items, q9_24 to q9_39.
REQUIRED = [f"q9_{n}" for n in range(24, 40)]
# Their Vietnamese messages and titles (translations/vi/LC_MESSAGES/messages.po).
THANKS_VI = "Cảm ơn Ông/Bà đã đánh giá"  # "Thank you for your rating"
NOT_SATISFIED_VI = "Ông/Bà chưa hài lòng?"  # "Not satisfied?"
CHECK_ANSWERS_VI = "Vui lòng kiểm tra lại câu trả lời"  # "Please check your answers"
# "Please rate at least one question."
RATE_ONE_VI = "Ông/Bà vui lòng đánh giá ít nhất một câu hỏi."
COMMENT = "Phòng chờ hơi nóng."
HOTLINE = "0205 3818 999"  # LS-TTPVHCC's hotline: the desk has none of its own (core.demo)


@dataclass
class DeskPoint:
    id: int
    code: str
    unit_id: int


@dataclass
class Counts:
    responses: int  # responses stored for the point
    rollup: int  # rollup count of q9_24 = 4 for the desk, all days and channels


def desk_point(server: LiveServer) -> DeskPoint:
    with server.app.app_context():
        point = db.session.scalar(select(CollectionPoint).join(Unit).where(
            Unit.code == DESK, CollectionPoint.active.is_(True),
            CollectionPoint.channel == "desk_qr"))  # its poster, not its online point
        assert point is not None, "the demo data gives every demo desk a point"
        found = DeskPoint(point.id, point.public_code, point.unit_id)
        db.session.remove()
    return found


def counts(server: LiveServer, point: DeskPoint, quality: str = "ok") -> Counts:
    with server.app.app_context():
        responses = db.session.scalar(select(func.count(Response.id)).where(
            Response.point_id == point.id, Response.quality == quality))
        rollup = db.session.scalar(select(func.coalesce(func.sum(RollupCount.count), 0)).where(
            RollupCount.unit_id == point.unit_id, RollupCount.item_code == "q9_24",
            RollupCount.value == 4, RollupCount.quality == quality))
        db.session.remove()
    return Counts(responses or 0, rollup or 0)


@pytest.fixture
def point(live_server) -> DeskPoint:
    # The page refuses nothing that is filled in fast; a test fills the form in about a second,
    # under the 4 s that flags a response "too fast" (surveys.responses.quality_reasons).
    live_server.app.config["SURVEY_MIN_FILL_SECONDS"] = 0
    return desk_point(live_server)


def decode_qr(image: Path) -> str:
    assert ZBARIMG.exists(), "install Debian's zbar-tools (zbarimg)"
    done = subprocess.run([str(ZBARIMG), "--quiet", "--raw", str(image)], capture_output=True,
                          text=True, timeout=30, check=True)
    return done.stdout.strip()


def fetch_as(driver: WebDriver, url: str) -> bytes:
    """GET ``url`` with the browser's cookies, as the browser's "download" would."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (our own server)
        assert answer.headers["Content-Type"] == "image/png"
        return answer.read()


def element_png(driver: WebDriver, selector: str) -> bytes:
    """The pixels of one element as drawn (scrolled in, clipped to its box)."""
    element = driver.find_element(By.CSS_SELECTOR, selector)
    driver.execute_script("arguments[0].scrollIntoView()", element)
    wait_for(driver, lambda d: d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", element))
    return element.screenshot_as_png


def latest_answers(server: LiveServer, point: DeskPoint) -> dict:
    """The rated answers of the point's newest response."""
    with server.app.app_context():
        answers = db.session.scalar(select(Response.answers).where(
            Response.point_id == point.id).order_by(Response.id.desc()).limit(1))
        db.session.remove()
    return dict(answers or {})


def tap(driver: WebDriver, name: str, value: int) -> None:
    """Tap the big label of one answer (the radio itself is hidden in it)."""
    driver.find_element(By.XPATH, f"//label[@class='opt'][input[@name='{name}' and "
                                  f"@value='{value}']]").click()


def fill(driver: WebDriver, ratings: dict[str, int]) -> None:
    for name, value in ratings.items():
        tap(driver, name, value)


def checked(driver: WebDriver) -> dict[str, str]:
    return {el.get_attribute("name"): el.get_attribute("value")
            for el in driver.find_elements(By.CSS_SELECTOR, "form.survey input:checked")}


def submit(driver: WebDriver) -> None:
    button = driver.find_element(By.CSS_SELECTOR, "form.survey button.send")
    button.click()
    wait_for(driver, gone(button))


def all_fours(**changes: int) -> dict[str, int]:
    return {**dict.fromkeys(REQUIRED, 4), **changes}


def site_cookies(driver: WebDriver) -> list[tuple[str, str, bool]]:
    """(name, path, httpOnly) of every cookie the site set."""
    return [(c["name"], c["path"], c["httpOnly"]) for c in driver.get_cookies()]


# After a rating on a citizen's own phone, the only cookie: the per-device mark (point ids and
# times, surveys.device_marks), scoped to /k/ and out of reach of page scripts.
DEVICE_MARK = [("ln_rated", "/k/", True)]


def js_runs(driver: WebDriver) -> bool:
    """Whether pages may run script: a data: page sets its title only if they may."""
    driver.get("data:text/html,<title>off</title><script>document.title='on'</script>")
    return driver.title == "on"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_poster_qr_leads_a_citizen_to_a_counted_rating(
        make_browser, live_server, point, javascript, screenshot, tmp_path):
    # Desk staff print the poster: find the desk's point in the back-office list.
    staff = make_browser("phone")
    sign_in(staff, STAFF)
    staff.get(live_server("/quan-tri/diem-khao-sat/"))
    staff.find_element(By.CSS_SELECTOR,
                       f"a[href='/quan-tri/diem-khao-sat/{point.id}/poster?size=a5']").click()
    wait_for(staff, EC.url_contains("/poster"))
    wait_for(staff, lambda d: d.execute_script("return document.readyState") == "complete")
    # The QR as the poster draws it (the SVG) and the PNG offered for download.
    shown = tmp_path / "poster-qr.png"
    shown.write_bytes(element_png(staff, "section.poster img.p-qr"))
    url = decode_qr(shown)
    assert url == live_server(f"/k/{point.code}")
    # The address typed out under the QR, for those who cannot scan.
    assert staff.find_element(By.CSS_SELECTOR, "section.poster .p-url").text == url
    png_href = f"/quan-tri/diem-khao-sat/{point.id}/qr.png"
    staff.get(live_server("/quan-tri/diem-khao-sat/"))
    link = staff.find_element(By.CSS_SELECTOR, f"a[href='{png_href}'][download]")
    downloaded = tmp_path / "qr.png"
    downloaded.write_bytes(fetch_as(staff, link.get_attribute("href")))
    assert decode_qr(downloaded) == url

    # A citizen's phone: no cookies from the staff session, JavaScript on or off.
    citizen = make_browser("phone", javascript=javascript)
    assert js_runs(citizen) is javascript
    before = counts(live_server, point)
    citizen.get(url)
    assert citizen.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert len(citizen.find_elements(By.CSS_SELECTOR, "fieldset.sec")) == 6  # II.A … II.E + overall
    fill(citizen, all_fours(q9_39=5))
    tap(citizen, "overall", 5)
    citizen.find_element(By.NAME, "comment").send_keys("Cán bộ hướng dẫn tận tình.")
    assert checked(citizen) == {**{k: str(v) for k, v in all_fours(q9_39=5).items()},
                                "overall": "5"}
    screenshot(citizen, "form", full_page=True)
    submit(citizen)

    assert urlsplit(citizen.current_url).path == f"/k/{point.code}/cam-on"
    assert citizen.find_element(By.TAG_NAME, "h1").text == THANKS_VI
    assert not citizen.find_elements(By.CSS_SELECTOR, ".pakn")  # nothing rated 1 or 2
    assert site_cookies(citizen) == DEVICE_MARK
    screenshot(citizen, "thanks", full_page=True)
    after = counts(live_server, point)
    assert (after.responses, after.rollup) == (before.responses + 1, before.rollup + 1)


def test_a_skipped_question_is_stored_as_not_answered(make_browser, live_server, point):
    # The desk form requires no item (surveys/data/README.md): a citizen who skips a question
    # still gets the rest counted, and the skipped one is absent, not a made-up rating.
    citizen = make_browser("phone")
    citizen.get(live_server(f"/k/{point.code}"))
    answers = all_fours(q9_24=5)
    del answers["q9_30"]
    fill(citizen, answers)
    before = counts(live_server, point)
    submit(citizen)

    assert citizen.find_element(By.TAG_NAME, "h1").text == THANKS_VI
    assert counts(live_server, point).responses == before.responses + 1
    stored = latest_answers(live_server, point)
    assert "q9_30" not in stored
    assert stored["q9_24"] == 5 and stored["q9_31"] == 4


def test_a_form_without_any_rating_comes_back_with_what_was_given_kept(
        make_browser, live_server, point, screenshot):
    citizen = make_browser("phone")
    citizen.get(live_server(f"/k/{point.code}"))
    tap(citizen, "q9_37", 0)          # "Không áp dụng" is an answer, not a rating
    citizen.find_element(By.NAME, "comment").send_keys(COMMENT)
    before = counts(live_server, point)
    submit(citizen)

    assert urlsplit(citizen.current_url).path == f"/k/{point.code}"
    summary = citizen.find_element(By.CSS_SELECTOR, ".err-sum[role=alert]")
    assert CHECK_ANSWERS_VI in summary.text
    assert RATE_ONE_VI in summary.text
    # What the citizen gave is still there.
    assert checked(citizen) == {"q9_37": "0"}
    assert citizen.find_element(By.NAME, "comment").get_attribute("value") == COMMENT
    assert counts(live_server, point) == before  # nothing stored
    screenshot(citizen, "error", full_page=True)

    tap(citizen, "q9_30", 4)
    submit(citizen)
    assert citizen.find_element(By.TAG_NAME, "h1").text == THANKS_VI
    assert counts(live_server, point).responses == before.responses + 1
    assert latest_answers(live_server, point) == {"q9_30": 4, "q9_37": 0}


def test_a_rating_of_one_offers_the_pakn_route(make_browser, live_server, point, screenshot):
    citizen = make_browser("phone")
    citizen.get(live_server(f"/k/{point.code}"))
    fill(citizen, all_fours(q9_36=1))
    submit(citizen)

    landed = urlsplit(citizen.current_url)
    assert (landed.path, landed.query) == (f"/k/{point.code}/cam-on", "pakn=1")
    offer = citizen.find_element(By.CSS_SELECTOR, ".thanks .pakn")
    assert offer.find_element(By.TAG_NAME, "h2").text == NOT_SATISFIED_VI
    # Until the PAKN form exists, the offer gives the service centre's hotline and email.
    feedback = [a.get_attribute("href") for a in offer.find_elements(By.TAG_NAME, "a")]
    assert f"tel:{HOTLINE.replace(' ', '')}" in feedback or any(
        "/gop-y" in href or "unit=LS-TTPVHCC" in href for href in feedback)
    assert HOTLINE in offer.text or "unit=LS-TTPVHCC" in " ".join(feedback)
    # No identity carried over: the URL says only "offer PAKN", the cookie only point and time.
    assert site_cookies(citizen) == DEVICE_MARK
    screenshot(citizen, full_page=True)


def refresh_target(driver: WebDriver) -> tuple[int, str]:
    """(seconds, absolute URL) of the page's <meta http-equiv="refresh">."""
    content = driver.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]") \
        .get_attribute("content")
    seconds, _sep, target = content.partition(";url=")
    return int(seconds), urljoin(driver.current_url, target)


def test_kiosk_returns_to_an_empty_form_and_keeps_nothing(make_browser, live_server, point,
                                                         screenshot):
    kiosk_url = live_server(f"/k/{point.code}/kiosk")
    tablet = make_browser("phone")
    tablet.get(kiosk_url)
    # No timed reload of the form: the kiosk script resets it after inactivity only
    # (tests/e2e/test_kiosk.py).
    assert not tablet.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    before = counts(live_server, point)
    fill(tablet, all_fours())
    submit(tablet)

    assert urlsplit(tablet.current_url).path == f"/k/{point.code}/kiosk/cam-on"
    assert tablet.find_element(By.TAG_NAME, "h1").text == THANKS_VI
    seconds, target = refresh_target(tablet)
    assert (seconds, target) == (15, kiosk_url)
    screenshot(tablet, "thanks")
    tablet.get(target)
    assert tablet.find_elements(By.CSS_SELECTOR, "form.survey input[type=radio]")
    assert checked(tablet) == {}
    assert tablet.get_cookies() == []  # a shared tablet gets no cookie, not even the mark
    with live_server.app.app_context():
        channel = db.session.scalar(select(Response.channel).where(
            Response.point_id == point.id).order_by(Response.id.desc()))
        db.session.remove()
    assert channel == "kiosk"
    assert counts(live_server, point).responses == before.responses + 1

    # A citizen who switched the kiosk to English: the next one gets Vietnamese again.
    tablet.find_element(By.CSS_SELECTOR, "nav.lang a").click()
    wait_for(tablet, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    fill(tablet, all_fours())
    submit(tablet)
    tablet.get(refresh_target(tablet)[1])
    assert urlsplit(tablet.current_url).path == f"/k/{point.code}/kiosk"
    assert tablet.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert checked(tablet) == {}


def axe_violations(driver: WebDriver) -> list[str]:
    """Critical and serious axe-core findings, one per line (as tests/e2e/test_admin_tree.py).

    The bundled axe-core 3.1.1 still runs "radiogroup", which takes the section's <fieldset>
    around several questions for the radios' group and ignores the nearer role="radiogroup"
    that names each question. axe-core deprecated the rule in 3.4 for such false positives
    (dequelabs/axe-core#176, #1640), so it is left out here."""
    driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    violations = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {rules: {radiogroup: {enabled: false}}}).then(
            r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                              nodes: v.nodes.map(n => n.target.join(' '))}))),
            e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
    """)
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'][:5])}"
            for v in violations if v["impact"] in ("critical", "serious")]


RESOURCES_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
return {requests: 1 + res.length, names: res.map(r => r.name),
        bytes: nav.transferSize + res.reduce((sum, r) => sum + r.transferSize, 0)};
"""


def test_survey_and_thank_you_pages_are_accessible_light_and_quiet(make_browser, live_server,
                                                                  point):
    citizen = make_browser("phone")
    console_messages(citizen)  # start from an empty console log
    citizen.get(live_server(f"/k/{point.code}"))
    loaded = citizen.execute_script(RESOURCES_JS)
    # The document and its one stylesheet; the favicon is a data: URI (layouts/base.html).
    assert loaded["requests"] <= 4, loaded["names"]
    assert [urlsplit(name).path for name in loaded["names"]] == ["/static/css/citizen.css"]
    assert loaded["bytes"] > 0
    found = {"survey": axe_violations(citizen)}

    fill(citizen, all_fours(q9_24=2))
    submit(citizen)
    assert citizen.find_element(By.CSS_SELECTOR, ".pakn")  # the fullest thank-you page
    found["thanks"] = axe_violations(citizen)
    assert found == {"survey": [], "thanks": []}
    errors = [m["message"] for m in console_messages(citizen) if m["level"] == "SEVERE"]
    assert errors == []
