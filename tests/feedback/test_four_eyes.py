"""Four eyes on what goes out (issue #15 item 6, setting pakn.four_eyes, on by default): the
drafter of an answer cannot approve it, and whoever prepared or edited a publication's public
text cannot publish it. The refusal is a 403 with a clear message and the form kept; another
approver succeeds; the setting switched off allows it; the audit entry names both people."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clock import today
from core.extensions import db
from core.models import AuditEntry, Role, RoleGrant
from core.settings import set_setting
from feedback.four_eyes import FourEyesRefused
from feedback.models import AnswerStatus, CaseState, FeedbackAnswer, Publication
from feedback.publication import edit_publication, prepare_publication, publish_case
from feedback.workflow import transition_case
from tests.feedback.helpers import bring_to, build_org, draft_answer

# Outside a request (the service tests) messages come out in Vietnamese, the default
# language; the pages under test are in English (the test client's language).
ANSWER_REFUSAL_VI = ("Bạn đã soạn văn bản trả lời này nên không thể tự phê duyệt: một lãnh "
                     "đạo khác phải kiểm tra (nguyên tắc hai người).")
PUBLISH_REFUSAL_VI = ("Bạn đã chuẩn bị hoặc sửa bản công khai này nên không thể tự phê duyệt "
                      "công khai: một lãnh đạo khác phải kiểm tra (nguyên tắc hai người).")
ANSWER_REFUSAL = ("You drafted this answer, so you cannot approve it: another approver must "
                  "check it (four eyes).")
PUBLISH_REFUSAL = ("You prepared or edited this public text, so you cannot approve its "
                   "publication: another approver must check it (four eyes).")


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def lead(org, make_user):
    """A leader of the department who may both handle and approve (a small office)."""
    user = make_user(Role.APPROVER, org.department, username="lead")
    db.session.add(RoleGrant(user=user, role=Role.HANDLER.value, unit_id=org.department.id))
    db.session.commit()
    return user


@pytest.fixture
def second_approver(org, make_user):
    return make_user(Role.APPROVER, org.department, username="approver2")


def _drafted_by(case, user):
    """A case whose answer ``user`` drafted and submitted."""
    draft_answer(case, user, "Kính gửi ông/bà, Sở đã khắc phục.")
    transition_case(case, "submit_answer", user)
    db.session.commit()
    return case


def _audit(action: str) -> AuditEntry:
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()


def _switch_off(org) -> None:
    set_setting("pakn.four_eyes", False, effective_from=today(), unit=org.department)
    db.session.commit()


# --- Answers. ----------------------------------------------------------------------------------

def test_the_drafter_cannot_approve_the_answer(app, org, lead):
    case = _drafted_by(bring_to("in_progress", org), lead)
    with pytest.raises(FourEyesRefused) as refused:
        transition_case(case, "approve", lead)
    assert refused.value.status == 403
    assert refused.value.message == ANSWER_REFUSAL_VI
    db.session.rollback()
    assert case.state == CaseState.ANSWER_DRAFTED.value


def test_another_approver_approves_and_the_audit_names_both(app, org, lead):
    case = _drafted_by(bring_to("in_progress", org), lead)
    transition_case(case, "approve", org.approver)
    db.session.commit()
    assert case.state == CaseState.APPROVED.value
    entry = _audit("feedback.approve")
    assert entry.after["drafted_by"] == ["lead"]
    assert entry.after["drafted_by_ids"] == [lead.id]
    assert entry.after["approved_by"] == "approver"
    assert entry.after["approved_by_id"] == org.approver.id


def test_with_the_setting_off_the_drafter_may_approve(app, org, lead):
    _switch_off(org)
    case = _drafted_by(bring_to("in_progress", org), lead)
    transition_case(case, "approve", lead)
    db.session.commit()
    assert case.state == CaseState.APPROVED.value
    entry = _audit("feedback.approve")
    assert (entry.after["drafted_by"], entry.after["approved_by"]) == (["lead"], "lead")


def test_the_case_page_refuses_with_403_and_keeps_the_form(app, client, login, org, lead):
    case = _drafted_by(bring_to("in_progress", org), lead)
    login(client, lead)
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/approve",
                           data={"approve-letter_number": "77/SNV-VP",
                                 "approve-signer_title": "Phó Giám đốc",
                                 "approve-expected_state": "answer_drafted"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert ANSWER_REFUSAL in html
    assert 'value="77/SNV-VP"' in html and 'value="Phó Giám đốc"' in html
    db.session.expire_all()
    answer = db.session.execute(select(FeedbackAnswer).where(
        FeedbackAnswer.case_id == case.id)).scalar_one()
    assert answer.status == AnswerStatus.SUBMITTED.value and answer.approved_by_id is None


# --- Publications. -----------------------------------------------------------------------------

def test_the_preparer_cannot_publish(app, org):
    case = bring_to("answered", org)
    prepare_publication(case, org.approver)
    db.session.commit()
    with pytest.raises(FourEyesRefused) as refused:
        publish_case(case, org.approver)
    assert refused.value.status == 403 and refused.value.message == PUBLISH_REFUSAL_VI
    db.session.rollback()
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.status == "draft" and pub.approved_by_id is None


def test_another_approver_publishes_and_the_audit_names_both(app, org, second_approver):
    case = bring_to("answered", org)
    prepare_publication(case, org.approver)
    db.session.commit()
    publish_case(case, second_approver)
    db.session.commit()
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.status == "published"
    assert (pub.prepared_by_id, pub.approved_by_id) == (org.approver.id, second_approver.id)
    entry = _audit("feedback.publish")
    assert entry.after["prepared_by"] == ["approver"]
    assert entry.after["approved_by"] == "approver2"


def test_an_editor_of_the_public_text_cannot_publish_it(app, org, second_approver):
    case = bring_to("answered", org)
    pub = prepare_publication(case, org.officer)
    edit_publication(pub, org.approver, pub.title, pub.question, pub.answer + " Trân trọng.")
    db.session.commit()
    with pytest.raises(FourEyesRefused):
        publish_case(case, org.approver)
    db.session.rollback()
    publish_case(case, second_approver)
    db.session.commit()
    entry = _audit("feedback.publish")
    assert entry.after["prepared_by"] == ["officer", "approver"]
    assert entry.after["approved_by"] == "approver2"


def test_preparing_again_from_the_case_drops_earlier_editors(app, org):
    case = bring_to("answered", org)
    pub = prepare_publication(case, org.officer)
    edit_publication(pub, org.approver, pub.title, pub.question, pub.answer + " Trân trọng.")
    prepare_publication(case, org.officer, refresh=True)
    db.session.commit()
    publish_case(case, org.approver)
    db.session.commit()
    assert _audit("feedback.publish").after["prepared_by"] == ["officer"]


def test_with_the_setting_off_the_preparer_may_publish(app, org):
    _switch_off(org)
    case = bring_to("answered", org)
    prepare_publication(case, org.approver)
    publish_case(case, org.approver)
    db.session.commit()
    entry = _audit("feedback.publish")
    assert (entry.after["prepared_by"], entry.after["approved_by"]) == (["approver"],
                                                                       "approver")


def test_the_publication_page_refuses_with_403_and_explains(app, client, login, org):
    case = bring_to("answered", org)
    prepare_publication(case, org.approver)
    db.session.commit()
    login(client, org.approver)
    page = client.get(f"/quan-tri/pakn/{case.id}/cong-khai").get_data(as_text=True)
    assert 'id="four-eyes-note"' in page and 'id="publish-button"' not in page
    response = client.post(f"/quan-tri/pakn/{case.id}/cong-khai/dang")
    assert response.status_code == 403
    assert PUBLISH_REFUSAL in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(select(Publication)).scalar_one().status == "draft"


def test_the_demo_publications_are_approved_by_someone_else(app):
    # The demo's leader publishes what the PAKN office prepared (feedback.demo).
    result = app.test_cli_runner().invoke(args=["core", "seed-demo"])
    assert result.exit_code == 0, result.output
    pubs = db.session.execute(select(Publication)).scalars().all()
    assert pubs
    assert all(p.prepared_by_id is not None and p.approved_by_id is not None
               and p.prepared_by_id != p.approved_by_id for p in pubs if p.status == "published")
    assert any(p.status == "published" for p in pubs)
