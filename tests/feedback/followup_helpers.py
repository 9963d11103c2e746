"""Builders for the follow-up rating tests (issue 14 §1): a formal case answered by email at a
set moment, the rating link read from the outbox, and a filled-in rating form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxMessage
from feedback import followups as feedback_followups
from feedback.models import ReplyChannel
from feedback.workflow import actions, timeline
from surveys import followups as survey_followups
from tests.feedback.helpers import answer_and_send, assign, submit_case
from tests.surveys.survey_page_helpers import old_token

BASE_URL = "https://pakn.example.gov.vn"
LINK = re.compile(re.escape(BASE_URL) + r"/p/[A-Za-z0-9_.\-]+")
# Monday 1 June 2026, 09:00 in Hà Nội: the answer is sent then.
SENT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def install_clock(monkeypatch) -> dict[str, datetime]:
    """core.clock's now, as the modules of this feature read it, set by the test through
    the returned dict's "at" (the test modules' ``clock`` fixture)."""
    current = {"at": SENT}

    def read() -> datetime:
        return current["at"]
    for module in (actions, timeline, feedback_followups, survey_followups):
        monkeypatch.setattr(module, "now", read)
    monkeypatch.setattr("surveys.tokens.now", read)
    # Received the Friday before the answer.
    monkeypatch.setattr("feedback.intake.now", lambda: SENT - timedelta(days=3))
    return current


def answered_case(org, clock, **fields):
    fields.setdefault("reply_channel", ReplyChannel.EMAIL.value)
    case = submit_case(org, **fields)
    assign(case, org)
    answer_and_send(case, org)
    return case


def rating_link(case) -> str:
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.purpose == "feedback.followup",
        OutboxMessage.object_id == str(case.id)))
    assert message is not None, "no rating link queued"
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def link_path(url: str) -> str:
    return url.removeprefix(BASE_URL)


def rating_form(resolved: int, reason: str = "", **ratings) -> dict[str, str]:
    version = survey_followups.followup_version()
    values = {"q9_37": "4", "q9_38": "5", "q9_39": "2", **ratings}
    return {"started": old_token(version.id), "resolved": str(resolved), "reason": reason,
            **values}
