"""Importing survey response files: upload, column mapping, per-row check, all-or-nothing
commit, re-import detection and access (surveys.response_import, issue #4)."""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from core.clock import local, today
from core.extensions import db
from core.models import AuditEntry, Role
from surveys.models import Response, ResponseDemographics, ResponseText, SurveyImport
from surveys.response_import import suggest_mapping
from surveys.rollups import rollup_differences
from tests.surveys.survey_page_helpers import build_desk, stored_counts

PREFIX = "/quan-tri/nhap-tep-khao-sat"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


@pytest.fixture
def admin(desk, make_user, login, client):
    user = make_user(Role.UNIT_ADMIN, desk.agency, full_name="Nguyễn Thị Lan")
    login(client, user)
    return user


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def upload(client, desk, content: bytes, filename: str = "phieu.csv", unit=None):
    return client.post(f"{PREFIX}/", data={
        "file": (io.BytesIO(content), filename), "unit_id": (unit or desk.agency).id,
        "version_id": desk.version.id}, content_type="multipart/form-data")


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def send(client, token: str, action: str, **fields):
    return client.post(f"{PREFIX}/{token}", data={"action": action, **fields})


def imports_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "imports"


def totals() -> tuple[int, ...]:
    """(responses, texts, demographics, rollup rows, imports)."""
    return (*stored_counts(), db.session.scalar(db.select(db.func.count(SurveyImport.id))))


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).strftime("%d/%m/%Y")


GOOD_CSV = csv_bytes(
    "q9_24,q9_25,overall,q2,q8_1,a_age,comment,ngày",
    f"4,5,3,1;3,1,2,Chờ hơi lâu,{days_ago(3)}",
    f"5,5,,,2,,,{days_ago(2)}",
    "1,2,1,2,,1,=cmd,",
)


def test_csv_with_codes_as_headers_imports(app, client, desk, admin):
    token = token_of(upload(client, desk, GOOD_CSV))
    sidecar = imports_folder(app) / f"{token}.json"
    assert sidecar.exists() and totals() == (0, 0, 0, 0, 0)  # nothing stored at step 1
    page = client.get(f"{PREFIX}/{token}").get_data(as_text=True)
    assert '<option selected value="q9_24">' in page and '<option selected value="@date">' in page

    checked = send(client, token, "check")
    assert checked.status_code == 200
    assert "All 3 rows are correct" in checked.get_data(as_text=True)
    assert totals() == (0, 0, 0, 0, 0)  # the check rolled its savepoint back

    done = send(client, token, "import")
    assert done.status_code == 302
    survey_import = db.session.scalar(db.select(SurveyImport))
    assert (survey_import.rows, survey_import.filename, survey_import.unit_id,
            survey_import.created_by_id) == (3, "phieu.csv", desk.agency.id, admin.id)
    responses = db.session.scalars(db.select(Response).order_by(Response.id)).all()
    assert [r.answers for r in responses] == [
        {"q9_24": 4, "q9_25": 5, "overall": 3, "q2": [1, 3], "q8_1": 1},
        {"q9_24": 5, "q9_25": 5, "q8_1": 2},
        {"q9_24": 1, "q9_25": 2, "overall": 1, "q2": [2]},
    ]
    assert {(r.channel, r.import_id, r.unit_id) for r in responses} == {
        ("import", survey_import.id, desk.agency.id)}
    assert local(responses[0].submitted_at).date() == today() - timedelta(days=3)
    # No date on row 4: the import time.
    assert local(responses[2].submitted_at).date() == today()
    texts = {t.text for t in db.session.scalars(db.select(ResponseText))}
    assert texts == {"Chờ hơi lâu", "=cmd"}  # kept as typed; exports neutralise it
    assert [d.answers for d in db.session.scalars(db.select(ResponseDemographics)
                                                  .order_by(ResponseDemographics.response_id))
            ] == [{"a_age": 2}, {"a_age": 1}]
    assert rollup_differences() == []
    audit = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "survey.import"))
    assert audit.after["rows"] == 3 and audit.after["forced"] is False
    assert audit.after["by_unit"] == {desk.agency.code: 3}
    assert not sidecar.exists()  # the temporary upload is gone once imported


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_question_texts_and_answer_words(app, client, desk, admin):
    filled = datetime.combine(today() - timedelta(days=5), datetime.min.time())
    content = workbook([
        # Headers as another form tool writes them: the question text, in another case,
        # with doubled spaces, decomposed accents, and a trailing asterisk.
        ["Dấu thời gian", "CÓ BIỂN HIỆU,  HƯỚNG DẪN RÕ RÀNG",
         unicodedata.normalize("NFD", "Có đủ ghế ngồi chờ"), "Hài lòng chung *",
         "Kênh thông tin", "Đã gửi phản ánh", "Mã đơn vị", "Ghi chú riêng"],
        [filled, "Hài lòng", "Rất hài lòng", "bình thường",
         "Loa phát thanh, Mạng internet", "Có", desk.desk.code, "bỏ qua"],
        [filled, "Rất không hài lòng", "không hài lòng", "Very satisfied", "Người thân, bạn bè",
         "Không", "", ""],
    ])
    token = token_of(upload(client, desk, content, "google-forms.xlsx"))
    assert send(client, token, "import").status_code == 302
    responses = db.session.scalars(db.select(Response).order_by(Response.id)).all()
    # Values from the items' own choices (SATISFACTION, CHANNELS, YESNO in the helpers).
    assert [r.answers for r in responses] == [
        {"q9_24": 4, "q9_25": 5, "overall": 3, "q2": [1, 3], "q8_1": 1},
        {"q9_24": 1, "q9_25": 2, "overall": 5, "q2": [2], "q8_1": 2},
    ]
    # The unit code column spreads rows over the subtree; an empty cell keeps the chosen unit.
    assert [r.unit_id for r in responses] == [desk.desk.id, desk.agency.id]
    assert {local(r.submitted_at).date() for r in responses} == {filled.date()}
    assert rollup_differences() == []


def test_suggestions_skip_ambiguous_texts_and_take_each_target_once(desk):
    header = ["Q9_24", "q9_24", "Ý kiến khác", "Ngày", "ma_don_vi", "Kênh thông tin"]
    assert suggest_mapping(header, desk.version) == {
        0: "q9_24", 2: "comment", 3: "@date", 4: "@unit", 5: "q2"}


BAD_CSV = csv_bytes(
    "q9_24,q9_25,overall",
    "4,5,3",
    "9,5,3",        # row 3: outside the scale
    "4,tốt,3",      # row 4: a word that is no answer of the item
    "4,,3",         # row 5: required q9_25 missing
)


def test_bad_rows_are_all_reported_and_nothing_is_stored(client, desk, admin):
    token = token_of(upload(client, desk, BAD_CSV))
    before = totals()
    for action in ("check", "import"):
        response = send(client, token, action)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        errors = page.split('id="import-errors"')[1].split("</table>")[0]
        rows = [cell.split("</td>")[0] for cell in errors.split("<tr><td>")[1:]]
        assert rows == ["3", "4", "5"]
        assert "The answer to q9_24 is not one of its choices." in page
        assert "“tốt” is not one of the answers to q9_25." in page
        assert "Please answer question q9_25." in page
        assert "B – q9_25" in page  # the column as the spreadsheet letters it
        assert totals() == before == (0, 0, 0, 0, 0)


def test_reimport_is_refused_unless_forced(client, desk, admin):
    assert send(client, token_of(upload(client, desk, GOOD_CSV)), "import").status_code == 302
    after_first = totals()
    token = token_of(upload(client, desk, GOOD_CSV, "copy.csv"))
    page = client.get(f"{PREFIX}/{token}").get_data(as_text=True)
    assert "already imported" in page and 'name="force"' in page
    refused = send(client, token, "import")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "by Nguyễn Thị Lan (3 rows)" in text and today().strftime("%d/%m/%Y") in text
    assert totals() == after_first

    assert send(client, token, "import", force="y").status_code == 302
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 6
    first, second = db.session.scalars(db.select(SurveyImport).order_by(SurveyImport.id)).all()
    assert first.sha256 == second.sha256 and second.filename == "copy.csv"
    audit = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "survey.import").order_by(AuditEntry.id)).all()[-1]
    assert audit.after["forced"] is True and audit.after["earlier_import_id"] == first.id
    assert rollup_differences() == []


@pytest.mark.parametrize("app_config", [{"SURVEY_IMPORT_MAX_BYTES": 200}])
def test_oversized_file_is_413(app, client, desk, admin):
    big = csv_bytes("q9_24,q9_25", *["4,5"] * 100)  # 12 + 100 × 4 bytes > 200
    response = upload(client, desk, big)
    assert response.status_code == 413
    assert not imports_folder(app).exists() or not any(imports_folder(app).iterdir())


def test_png_renamed_csv_is_400(app, client, desk, admin):
    response = upload(client, desk, PNG, "phieu.csv")
    assert response.status_code == 400
    assert "neither UTF-8 text nor an Excel workbook" in response.get_data(as_text=True)
    assert not imports_folder(app).exists() or not any(imports_folder(app).iterdir())


def test_unit_out_of_scope_is_404_and_logged(client, desk, admin, make_unit):
    other = make_unit("UBND-PHUONG-2")
    assert upload(client, desk, GOOD_CSV, unit=other).status_code == 404
    denied = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.unit_id == other.id))
    assert denied is not None and denied.reason == "surveys.manage"


def test_unit_column_outside_the_subtree_is_a_row_error(client, desk, admin, make_unit):
    make_unit("UBND-PHUONG-2")
    content = csv_bytes("q9_24,q9_25,unit code", "4,5,UBND-PHUONG-2")
    response = send(client, token_of(upload(client, desk, content, unit=desk.desk)), "check")
    assert response.status_code == 400
    assert "Unknown unit code UBND-PHUONG-2, or it is not under Quầy số 1." in \
        response.get_data(as_text=True)


def test_uploads_of_others_and_without_permission(client, desk, admin, make_user, login):
    token = token_of(upload(client, desk, GOOD_CSV))
    colleague = make_user(Role.UNIT_ADMIN, desk.agency)
    login(client, colleague)
    assert client.get(f"{PREFIX}/{token}").status_code == 404  # someone else's upload
    assert client.get(f"{PREFIX}/../../etc").status_code == 404
    login(client, make_user(Role.DESK_STAFF, desk.agency))
    assert client.get(f"{PREFIX}/").status_code == 403
    assert upload(client, desk, GOOD_CSV).status_code == 403
    assert send(client, token, "import").status_code == 404
    assert totals() == (0, 0, 0, 0, 0)


def test_a_column_mapped_twice_is_refused(client, desk, admin):
    token = token_of(upload(client, desk, GOOD_CSV))
    response = send(client, token, "check", col_1="q9_24")
    assert response.status_code == 400
    assert "Column A is already mapped to the same target." in response.get_data(as_text=True)


def test_bad_and_future_dates_are_row_errors(client, desk, admin):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    content = csv_bytes("q9_24,q9_25,Ngày", "4,5,31/02/2026", f"4,5,{tomorrow}", "4,5,hôm qua")
    response = send(client, token_of(upload(client, desk, content)), "import")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count("Write the date as dd/mm/yyyy or yyyy-mm-dd.") == 2  # rows 2 and 4
    assert page.count("The date is in the future.") == 1
    assert totals() == (0, 0, 0, 0, 0)
