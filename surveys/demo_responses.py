"""Demo survey responses for `make run`, so the dashboards have something to show.

What is loaded (about 6,500 responses, a few seconds on SQLite):

- continuous desk ratings (the ``sipas-desk`` form) at every demo collection point over the 14
  months up to yesterday, on the desk QR code (most), the kiosk, the online link and paper
  (typed in by the desk's staff where the demo has such an account) — surveys.demo_desk;
- ratings of demo dossiers (channel ``dossier_qr``) received at the agencies' desks, with the
  facts the TT 01/2018 rating needs: returned early, on time or late, supplement requests,
  online or not, apology letters for some late ones — surveys.demo_desk;
- two SIPAS household-survey waves for Lạng Sơn (June and October) over several units with
  quotas, one of them with fewer than 5 answers — surveys.demo_waves;
- about 2.5% flagged responses, most of them a burst of straight "5" answers at one desk on
  two days.

Every unit has its own true share of satisfied answers per SIPAS element, with a mild trend,
so some units sit below the 85% target on some elements and others above
(surveys.demo_sampling has the answer model).

Deterministic: numpy generators with fixed seeds, one per unit and month, and every date taken
relative to the first day of the current month, nothing on or after today kept, so reruns on
the same day give the same data. Idempotent: nothing is done when the demo campaigns exist
(codes starting with ``demo-sipas-``). Rows go in with bulk inserts (no per-row services: the
rules they check hold by construction), then the rollups are rebuilt from the raw rows. No
contact data; the few free-text comments are generic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select

from core.clock import now
from core.extensions import db
from core.models import Unit, User
from core.workdays import load_calendar
from surveys.demo_desk import DESK_PROFILES, PlannedDossier, demo_points, plan_desk
from surveys.demo_sampling import Context, Planned
from surveys.demo_waves import CAMPAIGN_PREFIX, CAMPAIGN_UNITS, OWNER_UNIT, plan_waves
from surveys.instruments import DESK_FORM_CODE, HOUSEHOLD_FORM_CODE, get_version
from surveys.models import (
    Campaign,
    Dossier,
    RatingToken,
    Response,
    ResponseDemographics,
    ResponseText,
)
from surveys.month_rollups import refresh_month_rollups
from surveys.rollups import recount_rollups

ADMIN = "admin"  # creates the demo campaigns
DESK_CLERK = "motcua.tinh"  # types in the demo paper forms
CHUNK = 2000
TOKEN_VALID_DAYS = 30


def demo_responses_exist() -> bool:
    return db.session.scalar(select(Campaign.id).where(
        Campaign.code.like(CAMPAIGN_PREFIX + "%")).limit(1)) is not None


def _inserted_ids(table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert in chunks and return the new ids in the rows' order."""
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids += db.session.execute(stmt, rows[start:start + CHUNK]).scalars().all()
    return ids


def _insert_many(table: Table, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start:start + CHUNK])


def _insert(planned: list[Planned], dossiers: list[PlannedDossier]) -> None:
    dossier_ids = _inserted_ids(Dossier.__table__, [d.row() for d in dossiers])
    planned = sorted(planned, key=lambda p: p.at)  # ids follow time, as live ones do
    ids = _inserted_ids(Response.__table__, [p.row(dossier_ids) for p in planned])
    pairs = list(zip(ids, planned, strict=True))
    _insert_many(ResponseText.__table__, (
        {"response_id": rid, "item_code": "comment", "text": p.comment}
        for rid, p in pairs if p.comment))
    _insert_many(ResponseDemographics.__table__, (
        {"response_id": rid, "answers": p.demographics} for rid, p in pairs if p.demographics))
    # Each dossier rating used the single-use token on the dossier's return slip; only a
    # hash is stored, of a value nobody holds, so no usable link exists.
    tokens = []
    for rid, p in pairs:
        if p.dossier is None:
            continue
        dossier = dossiers[p.dossier]
        assert dossier.returned_at is not None  # only returned dossiers are rated
        tokens.append({
            "dossier_id": dossier_ids[p.dossier],
            "secret_hash": hashlib.sha256(f"demo:{dossier.code}".encode()).hexdigest(),
            "created_at": dossier.returned_at,
            "expires_at": dossier.returned_at + timedelta(days=TOKEN_VALID_DAYS),
            "used_at": p.at, "response_id": rid})
    _insert_many(RatingToken.__table__, tokens)


def _refresh_month_rollups() -> None:
    """The month tables are rebuilt from the daily rows the demo wrote in bulk."""
    refresh_month_rollups(full=True)


def load_demo_responses(at: datetime | None = None) -> dict[str, int]:
    """Load the demo responses, dossiers and SIPAS waves once (flushes; the caller commits).
    ``at`` (default now) fixes the anchor month and the cut-off day. Returns what was added:
    all zeros when the demo responses exist, or the desk form or the demo points are missing."""
    counts = {"responses": 0, "dossiers": 0, "campaigns": 0}
    desk_version = get_version(DESK_FORM_CODE)
    if desk_version is None or demo_responses_exist():
        return counts
    points = demo_points()
    if not points:
        return counts
    codes = set(DESK_PROFILES) | set(CAMPAIGN_UNITS) | {OWNER_UNIT} | {
        p.agency for p in DESK_PROFILES.values() if p.agency}
    ctx = Context(
        at=at or now(), calendar=load_calendar(),
        units={u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))},
        clerk_id=db.session.scalar(select(User.id).where(User.username == DESK_CLERK)))
    planned, dossiers = plan_desk(ctx, desk_version, points)
    household = get_version(HOUSEHOLD_FORM_CODE)
    admin = db.session.scalar(select(User).where(User.username == ADMIN))
    if household is not None and admin is not None:
        planned += plan_waves(ctx, admin, household)
    planned = [p for p in planned if p.at < ctx.cutoff]  # nothing from today on
    _insert(planned, dossiers)
    recount_rollups()
    _refresh_month_rollups()
    db.session.flush()
    counts.update(responses=len(planned), dossiers=len(dossiers),
                  campaigns=len({p.campaign_id for p in planned if p.campaign_id}))
    return counts
