"""The PAKN case page: access (404 for another unit's case, 403 without the permission, both
logged), the transitions through the page (400 for missing input, 409 for a stale form),
internal notes, attachments and the routing panel."""

from __future__ import annotations

import struct
import zlib

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Role
from feedback.attachments import store_attachment
from feedback.models import FeedbackCase, FeedbackEvent
from feedback.tracking import format_tracking_code
from tests.feedback.helpers import FULL_CONTACT, assign, build_org, draft_answer, submit_case


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def case(org):
    return submit_case(org)


def _url(case: FeedbackCase, tail: str = "") -> str:
    return f"/quan-tri/pakn/{case.id}{tail}"


def _denied(user_id: int, case_id: int) -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.actor_user_id == user_id,
        AuditEntry.object_id == str(case_id)))


def _act(client, case, action, **data):
    return client.post(_url(case, f"/thao-tac/{action}"),
                       data={f"{action}-{key}": value for key, value in data.items()})


# --- Access. -------------------------------------------------------------------------------

def test_officer_sees_the_page_without_contact(client, login, org, case):
    login(client, org.officer)
    response = client.get(_url(case))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert format_tracking_code(case.tracking_code) in html
    assert "Thủ tục cấp giấy phép bị chậm 10 ngày." in html
    assert "no-store" in response.headers["Cache-Control"]
    for secret in (FULL_CONTACT.name, FULL_CONTACT.phone, FULL_CONTACT.email):
        assert secret not in html
    # Triage actions for a received case.
    for action in ("register", "assign", "transfer", "reject", "merge"):
        assert f"/thao-tac/{action}" in html
    assert "/thao-tac/start" not in html


def test_other_units_case_is_404_and_logged(client, login, org, case):
    login(client, org.outsider)
    assert client.get(_url(case)).status_code == 404
    assert _denied(org.outsider.id, case.id) is not None
    assert _act(client, case, "register").status_code == 404
    assert db.session.get(FeedbackCase, case.id).state == "received"


def test_missing_case_is_404(client, login, org):
    login(client, org.officer)
    assert client.get("/quan-tri/pakn/999999").status_code == 404


def test_visible_case_without_permission_is_403_and_logged(client, login, org, case):
    assign(case, org)
    login(client, org.handler)
    assert client.get(_url(case)).status_code == 200
    response = _act(client, case, "reassign", handling_unit=str(org.other_department.id),
                    reason="Không đúng thẩm quyền")
    assert response.status_code == 403
    assert "You may not do this on this case." in response.get_data(as_text=True)
    assert _denied(org.handler.id, case.id) is not None
    db.session.refresh(case)
    assert case.handling_unit_id == org.department.id


def test_unknown_action_is_404(client, login, org, case):
    login(client, org.officer)
    assert _act(client, case, "teleport").status_code == 404


# --- Transitions through the page. -----------------------------------------------------------

def test_register_then_stale_form_is_409(client, login, org, case):
    login(client, org.officer)
    response = _act(client, case, "register", expected_state="received")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_url(case))
    db.session.refresh(case)
    assert case.state == "registered" and case.register_number is not None
    # The same form again (another officer had it open): the case changed under it.
    response = _act(client, case, "register", expected_state="received")
    assert response.status_code == 409
    assert "has changed since you opened the page" in response.get_data(as_text=True)
    # Without the hidden state, the workflow itself refuses.
    response = _act(client, case, "register")
    assert response.status_code == 409
    assert "This cannot be done now" in response.get_data(as_text=True)


def test_assign_needs_classification_and_a_unit_in_the_register(client, login, org, case,
                                                                make_unit):
    login(client, org.officer)
    response = _act(client, case, "assign", handling_unit=str(org.department.id))
    assert response.status_code == 400
    assert "Classify the case" in response.get_data(as_text=True)
    elsewhere = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    response = _act(client, case, "assign", classification="in_competence",
                    handling_unit=str(elsewhere.id))
    assert response.status_code == 400
    assert db.session.get(FeedbackCase, case.id).state == "received"
    response = _act(client, case, "assign", classification="in_competence",
                    handling_unit=str(org.department.id), expected_state="received")
    assert response.status_code == 303
    db.session.refresh(case)
    assert (case.state, case.handling_unit_id) == ("assigned", org.department.id)


def test_transfer_reject_and_extend_inputs(client, login, org, make_user):
    login(client, org.officer)
    one = submit_case(org)
    response = _act(client, one, "transfer", reason="Thuộc thẩm quyền Bộ")
    assert response.status_code == 400
    assert "Name the agency" in response.get_data(as_text=True)
    assert _act(client, one, "transfer", reason="Thuộc thẩm quyền Bộ",
                transferred_to="Bộ Xây dựng").status_code == 303
    assert db.session.get(FeedbackCase, one.id).transferred_to == "Bộ Xây dựng"
    two = submit_case(org)
    assert _act(client, two, "reject").status_code == 400  # needs a reason
    assign(two, org)
    login(client, org.handler)
    assert _act(client, two, "extend", reason="Cần xác minh",
                extension_days="abc").status_code == 400
    assert _act(client, two, "extend", reason="Cần xác minh",
                extension_days="99").status_code == 400
    assert _act(client, two, "extend", reason="Cần xác minh",
                extension_days="5").status_code == 303
    assert db.session.get(FeedbackCase, two.id).extended is True
    assert "/thao-tac/extend" not in client.get(_url(two)).get_data(as_text=True)


def test_merge_by_tracking_code(client, login, org, case):
    login(client, org.officer)
    child = submit_case(org, content="Tôi cũng bị chậm giấy phép.")
    response = _act(client, child, "merge", reason="Cùng nội dung", master="ABC-DEF-GHJ")
    assert response.status_code == 400
    assert "No case has this tracking code." in response.get_data(as_text=True)
    response = _act(client, child, "merge", reason="Cùng nội dung",
                    master=format_tracking_code(case.tracking_code).lower())
    assert response.status_code == 303
    db.session.refresh(child)
    assert (child.state, child.master_id) == ("merged", case.id)
    html = client.get(_url(child)).get_data(as_text=True)
    assert f"/quan-tri/pakn/{case.id}" in html


def test_handler_works_the_case_from_the_page(client, login, org, case):
    assign(case, org)
    login(client, org.handler)
    html = client.get(_url(case)).get_data(as_text=True)
    assert "/thao-tac/start" in html and "/thao-tac/assign" not in html
    assert _act(client, case, "start", expected_state="assigned").status_code == 303
    assert _act(client, case, "pause").status_code == 400  # needs a reason
    assert _act(client, case, "pause", reason="Chờ bổ sung giấy tờ").status_code == 303
    assert db.session.get(FeedbackCase, case.id).state == "waiting"


# --- Notes. --------------------------------------------------------------------------------

def test_internal_notes(client, login, org, case):
    login(client, org.officer)
    response = client.post(_url(case, "/ghi-chu"), data={"note": "Gọi lại cho người gửi."})
    assert response.status_code == 303
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "note"))
    assert event.reason == "Gọi lại cho người gửi." and event.public is False
    html = client.get(_url(case)).get_data(as_text=True)
    assert "Gọi lại cho người gửi." in html and "internal" in html
    assert client.post(_url(case, "/ghi-chu"), data={"note": "  "}).status_code == 400
    login(client, org.outsider)
    assert client.post(_url(case, "/ghi-chu"), data={"note": "x"}).status_code == 404


def test_complaint_hint(client, login, org):
    login(client, org.officer)
    complaint = submit_case(org, content="Tôi khiếu nại quyết định xử phạt của phường.")
    html = client.get(_url(complaint)).get_data(as_text=True)
    assert 'id="complaint-hint"' in html
    plain = submit_case(org)
    assert 'id="complaint-hint"' not in client.get(_url(plain)).get_data(as_text=True)


# --- Attachments. ----------------------------------------------------------------------------

def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_attachment_download_is_access_checked(client, login, org, case):
    item = store_attachment(case, "ảnh hiện trường.png", _png())
    db.session.commit()
    login(client, org.officer)
    html = client.get(_url(case)).get_data(as_text=True)
    assert "ảnh hiện trường.png" in html
    response = client.get(_url(case, f"/tep/{item.id}"))
    assert response.status_code == 200
    assert response.data == _png()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    other = submit_case(org)
    assert client.get(_url(other, f"/tep/{item.id}")).status_code == 404
    login(client, org.outsider)
    assert client.get(_url(case, f"/tep/{item.id}")).status_code == 404


# --- Routing panel. ------------------------------------------------------------------------

def test_routing_panel_preselects_the_top_suggestion(client, login, org, case, monkeypatch):
    from types import SimpleNamespace

    from feedback.views.case import page, transitions

    suggestion = SimpleNamespace(unit=org.other_department, source="rule:1", confidence=0.9,
                                 reason="Chủ đề: tài chính")
    recorded = []
    # Patched where they are looked up: the page shows the suggestions, the action records them.
    for module in (page, transitions):
        monkeypatch.setattr(module, "_suggestions", lambda c: [suggestion])
    monkeypatch.setattr(transitions, "_record_routing",
                        lambda c, unit, suggestions: recorded.append((unit, suggestions)))
    login(client, org.officer)
    html = client.get(_url(case)).get_data(as_text=True)
    assert "Chủ đề: tài chính" in html and "confidence 90%" in html
    assert f'<option selected value="{org.other_department.id}">' in html
    response = _act(client, case, "assign", classification="in_competence",
                    handling_unit=str(org.department.id))
    assert response.status_code == 303
    assert recorded == [(org.department, [suggestion])]


def test_desk_staff_cannot_see_cases(client, login, org, case, make_user):
    desk = make_user(Role.DESK_STAFF, org.desk, username="desk")
    login(client, desk)
    assert client.get(_url(case)).status_code == 404


def test_approve_form_shows_what_the_handler_entered(client, login, org, case):
    from feedback.workflow import transition_case

    assign(case, org)
    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, "Kính gửi ông/bà, Sở đã khắc phục.",
                      letter_number="45/SNV-PAKN", signer_title="PHÓ GIÁM ĐỐC")
    transition_case(case, "submit_answer", org.handler)
    db.session.commit()
    login(client, org.approver)
    html = client.get(_url(case)).get_data(as_text=True)
    form = html.split('id="action-approve"')[1].split("</form>")[0]
    assert 'value="45/SNV-PAKN"' in form and 'value="PHÓ GIÁM ĐỐC"' in form


def test_answer_box_is_sized_for_a_letter(client, login, org, case):
    from feedback.workflow import transition_case

    assign(case, org)
    transition_case(case, "start", org.handler)
    db.session.commit()
    login(client, org.handler)
    html = client.get(_url(case)).get_data(as_text=True)
    box = html.split('id="answer-form"')[1].split("</textarea>")[0]
    assert 'rows="12"' in box
