"""Revealing the sender's contact data: only roles with FEEDBACK_CONTACT_VIEW on the case,
every reveal logged (audit + timeline, without the data itself), never cached."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.access import ROLE_PERMISSIONS, Permission
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from feedback.contact import reveal_contact
from feedback.models import FeedbackEvent
from tests.feedback.helpers import FULL_CONTACT, assign, build_org, draft_answer, submit_case


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def case(org):
    return submit_case(org)


def _reveals(case) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_reveal", AuditEntry.object_id == str(case.id))))


def test_officer_reveals_with_a_reason_and_it_is_logged(client, login, org, case):
    login(client, org.officer)
    page = client.get(f"/quan-tri/pakn/{case.id}")
    assert FULL_CONTACT.phone not in page.get_data(as_text=True)
    assert 'id="reveal-form"' in page.get_data(as_text=True)
    response = client.post(f"/quan-tri/pakn/{case.id}/lien-he",
                           data={"reason": "Gọi điện xác minh nội dung"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for value in (FULL_CONTACT.name, FULL_CONTACT.phone, FULL_CONTACT.email):
        assert value in html
    # Shown in that response only: the next page view is hidden again.
    assert FULL_CONTACT.phone not in client.get(f"/quan-tri/pakn/{case.id}").get_data(
        as_text=True)
    [entry] = _reveals(case)
    assert entry.actor_user_id == org.officer.id
    assert entry.reason == "Gọi điện xác minh nội dung"
    logged = f"{entry.before} {entry.after} {entry.reason}"
    assert FULL_CONTACT.phone not in logged and FULL_CONTACT.name not in logged
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "contact_reveal"))
    assert event.actor_id == org.officer.id and event.public is False
    assert FULL_CONTACT.phone not in (event.reason or "")


def test_reason_is_required(client, login, org, case):
    login(client, org.officer)
    response = client.post(f"/quan-tri/pakn/{case.id}/lien-he", data={"reason": " "})
    assert response.status_code == 400
    assert FULL_CONTACT.phone not in response.get_data(as_text=True)
    assert _reveals(case) == []


def test_get_does_not_reveal(client, login, org, case):
    login(client, org.officer)
    assert client.get(f"/quan-tri/pakn/{case.id}/lien-he").status_code == 405


def test_other_unit_is_404_and_logged(client, login, org, case):
    login(client, org.outsider)
    response = client.post(f"/quan-tri/pakn/{case.id}/lien-he", data={"reason": "x"})
    assert response.status_code == 404
    assert _reveals(case) == []
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.actor_user_id == org.outsider.id))


def test_handler_and_approver_of_the_handling_unit_may_reveal(client, login, org, case):
    assign(case, org)
    for user in (org.handler, org.approver):
        login(client, user)
        response = client.post(f"/quan-tri/pakn/{case.id}/lien-he",
                               data={"reason": "Trả lời bằng văn bản"})
        assert response.status_code == 200
        assert FULL_CONTACT.address in response.get_data(as_text=True)
    assert {e.actor_user_id for e in _reveals(case)} == {org.handler.id, org.approver.id}


def test_role_without_contact_view_is_refused(app, client, login, org, case, monkeypatch):
    """A role that may see the case but not contact data gets 403 (logged), no button."""
    assign(case, org)
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.HANDLER, ROLE_PERMISSIONS[Role.HANDLER]
                        - {Permission.FEEDBACK_CONTACT_VIEW})
    login(client, org.handler)
    page = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert 'id="reveal-form"' not in page
    response = client.post(f"/quan-tri/pakn/{case.id}/lien-he", data={"reason": "x"})
    assert response.status_code == 403
    assert FULL_CONTACT.phone not in response.get_data(as_text=True)
    assert _reveals(case) == []
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.actor_user_id == org.handler.id,
        AuditEntry.reason == Permission.FEEDBACK_CONTACT_VIEW.value))
    # The service refuses too (in a request context: the refusal is logged after it).
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        reveal_contact(case, org.handler, "x")
    assert error.value.status == 403


def test_no_contact_data(client, login, org):
    anonymous = submit_case(org, contact=None, kind="suggestion")
    login(client, org.officer)
    html = client.get(f"/quan-tri/pakn/{anonymous.id}").get_data(as_text=True)
    assert "The sender left no contact details." in html
    assert 'id="reveal-form"' not in html
    with pytest.raises(ServiceError) as error:
        reveal_contact(anonymous, org.officer, "x")
    assert error.value.status == 404


# --- The reply letter (issue 13, defect 6): a GET must never reveal. -----------------------

def _approved(org):
    from feedback.workflow import transition_case

    case = submit_case(org)
    assign(case, org)
    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, "Sở Nội vụ đã khắc phục.")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    db.session.commit()
    return case


def test_letter_get_reveals_nothing_and_logs_nothing(client, login, org):
    """A cross-site link to the letter cannot write to the privacy trail."""
    case = _approved(org)
    login(client, org.approver)
    response = client.get(f"/quan-tri/pakn/{case.id}/cong-van")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert FULL_CONTACT.name not in html and 'id="letter-reveal-form"' in html
    assert _reveals(case) == []
    assert db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "contact_reveal")) is None


def test_letter_reveal_is_a_csrf_checked_post_with_its_reason_logged(app, client, login, org):
    case = _approved(org)
    login(client, org.approver)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/quan-tri/pakn/{case.id}/cong-van",
                              data={"reason": "Gửi công văn"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert FULL_CONTACT.name not in refused.get_data(as_text=True)
    assert _reveals(case) == []
    response = client.post(f"/quan-tri/pakn/{case.id}/cong-van",
                           data={"reason": "Gửi công văn qua bưu điện"})
    assert response.status_code == 200
    assert FULL_CONTACT.name in response.get_data(as_text=True)
    [entry] = _reveals(case)
    assert (entry.actor_user_id, entry.reason) == (org.approver.id, "Gửi công văn qua bưu điện")
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "contact_reveal"))
    assert event.reason == "Gửi công văn qua bưu điện"
