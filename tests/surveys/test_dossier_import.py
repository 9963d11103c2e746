"""Dossier import from CSV/XLSX: Vietnamese and English headers, ISO and dd/mm/yyyy dates in
Vietnam time, all-or-nothing with every bad row reported, size caps, idempotent re-upload."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from core.extensions import db
from core.models import AuditEntry, Role
from core.spreadsheets import SpreadsheetError
from surveys.dossier_import import import_dossiers, parse_moment
from surveys.models import Dossier
from tests.surveys.dossier_helpers import build_office

VI_CSV = (
    "Mã hồ sơ,Tên thủ tục,Mã đơn vị,Mã quầy,Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả,"
    "Số lần bổ sung,Trực tuyến,Phiếu xin lỗi,Họ tên người nộp\n"
    "HS-001,Cấp phiếu lý lịch tư pháp,SO-TP,SO-TP-Q1,01/06/2026 08:30,05/06/2026 16:00,"
    "04/06/2026 09:00,0,1,0,Nguyễn Văn A\n"
    "HS-002,Chứng thực bản sao,SO-TP,,2026-06-02T14:00,,,2,không,có,Trần Thị B\n"
)


@pytest.fixture
def office(app, make_unit, make_user):
    return build_office(make_unit, make_user)


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(Dossier.id)))


@pytest.mark.parametrize(("text", "expected"), [
    ("01/06/2026 08:30", datetime(2026, 6, 1, 1, 30, tzinfo=UTC)),  # 08:30 UTC+7
    ("1/6/2026", datetime(2026, 5, 31, 17, 0, tzinfo=UTC)),  # midnight local
    ("2026-06-01T08:30:00", datetime(2026, 6, 1, 1, 30, tzinfo=UTC)),
    ("2026-06-01 08:30:00+00:00", datetime(2026, 6, 1, 8, 30, tzinfo=UTC)),
    ("31/02/2026", None),
    ("tomorrow", None),
])
def test_dates(text, expected):
    assert parse_moment(text) == expected


def test_vietnamese_csv_imports_and_reupload_is_idempotent(office):
    report = import_dossiers(VI_CSV.encode(), "ho-so.csv", actor=office.clerk)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged, report.errors) == (2, 0, 0, [])
    assert report.ignored == ["Họ tên người nộp"]  # the citizen's name is never read
    first = db.session.scalar(db.select(Dossier).where(Dossier.code == "HS-001"))
    assert first.received_at == datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
    assert first.desk_id == office.desk.id and first.online and first.source == "import"
    second = db.session.scalar(db.select(Dossier).where(Dossier.code == "HS-002"))
    assert (second.supplement_requests, second.online, second.apology_issued) == (2, False, True)
    assert second.desk_id is None and second.legal_appointed_at is None
    again = import_dossiers(VI_CSV.encode(), "ho-so.csv", actor=office.clerk)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = import_dossiers(VI_CSV.replace(",2,không", ",3,không").encode(), "ho-so.csv",
                              actor=office.clerk)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert _count() == 2
    imports = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "dossier.import")).all()
    assert len(imports) == 3 and imports[0].after["created"] == 2


def test_english_xlsx_with_real_dates(office):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["dossier_code", "unit_code", "received_at", "procedure_name"])
    sheet.append(["HS-X1", "SO-TP", datetime(2026, 6, 1, 8, 30), "Đăng ký khai sinh"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_dossiers(buffer.getvalue(), "dossiers.xlsx", actor=office.clerk)
    assert report.errors == [] and report.created == 1
    dossier = db.session.scalar(db.select(Dossier))
    assert dossier.received_at == datetime(2026, 6, 1, 1, 30, tzinfo=UTC)


def test_every_bad_row_is_reported_and_nothing_saved(office):
    content = (
        "code,unit,received,appointed,supplements,online\n"
        "OK-1,SO-TP,01/06/2026 08:00,,0,1\n"            # row 2: fine
        "BAD 2,SO-TP,01/06/2026 08:00,,0,0\n"           # row 3: space in the code
        "OK-3,SO-XD,01/06/2026 08:00,,0,0\n"            # row 4: unit outside the scope
        "OK-4,SO-TP,32/06/2026,,0,0\n"                  # row 5: no such date
        "OK-5,SO-TP,01/06/2026 08:00,31/05/2026,x,0\n"  # row 6: bad count, early date
        "OK-1,SO-TP,01/06/2026 08:00,,0,maybe\n"        # row 7: repeated code, bad flag
        "OK-7,,01/06/2026 08:00,,0,0\n"                 # row 8: unit missing
    )
    report = import_dossiers(content.encode(), "x.csv", actor=office.clerk)
    problems = [(e.row, e.column) for e in report.errors]
    assert problems == [
        (3, "code"), (4, "unit"), (5, "received"), (6, "supplements"), (6, "appointed"),
        (7, "online"), (7, "code"), (8, "unit"),
    ]
    assert [e.letter for e in report.errors if e.row == 4] == ["B"]
    assert report.created == 0 and _count() == 0


def test_service_checks_after_parsing_are_reported_too(office):
    content = "code,unit,received,appointed\nOK-1,SO-TP,02/06/2026,01/06/2026\n"
    report = import_dossiers(content.encode(), "x.csv", actor=office.clerk)
    # The column is named as the file's header names it.
    assert [(e.row, e.column) for e in report.errors] == [(2, "appointed")]
    assert _count() == 0


def test_missing_required_columns(office):
    report = import_dossiers(b"code,procedure\nA,B\n", "x.csv", actor=office.clerk)
    assert sorted(e.column for e in report.errors) == ["received_at", "unit_code"]


def test_dry_run_saves_nothing(office):
    report = import_dossiers(VI_CSV.encode(), "x.csv", actor=office.clerk, dry_run=True)
    assert report.created == 2 and report.errors == []
    db.session.rollback()
    assert _count() == 0


def test_size_caps_are_413(office):
    with pytest.raises(SpreadsheetError) as too_big:
        import_dossiers(VI_CSV.encode(), "x.csv", actor=office.clerk, max_bytes=100)
    assert too_big.value.status == 413
    with pytest.raises(SpreadsheetError) as too_long:
        import_dossiers(VI_CSV.encode(), "x.csv", actor=office.clerk, max_rows=1)
    assert too_long.value.status == 413


def test_import_page(client, login, office, make_user):
    login(client, office.clerk)
    assert client.get("/quan-tri/ho-so/nhap").status_code == 200
    bad = client.post("/quan-tri/ho-so/nhap", data={
        "file": (io.BytesIO(b"code,unit,received\nA,SO-XD,01/06/2026\n"), "x.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "import-errors" in bad.get_data(as_text=True)
    good = client.post("/quan-tri/ho-so/nhap", data={
        "file": (io.BytesIO(VI_CSV.encode()), "x.csv")}, content_type="multipart/form-data")
    assert good.status_code == 302 and _count() == 2
    analyst = make_user(Role.ANALYST, unit=office.agency)  # no dossiers.write
    other = client.application.test_client()
    login(other, analyst)
    assert other.get("/quan-tri/ho-so/nhap").status_code == 403
