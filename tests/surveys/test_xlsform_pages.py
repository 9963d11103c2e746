"""The XLSForm pages (import as a draft, download a version) and the CLI commands: roles,
statuses, messages in both languages, nothing half-imported."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.extensions import db
from core.models import Role
from surveys.cli import surveys_cli
from surveys.instruments import (
    DESK_FORM_CODE,
    create_instrument,
    get_version,
    load_shipped_instruments,
    version_content,
)
from surveys.models import Instrument, InstrumentVersion
from surveys.xlsform import export_xlsform
from tests.surveys.xlsform_helpers import KOBO_SETTINGS, with_rows, workbook_bytes

BASE = "/quan-tri/khao-sat"
IMPORT = f"{BASE}/nhap-xlsform"


@pytest.fixture
def setup(app, make_unit, make_user):
    load_shipped_instruments()
    province = make_unit("LS", kind="province")
    own = make_unit("LS-SNV", parent=province)
    other = make_unit("LS-STC", parent=province)
    db.session.commit()
    return {"own": own, "other": other, "admin": make_user(Role.SYSTEM_ADMIN),
            "analyst": make_user(Role.ANALYST, own),
            "handler": make_user(Role.HANDLER, own),
            "desk": get_version(DESK_FORM_CODE)}


def _post(client, data: bytes, unit, filename: str = "form.xlsx"):
    return client.post(IMPORT, data={"file": (io.BytesIO(data), filename),
                                     "owner_unit_id": str(unit.id)},
                       content_type="multipart/form-data")


def _versions() -> int:
    return db.session.scalar(db.select(db.func.count(InstrumentVersion.id)))


def test_import_kobo_file_makes_a_draft_of_the_chosen_unit(client, setup, login):
    login(client, setup["analyst"])
    assert client.get(IMPORT).status_code == 200
    response = _post(client, workbook_bytes(), setup["own"], "kobo.xlsx")
    assert response.status_code == 302
    instrument = db.session.scalar(db.select(Instrument).where(Instrument.code == "kobo-thu"))
    assert instrument.owner_unit_id == setup["own"].id
    (version,) = instrument.versions
    assert response.headers["Location"].endswith(f"/phien-ban/{version.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kobo.xlsx was imported as draft version 1 of kobo-thu" in page
    assert "Metadata rows left out (this system records its own): start, end, deviceid." in page
    assert "Công chức lịch sự" in page and version.status == "draft"


def test_refused_file_lists_every_row_and_imports_nothing(client, client_vi, setup, login):
    before = _versions()
    bad = workbook_bytes(survey=with_rows(
        ("geopoint", "where", "Vị trí", None, None, None, None, "b1"),
        ("text", "q_h", "Câu", None, None, None, ". > 2", "b2")))
    login(client, setup["analyst"])
    response = _post(client, bad, setup["own"])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported. Problems found: 2." in page
    assert "Row 7 (survey sheet): type geopoint is not supported" in page
    assert "Row 8 (survey sheet): the constraint . &gt; 2 is not supported" in page
    login(client_vi, setup["analyst"])
    page = _post(client_vi, bad, setup["own"]).get_data(as_text=True)
    assert "Không nhập gì. Số lỗi tìm thấy: 2." in page
    assert "Dòng 7 (trang survey): kiểu geopoint không được hỗ trợ" in page
    assert _versions() == before


@pytest.mark.parametrize(("data", "status", "message"), [
    (b"not a workbook", 400, "This is not an Excel .xlsx file"),
    (workbook_bytes(survey=None), 400, "The workbook has no sheet named survey"),
])
def test_bad_files_get_a_message_and_status(client, setup, login, data, status, message):
    login(client, setup["analyst"])
    response = _post(client, data, setup["own"])
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_missing_file_is_a_form_error(client, setup, login):
    login(client, setup["analyst"])
    response = client.post(IMPORT, data={"owner_unit_id": str(setup["own"].id)})
    assert response.status_code == 400
    assert "Choose a file to import." in response.get_data(as_text=True)


def test_shipped_form_needs_a_system_wide_grant(client, setup, login):
    """An agency analyst cannot add a draft to the national desk form by importing its
    export; a system administrator can, and gets the same content back."""
    desk = setup["desk"]
    exported = export_xlsform(desk)
    before = _versions()
    login(client, setup["analyst"])
    response = _post(client, exported, setup["own"])
    assert response.status_code == 403
    assert "The questionnaire sipas-desk exists and you may not change it" in \
        response.get_data(as_text=True)
    assert _versions() == before
    login(client, setup["admin"])
    assert _post(client, exported, setup["own"]).status_code == 302
    draft = db.session.scalar(db.select(InstrumentVersion).where(
        InstrumentVersion.instrument_id == desk.instrument_id,
        InstrumentVersion.status == "draft"))
    assert version_content(draft) == version_content(desk)
    assert draft.instrument.owner_unit_id is None  # still the shipped form


def test_unit_out_of_sight_is_refused(client, setup, login):
    login(client, setup["analyst"])
    assert _post(client, workbook_bytes(), setup["other"]).status_code == 404
    assert db.session.scalar(db.select(Instrument).where(Instrument.code == "kobo-thu")) is None


def test_staff_without_the_permission_get_403(client, setup, login):
    login(client, setup["handler"])
    assert client.get(IMPORT).status_code == 403
    assert client.get(f"{BASE}/phien-ban/{setup['desk'].id}/xlsform").status_code == 403


def test_download_the_export(client, setup, login):
    login(client, setup["analyst"])
    desk = setup["desk"]
    page = client.get(f"{BASE}/phien-ban/{desk.id}").get_data(as_text=True)
    assert f"{BASE}/phien-ban/{desk.id}/xlsform" in page
    response = client.get(f"{BASE}/phien-ban/{desk.id}/xlsform")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert f"sipas-desk-v{desk.number}.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    names = [row[1] for row in book["survey"].iter_rows(values_only=True)]
    assert all(item.code in names for item in desk.items)


def test_another_units_version_cannot_be_downloaded(client, setup, login):
    theirs = create_instrument("stc-quay", "Phiếu Sở Tài chính", None, setup["other"], None)
    db.session.commit()
    login(client, setup["analyst"])
    assert client.get(f"{BASE}/phien-ban/{theirs.id}/xlsform").status_code == 404


def test_cli_export_then_import_round_trip(app, setup, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "quick.xlsx"
    result = runner.invoke(surveys_cli, ["export-xlsform", "quick-3", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "quick-3: version 1 (published, 2 items) written to" in result.output
    result = runner.invoke(surveys_cli, ["import-xlsform", str(path)])
    assert result.exit_code == 0, result.output
    assert "quick-3: draft version 2 (2 items) imported from quick.xlsx" in result.output
    quick = db.session.scalar(db.select(Instrument).where(Instrument.code == "quick-3"))
    assert version_content(quick.versions[1]) == version_content(quick.versions[0])


def test_cli_import_new_form_needs_a_unit_and_lists_problems(app, setup, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "kobo.xlsx"
    path.write_bytes(workbook_bytes(settings=KOBO_SETTINGS))
    result = runner.invoke(surveys_cli, ["import-xlsform", str(path)])
    assert result.exit_code == 1 and "Choose the unit" in result.output
    result = runner.invoke(surveys_cli, ["import-xlsform", str(path), "--unit", "LS-SNV"])
    assert result.exit_code == 0, result.output
    assert "metadata rows left out: start, end, deviceid" in result.output
    path.write_bytes(workbook_bytes(survey=with_rows(("integer", "n", "Số"))))
    result = runner.invoke(surveys_cli, ["import-xlsform", str(path)])
    assert result.exit_code == 1
    assert "Row 7 (survey sheet): type integer is not supported" in result.output
