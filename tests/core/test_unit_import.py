"""Unit import from CSV/XLSX: every bad row reported, all or nothing, scope enforced."""

from __future__ import annotations

import io
import unicodedata

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from core import spreadsheets
from core.extensions import db
from core.models import AuditEntry, Role, Unit
from core.spreadsheets import SpreadsheetError
from core.text import fold
from core.unit_format import CODE_PATTERN, KIND_ALIASES, KIND_WORDS_VI
from core.unit_import import import_units
from core.views.admin.units import CODE_PATTERN as FORM_CODE_PATTERN

HEADER = "code,parent_code,name_vi,kind,email,sort_order"


def csv_bytes(*lines: str, bom: bool = False, delimiter: str = ",") -> bytes:
    text = "\n".join(line.replace(",", delimiter) for line in lines) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: list[list[object]], extra_sheet: bool = True) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:  # only the first sheet counts
        workbook.create_sheet("Ghi chú").append(["code", "name_vi"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def unit(code: str) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def database_state() -> tuple[list[tuple], int]:
    units = db.session.execute(sa.select(Unit.__table__).order_by(Unit.id)).all()
    audit_count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return [tuple(row) for row in units], audit_count


@pytest.fixture
def english(app):
    # Services called outside a request speak the default language (Vietnamese); the
    # assertions below read the English message ids.
    with force_locale("en"):
        yield


@pytest.fixture
def admin(make_user, english):
    return make_user(Role.SYSTEM_ADMIN)


def test_code_pattern_matches_the_unit_form():
    assert CODE_PATTERN == FORM_CODE_PATTERN


def test_every_kind_word_listed_on_the_page_is_accepted():
    for kind, words in KIND_WORDS_VI.items():
        for word in words.split(", "):
            assert KIND_ALIASES[fold(word)] == kind, word


@pytest.mark.parametrize(("delimiter", "bom"), [(",", False), (";", True)])
def test_good_csv_creates_the_tree_with_children_before_parents(admin, delimiter, bom):
    content = csv_bytes(
        HEADER,
        "LS-SNV-P1,LS-SNV,Phòng Tổ chức,phòng,,2",
        "LS-SNV,LS,Sở Nội vụ,sở,snv@langson.gov.vn,1",
        "LS,,UBND tỉnh Lạng Sơn,tỉnh,,",
        delimiter=delimiter, bom=bom,
    )
    report = import_units(content, "don-vi.csv", actor=admin, dry_run=False)
    db.session.commit()

    assert report.errors == []
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    province, agency, division = unit("LS"), unit("LS-SNV"), unit("LS-SNV-P1")
    assert province.parent_id is None and province.kind == "province"
    assert agency.parent_id == province.id and agency.kind == "agency"
    assert agency.email == "snv@langson.gov.vn" and agency.sort_order == 1
    assert division.parent_id == agency.id and division.kind == "department"
    assert division.path == f"/{province.id}/{agency.id}/{division.id}/"
    summary = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unit.import"))
    assert summary.after["created"] == 3 and summary.after["sha256"] == report.sha256
    assert summary.unit_id == province.id  # the common ancestor of every unit touched
    created = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "unit.created"))
    assert created == 3


def test_good_xlsx_first_sheet_with_vietnamese_headers(admin, make_unit):
    province = make_unit("LS", kind="province")
    content = xlsx_bytes([
        ["Mã", "Mã đơn vị cha", "Tên", "Tên tiếng Anh", "Loại", "Thứ tự", "Hoạt động"],
        ["LS-TTHCC", "LS", "Trung tâm Phục vụ hành chính công", "Public Service Centre",
         "Trung tâm", 3, 1],
        [None, None, None, None, None, None, None],  # a blank row is skipped, not an error
        ["LS-TTHCC-Q1", "LS-TTHCC", "Quầy số 1", None, "quầy", 1, "có"],
    ])
    report = import_units(content, "units.xlsx", actor=admin, dry_run=False)

    assert report.errors == [] and report.created == 2
    centre = unit("LS-TTHCC")
    assert (centre.parent_id, centre.kind, centre.sort_order, centre.name_en) == (
        province.id, "service_centre", 3, "Public Service Centre")
    assert unit("LS-TTHCC-Q1").kind == "desk"


def test_existing_units_are_updated_and_moved_empty_cells_keep_values(admin, make_unit):
    province = make_unit("LS", kind="province")
    old_parent = make_unit("LS-A", parent=province)
    new_parent = make_unit("LS-B", parent=province)
    moved = make_unit("LS-A-1", parent=old_parent, name_vi="Phòng cũ", hotline="0205 111",
                      kind="department")
    child = make_unit("LS-A-1-Q", parent=moved, kind="desk")
    content = csv_bytes(
        "code,parent_code,name_vi,hotline,kind",
        "LS-A-1,LS-B,Phòng mới,,",
        f"LS-B,LS,{new_parent.name_vi},,",  # identical: counted unchanged, no audit entry
    )
    report = import_units(content, "u.csv", actor=admin, dry_run=False)
    db.session.commit()

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert moved.parent_id == new_parent.id and moved.name_vi == "Phòng mới"
    assert moved.hotline == "0205 111" and moved.kind == "department"  # empty cells kept
    db.session.refresh(child)
    assert child.path == f"/{province.id}/{new_parent.id}/{moved.id}/{child.id}/"
    updates = db.session.scalars(sa.select(AuditEntry.object_id)
                                 .where(AuditEntry.action == "unit.updated")).all()
    assert updates == [str(moved.id)]


def test_every_bad_row_is_reported_and_nothing_changes(admin, make_unit):
    make_unit("LS", kind="province")
    before = database_state()
    content = csv_bytes(
        HEADER,
        "OK-1,LS,Đơn vị tốt,sở,,",             # row 2: fine
        ",LS,Không có mã,,,",                   # row 3: code missing
        "BAD CODE,LS,Mã có dấu cách,,,",        # row 4: bad characters
        "OK-1,LS,Trùng mã,,,",                  # row 5: duplicate of row 2
        "X-2,NOPE,Cha không tồn tại,,,",        # row 6: unknown parent
        "X-3,LS,,,,",                           # row 7: name missing
        "X-4,LS,Email sai,sở,khong-phai-email,",  # row 8: bad email
        "X-5,LS,Loại sai,bộ,,",                 # row 9: unknown kind
        "X-6,LS,Thứ tự sai,,,ba",               # row 10: sort order not a number
        "X-7,LS,Có ký tự\x00NUL,,,",            # row 11: control character
        f"{'A' * 41},LS,Mã quá dài,,,",         # row 12: code over 40 characters
    )
    report = import_units(content, "bad.csv", actor=admin, dry_run=False)
    db.session.commit()  # even a commit by the caller must find nothing to save

    found = [(error.row, error.column, error.letter) for error in report.errors]
    assert found == [
        (3, "code", "A"), (4, "code", "A"), (5, "code", "A"), (6, "parent_code", "B"),
        (7, "name_vi", "C"), (8, "email", "E"), (9, "kind", "D"), (10, "sort_order", "F"),
        (11, "name_vi", "C"), (12, "code", "A"),
    ]
    assert "row 2" in report.errors[2].message  # the duplicate names the first occurrence
    assert report.created == 0
    assert database_state() == before


def test_unknown_and_missing_columns_are_reported_on_the_header_row(admin):
    report = import_units(csv_bytes("ma,ten dv,ghi chu", "A,B,C"), "x.csv", actor=admin,
                          dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [
        (1, "ten dv"), (1, "ghi chu"), (1, "name_vi")]


def test_a_parent_loop_within_the_file_is_refused(admin):
    content = csv_bytes("code,parent_code,name_vi", "A,B,Một", "B,C,Hai", "C,A,Ba", "D,D,Bốn")
    before = database_state()
    report = import_units(content, "loop.csv", actor=admin, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "parent_code"), (3, "parent_code"), (4, "parent_code"), (5, "parent_code")]
    assert "A → B → C → A" in report.errors[0].message
    assert database_state() == before


def test_moving_a_unit_under_its_own_descendant_is_refused(admin, make_unit):
    top = make_unit("T")
    below = make_unit("T-1", parent=top)
    make_unit("T-1-1", parent=below)
    before = database_state()
    report = import_units(csv_bytes("code,parent_code,name_vi", "T,T-1-1,Trên"), "m.csv",
                          actor=admin, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "parent_code")]
    assert "T → T-1-1 → T-1 → T" in report.errors[0].message
    assert database_state() == before


def test_a_unit_admin_cannot_import_outside_their_subtree(make_unit, make_user, english):
    province = make_unit("LS", kind="province")
    mine = make_unit("LS-A", parent=province)
    other = make_unit("LS-B", parent=province)
    unit_admin = make_user(Role.UNIT_ADMIN, unit=mine)
    before = database_state()
    content = csv_bytes(
        "code,parent_code,name_vi",
        "LS-A-1,LS-A,Được phép",        # row 2: inside their subtree, fine
        "LS-B-1,LS-B,Không được phép",  # row 3: under another unit
        f"LS-B,,{other.name_vi} đổi",   # row 4: editing another unit
        "NEW-TOP,,Đơn vị cấp cao nhất",  # row 5: a new top-level unit
        "LS-A,LS-B,Chuyển đi",          # row 6: moving their unit out of their scope
    )
    report = import_units(content, "s.csv", actor=unit_admin, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "parent_code"), (4, "code"), (5, "parent_code"), (6, "parent_code")]
    assert database_state() == before


def test_unit_admin_imports_within_scope_and_sees_the_summary(client, login, make_unit,
                                                              make_user):
    mine = make_unit("LS-A", kind="agency")
    login(client, make_user(Role.UNIT_ADMIN, unit=mine))
    content = csv_bytes("code,parent_code,name_vi", "LS-A-2,LS-A-1,Quầy", "LS-A-1,LS-A,Phòng")
    response = client.post("/quan-tri/don-vi/nhap",
                           data={"file": (io.BytesIO(content), "units.csv")})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created: 2, updated: 0, unchanged: 0." in page
    assert unit("LS-A-2").parent_id == unit("LS-A-1").id


@pytest.mark.parametrize(("content", "filename", "message"), [
    ("Mã,Tên\nA,Tên\n".encode("cp1252"), "units.csv", "neither UTF-8"),  # legacy code page
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "units.xlsx", "not an Excel workbook"),
    (b"PK\x03\x04" + bytes(100), "units.xlsx", "not a valid Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "units.xls", "(.xls) are not supported"),
    (b"", "units.csv", "empty"),
    ("\ufeff \n".encode(), "units.csv", "empty"),
    (b"code,name_vi\n", "units.csv", "no data rows"),
])
def test_unreadable_files_are_refused_with_a_message(admin, content, filename, message):
    with pytest.raises(SpreadsheetError) as raised:
        import_units(content, filename, actor=admin, dry_run=False)
    assert raised.value.status == 400 and message in raised.value.message


def test_a_workbook_that_inflates_too_much_is_413(admin, monkeypatch):
    # A real workbook unpacks to a few kB; with the cap at 1 kB it stands in for a zip bomb.
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_UNCOMPRESSED", 1024)
    with pytest.raises(SpreadsheetError) as raised:
        import_units(xlsx_bytes([["code", "name_vi"], ["A", "Một"]]), "u.xlsx", actor=admin,
                     dry_run=False)
    assert raised.value.status == 413


def test_too_many_rows_is_413(admin):
    content = csv_bytes("code,name_vi", *[f"U{i},Đơn vị {i}" for i in range(4)])
    with pytest.raises(SpreadsheetError) as raised:
        import_units(content, "big.csv", actor=admin, dry_run=False, max_rows=3)
    assert raised.value.status == 413


def test_view_rejects_a_renamed_binary_and_an_oversized_file(client, login, admin):
    login(client, admin)
    before = database_state()
    png = client.post("/quan-tri/don-vi/nhap",
                      data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(64)), "u.xlsx")})
    assert png.status_code == 400 and "not an Excel workbook" in png.get_data(as_text=True)
    # 5 MB + 1 byte: the cap is 5 MB (core.unit_import.MAX_BYTES).
    big = b"code,name_vi\n" + b"x" * (5 * 1024 * 1024)
    # Encoded in memory: the test client would spool a body this large to an unclosed temp file.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "u.csv")})
    response = client.post("/quan-tri/don-vi/nhap", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert database_state() == before


def test_decomposed_vietnamese_is_stored_composed(admin):
    name = unicodedata.normalize("NFD", "Sở Tài nguyên và Môi trường")
    assert name != unicodedata.normalize("NFC", name)
    report = import_units(csv_bytes("code,name_vi", f"STNMT,{name}"), "nfd.csv", actor=admin,
                          dry_run=False)
    assert report.errors == []
    assert unit("STNMT").name_vi == "Sở Tài nguyên và Môi trường"
    assert unicodedata.is_normalized("NFC", unit("STNMT").name_vi)


def test_dry_run_reports_the_plan_and_saves_nothing(client, login, admin, make_unit):
    make_unit("LS", kind="province")
    login(client, admin)
    before = database_state()
    content = csv_bytes("code,parent_code,name_vi", "LS,,Tỉnh mới tên", "LS-1,LS,Sở")
    response = client.post("/quan-tri/don-vi/nhap", data={
        "file": (io.BytesIO(content), "u.csv"), "dry_run": "y"})
    assert response.status_code == 200
    assert "would give: created 1, updated 1, unchanged 0." in response.get_data(as_text=True)
    assert database_state() == before


def test_view_shows_every_error_with_status_400(client, login, admin):
    login(client, admin)
    content = csv_bytes("code,name_vi", "A B,Một", "C,")
    response = client.post("/quan-tri/don-vi/nhap", data={"file": (io.BytesIO(content), "x.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("<tr><td>2</td>") == 1 and page.count("<tr><td>3</td>") == 1


def test_deactivating_by_import_cascades_to_sub_units(admin, make_unit):
    top = make_unit("T")
    below = make_unit("T-1", parent=top)
    report = import_units(csv_bytes("code,name_vi,active", f"T,{top.name_vi},0"), "a.csv",
                          actor=admin, dry_run=False)
    assert report.updated == 1
    db.session.refresh(below)
    assert (top.active, below.active) == (False, False)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_id == str(top.id), AuditEntry.action != "unit.created")).all()
    assert actions == ["unit.deactivated"]  # only the flag changed: no empty "updated" entry


def test_an_active_unit_under_a_parent_set_inactive_is_a_contradiction(admin, make_unit):
    top = make_unit("T")
    make_unit("T-1", parent=top)
    content = csv_bytes("code,name_vi,active", "T,Trên,0", "T-1,Dưới,1")  # T-1 stays under T
    report = import_units(content, "a.csv", actor=admin, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(3, "active")]


def test_staff_without_units_manage_get_403(client, login, make_unit, make_user):
    login(client, make_user(Role.DESK_STAFF, unit=make_unit("LS")))
    assert client.get("/quan-tri/don-vi/nhap").status_code == 403
    assert client.get("/quan-tri/don-vi/nhap/mau.csv").status_code == 403


def test_the_template_downloads_with_bom_and_imports_cleanly(client, client_vi, login,
                                                             make_unit, make_user):
    mine = make_unit("LS-A")
    login(client, make_user(Role.UNIT_ADMIN, unit=mine))
    assert client.get("/quan-tri/don-vi/nhap/mau.csv").get_data().decode(
        "utf-8-sig").startswith("code,parent_code,name_vi,")  # English headers in English
    login(client_vi, make_user(Role.UNIT_ADMIN, unit=mine))
    assert client_vi.get("/quan-tri/don-vi/nhap").status_code == 200
    response = client_vi.get("/quan-tri/don-vi/nhap/mau.csv")
    body = response.get_data()
    assert response.status_code == 200 and body.startswith("\ufeff".encode())
    assert body.decode("utf-8-sig").splitlines()[0].startswith("Mã,Mã đơn vị cha,Tên")
    checked = client.post("/quan-tri/don-vi/nhap", data={
        "file": (io.BytesIO(body), "mau.csv"), "dry_run": "y"})
    assert checked.status_code == 200
    assert "would give: created 2, updated 0" in checked.get_data(as_text=True)


def test_xlsx_errors_carry_the_sheet_row_numbers(admin):
    content = xlsx_bytes([
        [None, None],  # row 1 blank: the header is the first non-blank row
        ["code", "name_vi"],  # row 2
        ["OK", "Được"],  # row 3
        [None, None],  # row 4 blank
        ["BAD CODE", "Sai"],  # row 5
    ])
    report = import_units(content, "u.xlsx", actor=admin, dry_run=False)
    assert [(e.row, e.column, e.letter) for e in report.errors] == [(5, "code", "A")]


def test_a_cell_we_neutralised_on_export_imports_back_unchanged(admin):
    report = import_units(csv_bytes("code,name_vi,hotline", "HL,Đường dây,'+84 205 381"),
                          "u.csv", actor=admin, dry_run=False)
    assert report.errors == [] and unit("HL").hotline == "+84 205 381"
