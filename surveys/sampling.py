"""Random-sample invitations: draw a stratified random sample of a unit's dossiers of a period
whose holders consented to be contacted, record the draw, and send each holder a single-use
rating link through the outbox.

The frame is every dossier of the unit's subtree received in the period (Vietnam days) with
consent and a stored phone, in id order. Strata are procedure × channel (the dossier's
procedure code, else its name, else "—"; "online" or "in_person"), in sorted order. The
allocation is proportional with largest-remainder rounding and the draw is keyed on the seed
(analysis.sample_draw), so ``repeat_draw`` with the recorded seed gives the same dossiers as
long as the frame is unchanged (checked by its digest). Services flush; callers commit.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from analysis.periods import parse_period
from analysis.sample_draw import allocate_proportional, draw_stratum, frame_digest
from core.access import Actor, Permission, can
from core.audit import record_audit
from core.clock import LOCAL_TZ, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import OutboxMessage, Unit, User
from core.outbox import queue_message
from surveys.dossiers import stored_phone
from surveys.models import Dossier, RatingToken, SampleDraw, SampleInvitation
from surveys.tokens import issue_rating_token, token_url

MAX_SAMPLE = 5000
MAX_SEED = 2**53 - 1  # a whole number that survives JSON and spreadsheets
PURPOSE = "survey.sample_invitation"
NO_PROCEDURE = "—"


@dataclass(frozen=True)
class FrameRow:
    dossier_id: int
    procedure: str
    channel: str


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The period's first moment and the moment after its last day, Vietnam time."""
    try:
        _freq, first, last = parse_period(period)
    except ValueError:
        raise ServiceError(_("Write the period as 2026, 2026-H1, 2026-Q2 or 2026-06."),
                           status=400, field="period") from None
    return (datetime.combine(first, time.min, tzinfo=LOCAL_TZ),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ))


def subtree_ids(unit: Unit) -> list[int]:
    return list(db.session.scalars(select(Unit.id).where(Unit.path.like(unit.path + "%"))))


def stratum_of(procedure_code: str | None, procedure_name: str | None, online: bool
               ) -> tuple[str, str]:
    procedure = (procedure_code or procedure_name or NO_PROCEDURE)[:64]
    return procedure, "online" if online else "in_person"


def sampling_frame(unit: Unit, period: str) -> list[FrameRow]:
    """The consenting dossiers of ``unit``'s subtree received in ``period``, by id."""
    start, end = period_bounds(period)
    rows = db.session.execute(
        select(Dossier.id, Dossier.procedure_code, Dossier.procedure_name, Dossier.online)
        .where(Dossier.unit_id.in_(subtree_ids(unit)), Dossier.received_at >= start,
               Dossier.received_at < end, Dossier.contact_consent.is_(True),
               Dossier.contact_enc.is_not(None))
        .order_by(Dossier.id))
    return [FrameRow(dossier_id, *stratum_of(code, name, online))
            for dossier_id, code, name, online in rows]


def _select(frame: list[FrameRow], size: int, seed: int
            ) -> tuple[list[dict[str, object]], list[FrameRow]]:
    """The allocation per stratum and the drawn rows (the pure part of a draw)."""
    strata: dict[tuple[str, str], list[int]] = {}
    for row in frame:
        strata.setdefault((row.procedure, row.channel), []).append(row.dossier_id)
    keys = sorted(strata)
    sizes = allocate_proportional([len(strata[key]) for key in keys], size)
    allocation, drawn = [], []
    for (procedure, channel), quota in zip(keys, sizes, strict=True):
        ids = draw_stratum(strata[(procedure, channel)], int(quota), seed=seed,
                           stratum=f"{procedure}|{channel}")
        allocation.append({"procedure": procedure, "channel": channel,
                           "frame": len(strata[(procedure, channel)]), "sample": int(quota)})
        drawn.extend(FrameRow(dossier_id, procedure, channel) for dossier_id in ids)
    return allocation, drawn


def _check(actor: Actor, unit: Unit, size: object, seed: object) -> tuple[int, int]:
    if not can(actor, Permission.SURVEYS_MANAGE, unit):
        raise ServiceError(_("You may not draw samples for this unit."), status=403)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SAMPLE:
        raise ServiceError(_("The sample size is a whole number from 1 to %(max)s.",
                             max=MAX_SAMPLE), status=400, field="size")
    if seed is None:
        seed = secrets.randbelow(MAX_SEED) + 1
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ServiceError(_("The seed is a whole number from 0 to %(max)s.", max=MAX_SEED),
                           status=400, field="seed")
    return size, seed


def draw_sample(unit: Unit, period: str, size: int, *, actor: User,
                seed: int | None = None) -> SampleDraw:
    """Draw and record a sample (with its invitations, not yet sent) and audit it."""
    size, seed = _check(actor, unit, size, seed)
    frame = sampling_frame(unit, period)
    if not frame:
        raise ServiceError(_("No dossier of this unit and period has a holder who consented "
                             "to be contacted."), status=409, field="period")
    allocation, drawn = _select(frame, size, seed)
    draw = SampleDraw(unit_id=unit.id, period=period, seed=seed, requested_size=size,
                      frame_size=len(frame), sample_size=len(drawn),
                      frame_digest=frame_digest([row.dossier_id for row in frame]),
                      strata=allocation, created_by_id=actor.id, created_at=now())
    db.session.add(draw)
    db.session.flush()
    db.session.add_all(SampleInvitation(draw_id=draw.id, dossier_id=row.dossier_id,
                                        procedure=row.procedure, channel=row.channel)
                       for row in drawn)
    db.session.flush()
    record_audit("survey.sample_draw", object_type="sample_draw", object_id=draw.id,
                 unit_id=unit.id, after={"period": period, "seed": seed, "requested": size,
                                         "frame": len(frame), "sample": len(drawn),
                                         "strata": allocation})
    return draw


def repeat_draw(draw: SampleDraw) -> tuple[list[int], bool]:
    """The dossier ids the recorded seed draws from today's frame, and whether that frame is
    the one of the draw (only then must the ids equal the recorded sample)."""
    frame = sampling_frame(draw.unit, draw.period)
    _allocation, drawn = _select(frame, draw.requested_size, draw.seed)
    same = frame_digest([row.dossier_id for row in frame]) == draw.frame_digest
    return sorted(row.dossier_id for row in drawn), same


def _message(unit: Unit, url: str, channel: str, valid_until: datetime) -> str:
    """The invitation's text (Vietnamese: it goes to citizens), or the ZNS template's data."""
    if channel == "zalo":
        return json.dumps({"unit_name": unit.name_vi, "survey_url": url,
                           "valid_until": f"{valid_until.astimezone(LOCAL_TZ):%d/%m/%Y}"},
                          ensure_ascii=False)
    return (f"{unit.name_vi} mời Ông/Bà đánh giá sự phục vụ khi giải quyết hồ sơ gần đây "
            f"(khảo sát ngẫu nhiên, dùng một lần, đến "
            f"{valid_until.astimezone(LOCAL_TZ):%d/%m/%Y}): {url}")


def send_invitations(draw: SampleDraw, *, actor: User) -> int:
    """Queue one single-use link per drawn dossier not yet invited; returns how many. A
    dossier whose holder withdrew consent since the draw is skipped (counted as not sent)."""
    if not can(actor, Permission.SURVEYS_MANAGE, draw.unit):
        raise ServiceError(_("You may not send invitations for this unit."), status=403)
    pending = db.session.scalars(
        select(SampleInvitation).where(SampleInvitation.draw_id == draw.id,
                                       SampleInvitation.queued_at.is_(None))
        .order_by(SampleInvitation.id)).all()
    queued = 0
    for invitation in pending:
        dossier = invitation.dossier
        phone = stored_phone(dossier)
        if phone is None or not dossier.unit.active:
            continue
        token, plaintext = issue_rating_token(dossier)
        channel = dossier.contact_channel or "sms"
        message = queue_message(
            channel, phone, subject=_("Satisfaction survey"),
            body=_message(draw.unit, token_url(plaintext), channel, token.expires_at),
            purpose=PURPOSE, object_type="sample_invitation", object_id=invitation.id)
        db.session.flush()
        invitation.token_id, invitation.outbox_message_id = token.id, message.id
        invitation.sent_via, invitation.queued_at = channel, now()
        queued += 1
    draw.sent_at = draw.sent_at or now()
    db.session.flush()
    record_audit("survey.sample_send", object_type="sample_draw", object_id=draw.id,
                 unit_id=draw.unit_id, after={"queued": queued})
    return queued


@dataclass
class DrawStatus:
    """What became of a draw's invitations; ``failed`` lists (reason, count)."""

    drawn: int
    queued: int
    sent: int
    pending: int
    dead: int
    answered: int
    failed: list[tuple[str, int]]
    per_stratum: list[dict[str, object]]

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.drawn if self.drawn else None


def draw_status(draw: SampleDraw) -> DrawStatus:
    """Delivery (from the outbox rows) and responses (used tokens) of a draw, per stratum."""
    rows = db.session.execute(
        select(SampleInvitation.procedure, SampleInvitation.channel,
               SampleInvitation.queued_at.is_not(None), OutboxMessage.status,
               OutboxMessage.last_error, RatingToken.response_id.is_not(None))
        .outerjoin(OutboxMessage, OutboxMessage.id == SampleInvitation.outbox_message_id)
        .outerjoin(RatingToken, RatingToken.id == SampleInvitation.token_id)
        .where(SampleInvitation.draw_id == draw.id)).all()
    strata: dict[tuple[str, str], dict[str, object]] = {
        (s["procedure"], s["channel"]): {**s, "answered": 0} for s in draw.strata}
    reasons: dict[str, int] = {}
    counts = {"queued": 0, "sent": 0, "pending": 0, "dead": 0, "answered": 0}
    for procedure, channel, queued, status, error, answered in rows:
        counts["queued"] += bool(queued)
        if status in ("sent", "pending", "dead"):
            counts[status] += 1
        if status == "dead":
            reasons[error or "?"] = reasons.get(error or "?", 0) + 1
        if answered:
            counts["answered"] += 1
            strata[(procedure, channel)]["answered"] += 1  # type: ignore[operator]
    return DrawStatus(drawn=len(rows), failed=sorted(reasons.items()),
                      per_stratum=list(strata.values()), **counts)


def draws_for(actor: Actor, unit_ids: list[int] | None = None, limit: int = 50
              ) -> list[SampleDraw]:
    """The latest draws the actor may see (REPORTS_VIEW or SURVEYS_MANAGE on their unit)."""
    stmt = select(SampleDraw).order_by(SampleDraw.created_at.desc(), SampleDraw.id.desc())
    if unit_ids is not None:
        stmt = stmt.where(SampleDraw.unit_id.in_(unit_ids))
    draws = db.session.scalars(stmt.limit(limit * 4)).all()
    return [draw for draw in draws
            if can(actor, Permission.SURVEYS_MANAGE, draw.unit)
            or can(actor, Permission.REPORTS_VIEW, draw.unit)][:limit]
