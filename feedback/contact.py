"""Revealing a sender's contact data: only for FEEDBACK_CONTACT_VIEW holders on the case, and
every reveal is written to the audit log and the case's timeline (who saw it, when, why)."""

from __future__ import annotations

from flask_babel import gettext as _

from core.access import Actor, Permission
from core.audit import record_audit, record_audit_now
from core.crypto import decrypt_json
from core.exceptions import ServiceError
from feedback.case_access import can_on_case
from feedback.intake import Contact, clean_text
from feedback.models import FeedbackCase
from feedback.workflow import add_event

MAX_REASON = 300


def can_reveal_contact(actor: Actor | None, case: FeedbackCase) -> bool:
    return can_on_case(actor, Permission.FEEDBACK_CONTACT_VIEW, case)


def reveal_contact(case: FeedbackCase, actor: Actor, reason: str) -> Contact:
    """Decrypt the sender's contact data for ``actor``. Writes the audit entry
    "feedback.contact_reveal" and a timeline event (neither holds the data itself). Flushes
    nothing by itself; the caller commits so that the record is kept."""
    if not can_reveal_contact(actor, case):
        record_audit_now("access.denied", object_type="feedback_case", object_id=case.id,
                         unit_id=case.agency_id,
                         reason=Permission.FEEDBACK_CONTACT_VIEW.value)
        raise ServiceError(_("You may not see the sender's contact details."), status=403)
    reason = clean_text(reason)[:MAX_REASON]
    if not reason:
        raise ServiceError(_("Say why you need the contact details."), status=400,
                           field="reason")
    if case.contact_enc is None:
        message = (_("The contact details were deleted at the end of the retention period.")
                   if case.contact_purged_at else _("The sender left no contact details."))
        raise ServiceError(message, status=404)
    data = decrypt_json(case.contact_enc)
    contact = Contact(**{name: str(data.get(name) or "")
                         for name in ("name", "address", "phone", "email")})
    record_audit("feedback.contact_reveal", object_type="feedback_case", object_id=case.id,
                 unit_id=case.agency_id, reason=reason)
    add_event(case, actor, "contact_reveal", reason=reason)
    return contact
