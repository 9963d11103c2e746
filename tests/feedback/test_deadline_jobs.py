"""Deadline jobs: a reminder once per due date to the handling unit, an escalation once per
due date to leaders and the PAKN office, with timeline and audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import acting_as
from core.clock import now
from core.crypto import decrypt_text
from core.extensions import db
from core.models import AuditEntry, OutboxMessage
from core.workdays import add_working_days, deadline_end
from feedback.deadline_jobs import escalate_overdue, remind_due_cases
from feedback.models import FeedbackEvent
from feedback.tracking import format_tracking_code
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import assign, build_org, submit_case


@pytest.fixture
def org(app, make_unit, make_user):
    org = build_org(make_unit, make_user)
    org.handler.email = "handler@snv.example.vn"
    org.approver.email = "leader@snv.example.vn"
    org.officer.email = "pakn@tinh.example.vn"
    org.outsider.email = "outsider@stc.example.vn"
    org.department.email = "snv@example.vn"
    db.session.commit()
    return org


def _due_in(working_days: int):
    return deadline_end(add_working_days(now(), working_days, cutoff=None))


def _set_due(case, due) -> None:
    case.answer_due_at = case.due_at = due
    db.session.commit()


def _mail(purpose: str) -> dict[str, OutboxMessage]:
    rows = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)).scalars()
    return {decrypt_text(m.recipient_enc): m for m in rows}


def _events(case, action: str) -> list[FeedbackEvent]:
    return list(db.session.execute(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == action)).scalars())


def test_reminder_once_per_due_date(app, org):
    soon = submit_case(org)
    later = submit_case(org)
    elsewhere = submit_case(org)
    for case in (soon, later):
        assign(case, org)
    assign(elsewhere, org, unit=org.other_department)
    _set_due(soon, _due_in(1))
    _set_due(later, _due_in(5))
    _set_due(elsewhere, _due_in(1))

    counts = remind_due_cases()
    db.session.commit()
    assert counts == {"cases": 2, "units": 2, "messages": 4}
    mails = _mail("feedback.reminder")
    assert set(mails) == {"handler@snv.example.vn", "leader@snv.example.vn", "snv@example.vn",
                          "outsider@stc.example.vn"}
    body = mails["snv@example.vn"].body
    assert format_tracking_code(soon.tracking_code) in body
    assert f"/quan-tri/pakn/{soon.id}" in body
    assert "Sở Nội vụ" in mails["snv@example.vn"].subject
    assert format_tracking_code(later.tracking_code) not in body
    assert format_tracking_code(elsewhere.tracking_code) not in body
    assert format_tracking_code(elsewhere.tracking_code) in mails[
        "outsider@stc.example.vn"].body
    assert soon.reminded_at is not None and later.reminded_at is None
    assert len(_events(soon, "reminded")) == 1

    # Once: the next hourly run reminds nobody.
    assert remind_due_cases() == {"cases": 0, "units": 0, "messages": 0}
    db.session.commit()
    # The due date moves (an extension): reminded again when the new date comes near.
    transition_case(soon, "extend", org.handler,
                    TransitionInput(reason="Cần xác minh thêm", extension_days=10))
    db.session.commit()
    assert remind_due_cases()["cases"] == 0
    new_due = soon.due_at
    assert remind_due_cases(at=new_due - timedelta(days=1))["cases"] == 1


def test_suggestions_waiting_and_answered_cases_get_no_reminder(app, org):
    waiting = submit_case(org)
    assign(waiting, org)
    _set_due(waiting, _due_in(1))
    transition_case(waiting, "start", org.handler)
    transition_case(waiting, "pause", org.handler, TransitionInput(reason="Chờ bổ sung"))
    db.session.commit()
    assert waiting.due_at is None  # paused: no deadline runs
    suggestion = submit_case(org, contact=None, kind="suggestion")
    assign(suggestion, org)
    assert suggestion.due_at is None
    assert remind_due_cases()["cases"] == 0


def test_escalation_once_with_audit(app, org):
    late = submit_case(org)
    assign(late, org)
    _set_due(late, now() - timedelta(hours=2))
    on_time = submit_case(org)
    assign(on_time, org)

    with acting_as("job:feedback.escalate"):
        counts = escalate_overdue()
    db.session.commit()
    assert counts == {"cases": 1, "messages": 2}
    mails = _mail("feedback.escalation")
    # The unit's leader and the agency's PAKN office; not the handler.
    assert set(mails) == {"leader@snv.example.vn", "pakn@tinh.example.vn"}
    assert format_tracking_code(late.tracking_code) in mails["leader@snv.example.vn"].body
    assert format_tracking_code(on_time.tracking_code) not in mails[
        "leader@snv.example.vn"].body
    assert late.escalated_at is not None and on_time.escalated_at is None
    [event] = _events(late, "escalated")
    assert event.data["recipients"] == 2
    [entry] = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.escalated")).scalars()
    assert entry.object_id == str(late.id) and entry.actor_label == "job:feedback.escalate"

    assert escalate_overdue() == {"cases": 0, "messages": 0}


def test_overdue_triage_goes_to_the_pakn_office(app, org, make_user):
    from core.models import Role

    make_user(Role.APPROVER, org.province, username="chairman", email="chu.tich@tinh.vn")
    case = submit_case(org)  # received, transfer deadline running
    case.transfer_due_at = case.due_at = now() - timedelta(days=1)
    db.session.commit()
    assert escalate_overdue()["cases"] == 1
    assert set(_mail("feedback.escalation")) == {"pakn@tinh.example.vn", "chu.tich@tinh.vn"}


def test_cli_remind_and_escalate(app, org):
    late = submit_case(org)
    assign(late, org)
    _set_due(late, now() - timedelta(hours=1))
    soon = submit_case(org)
    assign(soon, org)
    _set_due(soon, _due_in(1))
    db.session.rollback()
    runner = app.test_cli_runner()
    remind = runner.invoke(args=["feedback", "remind"])
    assert remind.exit_code == 0, remind.output
    assert "Reminded 1 unit(s) of 1 case(s); 3 message(s) queued." in remind.output
    escalate = runner.invoke(args=["feedback", "escalate-late"])
    assert escalate.exit_code == 0, escalate.output
    assert "Escalated 1 overdue case(s); 2 message(s) queued." in escalate.output
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.escalated")).scalar_one()
    assert entry.actor_label == "cli:feedback-escalate"
    db.session.rollback()
    again = runner.invoke(args=["feedback", "escalate-late"])
    assert "Escalated 0 overdue case(s)" in again.output
