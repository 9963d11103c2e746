"""Improvement plans: drafting takes exactly the catalogue tasks of the elements under target,
the editor's changes persist (text, add, remove, move) and are audited, access is checked
(403 without publish, 404 outside the actor's units), bad input answers 400/404/409, and the
printable page and the XLSX export have the seeds' table."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Role
from reports import indices
from reports.indices import ElementGap
from reports.models import ImprovementPlan, ImprovementTask
from reports.plan_catalogue import SHIPPED_CATALOGUE, TaskData, create_task, load_shipped_catalogue
from reports.plans import draft_plan, ordered_rows, plan_version

URL = "/quan-tri/bao-cao/ke-hoach/"
PROVINCE = "UBND tỉnh Lạng Sơn – Kế hoạch số 252/KH-UBND ngày 23/6/2026, Phụ lục II"
COLUMNS = ["position", "element", "task_vi", "index_pct", "gap_points"]


def _seed_tasks(element: str, source: str | None = None) -> list[str]:
    """The task texts of ``element`` straight from the JSON file, in file order (read here
    without the loader, so the draft is checked against an independent reading)."""
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    return [t["task_vi"] for s in document["sources"] if source in (None, s["name"])
            for t in s["tasks"] if t["element"] == element]


def _rows_frame(plan: ImprovementPlan) -> pd.DataFrame:
    return pd.DataFrame([[r.position, r.element, r.task_vi, r.index_pct, r.gap_points]
                         for r in ordered_rows(plan)], columns=COLUMNS)


@pytest.fixture
def org(app, make_unit, make_user):
    province = make_unit("TINH", name_vi="UBND tỉnh Thử", kind="province")
    dept = make_unit("SO-A", parent=province, name_vi="Sở A")
    other = make_unit("KHAC", name_vi="Tỉnh khác", kind="province")
    load_shipped_catalogue()
    db.session.commit()
    return {"province": province, "dept": dept, "other": other,
            "analyst": make_user(Role.ANALYST, dept, username="phantich"),
            "province_analyst": make_user(Role.ANALYST, province, username="phantich.tinh"),
            "viewer": make_user(Role.APPROVER, dept, username="lanhdao"),
            "outsider": make_user(Role.ANALYST, other, username="ngoai")}


# Sở A under the 85% target on II.B (70%) and I.D (60%, which no catalogue task covers),
# above it on II.C (90%), II.E suppressed (no index).
GAPS = [ElementGap("II.C", 90.0, 85.0, 40), ElementGap("II.B", 70.0, 85.0, 40),
        ElementGap("II.E", None, 85.0, 3), ElementGap("I.D", 60.0, 85.0, 12)]


# --- Drafting. ------------------------------------------------------------------------------

def test_draft_takes_exactly_the_tasks_of_elements_under_target(org):
    result = draft_plan(org["dept"], GAPS, period_label="2026-H1", campaign_id=None,
                        actor=org["analyst"])
    db.session.commit()
    # I.D first (policy part), one blank row since the catalogue has nothing for it; then
    # every II.B task of the file in file order (province 3, commune 3, Đồng Đăng 3, Vân
    # Phong 1 + 4). Gaps: 85 − 60 = 25 and 85 − 70 = 15 points.
    ii_b = _seed_tasks("II.B")
    assert len(ii_b) == 14
    expected = pd.DataFrame(
        [[1, "I.D", "", 60.0, 25.0]]
        + [[2 + i, "II.B", text, 70.0, 15.0] for i, text in enumerate(ii_b)], columns=COLUMNS)
    assert_frame_equal(_rows_frame(result.plan), expected)
    assert (result.drafted, result.without_tasks, result.suppressed) == (
        ["II.B"], ["I.D"], ["II.E"])
    assert result.plan.title_vi.endswith("của Sở A (kỳ 2026-H1)")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "reports.plan.drafted")).one()
    assert entry.after["elements"] == ["I.D", "II.B"] and entry.after["rows"] == 15


def test_draft_from_one_source_with_own_tasks(org):
    parent_task = create_task(org["province"], TaskData(element="II.B", task_vi="Việc của tỉnh"),
                              org["province_analyst"])
    create_task(org["other"], TaskData(element="II.B", task_vi="Việc tỉnh khác"),
                org["outsider"])
    create_task(org["dept"], TaskData(element="II.B", task_vi="Việc cũ"), org["analyst"],
                active=False)
    result = draft_plan(org["dept"], [ElementGap("II.B", 80.5, 85.0, 50)],
                        period_label="2026", campaign_id=None, actor=org["analyst"],
                        source=PROVINCE)
    # The province plan's three II.B tasks, then the task of the unit above Sở A; not the
    # other province's, not an inactive one. Gap 85 − 80.5 = 4.5.
    texts = _seed_tasks("II.B", PROVINCE) + [parent_task.task_vi]
    expected = pd.DataFrame([[i + 1, "II.B", t, 80.5, 4.5] for i, t in enumerate(texts)],
                            columns=COLUMNS)
    assert_frame_equal(_rows_frame(result.plan), expected)


def test_draft_page(client, login, org, monkeypatch):
    calls = []

    def fake_gaps(unit, *, campaign_id, period_label):
        calls.append((unit.id, campaign_id, period_label))
        return [ElementGap("II.D", 75.0, 85.0, 30), ElementGap("I.D", None, 85.0, 2)]

    monkeypatch.setattr(indices, "element_gaps_for_plan", fake_gaps)
    login(client, org["analyst"])
    assert client.get(URL + "lap").status_code == 200
    response = client.post(URL + "lap", data={"unit": str(org["dept"].id), "campaign": "",
                                              "period_label": "2026-H1", "source": ""})
    assert response.status_code == 303
    plan = db.session.scalars(select(ImprovementPlan)).one()
    assert response.headers["Location"].endswith(f"/ke-hoach/{plan.id}")
    assert calls == [(org["dept"].id, None, "2026-H1")]
    assert {r.element for r in plan.rows} == {"II.D"}
    assert len(plan.rows) == len(_seed_tasks("II.D"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "too few answers" in page and "I.D" in page
    # Bad input: a period that is none of the four forms, neither period nor campaign, a
    # unit outside the choices, a campaign id that does not exist.
    for data in ({"period_label": "2026-H3"}, {"period_label": ""},
                 {"unit": str(org["other"].id)}, {"campaign": "424242"}):
        bad = client.post(URL + "lap", data={"unit": str(org["dept"].id), "campaign": "",
                                             "period_label": "2026-H1", **data})
        assert bad.status_code == 400, data
    assert len(calls) == 1


def test_draft_for_a_campaign(client, login, org, monkeypatch):
    from datetime import date

    from surveys.instruments import load_shipped_instruments
    from surveys.models import Campaign, InstrumentVersion

    load_shipped_instruments()
    version = db.session.scalars(select(InstrumentVersion)).first()
    wave = Campaign(code="SIPAS-2026-1", name_vi="SIPAS 2026 – đợt 1",
                    owner_unit_id=org["province"].id, version_id=version.id,
                    starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30), channels=["paper"])
    elsewhere = Campaign(code="KHAC-2026", name_vi="Khảo sát tỉnh khác",
                         owner_unit_id=org["other"].id, version_id=version.id,
                         starts_on=date(2026, 6, 1), ends_on=date(2026, 12, 31), channels=[])
    db.session.add_all([wave, elsewhere])
    db.session.commit()
    calls = []
    monkeypatch.setattr(indices, "element_gaps_for_plan", lambda unit, **kw: calls.append(kw)
                        or [ElementGap("II.A", 84.9, 85.0, 200)])
    login(client, org["analyst"])
    # The other province's campaign is not offered to Sở A's analyst.
    assert client.post(URL + "lap", data={"unit": str(org["dept"].id),
                                          "campaign": str(elsewhere.id)}).status_code == 400
    response = client.post(URL + "lap", data={"unit": str(org["dept"].id),
                                              "campaign": str(wave.id), "period_label": ""})
    assert response.status_code == 303
    # A June wave answers for the first half-year.
    assert calls == [{"campaign_id": wave.id, "period_label": "2026-H1"}]
    plan = db.session.scalars(select(ImprovementPlan)).one()
    assert (plan.campaign_id, plan.period_label) == (wave.id, "2026-H1")
    assert plan.title_vi.endswith("của Sở A (SIPAS 2026 – đợt 1)")
    # 85 − 84.9 points, unrounded.
    assert {r.gap_points for r in plan.rows} == {85.0 - 84.9}


def test_viewers_cannot_draft(client, login, org, make_user):
    desk = make_user(Role.DESK_STAFF, org["dept"], username="motcua")
    login(client, desk)
    assert client.get(URL).status_code == 403       # no report permission at all
    client.post("/dang-xuat")
    login(client, org["viewer"])
    assert client.get(URL).status_code == 200
    assert client.get(URL + "lap").status_code == 403
    assert client.post(URL + "lap", data={"unit": str(org["dept"].id),
                                          "period_label": "2026"}).status_code == 403


# --- The editor. ----------------------------------------------------------------------------

@pytest.fixture
def plan(org):
    result = draft_plan(org["dept"], [ElementGap("II.A", 70.0, 85.0, 40),
                                      ElementGap("II.C", 80.0, 85.0, 40)],
                        period_label="2026-H1", campaign_id=None, actor=org["analyst"],
                        source=PROVINCE)
    db.session.commit()
    return result.plan


def _form_data(plan: ImprovementPlan, **changes) -> dict:
    """What the editor posts: every row's fields in the order shown."""
    data = {"version": plan_version(plan), "title_vi": plan.title_vi, "action": "save",
            "new_task": "", "new_element": ""}
    for i, row in enumerate(ordered_rows(plan)):
        data.update({f"rows-{i}-id": str(row.id), f"rows-{i}-element": row.element,
                     f"rows-{i}-task_vi": row.task_vi, f"rows-{i}-lead_vi": row.lead_vi or "",
                     f"rows-{i}-cooperating_vi": row.cooperating_vi or "",
                     f"rows-{i}-deadline_vi": row.deadline_vi or "",
                     f"rows-{i}-expected_result_vi": row.expected_result_vi or ""})
    data.update(changes)
    return data


def _texts(plan: ImprovementPlan) -> list[tuple[str, str]]:
    db.session.expire_all()
    plan = db.session.get(ImprovementPlan, plan.id)
    return [(r.element, r.task_vi) for r in ordered_rows(plan)]


def test_edits_persist(client, login, org, plan):
    login(client, org["analyst"])
    url = f"{URL}{plan.id}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="rows-3-task_vi"' in page.get_data(as_text=True)
    start = _texts(plan)   # II.A: 1 task, II.C: 3 tasks (province plan)
    assert [e for e, _t in start] == ["II.A", "II.C", "II.C", "II.C"]
    response = client.post(url, data=_form_data(
        plan, title_vi="Kế hoạch của Sở A", **{"rows-1-task_vi": "Tập huấn (sửa)",
                                             "rows-1-deadline_vi": "Tháng 9/2026"}))
    assert response.status_code == 303
    db.session.expire_all()
    row = ordered_rows(db.session.get(ImprovementPlan, plan.id))[1]
    assert (row.task_vi, row.deadline_vi, row.index_pct, row.gap_points) == (
        "Tập huấn (sửa)", "Tháng 9/2026", 80.0, 5.0)
    assert db.session.get(ImprovementPlan, plan.id).title_vi == "Kế hoạch của Sở A"
    # Move the third II.C task up: it swaps with the second.
    plan = db.session.get(ImprovementPlan, plan.id)
    third = ordered_rows(plan)[3]
    client.post(url, data=_form_data(plan, action=f"up-{third.id}"))
    after = _texts(plan)
    assert after == [start[0], ("II.C", "Tập huấn (sửa)"), start[3], start[2]]
    # Moving the first row of an element up changes nothing.
    plan = db.session.get(ImprovementPlan, plan.id)
    client.post(url, data=_form_data(plan, action=f"up-{ordered_rows(plan)[0].id}"))
    assert _texts(plan) == after
    # Remove the II.A row.
    plan = db.session.get(ImprovementPlan, plan.id)
    client.post(url, data=_form_data(plan, action=f"remove-{ordered_rows(plan)[0].id}"))
    assert [e for e, _t in _texts(plan)] == ["II.C"] * 3
    # Add a catalogue task (it goes to the end of its element, with the element's gap) and a
    # blank row for an element not yet in the plan.
    plan = db.session.get(ImprovementPlan, plan.id)
    task = db.session.scalars(select(ImprovementTask).where(
        ImprovementTask.element == "II.C", ImprovementTask.source != PROVINCE)).first()
    client.post(url, data=_form_data(plan, action="add-task", new_task=str(task.id)))
    plan = db.session.get(ImprovementPlan, plan.id)
    client.post(url, data=_form_data(plan, action="add-blank", new_element="II.E"))
    db.session.expire_all()
    rows = ordered_rows(db.session.get(ImprovementPlan, plan.id))
    assert [(r.element, r.task_vi, r.gap_points) for r in rows[3:]] == [
        ("II.C", task.task_vi, 5.0), ("II.E", "", None)]
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]
    page = client.get(url).get_data(as_text=True)
    assert "1 row has no task yet" in page and 'class="plan-row blank"' in page
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "improvement_plan")).all()
    # Drafted, then five saves that changed something; the no-op move wrote nothing.
    assert actions == ["reports.plan.drafted"] + ["reports.plan.updated"] * 5


def test_editor_refuses_bad_input(client, login, org, plan):
    login(client, org["analyst"])
    url = f"{URL}{plan.id}"
    assert client.post(url, data=_form_data(plan, action="explode")).status_code == 400
    assert client.post(url, data=_form_data(plan, action="remove-999999")).status_code == 400
    assert client.post(url, data=_form_data(plan, action="add-task",
                                            new_task="999999")).status_code == 400
    assert client.post(url, data=_form_data(plan, **{"rows-0-element": "II.Z"})
                       ).status_code == 400
    assert client.post(url, data=_form_data(plan, **{"rows-0-deadline_vi": "x" * 256})
                       ).status_code == 400
    assert client.post(url, data=_form_data(plan, title_vi="")).status_code == 400
    # A save over a newer version of the plan is refused and shows the current plan.
    stale = _form_data(plan, version="0" * 16, **{"rows-0-task_vi": "Bản cũ"})
    response = client.post(url, data=stale)
    assert response.status_code == 409
    assert "Bản cũ" not in response.get_data(as_text=True)
    assert client.get(f"{URL}999999").status_code == 404
    assert client.get(f"{URL}999999/in").status_code == 404
    assert _texts(plan)[0][1] != "Bản cũ"


def test_plan_access(client, login, org, plan):
    url = f"{URL}{plan.id}"
    login(client, org["viewer"])
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="plan-table"' in page.get_data(as_text=True)     # read-only table, no form
    assert 'id="plan-form"' not in page.get_data(as_text=True)
    assert client.post(url, data=_form_data(plan)).status_code == 403
    assert client.post(f"{url}/xoa", data={"confirm": "yes"}).status_code == 403
    assert client.get(f"{url}/ke-hoach.xlsx").status_code == 200
    client.post("/dang-xuat")
    login(client, org["outsider"])
    for path in ("", "/in", "/ke-hoach.xlsx"):
        assert client.get(url + path).status_code == 404
    assert str(plan.title_vi) not in client.get(URL).get_data(as_text=True)
    client.post("/dang-xuat")
    login(client, org["analyst"])
    assert client.post(f"{url}/xoa").status_code == 400   # the box must be ticked
    assert client.post(f"{url}/xoa", data={"confirm": "yes"}).status_code == 303
    assert db.session.get(ImprovementPlan, plan.id) is None


# --- Printing and export. -------------------------------------------------------------------

def test_printable_page_has_the_seed_table(client, login, org, plan):
    login(client, org["viewer"])
    html = client.get(f"{URL}{plan.id}/in").get_data(as_text=True)
    table = html[html.index('id="plan-table"'):html.index("</table>", html.index(
        'id="plan-table"'))]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
    assert headers == ["No.", "Task", "Lead unit", "Cooperating units", "Time frame",
                       "Expected result / product"]
    # Part B, element I (II.A, one task) and II (II.C, three tasks), numbered 1… inside each.
    groups = re.findall(r'<tr class="(part|element)"[^>]*><th scope="rowgroup">([^<]*)</th>'
                        r'<th colspan="5" scope="colgroup">([^<]*)</th>', table)
    assert groups == [("part", "A", "PUBLIC ADMINISTRATIVE SERVICES"),
                      ("element", "I", "ACCESS TO SERVICES"),
                      ("element", "II", "CIVIL SERVANTS HANDLING THE CASE")]
    numbers = re.findall(r'<tr class="task"[^>]*>\s*<td class="c-no">(\d+)</td>', table)
    assert numbers == ["1", "1", "2", "3"]
    assert _seed_tasks("II.A", PROVINCE)[0] in table
    assert "PLAN" in html and plan.title_vi in html


def test_xlsx_export_cell_by_cell(client, login, org, plan):
    rows = ordered_rows(plan)
    rows[0].lead_vi = "=HYPERLINK(\"http://x\")"   # must come out as text
    db.session.commit()
    login(client, org["analyst"])
    response = client.get(f"{URL}{plan.id}/ke-hoach.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "PLAN" and sheet["A1"].font.bold
    assert sheet["A2"].value == plan.title_vi
    assert sheet["A3"].value == "Sở A – 2026-H1"
    header = [cell.value for cell in sheet[5]]
    assert header == ["No.", "Task", "Lead unit", "Cooperating units", "Time frame",
                      "Expected result / product"]
    assert all(cell.font.bold and cell.alignment.wrap_text for cell in sheet[5])
    assert [c.value for c in sheet[6]][:2] == ["A", "PUBLIC ADMINISTRATIVE SERVICES"]
    assert [c.value for c in sheet[7]][:2] == ["I", "ACCESS TO SERVICES"]
    first = rows[0]
    assert [c.value for c in sheet[8]] == [
        1, first.task_vi, "'=HYPERLINK(\"http://x\")", first.cooperating_vi,
        first.deadline_vi, first.expected_result_vi]
    assert sheet["B8"].alignment.wrap_text
    assert [c.value for c in sheet[9]][:2] == ["II", "CIVIL SERVANTS HANDLING THE CASE"]
    assert [sheet.cell(row=r, column=1).value for r in range(10, 13)] == [1, 2, 3]
    assert [sheet.cell(row=r, column=2).value for r in range(10, 13)] == \
        _seed_tasks("II.C", PROVINCE)
    assert sheet.max_row == 12
    assert (sheet.column_dimensions["B"].width, sheet.column_dimensions["F"].width) == (60, 44)
    assert sheet.freeze_panes == "A6"
