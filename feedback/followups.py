"""Closing the loop: the sender of a formal PAKN gets a single-use rating link with the answer
(core.followups; surveys issues it and keeps the anonymous rating), and "not solved" within a
window reopens the case.

- ``on_transition`` (a TRANSITION_HOOK): when an answer to a formal case is sent, a follow-up
  row with its window (setting ``pakn.reopen_window_days``, in force on the day it was sent
  for the handling unit), the link (valid ``pakn.followup_link_days``, at least the window)
  and a message on the sender's reply channel through the outbox. By post, the link is the QR
  printed on the reply letter (feedback.letters).
- ``RECEIVER``: what the rating page asks (can it still reopen?) and what it reports (the
  rating). "Chưa" within the window reopens the case through the workflow (transition
  ``sender_reopen``: timeline, audit, new deadline); the setting ``pakn.reopen_route`` sends it
  back to its handling unit or escalates it to the unit of the leader who approved the answer.
  Outside the window the answer and its reason are put on the timeline, nothing reopens.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.clock import LOCAL_TZ, local, now
from core.extensions import db
from core.followups import (
    PAKN_CASE,
    FollowupRating,
    FollowupReceiver,
    FollowupStatus,
    LinkRequest,
    links,
)
from core.models import Role, RoleGrant, Unit, User
from core.settings import get_setting
from core.templating import format_date
from feedback.models import CaseState, FeedbackCase, FeedbackEvent, FeedbackFollowup, ReplyChannel
from feedback.notifications import notify_sender
from feedback.workflow import TransitionInput, add_event, current_answer, transition_case

WINDOW_SETTING = "pakn.reopen_window_days"
ROUTE_SETTING = "pakn.reopen_route"
LINK_DAYS_SETTING = "pakn.followup_link_days"
ESCALATE = "escalate"
REOPENABLE = frozenset({CaseState.ANSWERED.value, CaseState.PUBLISHED.value,
                        CaseState.CLOSED.value})


def _day_end(moment: datetime, days: int) -> datetime:
    """The end of the local day ``days`` after ``moment``'s: a window the sender can read as a
    date ("until 07/01/2027")."""
    last = local(moment).date() + timedelta(days=days)
    return datetime.combine(last, time.max, tzinfo=LOCAL_TZ)


def on_transition(case: FeedbackCase, event: FeedbackEvent) -> None:
    if event.action == "send_answer":
        start_followup(case)


def start_followup(case: FeedbackCase) -> FeedbackFollowup | None:
    """The follow-up of the answer just sent to ``case``'s sender, its link and its message;
    None for an informal case (no identity, no legal answer) or an app without surveys.
    Flushes; the caller commits."""
    issuer = links()
    unit = case.handling_unit or case.agency
    if issuer is None or not case.is_formal or unit is None:
        return None
    sent = case.answered_at or now()
    on = local(sent).date()
    window = int(get_setting(WINDOW_SETTING, on=on, unit=unit))
    valid = max(window, int(get_setting(LINK_DAYS_SETTING, on=on, unit=unit)))
    answer = current_answer(case)
    followup = FeedbackFollowup(case_id=case.id, answer_id=answer.id if answer else None,
                                handling_unit_id=unit.id, sent_at=sent,
                                reopen_until=_day_end(sent, window))
    db.session.add(followup)
    db.session.flush()
    url = issuer.issue(LinkRequest(PAKN_CASE, followup.id, unit.id, _day_end(sent, valid)))
    # By post the link travels as the QR on the reply letter, mailed with the answer.
    if case.reply_channel != ReplyChannel.POST.value:
        notify_sender(case, "followup", rating_url=url,
                      reopen_until=format_date(followup.reopen_until))
    return followup


def followup_link(case: FeedbackCase) -> str | None:
    """The rating link of the latest answer sent to ``case``'s sender (for the letter)."""
    issuer = links()
    followup = latest_followup(case)
    if issuer is None or followup is None:
        return None
    return issuer.url_of(PAKN_CASE, followup.id)


def latest_followup(case: FeedbackCase) -> FeedbackFollowup | None:
    return db.session.scalar(select(FeedbackFollowup).where(
        FeedbackFollowup.case_id == case.id).order_by(FeedbackFollowup.id.desc()).limit(1))


def _can_reopen(followup: FeedbackFollowup, at: datetime) -> bool:
    """Within the window, the case still stands answered, and no later answer was sent."""
    latest = latest_followup(followup.case)
    return (at <= followup.reopen_until and followup.case.state in REOPENABLE
            and latest is not None and latest.id == followup.id)


def followup_status(followup_id: int) -> FollowupStatus:
    followup = db.session.get(FeedbackFollowup, followup_id)
    if followup is None:
        return FollowupStatus(unit_name="", reopen_until=None, can_reopen=False)
    return FollowupStatus(unit_name=followup.handling_unit.name_vi,
                          reopen_until=followup.reopen_until,
                          can_reopen=_can_reopen(followup, now()))


def approver_unit(case: FeedbackCase) -> Unit | None:
    """The unit of the leader who approved the answer: their approver grant nearest above
    (or on) the handling unit, else their only approver grant; None if they hold none."""
    answer = current_answer(case)
    approver = db.session.get(User, answer.approved_by_id) if answer and \
        answer.approved_by_id else None
    if approver is None:
        return None
    units = [grant.unit for grant in db.session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == approver.id, RoleGrant.role == Role.APPROVER.value,
        RoleGrant.unit_id.is_not(None))) if grant.unit is not None and grant.unit.active]
    handling = case.handling_unit
    above = [u for u in units if handling is not None and handling.is_within(u)]
    if above:
        return max(above, key=lambda u: len(u.ancestor_ids()))
    return units[0] if len(units) == 1 else None


def record_followup(rating: FollowupRating) -> FollowupStatus:
    """Keep what the sender said and, for "not solved" within the window, reopen the case.
    Flushes; the caller (the rating page) commits with the response."""
    followup = db.session.get(FeedbackFollowup, rating.subject_id)
    if followup is None:
        return FollowupStatus(unit_name="", reopen_until=None, can_reopen=False)
    case = followup.case
    reopen = not rating.resolved and _can_reopen(followup, rating.at)
    followup.rated_at = rating.at
    followup.resolved = rating.resolved
    followup.satisfied_answers = rating.satisfied_answers
    followup.rated_answers = rating.rated_answers
    with force_locale("vi"):
        reason = rating.reason or _("The sender says the problem is not solved.")
    if reopen:
        _reopen(case, reason)
        followup.reopened_at = rating.at
    else:
        add_event(case, None, "sender_rated", reason=None if rating.resolved else reason,
                  data={"resolved": rating.resolved, "within_window":
                        rating.at <= followup.reopen_until})
    db.session.flush()
    return FollowupStatus(unit_name=followup.handling_unit.name_vi,
                          reopen_until=followup.reopen_until, can_reopen=False,
                          reopened=reopen)


def _reopen(case: FeedbackCase, reason: str) -> None:
    unit = case.handling_unit or case.agency
    route = get_setting(ROUTE_SETTING, unit=unit)
    target = approver_unit(case) if route == ESCALATE else None
    transition_case(case, "sender_reopen", None, TransitionInput(
        reason=reason, escalate=target is not None, handling_unit=target))


RECEIVER = FollowupReceiver(status=followup_status, record=record_followup)
