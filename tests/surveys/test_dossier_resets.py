"""A dossier's two appointment dates: the legal one of the receipt (form 01 of TT 01/2018/TT-VPCP)
and the one an apology letter (form 04) re-sets, at most once (DOMAIN.md §2.3), through the
service, the spreadsheet import, the JSON API and the dossier page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from core.exceptions import ServiceError
from core.extensions import db
from surveys.dossier_import import import_dossiers
from surveys.dossiers import UNCHANGED, UPDATED, upsert_dossier
from surveys.models import Dossier
from tests.surveys.dossier_helpers import (
    APPOINTED,
    api_key_for,
    build_office,
    dossier_data,
    make_dossier,
)

# Legal date Fri 5 June 2026 16:00 in Hà Nội (09:00 UTC); re-set to Wed 10 June 16:00.
RESET = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
LETTER = {"reset_appointed_at": RESET, "apology_number": "15/PXL-STP",
          "apology_date": date(2026, 6, 4)}
CODE = "000.00.17.H36-260601-0001"


@pytest.fixture
def office(app, make_unit, make_user):
    return build_office(make_unit, make_user)


def _refusal(office, **fields) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        upsert_dossier(dossier_data(**fields), actor=office.clerk)
    db.session.rollback()
    return refused.value


def test_reset_is_kept_apart_from_the_legal_date(office):
    dossier, _ = upsert_dossier(dossier_data(**LETTER), actor=office.clerk)
    db.session.commit()
    assert (dossier.legal_appointed_at, dossier.reset_appointed_at) == (APPOINTED, RESET)
    assert (dossier.apology_number, dossier.apology_date) == ("15/PXL-STP", date(2026, 6, 4))
    assert dossier.apology_issued  # a recorded letter is an apology issued


def test_a_second_reset_is_refused(office):
    upsert_dossier(dossier_data(**LETTER), actor=office.clerk)
    db.session.commit()
    # The same re-set sent again changes nothing; a typo in the letter may be corrected.
    assert upsert_dossier(dossier_data(**LETTER), actor=office.clerk)[1] == UNCHANGED
    fixed = {**LETTER, "apology_number": "16/PXL-STP"}
    assert upsert_dossier(dossier_data(**fixed), actor=office.clerk)[1] == UPDATED
    db.session.commit()
    later = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)
    second = _refusal(office, **{**LETTER, "reset_appointed_at": later})
    assert (second.status, second.field) == (409, "reset_appointed_at")
    # The services speak Vietnamese outside a request: "may be re-set only once".
    assert "chỉ được hẹn lại một lần" in second.message and "10/06/2026 16:00" in second.message
    removed = _refusal(office)  # no re-set at all: the recorded one would be lost
    assert (removed.status, removed.field) == (409, "reset_appointed_at")
    assert db.session.scalar(db.select(Dossier.reset_appointed_at)) == RESET


@pytest.mark.parametrize(("fields", "field"), [
    ({**LETTER, "apology_number": None}, "apology_number"),
    ({**LETTER, "apology_date": None}, "apology_date"),
    ({**LETTER, "reset_appointed_at": None}, "reset_appointed_at"),
    ({**LETTER, "legal_appointed_at": None}, "legal_appointed_at"),
    ({**LETTER, "reset_appointed_at": APPOINTED}, "reset_appointed_at"),  # not later
    ({**LETTER, "apology_date": date(2026, 5, 31)}, "apology_date"),  # before receipt
    ({**LETTER, "apology_date": datetime(2026, 6, 4, 8, 0)}, "apology_date"),
])
def test_letter_checks_name_the_field(office, fields, field):
    refusal = _refusal(office, **fields)
    assert (refusal.status, refusal.field) == (400, field)
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 0


CSV_HEAD = ("Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày hẹn lại,Số phiếu xin lỗi,"
            "Ngày phiếu xin lỗi\n")


def test_import_carries_both_dates(office):
    content = CSV_HEAD + (
        "HS-1,SO-TP,01/06/2026 08:30,05/06/2026 16:00,10/06/2026 16:00,15/PXL-STP,04/06/2026\n"
        "HS-2,SO-TP,01/06/2026 08:30,05/06/2026 16:00,,,\n")
    report = import_dossiers(content.encode(), "x.csv", actor=office.clerk)
    db.session.commit()
    assert (report.errors, report.created) == ([], 2)
    first = db.session.scalar(db.select(Dossier).where(Dossier.code == "HS-1"))
    assert (first.legal_appointed_at, first.reset_appointed_at) == (APPOINTED, RESET)
    assert (first.apology_number, first.apology_date) == ("15/PXL-STP", date(2026, 6, 4))
    second = db.session.scalar(db.select(Dossier).where(Dossier.code == "HS-2"))
    assert (second.legal_appointed_at, second.reset_appointed_at) == (APPOINTED, None)


def test_xlsx_import_reads_date_cells_for_both_dates(office):
    # A workbook typed by hand: real date cells (local time), English headers.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "unit", "received", "legal appointed at", "reset date",
                  "apology number", "apology date"])
    sheet.append(["HS-X", "SO-TP", datetime(2026, 6, 1, 8, 30), datetime(2026, 6, 5, 16, 0),
                  datetime(2026, 6, 10, 16, 0), 15, date(2026, 6, 4)])
    content = io.BytesIO()
    book.save(content)
    report = import_dossiers(content.getvalue(), "x.xlsx", actor=office.clerk)
    db.session.commit()
    assert (report.errors, report.created) == ([], 1)
    dossier = db.session.scalar(db.select(Dossier))
    assert (dossier.legal_appointed_at, dossier.reset_appointed_at) == (APPOINTED, RESET)
    assert (dossier.apology_number, dossier.apology_date) == ("15", date(2026, 6, 4))


def test_import_reports_bad_letter_cells_row_by_row(office):
    make_dossier(office, "HS-9")
    upsert_dossier(dossier_data("HS-9", **LETTER), actor=office.clerk)
    db.session.commit()
    content = CSV_HEAD + (
        "HS-1,SO-TP,01/06/2026 08:30,05/06/2026 16:00,10/06/2026 16:00,15/PXL,31/06/2026\n"
        "HS-2,SO-TP,01/06/2026 08:30,05/06/2026 16:00,10/06/2026 16:00,,04/06/2026\n"
        "HS-9,SO-TP,01/06/2026 08:30,05/06/2026 16:00,12/06/2026 16:00,15/PXL-STP,04/06/2026\n")
    report = import_dossiers(content.encode(), "x.csv", actor=office.clerk)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "Ngày phiếu xin lỗi"),  # no 31 June
        (3, "Số phiếu xin lỗi"),  # a re-set needs the letter's number
        (4, "Ngày hẹn lại"),  # HS-9 was already re-set to 10 June
    ]
    assert "dd/mm/yyyy" in report.errors[0].message
    assert "số phiếu" in report.errors[1].message  # the letter's number is missing
    assert "chỉ được hẹn lại một lần" in report.errors[2].message
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 1


def test_an_older_export_without_the_letter_columns_keeps_the_reset(office):
    upsert_dossier(dossier_data("HS-1", desk=None, **LETTER), actor=office.clerk)
    db.session.commit()
    content = "Mã hồ sơ,Mã đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Phiếu xin lỗi\n" \
              "HS-1,SO-TP,01/06/2026 08:30,05/06/2026 16:00,1\n"
    report = import_dossiers(content.encode(), "x.csv", actor=office.clerk)
    db.session.commit()
    assert report.errors == [] and report.updated == 1  # the procedure was left blank
    assert db.session.scalar(db.select(Dossier.reset_appointed_at)) == RESET


BODY = {"unit_code": "SO-TP", "received_at": "2026-06-01T08:30:00+07:00",
        "legal_appointed_at": "2026-06-05T16:00:00+07:00",
        "reset_appointed_at": "2026-06-10T16:00:00+07:00", "apology_number": "15/PXL-STP",
        "apology_date": "2026-06-04"}


def test_api_round_trip_of_both_dates(client, office, make_user):
    headers = {"Authorization": f"Bearer {api_key_for(make_user, office.agency)}"}
    put = client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=headers)
    assert put.status_code == 201, put.json
    got = client.get(f"/api/v1/dossiers/{CODE}", headers=headers).json
    assert got["legal_appointed_at"].startswith("2026-06-05T09:00:00")
    assert got["appointed_at"] == got["legal_appointed_at"]  # the former name, same value
    assert got["reset_appointed_at"].startswith("2026-06-10T09:00:00")
    assert (got["apology_number"], got["apology_date"], got["apology_issued"]) == \
        ("15/PXL-STP", "2026-06-04", True)
    again = client.put(f"/api/v1/dossiers/{CODE}", headers=headers,
                       json={**BODY, "reset_appointed_at": "2026-06-12T16:00:00+07:00"})
    assert again.status_code == 409 and "only once" in again.json["error"]["message"]
    both = client.put(f"/api/v1/dossiers/{CODE}", headers=headers,
                      json={**BODY, "appointed_at": "2026-06-06T16:00:00+07:00"})
    assert both.status_code == 422 and "appointed_at" in both.json["error"]["details"]["json"]
    assert db.session.scalar(db.select(Dossier.reset_appointed_at)) == RESET


def test_dossier_page_shows_both_dates(client, login, office):
    upsert_dossier(dossier_data(**LETTER), actor=office.clerk)
    db.session.commit()
    dossier = db.session.scalar(db.select(Dossier))
    login(client, office.clerk)
    page = client.get(f"/quan-tri/ho-so/{dossier.id}").get_data(as_text=True)
    assert "05/06/2026 16:00" in page
    assert "10/06/2026 16:00" in page and "15/PXL-STP" in page and "04/06/2026" in page
