"""Follow-up rating links (core.followups): the link a PAKN sender receives with the answer,
on the dossier token machinery (surveys.tokens: a signed token, only the SHA-256 of its
random part stored, redeemed by one conditional UPDATE … RETURNING).

One difference from a dossier's token: the random part is not drawn once and forgotten but
derived, HMAC-SHA256(SECRET_KEY, subject and id), because the same link must be both sent in a
message and printed as a QR on the reply letter, which may be printed (and reprinted) after the
message left. Only its hash is stored, so a copy of the database still yields no usable link.

The response is stored in channel ``pakn_followup`` for the unit the link names, with the
ratings and the "solved?" answer only: no case id, no contact data, and the token row does not
point at the response (unlike a dossier's), so the anonymous response cannot be joined back to
the case. The sender's reason goes to the case (the owner's receiver), never on the response.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from analysis.sipas import NOT_APPLICABLE
from core.clock import now
from core.extensions import db
from core.followups import FollowupLinks, FollowupRating, FollowupStatus, LinkRequest, receiver
from core.models import Unit
from core.public_urls import public_url_for
from surveys.instruments import DATA_DIR, get_version, load_instrument_file
from surveys.models import AnswerType, Channel, InstrumentVersion, RatingToken, Response
from surveys.responses import SubmittedResponse, submit_response
from surveys.tokens import (
    RANDOM_BYTES,
    TokenRefused,
    claim_token,
    hash_random,
    random_part_of,
    serializer,
)

FOLLOWUP_FORM_CODE = "pakn-followup"
RESOLVED_ITEM = "resolved"
RESOLVED, NOT_RESOLVED = 1, 2
_DERIVE_PREFIX = "followup-token:"


@dataclass
class FollowupAnswers:
    """What the sender's form gave: the ratings and "solved?" (stored on the response), the
    reason (passed to the case only) and the page's quality flags."""

    answers: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    quality_reasons: list[str] = field(default_factory=list)


def followup_version(*, load: bool = False) -> InstrumentVersion | None:
    """The published follow-up questionnaire; with ``load``, the shipped file is loaded
    first when it is missing (an install that never ran ``flask surveys load-instruments``
    still sends working links)."""
    version = get_version(FOLLOWUP_FORM_CODE)
    if version is None and load:
        version = load_instrument_file(DATA_DIR / f"{FOLLOWUP_FORM_CODE}.json")
    return version


def _random_part(subject: str, subject_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{_DERIVE_PREFIX}{subject}:{subject_id}".encode(),
                      hashlib.sha256).digest()[:RANDOM_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def followup_plaintext(subject: str, subject_id: int) -> str:
    return serializer().dumps(_random_part(subject, subject_id))


def followup_url(plaintext: str) -> str:
    return public_url_for("surveys_followup.rate", token=plaintext)


def _row(subject: str, subject_id: int) -> RatingToken | None:
    return db.session.scalar(db.select(RatingToken).where(
        RatingToken.secret_hash == hash_random(_random_part(subject, subject_id))))


def issue_followup_link(request: LinkRequest) -> str:
    """Store the link's token (once per subject: asking again returns the same link) and
    return its URL. Flushes; the caller commits."""
    followup_version(load=True)
    if _row(request.subject, request.subject_id) is None:
        db.session.add(RatingToken(
            subject=request.subject, subject_id=request.subject_id, unit_id=request.unit_id,
            secret_hash=hash_random(_random_part(request.subject, request.subject_id)),
            created_at=now(), expires_at=request.expires_at))
        db.session.flush()
    return followup_url(followup_plaintext(request.subject, request.subject_id))


def followup_link_of(subject: str, subject_id: int) -> str | None:
    """The URL of the link issued for a subject (for the reply letter), or None."""
    if _row(subject, subject_id) is None:
        return None
    return followup_url(followup_plaintext(subject, subject_id))


LINKS = FollowupLinks(issue=issue_followup_link, url_of=followup_link_of)


def _invalid() -> TokenRefused:
    return TokenRefused(_("This rating link is not valid. Please check the address in the "
                          "message or on the letter you received."), status=404)


def followup_token_for(plaintext: str) -> RatingToken:
    """The follow-up token behind a link, for showing the page: 404 forged or unknown, 409
    already used, 410 expired (display only; ``redeem_followup`` decides)."""
    random_part = random_part_of(plaintext)
    token = None if random_part is None else db.session.scalar(
        db.select(RatingToken).where(RatingToken.secret_hash == hash_random(random_part))
        .execution_options(populate_existing=True))
    if token is None or token.subject is None:
        raise _invalid()
    if token.used_at is not None:
        raise TokenRefused(_("This link has already been used: your rating was recorded. "
                             "Thank you!"), status=409)
    if token.expires_at <= now():
        raise TokenRefused(_("This rating link has expired."), status=410)
    return token


def followup_status(token: RatingToken) -> FollowupStatus:
    assert token.subject is not None and token.subject_id is not None
    return receiver(token.subject).status(token.subject_id)


def _counts(version: InstrumentVersion, answers: dict[str, Any]) -> tuple[int, int]:
    """(answers 4 or 5, answers 1 to 5) over the version's rated element items."""
    values = [answers.get(item.code) for item in version.items
              if item.element and item.answer_type == AnswerType.SCALE5.value]
    rated = [v for v in values if isinstance(v, int) and v != NOT_APPLICABLE]
    return sum(1 for v in rated if v >= 4), len(rated)


def redeem_followup(plaintext: str, version: InstrumentVersion,
                    given: FollowupAnswers) -> tuple[Response, FollowupStatus]:
    """Use the link, store the anonymous response and tell the subject's owner, all in the
    caller's transaction (flushed, not committed): on a refusal the caller rolls back."""
    random_part = random_part_of(plaintext)
    if random_part is None:
        raise _invalid()
    at = now()
    token_id = claim_token(random_part, at, RatingToken.subject.is_not(None))
    if token_id is None:
        followup_token_for(plaintext)  # only to choose the message
        raise TokenRefused(_("This link has already been used: your rating was recorded. "
                             "Thank you!"), status=409)
    token = db.session.get(RatingToken, token_id, populate_existing=True)
    assert token is not None and token.subject is not None and token.subject_id is not None
    unit = db.session.get(Unit, token.unit_id)
    assert unit is not None
    response = submit_response(SubmittedResponse(
        version=version, unit=unit, point=None, channel=Channel.PAKN_FOLLOWUP.value,
        answers=given.answers, quality_reasons=given.quality_reasons, submitted_at=at))
    satisfied, rated = _counts(version, given.answers)
    status = receiver(token.subject).record(FollowupRating(
        subject=token.subject, subject_id=token.subject_id,
        resolved=given.answers.get(RESOLVED_ITEM) == RESOLVED, reason=given.reason,
        satisfied_answers=satisfied, rated_answers=rated, at=at))
    return response, status
