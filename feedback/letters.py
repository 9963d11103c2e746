"""The official reply letter (công văn trả lời) in the Vietnamese administrative layout
(Decree 30/2020/NĐ-CP): the agency block (the parent unit above, the unit in bold), the
national motto, the letter number, place and date, "V/v", the addressee, the body, the signer
and "Nơi nhận". The letter is always in Vietnamese, whatever the screen language. Once the
answer was sent, it carries the sender's rating link as a QR code (feedback.followups).

The addressee's name is contact data: it is put in only on request, with a reason, and that
reveal is logged (feedback.contact.reveal_contact)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from core.access import Actor
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind, User
from feedback.contact import reveal_contact
from feedback.followups import followup_link
from feedback.models import AnswerStatus, FeedbackAnswer, FeedbackCase
from feedback.workflow import current_answer

SUBJECT = "V/v trả lời phản ánh, kiến nghị"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
GENERIC_ADDRESSEE = "Ông/Bà gửi phản ánh, kiến nghị"
LETTER_STATES = (AnswerStatus.APPROVED.value, AnswerStatus.SENT.value)
# "UBND tỉnh Lạng Sơn" → "Lạng Sơn": the place written before the date.
_PLACE_PREFIX = re.compile(
    r"^(ủy ban nhân dân|uỷ ban nhân dân|ubnd)?\s*(tỉnh|thành phố|tp\.?|xã|phường|đặc khu)\s+",
    re.IGNORECASE)


@dataclass
class Letter:
    parent_name: str
    unit_name: str
    number: str
    place: str
    date: datetime
    subject: str
    addressee: str
    body: str
    signer_title: str
    signer_name: str
    recipients: list[str] = field(default_factory=list)
    # The sender's single-use rating link (feedback.followups), printed as a QR once sent.
    rating_url: str | None = None
    nation: str = NATION
    motto: str = MOTTO

    @property
    def place_and_date(self) -> str:
        day = local(self.date)
        return f"{self.place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def letter_answer(case: FeedbackCase) -> FeedbackAnswer | None:
    answer = current_answer(case)
    return answer if answer is not None and answer.status in LETTER_STATES else None


def place_name(unit: Unit) -> str:
    """The configured place (PAKN_LETTER_PLACE), else the province (or the root unit) above
    ``unit`` without its "UBND tỉnh" prefix."""
    configured = current_app.config.get("PAKN_LETTER_PLACE")
    if configured:
        return str(configured)
    ids = unit.ancestor_ids()
    ancestors = {u.id: u for u in db.session.execute(
        db.select(Unit).where(Unit.id.in_(ids))).scalars()}
    chain = [ancestors[i] for i in ids if i in ancestors]
    province = next((u for u in chain if u.kind == UnitKind.PROVINCE.value),
                    chain[0] if chain else unit)
    return _PLACE_PREFIX.sub("", province.name_vi).strip() or province.name_vi


def build_letter(case: FeedbackCase, actor: Actor, reveal_reason: str | None = None) -> Letter:
    """The reply letter of an approved or sent answer, addressed to the sender by name only
    when ``reveal_reason`` is given: that reveals (and logs, with the reason) the contact data.
    Without it the letter reads nothing personal and writes nothing. Raises ServiceError 409
    when there is no approved answer, 403 for someone who may not see contact data. Flushes
    the reveal's records; the caller commits."""
    answer = letter_answer(case)
    if answer is None:
        raise ServiceError(_("The reply letter can be printed once the answer is approved."),
                           status=409)
    addressee = GENERIC_ADDRESSEE
    if case.contact_enc is not None and reveal_reason is not None:
        contact = reveal_contact(case, actor, reveal_reason)
        if contact.name.strip():
            addressee = contact.name.strip()
    unit = case.handling_unit or case.agency
    parent = unit.parent
    approver = db.session.get(User, answer.approved_by_id) if answer.approved_by_id else None
    return Letter(
        parent_name=parent.name_vi if parent is not None else "",
        unit_name=unit.name_vi,
        number=answer.letter_number or "……",
        place=place_name(unit),
        date=answer.approved_at or answer.sent_at or now(),
        subject=SUBJECT,
        addressee=addressee,
        body=answer.body,
        signer_title=answer.signer_title or "",
        signer_name=(approver.full_name or approver.username) if approver else "",
        recipients=["Như trên;", f"Lưu: VT, {unit.code}."],
        rating_url=followup_link(case),
    )
