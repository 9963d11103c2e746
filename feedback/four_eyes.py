"""Four eyes on what goes out (issue #15 item 6): whoever drafted an answer cannot approve
it, and whoever prepared or edited the public text of a publication cannot publish it. The
rule is the effective-dated setting ``pakn.four_eyes`` (on by default, per unit), so a
one-person office can switch it off from a date and the audit log still says who did what.

The workflow's approve and publish transitions call the checks; both return the audit details
that name the two people (the author and the approver).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.access import Actor
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, User
from core.settings import get_setting
from feedback.models import FeedbackAnswer, FeedbackCase, Publication

FOUR_EYES_SETTING = "pakn.four_eyes"
# The audit actions that write a publication's public text (feedback.publication).
PREPARE_ACTION = "feedback.publication_prepare"
EDIT_ACTION = "feedback.publication_edit"


class FourEyesRefused(ServiceError):
    """The approver wrote what is to be approved: forbidden to this person, not a bad state."""

    status = 403


def four_eyes_applies(case: FeedbackCase) -> bool:
    """Whether the setting is on today for the unit that approves (the handling unit)."""
    return bool(get_setting(FOUR_EYES_SETTING, on=today(), unit=case.handling_unit or case.agency))


def _user_id(actor: Actor | None) -> int | None:
    return actor.id if isinstance(actor, User) else None


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.username if user is not None else None


def _people(role: str, author_ids: list[int], approver_id: int | None) -> dict:
    return {f"{role}_ids": author_ids,
            role: [_username(i) for i in author_ids],
            "approved_by_id": approver_id, "approved_by": _username(approver_id)}


def check_answer_approver(case: FeedbackCase, answer: FeedbackAnswer,
                          actor: Actor | None) -> dict:
    """Refuse the answer's drafter as its approver; the audit details naming both."""
    approver_id = _user_id(actor)
    drafters = [answer.drafted_by_id] if answer.drafted_by_id is not None else []
    if approver_id is not None and approver_id in drafters and four_eyes_applies(case):
        raise FourEyesRefused(_("You drafted this answer, so you cannot approve it: another "
                                "approver must check it (four eyes)."))
    return _people("drafted_by", drafters, approver_id)


def publication_writers(pub: Publication) -> list[int]:
    """Who wrote the current public text: its preparer and everyone who edited it since it
    was last prepared (read from the audit log, which records each prepare and edit)."""
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_user_id)
        .where(AuditEntry.object_type == "feedback_publication",
               AuditEntry.object_id == str(pub.id),
               AuditEntry.action.in_((PREPARE_ACTION, EDIT_ACTION)))
        .order_by(AuditEntry.id)).all()
    writers: list[int] = []
    for action, user_id in rows:
        if action == PREPARE_ACTION:
            writers = []  # a fresh copy from the case: earlier edits are gone
        if user_id is not None and user_id not in writers:
            writers.append(user_id)
    if pub.prepared_by_id is not None and pub.prepared_by_id not in writers:
        writers.insert(0, pub.prepared_by_id)
    return writers


def writer_names(pub: Publication) -> list[str]:
    return [name for name in map(_username, publication_writers(pub)) if name]


def may_publish_own(case: FeedbackCase, pub: Publication | None, actor: Actor | None) -> bool:
    """False when four eyes stop ``actor`` from publishing ``pub`` (for the page's hint)."""
    user_id = _user_id(actor)
    if pub is None or user_id is None or not four_eyes_applies(case):
        return True
    return user_id not in publication_writers(pub)


def check_publication_approver(case: FeedbackCase, pub: Publication,
                               actor: Actor | None) -> dict:
    """Refuse whoever prepared or edited the public text as its publisher; the audit details
    naming both."""
    approver_id = _user_id(actor)
    writers = publication_writers(pub)
    if approver_id is not None and approver_id in writers and four_eyes_applies(case):
        raise FourEyesRefused(_("You prepared or edited this public text, so you cannot "
                                "approve its publication: another approver must check it "
                                "(four eyes)."))
    return _people("prepared_by", writers, approver_id)
