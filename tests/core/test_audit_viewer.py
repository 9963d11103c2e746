"""The audit log viewer: filters, scope, bad filters, CSV export, and the append-only table."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit_labels import ACTION_LABELS
from core.extensions import db
from core.models import AuditEntry, Role
from core.spreadsheets import neutralise_cell
from tests.conftest import PASSWORD

LIST = "/quan-tri/nhat-ky"
BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def add_entry(app):
    def add(action: str = "unit.updated", at: datetime = BASE, **fields) -> AuditEntry:
        entry = AuditEntry(action=action, at=at, **fields)
        db.session.add(entry)
        db.session.commit()
        return entry

    return add


def shown_ids(response) -> list[int]:
    """Entry ids on a list page, in page order (each row links to its detail page)."""
    return [int(i) for i in re.findall(r'href="/quan-tri/nhat-ky/(\d+)"',
                                       response.get_data(as_text=True))]


@pytest.fixture
def tree(make_unit):
    province = make_unit("LS", kind="province")
    mine = make_unit("LS-A", parent=province)
    return {"province": province, "mine": mine, "child": make_unit("LS-A-1", parent=mine),
            "other": make_unit("LS-B", parent=province)}


@pytest.fixture
def global_admin(client, login, make_user):
    admin = make_user(Role.SYSTEM_ADMIN, username="root")
    login(client, admin)
    return admin


def test_filters_select_the_matching_entries(client, global_admin, add_entry, tree):
    # 16:59 UTC is 23:59 on 1 March in Vietnam (UTC+7); 17:00 UTC is already 2 March there.
    late = add_entry("demo.created", at=datetime(2024, 3, 1, 16, 59, tzinfo=UTC),
                     actor_label="alice", object_type="unit", object_id="7",
                     unit_id=tree["mine"].id, request_id="req-aaaa1111")
    early = add_entry("demo.updated", at=datetime(2024, 3, 1, 17, 0, tzinfo=UTC),
                      actor_label="bob", object_type="unit", object_id="8",
                      unit_id=tree["child"].id)
    other = add_entry("other.created", at=datetime(2024, 3, 3, tzinfo=UTC),
                      actor_label="alice", object_type="user", object_id="7",
                      unit_id=tree["other"].id)

    def ids(**args) -> set[int]:
        response = client.get(LIST, query_string=args)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return set(shown_ids(response))

    assert ids(date_to="2024-03-01") == {late.id}
    assert ids(date_from="2024-03-02", date_to="2024-03-02") == {early.id}
    assert ids(actor="ALICE") == {late.id, other.id}
    assert ids(action="demo.") == {late.id, early.id}
    assert ids(action="other.created") == {other.id}
    assert ids(object_type="unit", object_id="7") == {late.id}
    # The unit and its sub-units (with the unit.created entries of making the tree).
    assert ids(unit=str(tree["mine"].id), date_to="2024-12-31") == {late.id, early.id}
    assert ids(request_id="req-aaaa1111") == {late.id}
    assert ids(actor="alice", action="demo.") == {late.id}
    # An entry written without a label is found through the account's id.
    by_id = add_entry("demo.unlabelled", actor_user_id=global_admin.id)
    assert ids(actor="root", action="demo.") == {by_id.id}


def test_newest_first_fifty_per_page(client, global_admin, add_entry):
    entries = [add_entry("test.bulk", at=BASE + timedelta(minutes=i)) for i in range(51)]
    first = shown_ids(client.get(LIST, query_string={"action": "test.bulk"}))
    second = shown_ids(client.get(LIST, query_string={"action": "test.bulk", "page": 2}))
    assert first == [e.id for e in reversed(entries)][:50]
    assert second == [entries[0].id]


def test_a_unit_admin_sees_only_entries_of_their_subtree(client, login, make_user, add_entry,
                                                         tree):
    in_mine = add_entry(unit_id=tree["mine"].id)
    in_child = add_entry(unit_id=tree["child"].id)
    in_other = add_entry(unit_id=tree["other"].id)
    unitless = add_entry("settings.changed")
    login(client, make_user(Role.UNIT_ADMIN, unit=tree["mine"]))
    created = set(db.session.scalars(sa.select(AuditEntry.id).where(
        AuditEntry.action == "unit.created",
        AuditEntry.unit_id.in_([tree["mine"].id, tree["child"].id]))))
    assert len(created) == 2  # making LS-A and LS-A-1 was logged on those units
    visible = {in_mine.id, in_child.id, *created}

    assert set(shown_ids(client.get(LIST))) == visible
    assert client.get(f"{LIST}/{in_child.id}").status_code == 200
    assert client.get(f"{LIST}/{in_other.id}").status_code == 404
    assert client.get(f"{LIST}/{unitless.id}").status_code == 404
    # Asking for another unit's entries by id is a bad filter, not a way round the scope.
    assert client.get(LIST, query_string={"unit": tree["other"].id}).status_code == 400
    exported = client.get(f"{LIST}/xuat.csv").get_data().decode("utf-8-sig")
    exported_ids = {int(row[0]) for row in list(csv.reader(io.StringIO(exported)))[1:]}
    assert exported_ids == visible


def test_a_global_admin_sees_entries_without_a_unit(client, global_admin, add_entry, tree):
    unitless = add_entry("settings.changed")
    assert unitless.id in shown_ids(client.get(LIST))
    assert client.get(f"{LIST}/{unitless.id}").status_code == 200


def test_staff_without_audit_view_get_403(client, login, make_user, add_entry, tree):
    entry = add_entry(unit_id=tree["mine"].id)
    login(client, make_user(Role.HANDLER, unit=tree["mine"]))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{entry.id}").status_code == 403
    assert client.get(f"{LIST}/xuat.csv").status_code == 403


@pytest.mark.parametrize("args", [
    {"date_from": "2024-13-40"},
    {"date_from": "2024-03-05", "date_to": "2024-03-01"},
    {"action": "DROP TABLE audit_log"},
    {"unit": "999999"},
    {"unit": "abc"},
    {"object_type": "Unit;--"},
    {"request_id": "<script>"},
    {"actor": "x" * 121},
    {"actor": "bad\x00name"},
    {"page": "0"},
    {"page": "two"},
])
def test_bad_filters_answer_400(client, global_admin, args):
    assert client.get(LIST, query_string=args).status_code == 400


def test_a_bad_filter_is_explained_beside_its_field(client, global_admin):
    response = client.get(LIST, query_string={"date_from": "2024-03-05",
                                              "date_to": "2024-03-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="date_to-err">The end date is before the start date.' in page


def test_bad_filters_on_export_answer_400(client, global_admin):
    assert client.get(f"{LIST}/xuat.csv", query_string={"date_to": "nope"}).status_code == 400


def test_detail_page_highlights_the_changed_keys(client, global_admin, add_entry):
    entry = add_entry(before={"code": "LS-A", "name_vi": "Sở cũ"},
                      after={"code": "LS-A", "name_vi": "Sở mới", "hotline": "0205"},
                      reason="Đổi tên theo quyết định 12", request_id="req-bbbb2222")
    page = client.get(f"{LIST}/{entry.id}").get_data(as_text=True)
    changed = re.findall(r'<tr class="changed">\s*<th scope="row"><code>(\w+)</code>', page)
    assert changed == ["name_vi", "hotline"]  # "code" is unchanged
    assert "<del>Sở cũ</del>" in page and "<mark>Sở mới</mark>" in page
    assert "Đổi tên theo quyết định 12" in page and "req-bbbb2222" in page


def test_csv_export_neutralises_formula_cells(client, global_admin, add_entry):
    for reason in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "plain = text"):
        add_entry("test.csv", reason=reason)
    response = client.get(f"{LIST}/xuat.csv", query_string={"action": "test.csv"})
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads Vietnamese
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    reasons = {row[10] for row in rows[1:]}
    assert reasons == {"'=HYPERLINK(\"http://evil\")", "'+1+1", "'-2+3", "'@SUM(A1)",
                       "plain = text"}
    exported = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action ==
                                                             "audit.exported"))
    assert exported.after == {"action": "test.csv"}  # the export itself is logged


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-x", "'-x"), ("@A1", "'@A1"),
    ("\tcmd", "'\tcmd"), ("Sở Nội vụ", "Sở Nội vụ"), ("a=b", "a=b"), ("", ""),
    (-5, -5), (None, None),
])
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


@pytest.mark.parametrize("statement", [
    sa.update(AuditEntry).values(action="tampered"),
    sa.delete(AuditEntry),
])
def test_audit_log_is_append_only_in_the_database(app, add_entry, statement):
    # The trigger comes from the migration, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
    entry = add_entry("unit.created", reason="original")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(statement)
        db.session.flush()
    db.session.rollback()
    kept = db.session.execute(sa.select(AuditEntry.action, AuditEntry.reason)
                              .where(AuditEntry.id == entry.id)).one()
    assert tuple(kept) == ("unit.created", "original")


@pytest.fixture
def own_context_client(make_app):
    """A client of a second app on the same database: its requests push their own app context
    (and so their own database session) and end it before the body is read, as in production.
    The usual ``client`` shares the test's context, which hides objects detached at teardown."""
    served = make_app()
    browser = served.test_client()
    browser.set_cookie("lang", "en", domain="localhost")
    return browser


def test_csv_export_of_a_unit_admin_parses_when_the_request_ends_before_the_body(
        own_context_client, make_user, add_entry, tree):
    # Before the fix: Flask ended the request's session before the streamed body was read, so
    # the units loaded by the view were detached (DetachedInstanceError, a 500).
    entry_id = add_entry("unit.updated", unit_id=tree["child"].id, actor_label="=cmd()",
                         reason="Sửa tên, theo công văn số 12").id
    admin = make_user(Role.UNIT_ADMIN, unit=tree["mine"])
    username = admin.username
    db.session.rollback()  # the test's own transaction must not hold SQLite's write lock
    response = own_context_client.post("/dang-nhap", data={"username": username,
                                                           "password": PASSWORD})
    assert response.status_code == 302
    response = own_context_client.get(f"{LIST}/xuat.csv", query_string={"action": "unit.updated"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Id", "Time", "Account", "Action"]
    assert len(rows) == 2
    assert rows[1][0] == str(entry_id)
    assert rows[1][2] == "'=cmd()"  # still neutralised
    assert rows[1][3:5] == ["unit.updated", "Unit changed"]  # the code and its words
    assert rows[1][7] == "LS-A-1"  # the unit's code, read from the units the view loaded
    assert rows[1][10] == "Sửa tên, theo công văn số 12"
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def _cells(response, row_id: int) -> list[str]:
    """The text of each cell of the list row linking to entry ``row_id``."""
    page = response.get_data(as_text=True)
    row = re.search(rf'<tr>\s*<td><a href="/quan-tri/nhat-ky/{row_id}">.*?</tr>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row.group(0), re.S)]


def test_the_list_shows_actions_in_words_with_a_fallback(client, global_admin, add_entry):
    known = add_entry("user.role_granted", object_type="user", object_id="5")
    unknown_area = add_entry("feedback.something_new")
    unknown = add_entry("mystery.thing")
    response = client.get(LIST)
    assert _cells(response, known.id)[2] == "Role granted"
    assert _cells(response, known.id)[3] == "Account #5"  # the object type in words too
    assert _cells(response, unknown_area.id)[2] == "PAKN: feedback.something_new"
    assert _cells(response, unknown.id)[2] == "mystery.thing"
    assert 'title="user.role_granted">Role granted</span>' in response.get_data(as_text=True)
    detail = client.get(f"{LIST}/{known.id}").get_data(as_text=True)
    assert "Role granted <code>user.role_granted</code>" in detail
    # The action filter offers words too, and an area's every action.
    form = client.get(LIST).get_data(as_text=True)
    assert '<option value="user.role_granted">Role granted</option>' in form
    assert '<option value="user.">Staff accounts: every action (user.*)</option>' in form


def test_the_list_speaks_vietnamese(client_vi, global_admin, login, add_entry):
    login(client_vi, global_admin)
    entry = add_entry("feedback.approve")
    assert _cells(client_vi.get(LIST), entry.id)[2] == "Duyệt dự thảo trả lời PAKN"


def test_every_action_written_by_the_code_has_words():
    """A new action code in the code base needs its words in core.audit_labels."""
    root = Path(__file__).resolve().parents[2]
    written = set()
    for package in ("core", "surveys", "feedback", "reports"):
        for path in (root / package).rglob("*.py"):
            written |= set(re.findall(r'(?:record_audit(?:_now)?|_audit(?:_version)?)\(\s*"'
                                      r'([a-z_]+\.[a-z_.]+)"', path.read_text("utf-8")))
    assert written - set(ACTION_LABELS) == set()


def test_long_values_are_cut_in_the_list_and_whole_on_the_entry_page(client, global_admin,
                                                                      add_entry):
    long_reason = "Lý do rất dài " * 30
    entry = add_entry("unit.updated", reason=long_reason, actor_label="x" * 120,
                      after={"name_vi": "Tên rất dài " * 20})
    cells = _cells(client.get(LIST), entry.id)
    assert len(cells[1]) <= 40 and len(cells[6]) <= 120 and cells[6].endswith("…")
    detail = client.get(f"{LIST}/{entry.id}").get_data(as_text=True)
    assert long_reason.strip() in detail and ("Tên rất dài " * 20).strip() in detail
