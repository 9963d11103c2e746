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

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from sqlalchemy import select

from core.crypto import keyed_digest
from core.extensions import db, limiter
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


# Before acceptance the sender waits to hear whether it was accepted or transferred; once a
# unit handles it, for the answer. No date in other states (the step is done, or paused).
_WAITING_FOR_ACCEPTANCE = (CaseState.RECEIVED.value, CaseState.REGISTERED.value)
_WAITING_FOR_ANSWER = (CaseState.ASSIGNED.value, CaseState.IN_PROGRESS.value,
                       CaseState.ANSWER_DRAFTED.value, CaseState.APPROVED.value)


@dataclass(frozen=True)
class CitizenDeadlines:
    """The dates a sender is told, the same on the sent page, in every message and on the
    status page (templates feedback/public/_deadlines.html and messages/_deadlines.txt).

    ``acknowledge_by``: when the sender hears whether it was accepted or transferred. That is
    the acknowledgement limit (setting pakn.acknowledge_days, 10 working days, Law on Citizen
    Reception; DOMAIN.md §3), not the office's internal transfer limit (pakn.transfer_days, 5
    working days, Decree 20/2008), which only bounds the transfer itself; a rule that made the
    transfer later than the acknowledgement would move the promise with it. ``answer_by``: the
    answer limit, set when a unit is assigned (feedback.deadlines.set_answer_deadline);
    ``answer_pending`` says it is not set yet."""

    acknowledge_by: datetime | None = None
    answer_by: datetime | None = None
    answer_pending: bool = False

    def __bool__(self) -> bool:
        return bool(self.acknowledge_by or self.answer_by or self.answer_pending)


def citizen_deadlines(case: FeedbackCase) -> CitizenDeadlines:
    """What ``CitizenDeadlines`` the sender of ``case`` is told in its current state."""
    if is_suggestion(case):
        return CitizenDeadlines()
    if case.state in _WAITING_FOR_ACCEPTANCE:
        dates = [d for d in (case.acknowledge_due_at, case.transfer_due_at) if d is not None]
        return CitizenDeadlines(acknowledge_by=max(dates) if dates else None,
                                answer_by=case.answer_due_at,
                                answer_pending=case.answer_due_at is None)
    if case.state in _WAITING_FOR_ANSWER and case.answer_due_at is not None:
        return CitizenDeadlines(answer_by=case.answer_due_at)
    return CitizenDeadlines()


# Wrong lookups allowed per tracking code (a Flask-Limiter string): the four digits are a
# second factor of 10,000 values, so each code gets few tries, whoever asks and from where.
STATUS_ATTEMPTS = "5 per hour"
_ATTEMPTS_NAMESPACE = "pakn-status-code"


def _attempts() -> RateLimitItem:
    return parse(current_app.config.get("FEEDBACK_STATUS_CODE_LIMIT", STATUS_ATTEMPTS))


def _attempt_key(code_text: str | None) -> str | None:
    """The counter's key for what was typed: a digest of the normalised code (no tracking
    code in the limiter's storage), or None when it cannot be a code at all. Unknown codes
    count like known ones, so a lock says nothing about whether a code exists."""
    code = normalise_tracking_code(code_text or "")
    if code is None or not limiter.enabled:
        return None
    return keyed_digest(_ATTEMPTS_NAMESPACE, code)


def lookup_locked(code_text: str | None) -> bool:
    """True when the code had too many wrong lookups lately (FEEDBACK_STATUS_CODE_LIMIT).
    Counted in the rate limiter's storage: Redis, shared by every node, when configured."""
    key = _attempt_key(code_text)
    return key is not None and not limiter.limiter.test(_attempts(), _ATTEMPTS_NAMESPACE, key)


def note_failed_lookup(code_text: str | None) -> None:
    """Count a lookup of ``code_text`` that found nothing (unknown code or wrong digits)."""
    key = _attempt_key(code_text)
    if key is not None:
        limiter.limiter.hit(_attempts(), _ATTEMPTS_NAMESPACE, key)


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
    deadlines: CitizenDeadlines
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
    # Before assignment: the unit the sender chose, not the unit whose register holds it.
    unit = case.handling_unit or case.origin_unit or case.agency
    return unit.name(locale) if unit is not None else None


def public_status(case: FeedbackCase, locale: str = "vi") -> PublicStatus:
    status = PublicStatus(
        state=case.state, state_label=state_label(case.state), kind=case.kind,
        is_formal=case.is_formal, received_at=case.received_at,
        registered_at=case.registered_at, handling=_handling(case, locale),
        deadlines=citizen_deadlines(case), events=_public_events(case),
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
