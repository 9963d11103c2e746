"""Typing in paper questionnaires ("nhập phiếu giấy"): desk staff copy the numbers circled
on a paper form into a compact keyboard-only form.

Every typed box is checked here first, so a form with three mistakes shows all three at once;
the response is then stored through ``surveys.responses.submit_response`` (channel "paper",
``entered_by`` the member of staff), which applies the same rules as every other channel.
Services flush; the caller commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from analysis.sipas import NOT_APPLICABLE
from core.audit import record_audit
from core.clock import LOCAL_TZ, today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from surveys.instrument_rules import offers_not_applicable
from surveys.models import AnswerType, Campaign, Channel, InstrumentVersion, Item, Response
from surveys.points import published_versions
from surveys.responses import (
    SubmittedResponse,
    allowed_values,
    submit_response,
    text_limit,
)

FIELD_PREFIX = "i_"
_NUMBER = re.compile(r"^[0-9]{1,4}$")  # ASCII digits only: str.isdigit() also takes "²" and "٣"
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class PaperField:
    """One box of the entry form, with what was typed into it and its message."""

    item: Item
    kind: str  # "number" (one value), "numbers" (a choice list) or "text"
    allowed: tuple[int, ...]
    value: str = ""
    error: str | None = None

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.item.code

    @property
    def scale(self) -> tuple[int, ...]:
        """The rating values, without "not applicable" (typed as 0, shown apart)."""
        return tuple(value for value in self.allowed if value != NOT_APPLICABLE)

    @property
    def not_applicable_label(self) -> str | None:
        """The item's "Không áp dụng" wording when it offers one (typed as 0)."""
        if not offers_not_applicable(self.item.answer_type, self.item.choices):
            return None
        return next(choice["vi"] for choice in self.item.choices or []
                    if choice["value"] == NOT_APPLICABLE)


@dataclass
class PaperEntry:
    unit: Unit
    version: InstrumentVersion
    campaign: Campaign | None = None  # None: the campaign open for this unit today, if any
    typed: Mapping[str, str] = field(default_factory=dict)  # field name → text typed


class PaperEntryError(ServiceError):
    """Some boxes are wrong; ``fields`` carries every box with its message."""

    status = 400

    def __init__(self, fields: list[PaperField], message: str | None = None):
        super().__init__(message or _("Correct the boxes marked below; nothing was saved."))
        self.fields = fields


def _kind(item: Item) -> str:
    if item.answer_type == AnswerType.TEXT:
        return "text"
    return "numbers" if item.answer_type == AnswerType.MULTI else "number"


def paper_fields(version: InstrumentVersion,
                 typed: Mapping[str, str] | None = None) -> list[PaperField]:
    """The boxes in the order of the paper form (section by section), with typed values."""
    fields = []
    for section in version.sections:
        for item in section.items:
            box = PaperField(item, _kind(item), allowed_values(item))
            box.value = (typed or {}).get(box.name, "") or ""
            fields.append(box)
    return fields


def _one_number(box: PaperField, text: str) -> int:
    if not _NUMBER.match(text):
        raise ValueError(_("Type a number, not text."))
    value = int(text)
    if value not in box.allowed:
        raise ValueError(_("Type one of %(values)s.",
                           values=", ".join(str(v) for v in box.allowed)))
    return value


def _parse(box: PaperField) -> Any:
    """The stored value of one box (None when left empty); ValueError with a message."""
    text = unicodedata.normalize("NFC", box.value.strip())
    if any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text):
        raise ValueError(_("Remove the invisible control characters from this text."))
    if not text:
        if box.item.required:
            raise ValueError(_("This question needs an answer."))
        return None
    if box.kind == "text":
        if len(text) > text_limit(box.item):
            raise ValueError(_("Keep this answer to %(max)d characters or fewer.",
                               max=text_limit(box.item)))
        return text
    if box.kind == "number":
        return _one_number(box, text)
    values = [_one_number(box, part) for part in _SEPARATORS.split(text) if part]
    if len(set(values)) != len(values):
        raise ValueError(_("A choice was typed twice."))
    return sorted(values)


def read_paper_form(version: InstrumentVersion, typed: Mapping[str, str]):
    """(answers, texts, demographics) as ``SubmittedResponse`` takes them, or
    PaperEntryError with every box that is wrong."""
    fields = paper_fields(version, typed)
    answers: dict[str, Any] = {}
    texts: dict[str, str] = {}
    demographics: dict[str, Any] = {}
    for box in fields:
        try:
            value = _parse(box)
        except ValueError as error:
            box.error = str(error)
            continue
        if value is None:
            continue
        if box.item.demographic:
            demographics[box.item.code] = value
        elif box.kind == "text":
            texts[box.item.code] = value
        else:
            answers[box.item.code] = value
    if any(box.error for box in fields):
        raise PaperEntryError(fields)
    return answers, texts, demographics


def enter_paper_response(entry: PaperEntry, actor: User) -> Response:
    """Check and store one typed-in paper form. The audit entry names the unit and the
    batch (questionnaire, campaign), not the response: counts only, as the pages show."""
    answers, texts, demographics = read_paper_form(entry.version, entry.typed)
    try:
        response = submit_response(SubmittedResponse(
            version=entry.version, unit=entry.unit, channel=Channel.PAPER.value,
            campaign=entry.campaign, answers=answers, texts=texts,
            demographics=demographics, entered_by=actor))
    except ServiceError as error:
        fields = paper_fields(entry.version, entry.typed)
        box = next((b for b in fields if b.item.code == error.field), None)
        if box is None:
            raise
        box.error = error.message
        raise PaperEntryError(fields) from error
    record_audit("survey.paper_entered", object_type="unit", object_id=entry.unit.id,
                 unit_id=entry.unit.id,
                 after={"version_id": entry.version.id, "campaign_id": response.campaign_id})
    return response


def entered_today(actor: User, unit: Unit) -> int:
    """Paper forms this member of staff typed in today for this unit (the running count)."""
    start = datetime.combine(today(), time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
    return db.session.scalar(
        select(func.count(Response.id)).where(
            Response.entered_by_id == actor.id, Response.unit_id == unit.id,
            Response.channel == Channel.PAPER.value, Response.submitted_at >= start)) or 0


def versions_for(unit: Unit) -> list[InstrumentVersion]:
    """Published questionnaires this unit may collect on: national forms and forms of the
    agencies above it (as for collection points)."""
    owners = set(unit.ancestor_ids())
    return [version for version in published_versions()
            if version.instrument.owner_unit_id is None
            or version.instrument.owner_unit_id in owners]
