"""Intake: one service for every channel (web form, QR, survey offer, officer entry for
hotline, letters, suggestion box and meetings, email, the JSON API and Open311).

A formal PAKN carries the sender's name, address and phone (DOMAIN.md §3); without them the
submission is kept as a suggestion (góp ý) with no legal deadline, never refused. Contact data
is encrypted before it reaches the session (core.crypto); the status page's second factor
(the phone's last four digits) is kept only as a keyed digest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit import record_audit
from core.clock import now
from core.crypto import encrypt_json, keyed_digest
from core.exceptions import ServiceError
from core.extensions import db
from core.models import ApiKey, Unit, UnitKind, User
from core.text import fold
from feedback import deadlines
from feedback.models import (
    CaseState,
    FeedbackCase,
    FeedbackEvent,
    IntakeChannel,
    Kind,
    ReplyChannel,
    Topic,
)
from feedback.tracking import new_tracking_code

MAX_CONTENT = 10_000
MAX_TITLE = 300
SECOND_FACTOR_DIGITS = 4
# Words that mark a complaint (khiếu nại) or denunciation (tố cáo): those follow other laws,
# so the form and the officer point the sender to the right procedure.
COMPLAINT_WORDS = ("khieu nai", "to cao", "complaint", "denunciation")
# Matched at the start of a word: "máy photo cao cấp" is not a denunciation.
_COMPLAINT_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in COMPLAINT_WORDS) + ")")


@dataclass
class Contact:
    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""

    def is_complete(self) -> bool:
        """Name, address and phone: what a formal PAKN needs."""
        return bool(self.name.strip() and self.address.strip() and self.phone.strip())

    def is_empty(self) -> bool:
        return not any((self.name.strip(), self.address.strip(), self.phone.strip(),
                        self.email.strip()))

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name.strip(), "address": self.address.strip(),
                "phone": self.phone.strip(), "email": self.email.strip()}


@dataclass
class FeedbackSubmission:
    content: str
    kind: str = Kind.REPORT.value
    topic: str = Topic.OTHER.value
    channel: str = IntakeChannel.WEB.value
    title: str = ""
    agency: Unit | None = None          # defaults to the register unit of origin_unit/desk
    origin_unit: Unit | None = None
    desk: Unit | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    dossier_code: str | None = None
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    sender_type: str = "person"
    contact: Contact = field(default_factory=Contact)
    reply_channel: str = ReplyChannel.NONE.value
    idempotency_key: str | None = None
    received_at: object = None          # datetime; defaults to now (officer entry may backdate)
    created_by: User | None = None
    api_key: ApiKey | None = None


# Called after a case is created, in the same transaction.
INTAKE_HOOKS: list[Callable[[FeedbackCase], None]] = []
# Called by ``prepare_feedback`` with the new case before it is stored; each returns the work
# left for once the case has its id (run by ``store_feedback`` in the same transaction), or
# None. What needs no id runs here, so that on SQLite it runs before the write lock is taken,
# not while every other submission waits for it: the "received" notification renders its
# message and encrypts its address here (feedback.notifications).
Finisher = Callable[[FeedbackCase], object]
INTAKE_PREPARERS: list[Callable[[FeedbackCase], Finisher | None]] = []


def clean_text(text: str | None) -> str:
    """NFC, no control characters except line breaks and tabs, trimmed."""
    # "\r" is a control character too: browsers send a textarea's line breaks as "\r\n".
    text = unicodedata.normalize("NFC", text or "").replace("\r", "")
    if not text.replace("\n", "").replace("\t", "").isprintable():
        # Rare (a control or format character, or a space other than " "): the character
        # by character filter, which costs about a millisecond per 10,000 characters.
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def second_factor_digest(tracking_code: str, last_digits: str) -> str:
    return keyed_digest("feedback-status", tracking_code, last_digits)


def looks_like_complaint(text: str) -> bool:
    return _COMPLAINT_RE.search(fold(text)) is not None


def register_unit_of(unit: Unit) -> Unit:
    """The unit whose PAKN register receives cases about ``unit``: the nearest province or
    commune above it (or itself), else the root of its tree."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    ancestors = {u.id: u for u in db.session.execute(
        select(Unit).where(Unit.id.in_(ids))).scalars()}
    for unit_id in reversed(ids):
        candidate = ancestors.get(unit_id)
        if candidate is not None and candidate.kind in (UnitKind.PROVINCE.value,
                                                        UnitKind.COMMUNE.value):
            return candidate
    return ancestors.get(ids[0], unit) if ids else unit


def _validate(sub: FeedbackSubmission) -> None:
    if not sub.content:
        raise ServiceError(_("Write what you want to report or recommend."), status=400,
                           field="content")
    if len(sub.content) > MAX_CONTENT:
        raise ServiceError(_("The text is too long (at most %(n)d characters).", n=MAX_CONTENT),
                           status=400, field="content")
    if sub.kind not in {k.value for k in Kind}:
        raise ServiceError(_("Choose a kind."), status=400, field="kind")
    if sub.topic not in {t.value for t in Topic}:
        raise ServiceError(_("Choose a topic."), status=400, field="topic")
    if sub.channel not in {c.value for c in IntakeChannel}:
        raise ServiceError(_("Unknown channel."), status=400, field="channel")
    if sub.reply_channel not in {r.value for r in ReplyChannel}:
        raise ServiceError(_("Unknown reply channel."), status=400, field="reply_channel")
    if sub.reply_channel == ReplyChannel.EMAIL.value and not sub.contact.email.strip():
        raise ServiceError(_("Give an email address to be answered by email."), status=400,
                           field="email")
    if sub.reply_channel in (ReplyChannel.SMS.value, ReplyChannel.ZALO.value) and \
            len(phone_digits(sub.contact.phone)) < 9:
        raise ServiceError(_("Give a phone number to be answered by SMS or Zalo."),
                           status=400, field="phone")
    if sub.contact.phone.strip() and not 9 <= len(phone_digits(sub.contact.phone)) <= 15:
        raise ServiceError(_("The phone number does not look right."), status=400,
                           field="phone")


def existing_submission(idempotency_key: str | None) -> FeedbackCase | None:
    if not idempotency_key:
        return None
    return db.session.execute(select(FeedbackCase).where(
        FeedbackCase.idempotency_key == idempotency_key)).scalar_one_or_none()


@dataclass
class PreparedSubmission:
    """A checked submission, ready to store: the new case (not yet in the session), or the
    case an earlier submission with the same idempotency key created."""

    case: FeedbackCase
    created: bool
    submission: FeedbackSubmission
    finishers: list[Finisher] = field(default_factory=list)


def submit_feedback(sub: FeedbackSubmission) -> tuple[FeedbackCase, bool]:
    """Create the case (state "received") or, for a repeated idempotency key, return the
    case already created. Returns (case, created). Flushes; the caller commits."""
    return store_feedback(prepare_feedback(sub))


def prepare_feedback(sub: FeedbackSubmission) -> PreparedSubmission:
    """Everything that only reads: the idempotency check, cleaning and validation, the
    register unit, deadlines, encryption, the INTAKE_PREPARERS (the "received" message).
    Split from ``store_feedback`` so that on SQLite a busy form does this before taking the
    database's single write lock."""
    previous = existing_submission(sub.idempotency_key)
    if previous is not None:
        return PreparedSubmission(previous, False, sub)
    sub.content = clean_text(sub.content)
    sub.title = clean_text(sub.title)[:MAX_TITLE]
    for name in ("name", "address", "phone", "email"):
        setattr(sub.contact, name, clean_text(getattr(sub.contact, name))[:300])
    _validate(sub)
    origin = sub.origin_unit or (sub.desk.parent if sub.desk is not None else None)
    agency = sub.agency
    if agency is None and (origin or sub.desk) is not None:
        agency = register_unit_of(origin or sub.desk)
    if agency is None:
        raise ServiceError(_("Choose the agency or unit the feedback is about."), status=400,
                           field="unit")
    formal = sub.kind != Kind.SUGGESTION.value and sub.contact.is_complete()
    kind = sub.kind if formal or sub.kind == Kind.SUGGESTION.value else Kind.SUGGESTION.value
    case = FeedbackCase(
        tracking_code=new_tracking_code(), idempotency_key=sub.idempotency_key,
        kind=kind, is_formal=formal, topic=sub.topic, channel=sub.channel,
        state=CaseState.RECEIVED.value, title=sub.title or _summary(sub.content),
        content=sub.content, search_text=fold(f"{sub.title} {sub.content}"),
        looks_like_complaint=looks_like_complaint(sub.content),
        agency_id=agency.id, agency=agency, origin_unit=origin, desk=sub.desk,
        procedure_code=(sub.procedure_code or "").strip()[:64] or None,
        procedure_name=(sub.procedure_name or "").strip()[:500] or None,
        dossier_code=(sub.dossier_code or "").strip()[:64] or None,
        location_text=(sub.location_text or "").strip()[:300] or None,
        latitude=sub.latitude, longitude=sub.longitude, sender_type=sub.sender_type,
        reply_channel=sub.reply_channel,
        received_at=sub.received_at or now(), last_contact_at=now(),
        created_by_id=sub.created_by.id if sub.created_by else None,
        api_key_id=sub.api_key.id if sub.api_key else None,
    )
    if not sub.contact.is_empty():
        case.contact_enc = encrypt_json(sub.contact.as_dict())
        digits = phone_digits(sub.contact.phone)
        if len(digits) >= SECOND_FACTOR_DIGITS:
            case.second_factor_hash = second_factor_digest(
                case.tracking_code, digits[-SECOND_FACTOR_DIGITS:])
    deadlines.set_initial_deadlines(case)
    return PreparedSubmission(case, True, sub, prepare_hooks(case))


def prepare_hooks(case: FeedbackCase) -> list[Finisher]:
    """Run the INTAKE_PREPARERS on a case not yet stored; returns what they left to do."""
    finishers = (prepare(case) for prepare in INTAKE_PREPARERS)
    return [finish for finish in finishers if finish is not None]


def store_feedback(prepared: PreparedSubmission) -> tuple[FeedbackCase, bool]:
    """Write a prepared case with its timeline event, audit entry and notifications."""
    if not prepared.created:
        return prepared.case, False
    case, sub = prepared.case, prepared.submission
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        # The same idempotency key committed by a concurrent request: return that case.
        previous = existing_submission(sub.idempotency_key)
        if previous is None:
            raise
        return previous, False
    db.session.add(FeedbackEvent(case_id=case.id, at=now(), action="receive",
                                 to_state=CaseState.RECEIVED.value, public=True,
                                 data={"channel": case.channel, "formal": case.is_formal},
                                 actor_id=sub.created_by.id if sub.created_by else None))
    record_audit("feedback.receive", object_type="feedback_case", object_id=case.id,
                 unit_id=case.agency_id, after={"channel": case.channel, "kind": case.kind,
                                                "formal": case.is_formal})
    for finish in prepared.finishers:
        finish(case)
    for hook in INTAKE_HOOKS:
        hook(case)
    return case, True


def _summary(content: str, length: int = 120) -> str:
    first_line = content.splitlines()[0] if content else ""
    return first_line if len(first_line) <= length else first_line[:length - 1] + "…"
