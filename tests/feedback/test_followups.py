"""Closing the loop (issue 14 §1): the rating link sent with a formal PAKN's answer, usable
once; "Chưa" within the window reopens the case (back to its handler, or escalated to the
approver's unit) with a new deadline; outside the window it is recorded only; the rating is
an anonymous response in channel pakn_followup."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import local
from core.exceptions import ServiceError
from core.extensions import db
from core.models import OutboxMessage, Role, SettingValue
from feedback.answers import save_answer_draft
from feedback.deadlines import Step, deadline_days, due_after, receipt_rule
from feedback.kpis import pakn_kpis
from feedback.models import FeedbackEvent, FeedbackFollowup, ReplyChannel
from feedback.workflow import transition_case
from surveys.models import Channel, RatingToken, Response, ResponseText
from tests.feedback.followup_helpers import (
    BASE_URL,
    LINK,
    SENT,
    answered_case,
    install_clock,
    link_path,
    rating_form,
    rating_link,
)
from tests.feedback.helpers import assign, build_org, draft_answer, submit_case


@pytest.fixture
def app_config():
    return {"PUBLIC_BASE_URL": BASE_URL}


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def test_sent_answer_queues_a_single_use_link_on_the_reply_channel(client_vi, org, clock):
    case = answered_case(org, clock)
    url = rating_link(case)
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.purpose == "feedback.followup"))
    assert message.channel == "email"
    # Nothing personal in the link: the token only.
    assert "An" not in url and "0912" not in url and str(case.id) not in link_path(url)[3:6]
    page = client_vi.get(link_path(url))
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
    assert link_path(url).split("/")[-1] not in token.secret_hash


def test_second_use_is_refused_in_vietnamese_and_stores_nothing(client_vi, org, clock):
    case = answered_case(org, clock)
    path = link_path(rating_link(case))
    first = client_vi.post(path, data=rating_form(1))
    assert first.status_code == 303
    again = client_vi.post(path, data=rating_form(1))
    assert again.status_code == 409
    assert "Đường dẫn này đã được sử dụng" in again.get_data(as_text=True)
    assert client_vi.get(path).status_code == 409
    assert db.session.scalar(select(func.count(Response.id))) == 1
    forged = client_vi.get(path[:-3] + "xyz")
    assert forged.status_code == 404
    assert "không hợp lệ" in forged.get_data(as_text=True)


def test_rating_is_an_anonymous_response_in_channel_pakn_followup(client_vi, org, clock):
    case = answered_case(org, clock)
    client_vi.post(link_path(rating_link(case)),
                   data=rating_form(2, "Đường vẫn còn ngập nước."))
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
    case = answered_case(org, clock)
    clock["at"] = SENT + timedelta(days=10)  # Thursday 11 June 2026, 09:00 local
    reply = client_vi.post(link_path(rating_link(case)),
                           data=rating_form(2, "Đường vẫn còn ngập nước."))
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
    case = answered_case(org, clock)
    path = link_path(rating_link(case))
    clock["at"] = SENT + timedelta(days=31)  # after 01/07/2026 23:59 local
    page = client_vi.get(path)
    assert "không được mở lại" in page.get_data(as_text=True)
    reply = client_vi.post(path, data=rating_form(2, "Vẫn chưa sửa."))
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
    case = answered_case(org, clock)
    clock["at"] = SENT + timedelta(days=6)
    client_vi.post(link_path(rating_link(case)), data=rating_form(2, "Chưa xử lý."))
    db.session.expire_all()
    assert case.state == "answered"


def test_not_solved_needs_a_reason(client_vi, org, clock):
    case = answered_case(org, clock)
    path = link_path(rating_link(case))
    page = client_vi.post(path, data=rating_form(2, "   "))
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
    case = answered_case(org, clock)
    client_vi.post(link_path(rating_link(case)), data=rating_form(2, "Chưa khắc phục."))
    db.session.expire_all()
    assert case.state == "assigned" and case.handling_unit_id == org.province.id
    event = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.action == "sender_reopen"))
    assert event.data["route"] == "escalate"
    assert event.data["from_unit_id"] == org.department.id


def test_handler_route_is_the_default(client_vi, org, clock):
    case = answered_case(org, clock)
    client_vi.post(link_path(rating_link(case)), data=rating_form(2, "Chưa khắc phục."))
    db.session.expire_all()
    assert case.state == "in_progress" and case.handling_unit_id == org.department.id


def test_staff_cannot_use_the_senders_reopen(org, clock):
    case = answered_case(org, clock)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "sender_reopen", org.officer)
    assert refused.value.status == 403


def test_informal_case_gets_no_link(org, clock):
    case = submit_case(org, reply_channel="none", kind="suggestion")
    assert not case.is_formal
    assert db.session.scalar(select(func.count(FeedbackFollowup.id))) == 0


def _raster(svg: str, scale: int = 10) -> Image.Image:
    """The letter's QR drawn from its SVG path (one square per dark module, as core.qr writes
    it), independently of the qrcode library that made it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    return image


def test_reply_letter_carries_a_qr_that_decodes_to_the_link(client, login, org, clock,
                                                            tmp_path):
    if shutil.which("zbarimg") is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg (Debian package zbar-tools) is required in CI")
        pytest.skip("zbarimg (Debian package zbar-tools) is not installed")
    case = answered_case(org, clock, reply_channel=ReplyChannel.POST.value)
    # By post no message is queued: the letter carries the link.
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.purpose == "feedback.followup")) == 0
    login(client, org.approver)
    html = client.get(f"/quan-tri/pakn/{case.id}/cong-van").get_data(as_text=True)
    block = html[html.index('id="letter-rating"'):]
    svg = block[block.index("<svg"):block.index("</svg>") + 6]
    path = tmp_path / "letter-qr.png"
    _raster(svg).save(path)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                             text=True, timeout=30, check=True).stdout.strip()
    assert LINK.fullmatch(decoded) and decoded in block  # the same link, printed under it
    assert client.get(link_path(decoded)).status_code == 200


def test_letter_before_sending_has_no_qr(client, login, org, clock):
    case = submit_case(org, reply_channel=ReplyChannel.POST.value)
    assign(case, org)
    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, "Kính gửi ông/bà, đã khắc phục.")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    db.session.commit()
    login(client, org.approver)
    html = client.get(f"/quan-tri/pakn/{case.id}/cong-van").get_data(as_text=True)
    assert "Kính gửi" in html and 'id="letter-rating"' not in html


def test_kpis_give_satisfaction_and_reopen_rates_per_unit(client_vi, org, clock):
    reopened = answered_case(org, clock)
    solved = answered_case(org, clock)
    unrated = answered_case(org, clock)
    client_vi.post(link_path(rating_link(reopened)), data=rating_form(2, "Chưa khắc phục."))
    client_vi.post(link_path(rating_link(solved)), data=rating_form(1, q9_39="5"))
    assert unrated.state == "answered"
    day = local(SENT).date()
    kpis = pakn_kpis(org.officer, period=(day - timedelta(days=7), day),
                     as_of=SENT + timedelta(days=1))
    row = kpis.followups[kpis.followups["handling_unit_id"] == org.department.id].iloc[0]
    # Hand count: II.E answers at 4–5: reopened case 4, 5 (not 2) = 2 of 3; solved case
    # 4, 5, 5 = 3 of 3 → 5 / 6. Reopened: 1 of the 3 answers sent.
    assert row["satisfaction_rate"] == pytest.approx(5 / 6)
    assert row["reopen_rate"] == pytest.approx(1 / 3)
    assert (row["sent"], row["rated"], row["not_resolved"]) == (3, 2, 1)


def test_expired_link_is_a_410_and_links_do_not_cross(client_vi, org, clock):
    case = answered_case(org, clock)
    path = link_path(rating_link(case))
    # A follow-up link is no dossier link (and /d/ answers 404 for it).
    assert client_vi.get("/d/" + path.removeprefix("/p/")).status_code == 404
    # Usable pakn.followup_link_days (90) after the day the answer was sent, then 410.
    clock["at"] = SENT + timedelta(days=91)
    page = client_vi.get(path)
    assert page.status_code == 410
    assert "hết hạn" in page.get_data(as_text=True)
    refused = client_vi.post(path, data=rating_form(1))
    assert refused.status_code == 410
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_case_page_tells_the_officer_what_the_sender_said(client_vi, login, org, clock):
    case = answered_case(org, clock)
    login(client_vi, org.handler)
    html = client_vi.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert "Người gửi chưa đánh giá." in html and "01/07/2026" in html
    client_vi.post(link_path(rating_link(case)), data=rating_form(2, "Chưa khắc phục."))
    html = client_vi.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert "vụ việc đã được mở lại" in html
    assert "Mở lại: người gửi cho biết vấn đề chưa được giải quyết" in html
    assert "Chưa khắc phục." in html
