"""The public status of a case, looked up by tracking code (and, for a case that carries a
phone number, its last four digits).

``find_case_for_status`` answers None for an unknown code, a code whose check character is
wrong and wrong digits alike, so the page can give one message with no hint which was wrong.
``public_status`` builds what the page shows: nothing personal (no contact data, no names of
officers, no free-text reasons), only states, dates, units and the answer that was sent.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from feedback.intake import SECOND_FACTOR_DIGITS, phone_digits, second_factor_digest
from feedback.models import (
    AnswerStatus,
    CaseState,
    FeedbackCase,
    FeedbackEvent,
    Kind,
    Publication,
)
from feedback.redaction import redact
from feedback.tracking import normalise_tracking_code
from feedback.workflow import current_answer, state_label

# A well-formed code that no case has: wrong guesses still compute a digest, so an unknown
# code does not answer measurably faster than wrong digits.
_DUMMY_CODE = "000000000"


def find_case_for_status(code_text: str | None, digits_text: str | None) -> FeedbackCase | None:
    """The case whose tracking code is ``code_text`` and, when the case has a second factor,
    whose phone ends in ``digits_text``; otherwise None, whatever the reason."""
    code = normalise_tracking_code(code_text or "")
    digits = phone_digits(digits_text or "")
    case = None
    if code is not None:
        case = db.session.execute(
            select(FeedbackCase).where(FeedbackCase.tracking_code == code)).scalar_one_or_none()
    expected = case.second_factor_hash if case is not None else None
    given = second_factor_digest(code or _DUMMY_CODE, digits[-SECOND_FACTOR_DIGITS:])
    if case is None:
        return None
    if expected is None:
        return case
    if len(digits) != SECOND_FACTOR_DIGITS:
        return None
    return case if hmac.compare_digest(expected, given) else None


@dataclass
class PublicEvent:
    at: datetime
    label: str


@dataclass
class PublicStatus:
    state: str
    state_label: str
    kind: str
    is_formal: bool
    received_at: datetime
    registered_at: datetime | None
    handling: str | None          # the unit handling it, or "transferred to …"
    due_at: datetime | None
    due_label: str | None
    events: list[PublicEvent] = field(default_factory=list)
    answer: str | None = None
    answered_at: datetime | None = None
    publication_slug: str | None = None
    merged: bool = False
    master_state_label: str | None = None
    master_due_at: datetime | None = None
    looks_like_complaint: bool = False


def _event_label(event: FeedbackEvent) -> str:
    data = event.data or {}
    action = event.action
    if action == "receive":
        return _("Received")
    if action == "reject":
        return _("Not accepted as a PAKN")
    if action == "transfer" and data.get("transferred_to"):
        return _("Transferred to %(agency)s", agency=data["transferred_to"])
    if action in ("assign", "reassign") and data.get("handling_unit"):
        return _("Sent to %(unit)s for handling", unit=data["handling_unit"])
    if action == "pause":
        return _("Waiting for more information from the sender")
    if action == "extend":
        return _("The time to answer was extended")
    if action == "send_answer":
        return _("Answer sent")
    if action == "reopen":
        return _("Reopened")
    if action == "merge":
        return _("Merged with a related case: they are answered together")
    if event.to_state:
        return state_label(event.to_state)
    return _("Updated")


def _public_events(case: FeedbackCase) -> list[PublicEvent]:
    rows = db.session.execute(
        select(FeedbackEvent).where(FeedbackEvent.case_id == case.id,
                                    FeedbackEvent.public.is_(True))
        .order_by(FeedbackEvent.at, FeedbackEvent.id)).scalars()
    return [PublicEvent(at=row.at, label=_event_label(row)) for row in rows]


def _sent_answer(case: FeedbackCase):
    answer = current_answer(case)
    if answer is not None and answer.status == AnswerStatus.SENT.value:
        return answer
    return None


def _handling(case: FeedbackCase, locale: str) -> str | None:
    if case.state == CaseState.TRANSFERRED.value and case.transferred_to:
        return _("Transferred to %(agency)s", agency=case.transferred_to)
    if case.handling_unit is not None:
        return case.handling_unit.name(locale)
    return case.agency.name(locale) if case.agency is not None else None


def _due_label(case: FeedbackCase) -> str | None:
    if case.due_at is None:
        return None
    if case.state in (CaseState.RECEIVED.value, CaseState.REGISTERED.value):
        return _("Decision on acceptance or transfer due by")
    return _("Answer due by")


def public_status(case: FeedbackCase, locale: str = "vi") -> PublicStatus:
    status = PublicStatus(
        state=case.state, state_label=state_label(case.state), kind=case.kind,
        is_formal=case.is_formal, received_at=case.received_at,
        registered_at=case.registered_at, handling=_handling(case, locale),
        due_at=case.due_at, due_label=_due_label(case), events=_public_events(case),
        looks_like_complaint=case.looks_like_complaint)
    answered_by = case
    master = case.master if case.master_id is not None else None
    if master is not None:
        if case.state == CaseState.MERGED.value:
            status.merged = True
            status.master_state_label = state_label(master.state)
            status.master_due_at = master.due_at
        answered_by = master
    answer = _sent_answer(case) or (_sent_answer(answered_by) if answered_by is not case
                                    else None)
    if answer is not None and case.state in (CaseState.ANSWERED.value,
                                             CaseState.PUBLISHED.value,
                                             CaseState.CLOSED.value):
        # The full letter only behind the phone digits and only to its own sender: a code
        # alone (a suggestion without a phone) or the master's answer seen by a merged
        # case's sender shows the text with names, numbers and addresses removed.
        protected = case.second_factor_hash is not None and answered_by is case
        status.answer = answer.body if protected else redact(answer.body).text
        status.answered_at = answer.sent_at or case.answered_at
    publication = db.session.execute(
        select(Publication).where(Publication.case_id == answered_by.id,
                                  Publication.status == "published")).scalar_one_or_none()
    if publication is not None and status.answer is not None:
        status.publication_slug = publication.slug
    return status


def is_suggestion(case: FeedbackCase) -> bool:
    return case.kind == Kind.SUGGESTION.value or not case.is_formal
