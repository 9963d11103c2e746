"""The improvement-task catalogue: the shipped file is a faithful copy of the seeds' annex II,
loading it is idempotent and never touches an agency's own tasks, and the catalogue pages
(list by element, add / edit / deactivate own tasks, copy a shipped one) check access."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Role
from reports.models import ImprovementTask
from reports.plan_catalogue import (
    ELEMENT_ORDER,
    SHIPPED_CATALOGUE,
    TaskData,
    create_task,
    load_shipped_catalogue,
    read_catalogue_file,
)

URL = "/quan-tri/bao-cao/ke-hoach/danh-muc/"
PROVINCE = "UBND tỉnh Lạng Sơn – Kế hoạch số 252/KH-UBND ngày 23/6/2026, Phụ lục II"
COMMUNE = "UBND xã Đình Lập – Kế hoạch số 235/KH-UBND ngày 06/7/2026, Phụ lục II"


def _raw() -> dict:
    return json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))


# --- The shipped file. ----------------------------------------------------------------------

def test_shipped_file_holds_every_seed_row_with_its_element():
    tasks = read_catalogue_file()
    # Rows counted by hand in /work/shared/seeds: the province's annex II has 8 policy rows and
    # 1 + 3 + 3 + 3 + 3 service rows (21); the commune's the same 21; the Đồng Đăng border-gate
    # zone's 2 + 3 + 3 + 2 + 2 (12); the Vân Phong annex 10 + 6 (part A) + 4 + 1 + 4 + 4 + 4 + 3
    # (part B) = 36.
    assert Counter(t.source for t in tasks) == {
        PROVINCE: 21, COMMUNE: 21,
        "Ban Quản lý Khu KTCK Đồng Đăng - Lạng Sơn – Kế hoạch số …/KH-BQLKKTCK (7/2026), "
        "Phụ lục II": 12,
        "Ban quản lý Khu kinh tế Vân Phong – Kế hoạch số …/KH-KKT (3/2023), Phụ lục": 36}
    assert [t.position for t in tasks] == list(range(1, 91))
    # The province's groups: A.1 accountability, A.2 participation, A.3–A.8 one policy area
    # each (I.C), then B.I–B.V = II.A–II.E.
    province = Counter(t.data.element for t in tasks if t.source == PROVINCE)
    assert province == {"I.A": 1, "I.B": 1, "I.C": 6, "II.A": 1, "II.B": 3, "II.C": 3,
                        "II.D": 3, "II.E": 3}
    assert {t.data.element for t in tasks} <= set(ELEMENT_ORDER)


def test_shipped_text_is_the_seed_text():
    by_ref = {(s["name"], t["ref"]): t for s in _raw()["sources"] for t in s["tasks"]}
    # Copied from seed 002 (province, B.II.3), typo "phân đầu" included, as the seed has it.
    row = by_ref[(PROVINCE, "B.II.3")]
    assert row["task_vi"] == (
        "Rà soát quy trình nội bộ, xác định các khâu, công đoạn dễ gây chậm trễ để có giải "
        "pháp khắc phục, phân đầu giảm tỷ lệ hồ sơ TTHC giải quyết trễ hạn xuống dưới 01%. "
        "Thực hiện nghiêm việc xin lỗi khi có hồ sơ trễ hạn.")
    assert (row["lead_vi"], row["cooperating_vi"], row["deadline_vi"]) == (
        "Các sở, ban, ngành; UBND cấp xã.", "Văn phòng UBND tỉnh", "Thường xuyên")
    # B.III.1 runs over a page break in the seed: both halves joined with one space.
    row = by_ref[(PROVINCE, "B.III.1")]
    assert row["task_vi"].endswith("quy tắc ứng xử cho CBCCVV, đặc biệt là đội ngũ làm việc "
                                   "tại Bộ phận Một cửa các cấp.")
    assert row["expected_result_vi"].startswith(
        "100% CBCCVV tại Trung tâm Phục vụ hành chính công tỉnh và Trung tâm Phục vụ")
    # The commune's B.V.1 is split over a page break inside every column.
    row = by_ref[(COMMUNE, "B.V.1")]
    assert row["lead_vi"] == "Trung tâm Phục vụ hành chính công"
    assert row["cooperating_vi"] == "Các cơ quan, đơn vị có liên quan"
    # Every text is NFC and free of the seeds' HTML markup.
    for entry in by_ref.values():
        for key in ("task_vi", "lead_vi", "cooperating_vi", "deadline_vi",
                    "expected_result_vi"):
            text = entry[key] or ""
            assert unicodedata.is_normalized("NFC", text)
            assert "<" not in text and ">" not in text


def test_bad_catalogue_file_names_the_row(tmp_path):
    document = _raw()
    document["sources"][1]["tasks"][2]["element"] = "II.Z"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"Đình Lập.*task 3 \(A\.3\): element"):
        read_catalogue_file(path)
    path.write_text(json.dumps({"format": 9, "sources": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        read_catalogue_file(path)


# --- Loading. -------------------------------------------------------------------------------

def _shipped_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_(None)))


def test_loading_twice_changes_nothing(app):
    first = load_shipped_catalogue()
    db.session.commit()
    assert (first.created, first.updated, first.retired) == (90, 0, 0)
    second = load_shipped_catalogue()
    db.session.commit()
    assert (second.created, second.updated, second.unchanged, second.retired) == (0, 0, 90, 0)
    assert _shipped_count() == 90


def test_loading_updates_shipped_rows_and_leaves_agency_rows(app, make_unit, make_user,
                                                             tmp_path):
    unit = make_unit("SO-X")
    analyst = make_user(Role.ANALYST, unit)
    load_shipped_catalogue()
    own = create_task(unit, TaskData(element="II.B", task_vi="Việc riêng của Sở X"), analyst)
    db.session.commit()
    document = _raw()
    document["sources"][0]["tasks"][0]["task_vi"] = "Nội dung đã sửa"
    document["sources"][-1]["tasks"].pop()   # the file's last task (position 90) goes away
    path = tmp_path / "next.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    report = load_shipped_catalogue(path)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged, report.retired) == (0, 1, 88, 1)
    first = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_(None), ImprovementTask.position == 1)).one()
    assert first.task_vi == "Nội dung đã sửa"
    last = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_(None), ImprovementTask.position == 90)).one()
    assert last.active is False
    db.session.refresh(own)
    assert (own.task_vi, own.active, own.position) == ("Việc riêng của Sở X", True, 1)
    # Back to the shipped file: the edited row and the retired one come back.
    report = load_shipped_catalogue()
    assert (report.created, report.updated, report.retired) == (0, 2, 0)


# --- Pages. ---------------------------------------------------------------------------------

@pytest.fixture
def setup(app, make_unit, make_user):
    province = make_unit("TINH", name_vi="UBND tỉnh Thử", kind="province")
    dept = make_unit("SO-A", parent=province, name_vi="Sở A")
    other = make_unit("KHAC", name_vi="Tỉnh khác", kind="province")
    load_shipped_catalogue()
    db.session.commit()
    return {"province": province, "dept": dept, "other": other,
            "analyst": make_user(Role.ANALYST, dept, username="phantich"),
            "viewer": make_user(Role.APPROVER, dept, username="lanhdao"),
            "outsider": make_user(Role.ANALYST, other, username="ngoai"),
            "admin": make_user(Role.SYSTEM_ADMIN, None, username="quantri")}


def _post_task(client, unit, **fields):
    data = {"unit": str(unit.id), "element": "II.C", "task_vi": "Tập huấn kỹ năng giao tiếp",
            "lead_vi": "Văn phòng Sở", "cooperating_vi": "", "deadline_vi": "Quý III/2026",
            "expected_result_vi": "100% công chức được tập huấn", "active": "y", **fields}
    return client.post(URL + "moi", data=data)


def test_catalogue_lists_tasks_by_element_and_filters(client, login, setup):
    login(client, setup["viewer"])
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr data-task=") == 90
    assert html.index('id="element-I.A"') < html.index('id="element-II.A"') \
        < html.index('id="element-general"')
    only = client.get(URL, query_string={"element": "II.B", "source": PROVINCE})
    html = only.get_data(as_text=True)
    assert html.count("<tr data-task=") == 3 and 'id="element-II.C"' not in html
    assert client.get(URL, query_string={"element": "II.Z"}).status_code == 400
    assert client.get(URL, query_string={"source": "Không có"}).status_code == 400


def test_analyst_adds_edits_and_deactivates_an_own_task(client, login, setup):
    login(client, setup["analyst"])
    response = _post_task(client, setup["dept"])
    assert response.status_code == 303
    task = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.owner_unit_id == setup["dept"].id)).one()
    assert (task.element, task.task_vi, task.deadline_vi, task.cooperating_vi, task.active) == (
        "II.C", "Tập huấn kỹ năng giao tiếp", "Quý III/2026", None, True)
    response = client.post(URL + str(task.id), data={
        "unit": str(setup["dept"].id), "element": "II.C", "task_vi": "Tập huấn (đã sửa)",
        "lead_vi": "Văn phòng Sở", "deadline_vi": "Quý IV/2026", "expected_result_vi": ""})
    assert response.status_code == 303
    db.session.refresh(task)
    # The unchecked box takes the task out of use; blanks are stored as NULL.
    assert (task.task_vi, task.deadline_vi, task.expected_result_vi, task.active) == (
        "Tập huấn (đã sửa)", "Quý IV/2026", None, False)
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "improvement_task")).all()
    assert actions == ["reports.task.created", "reports.task.updated"]
    # A task needs its text.
    assert _post_task(client, setup["dept"], task_vi="  ").status_code == 400


def test_shipped_tasks_are_read_only_but_can_be_copied(client, login, setup):
    login(client, setup["analyst"])
    shipped = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_(None), ImprovementTask.position == 10)).one()
    assert client.get(URL + str(shipped.id)).status_code == 409
    assert client.post(URL + str(shipped.id), data={"task_vi": "x"}).status_code == 409
    copy = client.get(URL + "moi", query_string={"from": shipped.id})
    assert copy.status_code == 200
    assert shipped.task_vi in copy.get_data(as_text=True)
    assert client.get(URL + "moi", query_string={"from": "abc"}).status_code == 400
    assert client.get(URL + "moi", query_string={"from": "999999"}).status_code == 404


def test_catalogue_access(client, login, setup):
    login(client, setup["analyst"])
    assert _post_task(client, setup["dept"]).status_code == 303
    task = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.owner_unit_id.is_not(None))).one()
    client.post("/dang-xuat")
    # A leader sees the catalogue but may not write to it.
    login(client, setup["viewer"])
    assert client.get(URL).status_code == 200
    assert _post_task(client, setup["dept"]).status_code == 403
    assert client.post(URL + str(task.id), data={"task_vi": "x"}).status_code == 403
    client.post("/dang-xuat")
    # Another province's analyst does not see the task at all, nor may write for Sở A.
    login(client, setup["outsider"])
    assert client.get(URL + str(task.id)).status_code == 404
    assert "Tập huấn kỹ năng giao tiếp" not in client.get(URL).get_data(as_text=True)
    assert _post_task(client, setup["dept"]).status_code == 400   # not a unit they may choose
    # Reloading the shipped tasks is for system administrators.
    assert client.post(URL + "nap-lai").status_code == 403
    client.post("/dang-xuat")
    login(client, setup["admin"])
    assert client.post(URL + "nap-lai").status_code == 303
    assert _shipped_count() == 90
