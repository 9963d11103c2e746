"""The "received" message is prepared before the new case is stored (feedback.intake
INTAKE_PREPARERS), so that on SQLite the write lock is not held while it is rendered and
encrypted: nothing reaches the session before ``store_feedback``, the row it queues points at
the stored case, and a submission that turns out to repeat a stored one queues nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.crypto import decrypt_text
from core.extensions import db
from core.models import OutboxMessage
from feedback.intake import Contact, FeedbackSubmission, prepare_feedback, store_feedback
from feedback.models import FeedbackEvent
from tests.feedback.helpers import FULL_CONTACT, build_org


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _submission(org, key: str, reply_channel: str = "email") -> FeedbackSubmission:
    return FeedbackSubmission(content="Thủ tục cấp giấy phép bị chậm 10 ngày.",
                              origin_unit=org.department, contact=Contact(**vars(FULL_CONTACT)),
                              reply_channel=reply_channel, idempotency_key=key)


def _messages() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _notified(case_id: int) -> list[dict]:
    return [e.data for e in db.session.scalars(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case_id, FeedbackEvent.action == "notified"))]


def test_the_message_is_ready_before_the_case_is_stored_and_queued_with_it(app, org):
    prepared = prepare_feedback(_submission(org, "prepare-1"))
    assert len(prepared.finishers) == 1
    assert not db.session.new  # rendering and encrypting added nothing to the session
    case, created = store_feedback(prepared)
    db.session.commit()
    [message] = _messages()
    assert created and message.object_type == "feedback_case"
    assert message.object_id == str(case.id) and message.purpose == "feedback.received"
    assert decrypt_text(message.recipient_enc) == FULL_CONTACT.email
    assert message.next_attempt_at is not None and message.status == "pending"
    assert _notified(case.id) == [{"channel": "email", "purpose": "feedback.received"}]


def test_a_repeat_found_only_when_storing_queues_no_second_message(app, org):
    # Two submissions with one key prepared side by side (a double click on two workers):
    # the second finds the first only when it stores, and must not send the message again.
    first = prepare_feedback(_submission(org, "prepare-2"))
    second = prepare_feedback(_submission(org, "prepare-2"))
    case, created = store_feedback(first)
    db.session.commit()
    again, created_again = store_feedback(second)
    db.session.commit()
    assert created and not created_again and again.id == case.id
    assert len(_messages()) == 1 and len(_notified(case.id)) == 1


def test_no_reply_channel_prepares_nothing(app, org):
    prepared = prepare_feedback(_submission(org, "prepare-3", reply_channel="none"))
    assert prepared.finishers == []
    case, _created = store_feedback(prepared)
    db.session.commit()
    assert _messages() == [] and _notified(case.id) == []
