"""Closing the loop (issue 14 §1): the rating link sent with a formal PAKN's answer, usable
once; "Chưa" within the window reopens the case (back to its handler, or escalated to the
approver's unit) with a new deadline; outside the window it is recorded only; the rating is
an anonymous response in channel pakn_followup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import local
from core.extensions import db
from core.models import OutboxMessage, Role, SettingValue
from feedback import followups as feedback_followups
from feedback.answers import save_answer_draft
from feedback.deadlines import Step, deadline_days, due_after, receipt_rule
from feedback.models import FeedbackEvent, FeedbackFollowup, ReplyChannel
from feedback.workflow import actions, timeline, transition_case
from surveys import followups as survey_followups
from surveys.models import Channel, RatingToken, Response, ResponseText
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case
from tests.surveys.survey_page_helpers import old_token

BASE_URL = "https://pakn.example.gov.vn"
LINK = re.compile(re.escape(BASE_URL) + r"/p/[A-Za-z0-9_.\-]+")
# Monday 1 June 2026, 09:00 in Hà Nội: the answer is sent then.
SENT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"PUBLIC_BASE_URL": BASE_URL}


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def clock(monkeypatch):
    """core.clock's now, as the modules of this feature read it, set by the test."""
    current = {"at": SENT}

    def read() -> datetime:
        return current["at"]
    for module in (actions, timeline, feedback_followups, survey_followups):
        monkeypatch.setattr(module, "now", read)
    monkeypatch.setattr("surveys.tokens.now", read)
    monkeypatch.setattr("feedback.deadlines.now", read, raising=False)
    return current


def _answered_case(org, clock, **fields):
    fields.setdefault("reply_channel", ReplyChannel.EMAIL.value)
    case = submit_case(org, **fields)
    assign(case, org)
    answer_and_send(case, org)
    return case


def _link(case) -> str:
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.purpose == "feedback.followup",
        OutboxMessage.object_id == str(case.id)))
    assert message is not None, "no rating link queued"
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def _path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def _form(resolved: int, reason: str = "", **ratings) -> dict[str, str]:
    version = survey_followups.followup_version()
    values = {"q9_37": "4", "q9_38": "5", "q9_39": "2", **ratings}
    return {"started": old_token(version.id), "resolved": str(resolved), "reason": reason,
            **values}


def test_sent_answer_queues_a_single_use_link_on_the_reply_channel(client_vi, org, clock):
    case = _answered_case(org, clock)
    url = _link(case)
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.purpose == "feedback.followup"))
    assert message.channel == "email"
    # Nothing personal in the link: the token only.
    assert "An" not in url and "0912" not in url and str(case.id) not in _path(url)[3:6]
    page = client_vi.get(_path(url))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Vấn đề của Ông/Bà đã được giải quyết chưa?" in html
    for code in ("q9_37", "q9_38", "q9_39"):
        assert f'name="{code}"' in html
    assert "Đã giải quyết" in html and "Chưa" in html
    assert "<script" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "01/07/2026" in html  # the window: 30 days after 01/06/2026
    # Only the hash of the token is stored, bound to the follow-up, not to any response.
    token = db.session.scalar(select(RatingToken).where(RatingToken.subject.is_not(None)))
    assert token.dossier_id is None and token.unit_id == org.department.id
    assert _path(url).split("/")[-1] not in token.secret_hash


def test_second_use_is_refused_in_vietnamese_and_stores_nothing(client_vi, org, clock):
    case = _answered_case(org, clock)
    path = _path(_link(case))
    first = client_vi.post(path, data=_form(1))
    assert first.status_code == 303
    again = client_vi.post(path, data=_form(1))
    assert again.status_code == 409
    assert "Đường dẫn này đã được sử dụng" in again.get_data(as_text=True)
    assert client_vi.get(path).status_code == 409
    assert db.session.scalar(select(func.count(Response.id))) == 1
    forged = client_vi.get(path[:-3] + "xyz")
    assert forged.status_code == 404
    assert "không hợp lệ" in forged.get_data(as_text=True)


def test_rating_is_an_anonymous_response_in_channel_pakn_followup(client_vi, org, clock):
    case = _answered_case(org, clock)
    client_vi.post(_path(_link(case)), data=_form(2, "Đường vẫn còn ngập nước."))
    response = db.session.scalar(select(Response))
    assert response.channel == Channel.PAKN_FOLLOWUP.value == "pakn_followup"
    assert response.unit_id == org.department.id
    assert response.answers == {"q9_37": 4, "q9_38": 5, "q9_39": 2, "resolved": 2}
    assert response.dossier_id is None and response.point_id is None
    # No free text (the reason goes to the case) and no contact data anywhere on it.
    assert db.session.scalar(select(func.count()).select_from(ResponseText)) == 0
    assert "Nguyễn" not in str(response.answers)
    token = db.session.scalar(select(RatingToken).where(RatingToken.subject.is_not(None)))
    assert token.used_at is not None and token.response_id is None
    followup = db.session.scalar(select(FeedbackFollowup))
    assert (followup.resolved, followup.satisfied_answers, followup.rated_answers) == \
        (False, 2, 3)


def test_not_solved_inside_the_window_reopens_with_a_new_deadline(client_vi, org, clock):
    case = _answered_case(org, clock)
    clock["at"] = SENT + timedelta(days=10)  # Thursday 11 June 2026, 09:00 local
    reply = client_vi.post(_path(_link(case)), data=_form(2, "Đường vẫn còn ngập nước."))
    assert reply.status_code == 303
    thanks = client_vi.get(reply.headers["Location"])
    assert "đã được mở lại" in thanks.get_data(as_text=True)
    db.session.expire_all()
    assert case.state == "in_progress" and case.handling_unit_id == org.department.id
    assert case.answered_at is None
    # The new legal deadline: the answer period counted from the reopening, as for a case
    # received then (same rule, same calendar).
    start = clock["at"]
    days = deadline_days(Step.ANSWER, kind=case.kind, topic=case.topic,
                         unit=org.department, on=local(start).date())
    assert case.answer_due_at == due_after(start, days, receipt_rule(case.agency,
                                                                     local(start).date()))
    assert case.due_at == case.answer_due_at and case.answer_due_at > start
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "sender_reopen"))
    assert event.reason == "Đường vẫn còn ngập nước." and event.actor_id is None
    assert (event.from_state, event.to_state) == ("answered", "in_progress")
    # The history is kept: the earlier answer and its sending stay on the timeline.
    actions_seen = [e.action for e in db.session.scalars(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id).order_by(FeedbackEvent.id))]
    assert actions_seen.index("send_answer") < actions_seen.index("sender_reopen")
    audit = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.sender_reopen"))
    assert audit is not None and audit.object_id == str(case.id)
    # The handler can answer again.
    save_answer_draft(case, org.handler, "Đã khơi thông cống thoát nước.")
    transition_case(case, "submit_answer", org.handler)
    db.session.commit()


def test_not_solved_outside_the_window_is_recorded_but_does_not_reopen(client_vi, org,
                                                                        clock):
    case = _answered_case(org, clock)
    path = _path(_link(case))
    clock["at"] = SENT + timedelta(days=31)  # after 01/07/2026 23:59 local
    page = client_vi.get(path)
    assert "không được mở lại" in page.get_data(as_text=True)
    reply = client_vi.post(path, data=_form(2, "Vẫn chưa sửa."))
    assert reply.status_code == 303
    thanks = client_vi.get(reply.headers["Location"]).get_data(as_text=True)
    assert "không được mở lại" in thanks
    db.session.expire_all()
    assert case.state == "answered"
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "sender_rated"))
    assert event.reason == "Vẫn chưa sửa."
    assert event.data == {"resolved": False, "within_window": False}
    assert db.session.scalar(select(func.count(Response.id)).where(
        Response.channel == "pakn_followup")) == 1


def test_window_is_an_effective_dated_setting(client_vi, org, clock):
    db.session.add(SettingValue(key="pakn.reopen_window_days", unit_id=None, value=5,
                                effective_from=local(SENT).date() - timedelta(days=1)))
    db.session.commit()
    case = _answered_case(org, clock)
    clock["at"] = SENT + timedelta(days=6)
    client_vi.post(_path(_link(case)), data=_form(2, "Chưa xử lý."))
    db.session.expire_all()
    assert case.state == "answered"


def test_not_solved_needs_a_reason(client_vi, org, clock):
    case = _answered_case(org, clock)
    path = _path(_link(case))
    page = client_vi.post(path, data=_form(2, "   "))
    assert page.status_code == 400
    assert "Xin Ông/Bà cho biết" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert client_vi.get(path).status_code == 200  # the link is still unused


def test_escalate_setting_sends_the_case_to_the_approvers_unit(client_vi, org, clock,
                                                               make_user):
    # The answer is approved by a leader of the province, above the handling department.
    leader = make_user(Role.APPROVER, org.province, username="leader")
    org.approver = leader
    db.session.add(SettingValue(key="pakn.reopen_route", unit_id=None, value="escalate",
                                effective_from=local(SENT).date() - timedelta(days=1)))
    db.session.commit()
    case = _answered_case(org, clock)
    client_vi.post(_path(_link(case)), data=_form(2, "Chưa khắc phục."))
    db.session.expire_all()
    assert case.state == "assigned" and case.handling_unit_id == org.province.id
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.action == "sender_reopen"))
    assert event.data["route"] == "escalate"
    assert event.data["from_unit_id"] == org.department.id


def test_handler_route_is_the_default(client_vi, org, clock):
    case = _answered_case(org, clock)
    client_vi.post(_path(_link(case)), data=_form(2, "Chưa khắc phục."))
    db.session.expire_all()
    assert case.state == "in_progress" and case.handling_unit_id == org.department.id


def test_staff_cannot_use_the_senders_reopen(org, clock):
    case = _answered_case(org, clock)
    from core.exceptions import ServiceError

    with pytest.raises(ServiceError) as refused:
        transition_case(case, "sender_reopen", org.officer)
    assert refused.value.status == 403


def test_informal_case_gets_no_link(org, clock):
    case = submit_case(org, reply_channel="none", kind="suggestion")
    assert not case.is_formal
    assert db.session.scalar(select(func.count(FeedbackFollowup.id))) == 0
