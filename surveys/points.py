"""Collection points: a desk or unit with a short public code (/k/<code>) and its QR code.

Services flush and leave the commit to the caller; every change writes an audit entry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from core.access import Actor, Permission, unit_scope_clause
from core.audit import record_audit, snapshot
from core.clock import now
from core.demo import UNITS
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind, User
from core.public_urls import public_url_for
from surveys.instruments import DESK_FORM_CODE, get_version
from surveys.models import CollectionPoint, Instrument, InstrumentVersion, VersionStatus

# No 0/O, 1/I/L: people copy the code from a poster by hand. 31 symbols ** 7 ≈ 2.8e10 codes,
# so guessing a live code is hopeless and a collision on insert is rare (and retried).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7
MAX_CODE_ATTEMPTS = 8
POINT_FIELDS = ("unit_id", "public_code", "channel", "version_id", "active", "retired_at",
                "replaced_by_id")
DESK_QR, ONLINE = "desk_qr", "online"  # CollectionPoint.channel
# Units a citizen can rate without a QR code, each with a standing online point.
ONLINE_KINDS = (UnitKind.AGENCY.value, UnitKind.COMMUNE.value, UnitKind.SERVICE_CENTRE.value,
                UnitKind.DESK.value)


@dataclass(frozen=True)
class PosterData:
    """What a printed poster shows for one point."""

    point: CollectionPoint
    url: str
    chain: list[str]  # names of the unit's ancestors, root first
    name_vi: str
    name_en: str | None
    hotline: str | None


def new_public_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Codes are printed in capitals; accept what a citizen types in lower case too."""
    return code.strip().upper()


def point_by_code(code: str) -> CollectionPoint | None:
    """The point of a public code (any case), its unit loaded with it: every page that looks
    a point up shows or checks its unit."""
    found = point_and_version(code)
    return found[0] if found else None


def point_and_version(code: str) -> tuple[CollectionPoint, InstrumentVersion] | None:
    """The point, its unit and the questionnaire version it was made with, in one query (the
    citizen survey page's hot path: one round trip instead of three)."""
    code = normalise_code(code or "")
    if not code or len(code) > 16:
        return None
    row = db.session.execute(
        db.select(CollectionPoint, InstrumentVersion)
        .join(InstrumentVersion, InstrumentVersion.id == CollectionPoint.version_id)
        .options(joinedload(CollectionPoint.unit))
        .where(CollectionPoint.public_code == code)).first()
    return (row[0], row[1]) if row else None


def public_url(point: CollectionPoint) -> str:
    """Absolute URL of the citizen survey page for this point (the one printed and encoded)."""
    return public_url_for("surveys_public.survey", code=point.public_code)


def kiosk_url(point: CollectionPoint) -> str:
    """Absolute URL of the point's kiosk mode, for a tablet at the desk."""
    return public_url_for("surveys_public.kiosk", code=point.public_code)


def is_live(point: CollectionPoint) -> bool:
    return point.active and point.retired_at is None


def _actor_id(actor: User | None) -> int | None:
    return actor.id if isinstance(actor, User) else None


def _check_can_collect(unit: Unit, version: InstrumentVersion) -> None:
    if not unit.active:
        raise ServiceError(_("%(name)s is inactive.", name=unit.name_vi), field="unit_id")
    if version.status != VersionStatus.PUBLISHED.value:
        raise ServiceError(_("Only a published questionnaire can be used at a desk."),
                           field="version_id")
    owner_id = version.instrument.owner_unit_id
    if owner_id is not None and owner_id not in unit.ancestor_ids():
        # An agency's own form is for that agency's subtree only.
        raise ServiceError(_("This questionnaire belongs to another agency."),
                           field="version_id")


def _insert_point(unit: Unit, version: InstrumentVersion,
                  channel: str = DESK_QR) -> tuple[CollectionPoint, bool]:
    """Add a point with a fresh code: (point, True). A clash with an existing code (a race or a
    1-in-1e10 coincidence) rolls back only the savepoint and draws again; for an online point
    the clash may be another request that just made the unit's one: (that point, False)."""
    for _attempt in range(MAX_CODE_ATTEMPTS):
        point = CollectionPoint(unit_id=unit.id, version_id=version.id, channel=channel,
                                public_code=new_public_code(), active=True)
        try:
            with db.session.begin_nested():
                db.session.add(point)
                db.session.flush()
        except IntegrityError:
            if channel == ONLINE and (existing := online_point(unit)) is not None:
                return existing, False
            continue
        return point, True
    raise ServiceError(_("No free public code was found. Please try again."), status=503)


def create_point(unit: Unit, version: InstrumentVersion, actor: User | None,
                 channel: str = DESK_QR) -> CollectionPoint:
    _check_can_collect(unit, version)
    point, created = _insert_point(unit, version, channel)
    if created:
        record_audit("survey_point.created", object_type="collection_point",
                     object_id=point.id, unit_id=unit.id,
                     after=snapshot(point, POINT_FIELDS), actor_user_id=_actor_id(actor))
    return point


def online_point(unit: Unit) -> CollectionPoint | None:
    """The unit's standing online point (live or switched off by staff), if it has one."""
    return db.session.scalar(db.select(CollectionPoint).where(
        CollectionPoint.unit_id == unit.id, CollectionPoint.channel == ONLINE,
        CollectionPoint.retired_at.is_(None)))


def online_version(unit: Unit) -> InstrumentVersion | None:
    """What the unit's online point collects on: the questionnaire of the unit's own desk
    point when it has one (an agency may use its own form), else the shipped desk form."""
    own = db.session.scalar(
        db.select(InstrumentVersion).join(CollectionPoint,
                                          CollectionPoint.version_id == InstrumentVersion.id)
        .where(CollectionPoint.unit_id == unit.id, CollectionPoint.channel == DESK_QR,
               CollectionPoint.active.is_(True), CollectionPoint.retired_at.is_(None),
               InstrumentVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(CollectionPoint.created_at.desc()).limit(1))
    return own or get_version(DESK_FORM_CODE)


def ensure_online_point(unit: Unit) -> CollectionPoint:
    """The unit's standing online point, made on first use (idempotent, safe under races)."""
    point = online_point(unit)
    if point is not None:
        return point
    version = online_version(unit)
    if version is None:
        raise ServiceError(_("No questionnaire is published yet."), status=410)
    return create_point(unit, version, None, channel=ONLINE)


def _current_version(version: InstrumentVersion) -> InstrumentVersion:
    """The version itself while published, else the instrument's newest published one."""
    if version.status == VersionStatus.PUBLISHED.value:
        return version
    newer = db.session.scalar(
        db.select(InstrumentVersion)
        .where(InstrumentVersion.instrument_id == version.instrument_id,
               InstrumentVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(InstrumentVersion.number.desc()).limit(1))
    if newer is None:
        raise ServiceError(_("This questionnaire is no longer published; create a new point "
                             "with a current questionnaire instead."), field="version_id")
    return newer


def rotate_point(point: CollectionPoint, actor: User | None, reason: str) -> CollectionPoint:
    """Give the desk a new code (e.g. a poster was copied or tampered with). The old row is
    retired and points to its successor, so the old URL shows a friendly page, not a 404."""
    if point.retired_at is not None:
        raise ServiceError(_("This code was already replaced."))
    before = snapshot(point, POINT_FIELDS)
    version = _current_version(db.session.get(InstrumentVersion, point.version_id))
    # Retired before its successor is added: a unit has one live online point at a time.
    point.active = False
    point.retired_at = now()
    db.session.flush()
    successor = create_point(point.unit, version, actor, channel=point.channel)
    point.replaced_by_id = successor.id
    db.session.flush()
    record_audit("survey_point.rotated", object_type="collection_point", object_id=point.id,
                 unit_id=point.unit_id, before=before, after=snapshot(point, POINT_FIELDS),
                 reason=reason, actor_user_id=_actor_id(actor))
    return successor


def deactivate_point(point: CollectionPoint, actor: User | None,
                     reason: str | None = None) -> None:
    if not point.active:
        raise ServiceError(_("This collection point is already inactive."))
    before = snapshot(point, POINT_FIELDS)
    point.active = False
    db.session.flush()
    record_audit("survey_point.deactivated", object_type="collection_point",
                 object_id=point.id, unit_id=point.unit_id, before=before,
                 after=snapshot(point, POINT_FIELDS), reason=reason,
                 actor_user_id=_actor_id(actor))


def _points_where(*clauses: ColumnElement[bool], live_only: bool) -> list[CollectionPoint]:
    stmt = (db.select(CollectionPoint).join(Unit, CollectionPoint.unit_id == Unit.id)
            .options(contains_eager(CollectionPoint.unit)).where(*clauses))
    if live_only:
        stmt = stmt.where(CollectionPoint.active.is_(True), CollectionPoint.retired_at.is_(None))
    # Live points first, a unit's posters before its online point, newest first.
    stmt = stmt.order_by(CollectionPoint.retired_at.is_not(None),
                         CollectionPoint.active.desc(), CollectionPoint.channel == ONLINE,
                         CollectionPoint.created_at.desc(),
                         CollectionPoint.id.desc())
    # Tree order: compare paths as id lists, since as strings "/1/10/" sorts before "/1/9/".
    return sorted(db.session.scalars(stmt), key=lambda p: p.unit.ancestor_ids())


def points_for_unit_subtree(unit: Unit, live_only: bool = False) -> list[CollectionPoint]:
    """Points of ``unit`` and every unit below it, grouped by unit (tree order)."""
    return _points_where(Unit.path.like(unit.path + "%"), live_only=live_only)


def has_poster(point: CollectionPoint) -> bool:
    """A live desk point: an online point has no poster (its QR would count desk scans as
    online ratings)."""
    return is_live(point) and point.channel == DESK_QR


def live_posters(unit: Unit) -> list[CollectionPoint]:
    """The posters to print for ``unit`` and every unit below it (tree order)."""
    return [p for p in points_for_unit_subtree(unit, live_only=True) if p.channel == DESK_QR]


def points_visible_to(actor: Actor, perm: Permission = Permission.QR_PRINT
                      ) -> list[CollectionPoint]:
    return _points_where(unit_scope_clause(actor, perm), live_only=False)


def _live_point_unit_ids(unit_ids: list[int]) -> set[int]:
    return set(db.session.scalars(db.select(CollectionPoint.unit_id).where(
        CollectionPoint.unit_id.in_(unit_ids), CollectionPoint.channel == DESK_QR,
        CollectionPoint.active.is_(True), CollectionPoint.retired_at.is_(None))))


def live_desk_points(unit: Unit) -> list[CollectionPoint]:
    """The unit's own live desk points (posters), oldest first: a second one needs a reason."""
    return list(db.session.scalars(db.select(CollectionPoint).where(
        CollectionPoint.unit_id == unit.id, CollectionPoint.channel == DESK_QR,
        CollectionPoint.active.is_(True), CollectionPoint.retired_at.is_(None))
        .order_by(CollectionPoint.id)))


def _ensure_points(units: list[Unit], version: InstrumentVersion,
                   actor: User | None) -> list[CollectionPoint]:
    served = _live_point_unit_ids([u.id for u in units])
    return [create_point(u, version, actor) for u in units if u.id not in served]


def ensure_points_for_desks(unit: Unit, version: InstrumentVersion,
                            actor: User | None) -> list[CollectionPoint]:
    """One live point for every active desk in the subtree; desks that have one (on any
    questionnaire) are left alone, so running it twice creates nothing the second time."""
    desks = list(db.session.scalars(db.select(Unit).where(
        Unit.path.like(unit.path + "%"), Unit.kind == UnitKind.DESK.value,
        Unit.active.is_(True)).order_by(Unit.path)))
    return _ensure_points(desks, version, actor)


def ensure_demo_points() -> list[CollectionPoint]:
    """Demo data: a desk-form point at every demo desk and service centre present."""
    version = get_version(DESK_FORM_CODE)
    if version is None:
        return []
    codes = [row[0] for row in UNITS
             if row[2] in (UnitKind.DESK.value, UnitKind.SERVICE_CENTRE.value)]
    units = list(db.session.scalars(db.select(Unit).where(
        Unit.code.in_(codes), Unit.active.is_(True)).order_by(Unit.path)))
    created = _ensure_points(units, version, None)
    return created + ensure_online_points()


def ensure_online_points() -> list[CollectionPoint]:
    """A standing online point for every active unit that serves citizens and has none yet
    (seed and start-up; the online entry also makes one when a citizen first picks a unit)."""
    if get_version(DESK_FORM_CODE) is None:
        return []  # nothing published to rate on yet
    served = set(db.session.scalars(db.select(CollectionPoint.unit_id).where(
        CollectionPoint.channel == ONLINE, CollectionPoint.retired_at.is_(None))))
    units = db.session.scalars(db.select(Unit).where(
        Unit.kind.in_(ONLINE_KINDS), Unit.active.is_(True)).order_by(Unit.path))
    return [ensure_online_point(unit) for unit in units if unit.id not in served]


def published_versions() -> list[InstrumentVersion]:
    """Questionnaires a point may open: every published version, shipped forms first."""
    return list(db.session.scalars(
        db.select(InstrumentVersion).join(Instrument)
        .where(InstrumentVersion.status == VersionStatus.PUBLISHED.value)
        .order_by(Instrument.owner_unit_id.is_not(None), Instrument.code,
                  InstrumentVersion.number.desc())))


def poster_data(point: CollectionPoint) -> PosterData:
    unit = point.unit
    ancestor_ids = unit.ancestor_ids()[:-1]
    ancestors = {u.id: u for u in db.session.scalars(
        db.select(Unit).where(Unit.id.in_(ancestor_ids)))} if ancestor_ids else {}
    chain = [ancestors[i] for i in ancestor_ids if i in ancestors]
    # A desk rarely has its own hotline: show the nearest one up the tree.
    hotline = next((u.hotline for u in [unit, *reversed(chain)] if u.hotline), None)
    return PosterData(point=point, url=public_url(point), chain=[u.name_vi for u in chain],
                      name_vi=unit.name_vi, name_en=unit.name_en, hotline=hotline)
