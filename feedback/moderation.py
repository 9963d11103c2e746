"""The public moderation log (issue 14, section 5): what was kept off the public pages and why.

Officers decide not to publish a case with a reason from the fixed list
(``feedback.reasons.NON_PUBLICATION_REASONS``); the decision is audited and publishing the case
later drops it. ``moderation_log`` counts, for an agency's subtree and a period, the cases not
published by reason, the answers published with text removed by the redaction, and the median
days from the answer being sent to its publication. It reads codes, counts and times only,
never a case's or a publication's text.

Small counts are shown as they are, like the PAKN counts of the public transparency pages: a
count of moderation decisions says nothing about any person (no content, no topic, no date
finer than the period), and hiding small ones would hide exactly what a moderation log exists
to show.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.access import Actor
from core.audit import record_audit
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from feedback.kpis import period_bounds, within_unit_clause
from feedback.models import CaseState, FeedbackCase, NonPublication, Publication
from feedback.publication import can_prepare, publication_of
from feedback.reasons import NON_PUBLICATION_REASONS

# Cases whose handling is over: the moment to decide whether the public sees them.
DECIDABLE_STATES = frozenset({CaseState.ANSWERED.value, CaseState.CLOSED.value,
                              CaseState.NOT_ACCEPTED.value, CaseState.TRANSFERRED.value})
SECONDS_PER_DAY = 86_400


def non_publication_of(case: FeedbackCase) -> NonPublication | None:
    return db.session.execute(select(NonPublication).where(
        NonPublication.case_id == case.id)).scalar_one_or_none()


def decide_not_to_publish(case: FeedbackCase, actor: Actor, reason: str) -> NonPublication:
    """Record (or change the reason of) the decision not to publish ``case``. Audited.
    Flushes; the caller commits."""
    if not can_prepare(actor, case):
        raise ServiceError(_("You may not decide on the publication of this case."),
                           status=403)
    if reason not in NON_PUBLICATION_REASONS:
        raise ServiceError(_("Choose the reason from the list."), status=400, field="reason")
    pub = publication_of(case)
    if case.state not in DECIDABLE_STATES or (pub is not None and pub.status == "published"):
        raise ServiceError(_("Only a case that is handled and not on the public pages can be "
                             "kept off them (withdraw a published answer first)."),
                           status=409)
    decision = non_publication_of(case)
    before = {"reason": decision.reason} if decision is not None else None
    if decision is None:
        decision = NonPublication(case_id=case.id, case=case)
        db.session.add(decision)
    decision.reason = reason
    decision.decided_by_id = actor.id if isinstance(actor, User) else None
    decision.decided_at = now()
    db.session.flush()
    record_audit("feedback.not_published", object_type="feedback_case", object_id=case.id,
                 unit_id=case.agency_id, before=before, after={"reason": reason})
    return decision


@dataclass
class ModerationLog:
    unit: Unit
    first_day: date
    last_day: date
    # Reason code → cases kept off the public pages by a decision taken in the period, for
    # every reason of the list (0 included), in the list's order.
    not_published: dict[str, int] = field(default_factory=dict)
    published: int = 0                 # answers published in the period
    published_with_removals: int = 0   # … whose text had something removed
    withdrawn: int = 0                 # … since taken off the public pages
    # Days from the answer being sent to its publication, over the answers published in the
    # period (None when none was).
    median_days: float | None = None

    @property
    def not_published_total(self) -> int:
        return sum(self.not_published.values())


def moderation_log(unit: Unit, first_day: date, last_day: date) -> ModerationLog:
    """The moderation figures of ``unit``'s subtree (cases registered or handled there) for
    the days ``first_day`` to ``last_day``, both included."""
    start, end = period_bounds((first_day, last_day))
    inside = within_unit_clause(unit)
    reasons = db.session.execute(
        select(NonPublication.reason)
        .join(FeedbackCase, FeedbackCase.id == NonPublication.case_id)
        .where(inside, NonPublication.decided_at >= start, NonPublication.decided_at < end)
    ).scalars().all()
    log = ModerationLog(unit=unit, first_day=first_day, last_day=last_day,
                        not_published={code: 0 for code in NON_PUBLICATION_REASONS})
    for reason in reasons:
        log.not_published[reason] = log.not_published.get(reason, 0) + 1
    rows = db.session.execute(
        select(Publication.status, Publication.redactions, Publication.answered_at,
               Publication.published_at)
        .join(FeedbackCase, FeedbackCase.id == Publication.case_id)
        .where(inside, Publication.status.in_(("published", "withdrawn")),
               Publication.published_at >= start, Publication.published_at < end)).all()
    delays = []
    for status, redactions, answered_at, published_at in rows:
        log.published += 1
        log.published_with_removals += bool(redactions)
        log.withdrawn += status == "withdrawn"
        if answered_at is not None:
            delays.append((published_at - answered_at).total_seconds() / SECONDS_PER_DAY)
    if delays:
        log.median_days = round(statistics.median(delays), 1)
    return log
