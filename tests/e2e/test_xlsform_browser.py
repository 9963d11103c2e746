"""XLSForm in a real browser: an analyst uploads a Kobo-style file on the questionnaires page,
sees every refused row of a bad one, gets a draft from a good one, and downloads a version as
XLSForm; the downloaded file imports back to the same questions. At 360 and 1280 px."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from flask_babel import force_locale
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from core.extensions import db
from surveys.instruments import instrument_by_code, version_content
from surveys.xlsform_import import read_xlsform
from tests.e2e.conftest import gone, sign_in, wait_for
from tests.e2e.test_admin_tree import axe_violations, horizontal_overflow
from tests.surveys.xlsform_helpers import with_rows, workbook_bytes

INSTRUMENTS = "/quan-tri/khao-sat/"
# The brief's screenshot folder, outside the repository, when it exists on this machine.
SHOTS = Path("/work/wt/shots")


def _upload(browser, path: Path, unit_name: str) -> None:
    form = browser.find_element(By.CSS_SELECTOR, "main form[enctype='multipart/form-data']")
    form.find_element(By.NAME, "file").send_keys(str(path))
    select = Select(form.find_element(By.NAME, "owner_unit_id"))
    (option,) = [o for o in select.options if o.text.lstrip("— ") == unit_name]
    select.select_by_value(option.get_attribute("value"))
    button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(browser, gone(button))


def _downloaded(folder: Path, name: str) -> Path:
    path = folder / name
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return path


@pytest.mark.parametrize("browser", ["phone", "desktop"], indirect=True)
def test_upload_an_xlsform_then_download_the_export(browser, live_server, screenshot,
                                                    tmp_path, request):
    size = request.node.callspec.params["browser"]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    bad = tmp_path / "phieu-loi.xlsx"
    bad.write_bytes(workbook_bytes(survey=with_rows(
        ("geopoint", "where", "Vị trí", "Location", None, None, None, "b1"),
        ("select_one nowhere", "q_x", "Câu hỏi", None, None, None, None, "b2"),
        ("text", "q_h", "Câu hỏi có gợi ý", None, "${where} != ''", None, None, "b3"))))
    good = tmp_path / "phieu-kobo.xlsx"
    good.write_bytes(workbook_bytes())

    sign_in(browser, "phantich.snv")
    browser.get(live_server(INSTRUMENTS))
    browser.find_element(By.CSS_SELECTOR, "a[href$='/nhap-xlsform']").click()
    wait_for(browser, EC.presence_of_element_located((By.NAME, "file")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Nhập phiếu khảo sát từ XLSForm"

    # A bad file: every refused row listed, in Vietnamese, and nothing created.
    _upload(browser, bad, "Sở Nội vụ")
    problems = wait_for(browser, EC.presence_of_element_located((By.ID, "xlsform-problems")))
    rows = [li.text for li in problems.find_elements(By.TAG_NAME, "li")]
    assert rows == [
        "Dòng 7 (trang survey): kiểu geopoint không được hỗ trợ; hệ thống lưu các câu hỏi "
        "dạng text, select_one và select_multiple.",
        "Dòng 8 (trang survey): danh sách nowhere không có trong trang choices.",
        "Dòng 9 (trang survey): required phải là yes hoặc no, không phải ${where} != '' "
        "(không hỗ trợ điều kiện).",
    ]
    assert horizontal_overflow(browser) == 0
    assert axe_violations(browser) == []
    shot = screenshot(browser, "problems", full_page=True)
    if SHOTS.is_dir():
        shutil.copyfile(shot, SHOTS / f"xlsform-import-errors-{size}.png")
    with live_server.app.app_context():
        assert instrument_by_code("kobo-thu") is None

    # A good file: a draft of the chosen unit, shown with its questions.
    _upload(browser, good, "Sở Nội vụ")
    wait_for(browser, EC.url_contains("/phien-ban/"))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Đã nhập phieu-kobo.xlsx thành bản nháp phiên bản 1 của kobo-thu" in page
    assert "Công chức lịch sự" in page and "Staff were polite" in page
    assert "Bản nháp" in page
    screenshot(browser, "draft")

    # Download it as XLSForm; the file reads back to the same questions.
    link = browser.find_element(By.CSS_SELECTOR, "a[href$='/xlsform']")
    link.click()
    exported = _downloaded(downloads, "kobo-thu-v1.xlsx")
    assert exported.exists()
    with live_server.app.app_context(), force_locale("en"):
        version = instrument_by_code("kobo-thu").versions[0]
        assert read_xlsform(exported.read_bytes()).spec.content == version_content(version)
        db.session.rollback()
