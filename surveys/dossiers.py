"""Dossiers (hồ sơ) pushed by the one-stop system: create or update by code, with the checks
every channel shares (the JSON API, the spreadsheet import and the back office).

A dossier holds the facts the TT 01/2018 dossier rating needs (dates, supplement requests,
online or not, apology letter) and never the citizen's identity. Services flush; the caller
commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _

from core.access import Actor, Permission, can
from core.audit import record_audit, snapshot
from core.clock import LOCAL_TZ
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.org import unit_by_code
from surveys.models import Dossier

# Letters, digits, dot, dash, underscore: dossier codes appear in URL paths (/api/v1/dossiers/
# <code>) and are typed from receipts, so no spaces or slashes.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_PROCEDURE_CODE = 64
MAX_PROCEDURE_NAME = 500
MAX_SUPPLEMENTS = 32767  # a SmallInteger column
DOSSIER_FIELDS = ("code", "procedure_code", "procedure_name", "unit_id", "desk_id",
                  "received_at", "appointed_at", "returned_at", "supplement_requests",
                  "online", "apology_issued", "source")
SOURCES = ("api", "import", "manual")
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class DossierData:
    code: str
    unit_code: str
    received_at: datetime | None
    procedure_code: str | None = None
    procedure_name: str | None = None
    desk_code: str | None = None
    appointed_at: datetime | None = None
    returned_at: datetime | None = None
    supplement_requests: int = 0
    online: bool = False
    apology_issued: bool = False
    source: str = "api"


@dataclass
class CheckedDossier:
    """A validated ``DossierData``: cleaned values and the units they name."""

    values: dict[str, object]
    unit: Unit
    desk: Unit | None
    existing: Dossier | None


def as_utc_aware(moment: datetime) -> datetime:
    """Naive datetimes from the one-stop system are Vietnam local time."""
    aware = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment
    return aware.astimezone(UTC)


def dossier_by_code(code: str) -> Dossier | None:
    return db.session.scalar(db.select(Dossier).where(Dossier.code == (code or "").strip()))


def _bad(message: str, field: str, status: int = 400) -> ServiceError:
    return ServiceError(message, status=status, field=field)


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(_("This value must be text."), field)
    text = unicodedata.normalize("NFC", value.strip())
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise _bad(_("Remove the invisible control characters from this text."), field)
    if len(text) > limit:
        raise _bad(_("At most %(max)s characters.", max=limit), field)
    return text or None


def _unit(code: str | None, field: str, actor: Actor, units: dict[str, Unit | None]) -> Unit:
    """An active unit within the actor's DOSSIERS_WRITE scope. Unknown and out-of-scope codes
    get the same 404, so codes of other units reveal nothing."""
    code = (code or "").strip()
    if not code:
        raise _bad(_("This value is required."), field)
    if code not in units:
        units[code] = unit_by_code(code)
    unit = units[code]
    if unit is None or not can(actor, Permission.DOSSIERS_WRITE, unit):
        raise _bad(_("There is no unit with the code %(code)s among the units you may "
                     "register dossiers for.", code=code), field, 404)
    if not unit.active:
        raise _bad(_("The unit %(code)s is inactive.", code=code), field)
    return unit


def _moment(value: datetime | None, field: str, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            raise _bad(_("This value is required."), field)
        return None
    if not isinstance(value, datetime):
        raise _bad(_("Enter a date and time."), field)
    return as_utc_aware(value)


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(_("This value must be true or false."), field)
    return value


def check_dossier(data: DossierData, *, actor: Actor,
                  units: dict[str, Unit | None] | None = None,
                  existing: Dossier | None = None, look_up: bool = True) -> CheckedDossier:
    """Validate without writing: ServiceError (400, or 404 for a unit out of scope) naming the
    field. ``units`` caches code lookups across the rows of an import, which also passes the
    ``existing`` dossiers it loaded in bulk (``look_up=False``: None means a new code)."""
    units = {} if units is None else units
    code = (data.code or "").strip() if isinstance(data.code, str) else ""
    if not CODE_PATTERN.match(code):
        raise _bad(_("A dossier code is 1 to 64 letters, digits, dots, dashes or "
                     "underscores."), "code")
    if existing is None and look_up:
        existing = dossier_by_code(code)
    if existing is not None and not can(actor, Permission.DOSSIERS_WRITE, existing.unit):
        # Someone else's dossier: answer as if the code were free to see, but refuse the write.
        raise _bad(_("The dossier %(code)s belongs to a unit outside your scope.", code=code),
                   "code", 404)
    unit = _unit(data.unit_code, "unit_code", actor, units)
    desk = None
    if data.desk_code not in (None, ""):
        desk = _unit(data.desk_code, "desk_code", actor, units)
        if desk.id == unit.id or not desk.is_within(unit):
            raise _bad(_("The desk %(desk)s is not under the unit %(unit)s.",
                         desk=desk.code, unit=unit.code), "desk_code")
    received = _moment(data.received_at, "received_at", required=True)
    appointed = _moment(data.appointed_at, "appointed_at")
    returned = _moment(data.returned_at, "returned_at")
    assert received is not None
    if appointed is not None and appointed < received:
        raise _bad(_("The appointed date is before the date the dossier was received."),
                   "appointed_at")
    if returned is not None and returned < received:
        raise _bad(_("The return date is before the date the dossier was received."),
                   "returned_at")
    supplements = data.supplement_requests
    if not isinstance(supplements, int) or isinstance(supplements, bool) \
            or not 0 <= supplements <= MAX_SUPPLEMENTS:
        raise _bad(_("The number of supplement requests is a whole number from 0 to "
                     "%(max)s.", max=MAX_SUPPLEMENTS), "supplement_requests")
    if data.source not in SOURCES:
        raise _bad(_("Unknown source."), "source")
    values: dict[str, object] = {
        "code": code,
        "procedure_code": _text(data.procedure_code, "procedure_code", MAX_PROCEDURE_CODE),
        "procedure_name": _text(data.procedure_name, "procedure_name", MAX_PROCEDURE_NAME),
        "unit_id": unit.id, "desk_id": desk.id if desk else None,
        "received_at": received, "appointed_at": appointed, "returned_at": returned,
        "supplement_requests": supplements,
        "online": _flag(data.online, "online"),
        "apology_issued": _flag(data.apology_issued, "apology_issued"),
        "source": data.source,
    }
    return CheckedDossier(values, unit, desk, existing)


def apply_dossier(checked: CheckedDossier, *, audit: bool = True) -> tuple[Dossier, str]:
    """Write a checked dossier: (dossier, "created" | "updated" | "unchanged")."""
    dossier = checked.existing
    if dossier is None:
        dossier = Dossier(**checked.values)
        db.session.add(dossier)
        db.session.flush()
        outcome, before = CREATED, None
    else:
        before = snapshot(dossier, DOSSIER_FIELDS)
        # The source is where the facts came from first; an update does not rewrite it.
        changes = {name: value for name, value in checked.values.items()
                   if name != "source" and getattr(dossier, name) != value}
        if not changes:
            return dossier, UNCHANGED
        for name, value in changes.items():
            setattr(dossier, name, value)
        db.session.flush()
        outcome = UPDATED
    if audit:
        record_audit(f"dossier.{'create' if outcome == CREATED else 'update'}",
                     object_type="dossier", object_id=dossier.id, unit_id=dossier.unit_id,
                     before=before, after=snapshot(dossier, DOSSIER_FIELDS))
    return dossier, outcome


def upsert_dossier(data: DossierData, *, actor: Actor) -> tuple[Dossier, str]:
    """Create the dossier ``data.code`` or update it; the unit and desk must be active and
    within ``actor``'s (a staff user's or an API key's) DOSSIERS_WRITE scope."""
    return apply_dossier(check_dossier(data, actor=actor))


def dossier_facts(dossier: Dossier) -> dict[str, object]:
    """The dossier as the API and the back office show it (never a token)."""
    return {
        "code": dossier.code, "procedure_code": dossier.procedure_code,
        "procedure_name": dossier.procedure_name, "unit_code": dossier.unit.code,
        "desk_code": dossier.desk.code if dossier.desk else None,
        "received_at": dossier.received_at, "appointed_at": dossier.appointed_at,
        "returned_at": dossier.returned_at, "supplement_requests": dossier.supplement_requests,
        "online": dossier.online, "apology_issued": dossier.apology_issued,
        "source": dossier.source, "created_at": dossier.created_at,
        "updated_at": dossier.updated_at,
    }
