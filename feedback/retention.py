"""Personal data lifecycle: deleting PAKN senders' contact data when the retention period
ends (DOMAIN.md §5: 36 months after the last contact by default, the setting
pakn.retention_months), and re-encrypting everything with the newest key (key rotation).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select

from core.audit import record_audit
from core.clock import now
from core.crypto import rotate_token
from core.extensions import db
from core.models import OutboxMessage, OutboxStatus, Unit
from core.settings import get_setting
from feedback.models import CaseState, FeedbackCase
from feedback.workflow import add_event

RETENTION_SETTING = "pakn.retention_months"
# Never an open case: its sender may still need to be answered.
PURGEABLE_STATES = (CaseState.CLOSED, CaseState.ANSWERED, CaseState.PUBLISHED,
                    CaseState.NOT_ACCEPTED, CaseState.TRANSFERRED)
BATCH = 500


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` earlier (the last day of a shorter month)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def purge_expired_contacts(at: datetime | None = None) -> dict[str, int]:
    """Remove the contact data and status-page digest of finished cases whose last contact
    is older than the retention period of their agency; blank the recipient and body of
    sent or dead outbox messages older than the (global) period. Flushes."""
    moment = at or now()
    agency_ids = db.session.execute(
        select(FeedbackCase.agency_id).distinct().where(
            FeedbackCase.state.in_([s.value for s in PURGEABLE_STATES]),
            FeedbackCase.contact_purged_at.is_(None),
            or_(FeedbackCase.contact_enc.is_not(None),
                FeedbackCase.second_factor_hash.is_not(None)))).scalars().all()
    purged = 0
    for agency_id in agency_ids:
        agency = db.session.get(Unit, agency_id)
        months = int(get_setting(RETENTION_SETTING, unit=agency))
        cutoff = months_before(moment, months)
        while True:
            cases = db.session.execute(
                select(FeedbackCase).where(
                    FeedbackCase.agency_id == agency_id,
                    FeedbackCase.state.in_([s.value for s in PURGEABLE_STATES]),
                    FeedbackCase.contact_purged_at.is_(None),
                    or_(FeedbackCase.contact_enc.is_not(None),
                        FeedbackCase.second_factor_hash.is_not(None)),
                    FeedbackCase.last_contact_at < cutoff)
                .order_by(FeedbackCase.id).limit(BATCH)).scalars().all()
            if not cases:
                break
            for case in cases:
                case.contact_enc = None
                case.second_factor_hash = None
                case.contact_purged_at = moment
                add_event(case, None, "contact_purged", data={"retention_months": months})
                record_audit("feedback.contact_purged", object_type="feedback_case",
                             object_id=case.id, unit_id=case.agency_id,
                             after={"retention_months": months,
                                    "last_contact_at": case.last_contact_at})
            purged += len(cases)
            db.session.flush()
    outbox = _purge_outbox(months_before(moment, int(get_setting(RETENTION_SETTING))))
    return {"cases": purged, "outbox": outbox}


def _purge_outbox(cutoff: datetime) -> int:
    rows = db.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.SENT.value, OutboxStatus.DEAD.value]),
            OutboxMessage.created_at < cutoff,
            OutboxMessage.recipient_enc != b"")).scalars().all()
    for message in rows:
        message.recipient_enc = b""
        message.body = ""
    if rows:
        record_audit("outbox.purged", object_type="outbox_message",
                     after={"messages": len(rows), "before": cutoff})
    db.session.flush()
    return len(rows)


def rotate_encryption_keys(batch_size: int = BATCH,
                           on_batch: Callable[[], None] | None = None) -> dict[str, int]:
    """Re-encrypt every case contact and outbox recipient with the newest key of
    CONTACT_KEYS, ``batch_size`` rows at a time (``on_batch`` runs after each batch: the CLI
    commits there). Returns how many rows of each were re-encrypted."""
    counts = {"cases": 0, "outbox": 0}
    for key, model, column in (("cases", FeedbackCase, FeedbackCase.contact_enc),
                               ("outbox", OutboxMessage, OutboxMessage.recipient_enc)):
        last_id = 0
        while True:
            rows = db.session.execute(
                select(model).where(model.id > last_id, column.is_not(None), column != b"")
                .order_by(model.id).limit(batch_size)).scalars().all()
            if not rows:
                break
            for row in rows:
                if key == "cases":
                    row.contact_enc = rotate_token(row.contact_enc)
                else:
                    row.recipient_enc = rotate_token(row.recipient_enc)
            last_id = rows[-1].id
            counts[key] += len(rows)
            db.session.flush()
            if on_batch is not None:
                on_batch()
    record_audit("crypto.keys_rotated", after=counts)
    db.session.flush()
    return counts


