"""PAKN queues: who sees what, filters, search with and without diacritics, pagination,
exports (formula-safe, no contact data) and bulk assignment."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from core import create_app
from core.clock import now
from core.extensions import db
from core.models import AuditEntry, Role
from feedback import queues
from feedback.models import CaseState, FeedbackCase
from feedback.queues import CaseFilters, bulk_assign, list_cases
from feedback.tracking import format_tracking_code
from feedback.workflow import TransitionInput, transition_case
from tests.conftest import BASE_CONFIG, PASSWORD
from tests.feedback.helpers import FULL_CONTACT, assign, build_org, submit_case

pytestmark = pytest.mark.usefixtures("english_messages")

@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def cases(org):
    """new: received in the province register; ours: assigned to the department;
    theirs: assigned to the other department."""
    new = submit_case(org, content="Thủ tục cấp giấy phép xây dựng bị chậm 10 ngày.",
                      topic="procedures")
    ours = submit_case(org, content="Cán bộ quầy số 1 thái độ không đúng mực.",
                       topic="staff_conduct", channel="hotline")
    assign(ours, org)
    theirs = submit_case(org, content="Đường ngập nước sau mưa.", topic="road_traffic",
                         kind="recommendation")
    assign(theirs, org, org.other_department)
    return {"new": new, "ours": ours, "theirs": theirs}


def _ids(rows) -> set[int]:
    return {row.id for row in rows}


# --- Scopes. -------------------------------------------------------------------------------

def test_officer_inbox_sees_the_whole_register(org, cases):
    rows, total = list_cases(org.officer, CaseFilters())
    assert total == 3
    assert _ids(rows) == {c.id for c in cases.values()}
    names = {row.id: row.handling_unit_name for row in rows}
    assert names[cases["ours"].id] == "Sở Nội vụ"
    assert names[cases["new"].id] is None
    assert {row.agency_name for row in rows} == {"UBND tỉnh Thử nghiệm"}


def test_handler_sees_only_their_units_handling_states(org, cases):
    rows, total = list_cases(org.handler, CaseFilters(), scope="unit")
    assert (_ids(rows), total) == ({cases["ours"].id}, 1)
    # The officer holds no handling role: the unit queue is empty for them.
    assert list_cases(org.officer, CaseFilters(), scope="unit") == ([], 0)
    # Once answered, the case leaves the unit queue unless the state filter asks for it.
    from tests.feedback.helpers import answer_and_send
    answer_and_send(cases["ours"], org)
    assert list_cases(org.handler, CaseFilters(), scope="unit")[1] == 0
    rows, _total = list_cases(org.handler, CaseFilters(states=["answered"]), scope="unit")
    assert _ids(rows) == {cases["ours"].id}
    # A state outside the unit queue's reach is ignored there (nothing leaks).
    assert list_cases(org.handler, CaseFilters(states=["received"]), scope="unit")[1] == 0


def test_outsider_sees_nothing_of_other_units(org, cases, make_user, make_unit):
    rows, _total = list_cases(org.outsider, CaseFilters())
    assert _ids(rows) == {cases["theirs"].id}
    elsewhere = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    stranger = make_user(Role.PAKN_OFFICER, elsewhere, username="stranger")
    assert list_cases(stranger, CaseFilters()) == ([], 0)
    assert list_cases(stranger, CaseFilters(q=cases["new"].tracking_code)) == ([], 0)


def test_inbox_page_requires_a_pakn_role(client, login, org, cases, make_user):
    nobody = make_user(username="nobody")
    login(client, nobody)
    assert client.get("/quan-tri/pakn/").status_code == 403
    assert client.get("/quan-tri/pakn/don-vi").status_code == 403
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.actor_user_id == nobody.id))


def test_anonymous_is_sent_to_sign_in(client, org):
    response = client.get("/quan-tri/pakn/")
    assert response.status_code == 302
    assert "/dang-nhap" in response.headers["Location"]


def test_inbox_page_lists_cases_with_light_text_and_menu(client, login, org, cases):
    login(client, org.officer)
    response = client.get("/quan-tri/pakn/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for case in cases.values():
        assert format_tracking_code(case.tracking_code) in html
    assert "Cases found: 3" in html
    # A colour and a word: the formal cases have a 5-working-day transfer limit.
    assert 'class="light light-green"' in html or 'class="light light-amber"' in html
    assert "On time" in html or "Due soon" in html
    assert "PAKN inbox" in html and "/quan-tri/pakn/don-vi" in html
    assert FULL_CONTACT.phone not in html and FULL_CONTACT.name not in html


def test_new_cases_are_marked_and_states_are_tick_boxes(client, login, org, cases):
    """New: received since the last working day began and not registered yet."""
    old = submit_case(org, content="Phản ánh gửi từ tuần trước, chưa ai vào sổ.")
    old.received_at = now() - timedelta(days=10)
    db.session.commit()
    login(client, org.officer)
    html = client.get("/quan-tri/pakn/").get_data(as_text=True)
    rows = {row.split('href="/quan-tri/pakn/')[1].split('"')[0]: row
            for row in html.split("<tr")[1:] if 'href="/quan-tri/pakn/' in row}
    assert "badge-new" in rows[str(cases["new"].id)]
    assert "badge-new" not in rows[str(old.id)]
    assert "badge-new" not in rows[str(cases["ours"].id)]  # assigned: acted on
    boxes = re.findall(r'<input[^>]*name="state"[^>]*>', html)
    assert len(boxes) == len(CaseState) and all('type="checkbox"' in box for box in boxes)
    assert "Hold Ctrl" not in html and "<select multiple" not in html
    ticked = client.get("/quan-tri/pakn/", query_string=[("state", "assigned")])
    checked = re.findall(r'<input[^>]*name="state"[^>]*>', ticked.get_data(as_text=True))
    assert [box for box in checked if "checked" in box] == [
        box for box in checked if 'value="assigned"' in box]


def test_new_case_clause_in_the_unit_queue(org, cases):
    rows, _total = list_cases(org.handler, CaseFilters(), scope="unit")
    assert [row.is_new for row in rows] == [True]  # assigned today, not started
    transition_case(cases["ours"], "start", org.handler)
    db.session.commit()
    rows, _total = list_cases(org.handler, CaseFilters(), scope="unit")
    assert [row.is_new for row in rows] == [False]


def test_unit_page_for_handler_and_approver(client, login, org, cases):
    login(client, org.approver)
    html = client.get("/quan-tri/pakn/don-vi").get_data(as_text=True)
    assert format_tracking_code(cases["ours"].tracking_code) in html
    assert format_tracking_code(cases["theirs"].tracking_code) not in html
    assert "<h1>My unit's PAKN</h1>" in html
    assert 'name="case_ids"' not in html  # no bulk assignment for approvers


# --- Filters and search. -------------------------------------------------------------------

def test_filters(org, cases):
    officer = org.officer

    def found(**kw) -> set[int]:
        return _ids(list_cases(officer, CaseFilters(**kw))[0])

    assert found(states=["assigned"]) == {cases["ours"].id, cases["theirs"].id}
    assert found(states=["received", "assigned"]) == {c.id for c in cases.values()}
    assert found(channel="hotline") == {cases["ours"].id}
    assert found(kind="recommendation") == {cases["theirs"].id}
    assert found(topic="procedures") == {cases["new"].id}
    assert found(handling_unit_id=org.other_department.id) == {cases["theirs"].id}
    assert found(agency_id=org.province.id) == {c.id for c in cases.values()}
    assert found(agency_id=org.department.id) == set()
    today = now().date()
    assert found(received_from=today - timedelta(days=1), received_to=today + timedelta(
        days=1)) == {c.id for c in cases.values()}
    assert found(received_from=today + timedelta(days=2)) == set()
    assert found(received_to=date(2000, 1, 1)) == set()


def test_due_filters(org, cases):
    cases["new"].due_at = now() - timedelta(hours=1)
    cases["ours"].due_at = now() + timedelta(hours=1)
    cases["theirs"].due_at = None
    db.session.commit()

    def found(due: str) -> set[int]:
        return _ids(list_cases(org.officer, CaseFilters(due=due))[0])

    assert found("overdue") == {cases["new"].id}
    assert found("soon") == {cases["ours"].id}
    assert found("none") == {cases["theirs"].id}
    rows, _total = list_cases(org.officer, CaseFilters())
    # Most urgent first, cases without a deadline last.
    assert [row.id for row in rows] == [cases["new"].id, cases["ours"].id, cases["theirs"].id]


@pytest.mark.parametrize("query", ["giấy phép xây dựng", "giay phep xay dung", "GIAY PHEP",
                                   "Giấy Phép", "giay   phep"])
def test_search_with_and_without_diacritics(org, cases, query):
    rows, total = list_cases(org.officer, CaseFilters(q=query))
    assert (_ids(rows), total) == ({cases["new"].id}, 1)


def test_search_by_tracking_code_and_register_number(org, cases):
    case = cases["ours"]
    pretty = format_tracking_code(case.tracking_code).lower()
    assert _ids(list_cases(org.officer, CaseFilters(q=pretty))[0]) == {case.id}
    number = case.register_number  # "00001/2026"
    assert number is not None
    assert _ids(list_cases(org.officer, CaseFilters(q=number))[0]) == {case.id}
    assert _ids(list_cases(org.officer, CaseFilters(q=number.lstrip("0")))[0]) == {case.id}
    # LIKE wildcards in the query are plain characters.
    assert list_cases(org.officer, CaseFilters(q="%"))[1] == 0
    assert list_cases(org.officer, CaseFilters(q="_"))[1] == 0


def test_search_through_the_page(client, login, org, cases):
    login(client, org.officer)
    html = client.get("/quan-tri/pakn/", query_string={"q": "ngap nuoc"}).get_data(as_text=True)
    assert format_tracking_code(cases["theirs"].tracking_code) in html
    assert format_tracking_code(cases["new"].tracking_code) not in html
    html = client.get("/quan-tri/pakn/", query_string=[("state", "assigned"),
                                                      ("topic", "staff_conduct")]
                      ).get_data(as_text=True)
    assert format_tracking_code(cases["ours"].tracking_code) in html
    assert "Cases found: 1" in html


def test_filters_fold_away_until_used(client, login, org, cases):
    # On a phone the filter form would push the cases a screen down: it is folded (a closed
    # <details>) until a filter is in use or wrong, and then it opens to show what is set.
    login(client, org.officer)
    plain = client.get("/quan-tri/pakn/").get_data(as_text=True)
    assert '<details class="pakn-filter-box">' in plain and "filters in use" not in plain
    assert plain.index("pakn-filter-box") < plain.index('id="pakn-cases"')
    for args, status in (({"q": "ngap nuoc"}, 200), ({"page": "2"}, 200),
                         ({"due": "later"}, 400)):
        response = client.get("/quan-tri/pakn/", query_string=args)
        html = response.get_data(as_text=True)
        assert response.status_code == status
        opened = '<details class="pakn-filter-box" open>' in html
        assert opened is ("page" not in args), args  # turning a page is not filtering


@pytest.mark.parametrize("args", [{"page": "0"}, {"page": "x"}, {"state": "nonsense"},
                                  {"due": "later"}, {"received_from": "31/02/2026"},
                                  {"received_from": "2026-03-02", "received_to": "2026-03-01"},
                                  {"handling_unit": "999999"}])
def test_bad_filters_answer_400(client, login, org, cases, args):
    login(client, org.officer)
    assert client.get("/quan-tri/pakn/", query_string=args).status_code == 400


def test_merged_cases_follow_their_master(org, cases):
    child = submit_case(org, content="Thủ tục cấp giấy phép chậm, tôi cũng gặp.")
    transition_case(child, "merge", org.officer, TransitionInput(
        master=cases["new"], reason="Cùng nội dung"))
    db.session.commit()
    assert child.id not in _ids(list_cases(org.officer, CaseFilters())[0])
    assert _ids(list_cases(org.officer, CaseFilters(states=["merged"]))[0]) == {child.id}


# --- Pagination. ---------------------------------------------------------------------------

def test_pagination(client, login, org, cases, monkeypatch):
    first, total = list_cases(org.officer, CaseFilters(), per_page=2)
    second, _ = list_cases(org.officer, CaseFilters(), page=2, per_page=2)
    assert total == 3 and len(first) == 2 and len(second) == 1
    assert _ids(first) | _ids(second) == {c.id for c in cases.values()}
    assert list_cases(org.officer, CaseFilters(), page=5, per_page=2) == ([], 3)
    monkeypatch.setattr(queues, "PER_PAGE", 2)
    login(client, org.officer)
    html = client.get("/quan-tri/pakn/", query_string={"page": 2, "topic": ""}
                      ).get_data(as_text=True)
    assert "Page 2 of 2" in html and 'rel="prev"' in html and 'rel="next"' not in html
    page_one = client.get("/quan-tri/pakn/").get_data(as_text=True)
    assert "Page 1 of 2" in page_one and "page=2" in page_one


# --- Exports. ------------------------------------------------------------------------------

@pytest.fixture
def formula_case(org):
    return submit_case(org, content="=HYPERLINK(\"http://evil.example\",\"bấm vào\") nội dung",
                       title="=cmd|' /C calc'!A0")


def test_csv_export_is_formula_safe_and_has_no_contact(client, login, org, cases,
                                                        formula_case):
    login(client, org.officer)
    response = client.get("/quan-tri/pakn/xuat.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Tracking code" and rows[0][-1] == "Title" and len(rows[0]) == 12
    assert len(rows) == 1 + 4
    titles = {row[0]: row[-1] for row in rows[1:]}
    assert titles[formula_case.tracking_code] == "'=cmd|' /C calc'!A0"
    for secret in (FULL_CONTACT.name, FULL_CONTACT.phone, FULL_CONTACT.email,
                   FULL_CONTACT.address, "0912"):
        assert secret not in text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.exported"))


def test_xlsx_export_is_formula_safe_and_filtered(client, login, org, cases, formula_case):
    login(client, org.officer)
    response = client.get("/quan-tri/pakn/xuat.xlsx", query_string={"topic": "other"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Tracking code"
    assert [row[0] for row in values[1:]] == [formula_case.tracking_code]
    assert values[1][-1] == "'=cmd|' /C calc'!A0"
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in values for v in row)
    flat = " ".join(str(v) for row in values for v in row)
    assert FULL_CONTACT.name not in flat and FULL_CONTACT.phone not in flat


def test_unit_export_and_bad_format(client, login, org, cases):
    login(client, org.handler)
    text = client.get("/quan-tri/pakn/don-vi/xuat.csv").get_data(as_text=True)
    assert cases["ours"].tracking_code in text
    assert cases["theirs"].tracking_code not in text
    assert cases["new"].tracking_code not in text
    assert client.get("/quan-tri/pakn/xuat.pdf").status_code == 404


# --- Bulk assignment. ----------------------------------------------------------------------

def test_bulk_assign_service_skips_refused(org, cases):
    extra = submit_case(org, content="Một phản ánh khác.")
    report = bulk_assign(org.officer, [cases["new"].id, cases["ours"].id, extra.id, 999999],
                         org.department, "in_competence")
    db.session.commit()
    assert {r.case_id for r in report.assigned} == {cases["new"].id, extra.id}
    skipped = {r.case_id: r.message for r in report.skipped}
    assert set(skipped) == {cases["ours"].id, 999999}
    assert "cannot be done now" in skipped[cases["ours"].id]
    for case in (cases["new"], extra):
        db.session.refresh(case)
        assert case.state == "assigned" and case.handling_unit_id == org.department.id


def test_bulk_assign_refuses_bad_input(org, cases):
    from core.exceptions import ServiceError
    with pytest.raises(ServiceError) as error:
        bulk_assign(org.officer, [cases["new"].id], org.department, "not_accepted")
    assert error.value.status == 400
    with pytest.raises(ServiceError):
        bulk_assign(org.officer, [], org.department, "in_competence")
    # A handler may not triage: every case is skipped, nothing changes.
    report = bulk_assign(org.handler, [cases["new"].id], org.department, "in_competence")
    assert not report.assigned
    db.session.rollback()
    assert db.session.get(FeedbackCase, cases["new"].id).state == "received"


def test_bulk_assign_page(client, login, org, cases):
    login(client, org.officer)
    response = client.post("/quan-tri/pakn/giao-hang-loat", data={
        "case_ids": [str(cases["new"].id), str(cases["ours"].id)],
        "handling_unit": str(org.department.id), "classification": "conduct",
        "back": "topic=procedures&evil=x"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/quan-tri/pakn/?topic=procedures")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 case(s) assigned to Sở Nội vụ." in html
    assert f"{cases['ours'].tracking_code} skipped" in html
    db.session.refresh(cases["new"])
    assert cases["new"].state == "assigned" and cases["new"].classification == "conduct"


def test_bulk_assign_needs_triage_and_csrf(client, login, org, cases, app):
    login(client, org.handler)
    response = client.post("/quan-tri/pakn/giao-hang-loat", data={
        "case_ids": [str(cases["new"].id)], "handling_unit": str(org.department.id),
        "classification": "conduct"})
    assert response.status_code == 403
    login(client, org.officer)
    assert client.post("/quan-tri/pakn/giao-hang-loat", data={
        "case_ids": ["abc"], "handling_unit": str(org.department.id),
        "classification": "conduct"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/quan-tri/pakn/giao-hang-loat", data={
            "case_ids": [str(cases["new"].id)], "handling_unit": str(org.department.id),
            "classification": "conduct"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(cases["new"])
    assert cases["new"].state == "received"


# --- Exports in a request of its own (as in production). ----------------------------------

EXPORTS = [
    ("officer", "/quan-tri/pakn/xuat.csv", {"new", "ours", "theirs"}),
    ("handler", "/quan-tri/pakn/xuat.csv", {"ours"}),
    ("approver", "/quan-tri/pakn/xuat.csv", {"ours"}),
    ("handler", "/quan-tri/pakn/don-vi/xuat.csv", {"ours"}),
    ("approver", "/quan-tri/pakn/don-vi/xuat.csv", {"ours"}),
    ("admin", "/quan-tri/pakn/xuat.csv", {"new", "ours", "theirs"}),
    ("admin", "/quan-tri/pakn/don-vi/xuat.csv", {"ours", "theirs"}),
]


def test_csv_export_streams_in_its_own_request(database_url, tmp_path, make_user, org, cases):
    """As in production: an app without the tests' teardown (which forgets the signed-in
    user), each request with its own app context and session, removed when the view returns,
    before the streamed CSV is read. Every role got a 500 there (DetachedInstanceError on the
    user's grants), although the tests' shared session hid it."""
    admin = make_user(Role.SYSTEM_ADMIN)
    usernames = {who: getattr(org, who).username for who in ("officer", "handler", "approver")}
    usernames["admin"] = admin.username
    codes = {name: case.tracking_code for name, case in cases.items()}
    db.session.commit()  # end this test's transaction: the other app's requests write
    served = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                         "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    try:
        for who, path, expected in EXPORTS:
            client = served.test_client()
            client.set_cookie("lang", "en", domain="localhost")
            assert client.post("/dang-nhap", data={"username": usernames[who],
                                                   "password": PASSWORD}).status_code == 302
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            text = response.get_data(as_text=True)
            rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
            assert rows[0][0] == "Tracking code"
            assert {row[0] for row in rows[1:]} == {codes[name] for name in expected}, who
    finally:
        with served.app_context():
            db.engine.dispose()
