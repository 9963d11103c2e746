"""Messages to PAKN senders: queued with the change, addressed on the reply channel, in
Vietnamese (force_locale("vi")), delivered to a real local SMTP server, with no other
person's data, and noted on the timeline without the address."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.crypto import decrypt_text
from core.extensions import db
from core.models import OutboxMessage
from core.outbox import deliver_due
from core.templating import format_date
from feedback.intake import Contact
from feedback.models import FeedbackEvent
from feedback.tracking import format_tracking_code
from feedback.workflow import TransitionInput, transition_case
from tests.core.smtp_server import smtp_config, smtp_server
from tests.feedback.helpers import (
    FULL_CONTACT,
    answer_and_send,
    assign,
    build_org,
    draft_answer,
    submit_case,
)

BASE_URL = "https://pakn.example.gov.vn"
OTHER = Contact(name="Trần Thị Bình", address="Số 3 phố Hàng Bạc", phone="0987 111 222",
                email="binh.tran@example.vn")


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def app_config(smtp):
    return {**smtp_config(smtp[1]), "PUBLIC_BASE_URL": BASE_URL}


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _messages(case=None, purpose=None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if case is not None:
        stmt = stmt.where(OutboxMessage.object_type == "feedback_case",
                          OutboxMessage.object_id == str(case.id))
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return list(db.session.execute(stmt).scalars())


def _notified(case) -> list[dict]:
    return [e.data for e in db.session.execute(
        select(FeedbackEvent).where(FeedbackEvent.case_id == case.id,
                                    FeedbackEvent.action == "notified")
        .order_by(FeedbackEvent.id)).scalars()]


def _vi(msgid: str, **values) -> str:
    with force_locale("vi"):
        return _(msgid, **values)


def test_received_email_reaches_the_sender_without_other_data(app, org, smtp):
    handler, _port = smtp
    other = submit_case(org, contact=OTHER, reply_channel="email",
                        content="Nội dung của người khác.")
    case = submit_case(org, reply_channel="email")
    code = format_tracking_code(case.tracking_code)
    [message] = _messages(case)
    assert message.channel == "email" and message.purpose == "feedback.received"
    assert decrypt_text(message.recipient_enc) == FULL_CONTACT.email
    assert _notified(case) == [{"channel": "email", "purpose": "feedback.received"}]
    assert FULL_CONTACT.email not in str(_notified(case))
    db.session.rollback()
    assert deliver_due()["sent"] == 2
    [mail] = [r for r in handler.received if r.rcpt_tos == [FULL_CONTACT.email]]
    assert mail.message["To"] == FULL_CONTACT.email
    assert mail.message["Subject"] == _vi("Your feedback was received: code %(code)s",
                                          code=code)
    body = mail.body
    assert code in body
    assert "UBND tỉnh Thử nghiệm" in body  # the agency's name, UTF-8 intact
    assert f"{BASE_URL}/tra-cuu/" in body
    assert format_date(case.acknowledge_due_at) in body
    assert _vi("The link fills in the tracking code: type only the last 4 digits of your "
               "phone number.") in body
    # No personal data in the message body, and nothing of the other sender.
    for secret in ("Nguyễn Văn An", "Trần Hưng Đạo", "0912", "345 678",
                   "Trần Thị Bình", "Hàng Bạc", "0987", format_tracking_code(
                       other.tracking_code), "Nội dung của người khác"):
        assert secret not in body and secret not in mail.message["Subject"]


def test_sms_and_zalo_go_to_the_phone(app, org):
    sms = submit_case(org, reply_channel="sms")
    zalo = submit_case(org, contact=OTHER, reply_channel="zalo")
    [to_sms] = _messages(sms)
    [to_zalo] = _messages(zalo)
    assert (to_sms.channel, decrypt_text(to_sms.recipient_enc)) == ("sms", "0912 345 678")
    assert (to_zalo.channel, decrypt_text(to_zalo.recipient_enc)) == ("zalo", "0987 111 222")
    assert format_tracking_code(sms.tracking_code) in to_sms.body


def test_post_leaves_a_letter_note_and_none_sends_nothing(app, org):
    by_post = submit_case(org, reply_channel="post")
    silent = submit_case(org, reply_channel="none")
    anonymous = submit_case(org, contact=None, kind="suggestion")
    assert _messages() == []
    assert _notified(by_post) == [{"channel": "post", "purpose": "feedback.received"}]
    assert _notified(silent) == [] and _notified(anonymous) == []


def test_workflow_messages(app, org):
    rejected = submit_case(org, reply_channel="email")
    transition_case(rejected, "reject", org.officer,
                    TransitionInput(reason="Nội dung không rõ ràng"))
    [msg] = _messages(rejected, "feedback.not_accepted")
    assert "Nội dung không rõ ràng" in msg.body
    assert msg.subject == _vi("Your feedback %(code)s was not accepted",
                              code=format_tracking_code(rejected.tracking_code))

    moved = submit_case(org, reply_channel="email")
    transition_case(moved, "transfer", org.officer, TransitionInput(
        reason="Thuộc thẩm quyền của Bộ", transferred_to="Bộ Giao thông vận tải"))
    [msg] = _messages(moved, "feedback.transferred")
    assert "Bộ Giao thông vận tải" in msg.body and "Thuộc thẩm quyền của Bộ" in msg.body

    case = submit_case(org, reply_channel="email")
    assign(case, org)
    [msg] = _messages(case, "feedback.assigned")
    assert "Sở Nội vụ" in msg.body
    assert format_date(case.answer_due_at) in msg.body

    transition_case(case, "start", org.handler)
    transition_case(case, "pause", org.handler,
                    TransitionInput(reason="Xin gửi bản sao giấy hẹn trả kết quả"))
    [msg] = _messages(case, "feedback.waiting")
    assert "Xin gửi bản sao giấy hẹn trả kết quả" in msg.body
    transition_case(case, "resume", org.handler)
    draft_answer(case, org.handler, "Kính gửi ông/bà, Sở Nội vụ đã khắc phục việc "
                      "chậm trễ.")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    transition_case(case, "send_answer", org.approver)
    db.session.commit()
    [msg] = _messages(case, "feedback.answered")
    assert "Sở Nội vụ đã khắc phục việc chậm trễ." in msg.body
    assert f"{BASE_URL}/tra-cuu/" in msg.body
    purposes = [d["purpose"] for d in _notified(case)]
    # The rating link follows the answer (feedback.followups, tested there).
    assert purposes == ["feedback.received", "feedback.assigned", "feedback.waiting",
                        "feedback.answered", "feedback.followup"]
    # Starting, resuming, drafting and approving tell the sender nothing.
    assert len(_messages(case)) == 5


def test_merged_child_gets_the_masters_answer(app, org):
    master = submit_case(org, reply_channel="email")
    child = submit_case(org, contact=OTHER, reply_channel="email")
    assign(master, org)
    transition_case(child, "merge", org.officer,
                    TransitionInput(reason="Cùng nội dung", master=master))
    db.session.commit()
    answer_and_send(master, org, body="Câu trả lời chung cho các phản ánh.")
    [to_child] = _messages(child, "feedback.answered")
    assert "Câu trả lời chung cho các phản ánh." in to_child.body
    assert decrypt_text(to_child.recipient_enc) == OTHER.email
    assert format_tracking_code(child.tracking_code) in to_child.body
    assert format_tracking_code(master.tracking_code) not in to_child.body


def test_purged_contact_gets_no_message(app, org):
    from core.clock import now

    case = submit_case(org, reply_channel="email")
    case.contact_enc = None
    case.contact_purged_at = now()
    db.session.commit()
    transition_case(case, "reject", org.officer, TransitionInput(reason="Không đủ thông tin"))
    assert _messages(case, "feedback.not_accepted") == []


@pytest.mark.parametrize("app_config", [{**smtp_config(1), "PUBLIC_BASE_URL": BASE_URL,
                                         "MAIL_BACKEND": "log"}])
def test_status_link_never_comes_from_the_request_host(app, org):
    from feedback.notifications import status_url

    assert status_url() == f"{BASE_URL}/tra-cuu/"
    with app.test_request_context("/", base_url="https://other.example"):
        assert status_url() == f"{BASE_URL}/tra-cuu/"
