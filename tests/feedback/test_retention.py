"""Retention: senders' contact data of finished cases is deleted after pakn.retention_months
without contact; open cases are never touched; old outbox rows lose recipient and body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import now, today
from core.extensions import db
from core.models import AuditEntry, OutboxMessage, OutboxStatus
from core.outbox import queue_message
from core.settings import set_setting
from feedback.models import FeedbackEvent
from feedback.retention import months_before, purge_expired_contacts
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import assign, build_org, submit_case


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _finished(org, months_ago: int):
    case = submit_case(org, reply_channel="email")
    transition_case(case, "reject", org.officer, TransitionInput(reason="Không đủ điều kiện"))
    case.last_contact_at = months_before(now(), months_ago)
    db.session.commit()
    return case


def test_months_before():
    from datetime import UTC, datetime

    assert months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 9, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 36) == datetime(
        2023, 1, 15, tzinfo=UTC)


def test_finished_cases_lose_contact_data_after_the_period(app, org):
    old = _finished(org, 37)
    recent = _finished(org, 35)
    open_case = submit_case(org)
    assign(open_case, org)
    open_case.last_contact_at = months_before(now(), 60)
    db.session.commit()
    assert old.contact_enc is not None and old.second_factor_hash is not None

    counts = purge_expired_contacts()
    db.session.commit()
    assert counts["cases"] == 1
    assert old.contact_enc is None and old.second_factor_hash is None
    assert old.contact_purged_at is not None
    assert recent.contact_enc is not None and recent.contact_purged_at is None
    assert open_case.contact_enc is not None and open_case.second_factor_hash is not None
    [event] = db.session.execute(select(FeedbackEvent).where(
        FeedbackEvent.case_id == old.id, FeedbackEvent.action == "contact_purged")).scalars()
    assert event.data == {"retention_months": 36}
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_purged")).scalar_one()
    assert entry.object_id == str(old.id)
    # Idempotent.
    assert purge_expired_contacts()["cases"] == 0


def test_the_setting_decides_the_period(app, org):
    case = _finished(org, 13)
    assert purge_expired_contacts()["cases"] == 0
    set_setting("pakn.retention_months", 12, effective_from=today(), note="Quyết định số 1")
    db.session.commit()
    assert purge_expired_contacts()["cases"] == 1
    assert case.contact_enc is None


def test_old_sent_and_dead_outbox_rows_are_blanked(app, org):
    rows = {}
    for name, status, age in (("old_sent", OutboxStatus.SENT, 40), ("old_dead",
                              OutboxStatus.DEAD, 40), ("old_pending", OutboxStatus.PENDING, 40),
                              ("new_sent", OutboxStatus.SENT, 1)):
        message = queue_message("email", f"{name}@example.vn", subject="S", body="Nội dung",
                                purpose="test")
        message.status = status.value
        message.created_at = months_before(now(), age) - timedelta(days=1)
        rows[name] = message
    db.session.commit()
    assert purge_expired_contacts()["outbox"] == 2
    db.session.commit()
    for name in ("old_sent", "old_dead"):
        assert rows[name].recipient_enc == b"" and rows[name].body == ""
    for name in ("old_pending", "new_sent"):
        assert rows[name].recipient_enc != b"" and rows[name].body == "Nội dung"
    assert db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient_enc == b"")).scalars().all() != []


def test_cli_purge_contacts(app, org):
    case = _finished(org, 40)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["feedback", "purge-contacts"])
    assert result.exit_code == 0, result.output
    assert "Contact data removed from 1 case(s)" in result.output
    db.session.expire_all()
    assert case.contact_enc is None
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_purged")).scalar_one()
    assert entry.actor_label == "cli:feedback-purge-contacts"
