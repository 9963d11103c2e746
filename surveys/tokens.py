"""Single-use rating tokens: the QR printed on a dossier's receipt slip (/d/<token>).

The plaintext is ``URLSafeSerializer(SECRET_KEY, salt="rating-token").dumps(random)`` where
``random`` is ``secrets.token_urlsafe(24)`` (192 bits). The signature lets a mistyped or forged
link be refused before any database work; only SHA-256 of the random part is stored, so a copy
of the database does not hand out usable links.

Redemption is one conditional UPDATE … RETURNING in the same transaction as the response insert
(DESIGN.md §3): of any number of concurrent submissions, exactly one matches the row while
``used_at`` is NULL; the others match nothing and are told the dossier was already rated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, update

from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.public_urls import public_url_for
from core.settings import get_setting
from surveys.models import Channel, Dossier, InstrumentVersion, RatingToken, Response
from surveys.responses import SubmittedResponse, submit_response

SALT = "rating-token"
RANDOM_BYTES = 24
# A genuine token is ~74 characters; anything much longer is not worth unsigning.
MAX_TOKEN_LENGTH = 200
VALID_DAYS_SETTING = "survey.token_valid_days"


class TokenRefused(ServiceError):
    """404 unknown or forged, 410 expired, 409 already used."""


@dataclass
class TokenAnswers:
    """What the citizen's form gave, as ``SubmittedResponse`` takes it."""

    answers: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    demographics: dict[str, Any] = field(default_factory=dict)
    quality_reasons: list[str] = field(default_factory=list)


def serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def hash_random(random_part: str) -> str:
    return hashlib.sha256(random_part.encode()).hexdigest()


def random_part_of(token: str) -> str | None:
    """The random part of a genuine token, or None for a mistyped or forged one (no DB work)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value else None


def token_url(plaintext: str) -> str:
    return public_url_for("surveys_rate.rate", token=plaintext)


def issue_rating_token(dossier: Dossier, *, valid_days: int | None = None
                       ) -> tuple[RatingToken, str]:
    """A new token for ``dossier`` (earlier ones stay valid until used or expired). Returns
    it with the plaintext, which is shown once on the receipt slip and never stored."""
    if not dossier.unit.active:
        raise ServiceError(_("The dossier's unit is inactive: it no longer takes ratings."),
                           status=409)
    days = valid_days if valid_days is not None else int(
        get_setting(VALID_DAYS_SETTING, unit=dossier.unit))
    if not 1 <= days <= 365:
        raise ServiceError(_("A rating link is valid for 1 to 365 days."), status=400,
                           field="valid_days")
    random_part = secrets.token_urlsafe(RANDOM_BYTES)
    token = RatingToken(dossier_id=dossier.id, secret_hash=hash_random(random_part),
                        created_at=now(), expires_at=now() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return token, serializer().dumps(random_part)


def stored_token(plaintext: str) -> RatingToken | None:
    """The row behind a genuine link (used or not), or None; a forged link reads nothing."""
    random_part = random_part_of(plaintext)
    if random_part is None:
        return None
    return db.session.scalar(
        db.select(RatingToken).where(RatingToken.secret_hash == hash_random(random_part))
        .execution_options(populate_existing=True))  # a fresh read, not the identity map


def token_for(plaintext: str) -> RatingToken:
    """The stored token behind a link, for showing the page: TokenRefused when the link is
    forged or unknown (404), already used (409) or expired (410). Display only: the decision
    to accept a submission is the conditional UPDATE in ``redeem_rating_token``."""
    token = stored_token(plaintext)
    if token is None or token.dossier_id is None:  # a follow-up link is not a dossier's
        raise TokenRefused(_("This rating link is not valid. Please check the address on "
                             "your receipt."), status=404)
    _refuse_if_spent(token)
    return token


def _refuse_if_spent(token: RatingToken) -> None:
    if token.used_at is not None:
        raise TokenRefused(_("This dossier has already been rated. Thank you!"), status=409)
    if token.expires_at <= now():
        raise TokenRefused(_("This rating link has expired."), status=410)


def claim_token(random_part: str, at: datetime, *where: ColumnElement[bool]) -> int | None:
    """Mark the unused, unexpired token with this random part (and ``where``) used at ``at``:
    its id, or None when nothing matched. The one statement that decides, never
    SELECT-then-UPDATE (DESIGN.md §3); dossier and follow-up links both redeem through it."""
    return db.session.execute(
        update(RatingToken)
        .where(RatingToken.secret_hash == hash_random(random_part),
               RatingToken.used_at.is_(None), RatingToken.expires_at > at, *where)
        .values(used_at=at)
        .returning(RatingToken.id)
        .execution_options(synchronize_session=False)).scalar_one_or_none()


def redeem_rating_token(plaintext: str, version: InstrumentVersion,
                        given: TokenAnswers) -> Response:
    """Use the token and store the response, in the caller's transaction (flushed, not
    committed): on any refusal the caller rolls back and neither is kept."""
    random_part = random_part_of(plaintext)
    if random_part is None:
        raise TokenRefused(_("This rating link is not valid. Please check the address on "
                             "your receipt."), status=404)
    at = now()
    token_id = claim_token(random_part, at, RatingToken.dossier_id.is_not(None))
    if token_id is None:
        # Nothing matched: read the row only to choose the message.
        token_for(plaintext)
        raise TokenRefused(_("This dossier has already been rated. Thank you!"), status=409)
    token = db.session.get(RatingToken, token_id, populate_existing=True)
    assert token is not None
    dossier = token.dossier
    assert dossier is not None
    response = submit_response(SubmittedResponse(
        version=version, unit=dossier.unit, point=None, channel=Channel.DOSSIER_QR.value,
        answers=given.answers, texts=given.texts, demographics=given.demographics,
        quality_reasons=given.quality_reasons, submitted_at=at, dossier_id=dossier.id))
    token.response_id = response.id
    db.session.flush()
    return response
