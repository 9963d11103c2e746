"""Dossiers (hồ sơ) pushed by the one-stop system: create or update by code, with the checks
every channel shares (the JSON API, the spreadsheet import and the back office).

A dossier holds the facts the TT 01/2018 dossier rating needs (dates, supplement requests,
online or not, apology letter) and never the citizen's identity. Services flush; the caller
commits.

Two appointment dates are kept apart (DOMAIN.md §2.3): the legal one of the receipt (form 01 of
TT 01/2018/TT-VPCP), which timeliness is always judged against, and the new date an apology
letter (form 04, Phiếu xin lỗi và hẹn lại ngày trả kết quả) sets for a late dossier, at most
once: once recorded, the re-set date can be neither changed nor removed.

A holder may consent to be invited to a satisfaction survey (random-sample invitations,
surveys.sampling): only then is their phone kept, encrypted with core.crypto like a PAKN
sender's contact data, with the channel they chose (SMS or Zalo). No screen shows it: the
outbox decrypts it to send the invitation. Withdrawing consent deletes it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _

from core.access import Actor, Permission, can
from core.audit import record_audit, snapshot
from core.clock import LOCAL_TZ, local
from core.crypto import decrypt_json, encrypt_json
from core.exceptions import ServiceError
from core.extensions import db
from core.messaging import ProviderError, international_phone
from core.models import Unit
from core.org import unit_by_code
from surveys.models import Dossier

# Letters, digits, dot, dash, underscore: dossier codes appear in URL paths (/api/v1/dossiers/
# <code>) and are typed from receipts, so no spaces or slashes.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_PROCEDURE_CODE = 64
MAX_PROCEDURE_NAME = 500
MAX_SUPPLEMENTS = 32767  # a SmallInteger column
MAX_APOLOGY_NUMBER = 64
DOSSIER_FIELDS = ("code", "procedure_code", "procedure_name", "unit_id", "desk_id",
                  "received_at", "legal_appointed_at", "reset_appointed_at", "apology_number",
                  "apology_date", "returned_at", "supplement_requests", "online",
                  "apology_issued", "source", "contact_consent", "contact_channel")
RESET_FIELDS = ("reset_appointed_at", "apology_number", "apology_date")
SOURCES = ("api", "import", "manual")
CONTACT_CHANNELS = ("sms", "zalo")
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class DossierData:
    code: str
    unit_code: str
    received_at: datetime | None
    procedure_code: str | None = None
    procedure_name: str | None = None
    desk_code: str | None = None
    legal_appointed_at: datetime | None = None
    reset_appointed_at: datetime | None = None
    apology_number: str | None = None
    apology_date: date | None = None
    returned_at: datetime | None = None
    supplement_requests: int = 0
    online: bool = False
    apology_issued: bool = False
    source: str = "api"
    # None (not sent): what is stored stays, so a file without these columns keeps consents.
    contact_consent: bool | None = None
    contact_phone: str | None = None
    contact_channel: str | None = None


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


def _day(value: date | None, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _bad(_("Enter a date."), field)
    return value


def _check_reset(data: DossierData, received: datetime, appointed: datetime | None,
                 existing: Dossier | None) -> dict[str, object]:
    """The re-set date and its apology letter (form 04), all three or none, or a ServiceError.

    A re-set moves the legal appointment date later and happens at most once (DOMAIN.md §2.3:
    "a late dossier gets an apology letter (Phiếu xin lỗi) with a new date, at most once"), so
    a dossier whose date was re-set keeps that date: a different one, or none, is refused.
    """
    reset = _moment(data.reset_appointed_at, "reset_appointed_at")
    values: dict[str, object] = {
        "reset_appointed_at": reset,
        "apology_number": _text(data.apology_number, "apology_number", MAX_APOLOGY_NUMBER),
        "apology_date": _day(data.apology_date, "apology_date")}
    _refuse_second_reset(reset, existing)
    if all(value is None for value in values.values()):
        return values
    for name, value in values.items():
        if value is None:
            raise _bad(_("An apology letter that re-sets the date needs the new date, the "
                         "letter's number and its date."), name)
    assert reset is not None
    if appointed is None:
        raise _bad(_("Enter the legal appointed date before re-setting it."),
                   "legal_appointed_at")
    if reset <= appointed:
        raise _bad(_("The re-set date must be later than the legal appointed date."),
                   "reset_appointed_at")
    if values["apology_date"] < local(received).date():  # type: ignore[operator]
        raise _bad(_("The apology letter is dated before the dossier was received."),
                   "apology_date")
    return values


def _refuse_second_reset(reset: datetime | None, existing: Dossier | None) -> None:
    first = existing.reset_appointed_at if existing is not None else None
    if first is None or first == reset:
        return
    raise _bad(_("The appointed date of this dossier was already re-set once, to %(date)s by "
                 "the apology letter %(number)s; it may be re-set only once, so it cannot be "
                 "changed or removed.", date=f"{local(first):%d/%m/%Y %H:%M}",
                 number=existing.apology_number or ""), "reset_appointed_at", 409)


def _check_contact(data: DossierData) -> dict[str, object]:
    """Consent, phone (as 84xxxxxxxxx) and channel; without consent nothing is kept. Nothing
    at all (no change) when none of the three was sent."""
    if data.contact_consent is None and data.contact_phone is None \
            and data.contact_channel is None:
        return {}
    consent = _flag(bool(data.contact_consent), "contact_consent")
    phone = _text(data.contact_phone, "contact_phone", 20)
    channel = _text(data.contact_channel, "contact_channel", 16)
    if channel is not None and channel not in CONTACT_CHANNELS:
        raise _bad(_("The contact channel is sms or zalo."), "contact_channel")
    if not consent:
        return {"contact_consent": False, "contact_phone": None, "contact_channel": None}
    if phone is None:
        raise _bad(_("Consent to be contacted needs a phone number."), "contact_phone")
    try:
        phone = international_phone(phone)
    except ProviderError:
        raise _bad(_("Enter a Vietnamese phone number, e.g. 0912345678."),
                   "contact_phone") from None
    return {"contact_consent": True, "contact_phone": phone,
            "contact_channel": channel or "sms"}


def stored_phone(dossier: Dossier) -> str | None:
    """The consented phone (decrypted), for the outbox only; never shown on a page."""
    if not dossier.contact_consent or dossier.contact_enc is None:
        return None
    return str(decrypt_json(dossier.contact_enc).get("phone") or "") or None


def dossier_changes(dossier: Dossier, values: dict[str, object]) -> dict[str, object]:
    """The columns ``values`` would change (the phone compared decrypted: encrypting the same
    number twice gives different bytes)."""
    plain = {name: value for name, value in values.items()
             if name not in ("source", "contact_phone")}
    changes = {name: value for name, value in plain.items() if getattr(dossier, name) != value}
    if "contact_phone" not in values:
        return changes
    phone = values["contact_phone"]
    if phone != stored_phone(dossier) or (phone is None and dossier.contact_enc is not None):
        changes["contact_enc"] = encrypt_json({"phone": phone}) if phone else None
    return changes


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
    appointed = _moment(data.legal_appointed_at, "legal_appointed_at")
    returned = _moment(data.returned_at, "returned_at")
    assert received is not None
    if appointed is not None and appointed < received:
        raise _bad(_("The appointed date is before the date the dossier was received."),
                   "legal_appointed_at")
    reset = _check_reset(data, received, appointed, existing)
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
        "received_at": received, "legal_appointed_at": appointed, **reset,
        "returned_at": returned, "supplement_requests": supplements,
        "online": _flag(data.online, "online"),
        # A recorded letter (form 04) is an apology issued, whatever the flag says.
        "apology_issued": _flag(data.apology_issued, "apology_issued")
        or reset["apology_number"] is not None,
        "source": data.source,
        **_check_contact(data),
    }
    return CheckedDossier(values, unit, desk, existing)


def apply_dossier(checked: CheckedDossier, *, audit: bool = True) -> tuple[Dossier, str]:
    """Write a checked dossier: (dossier, "created" | "updated" | "unchanged")."""
    dossier = checked.existing
    if dossier is None:
        values = {name: value for name, value in checked.values.items()
                  if name != "contact_phone"}
        phone = checked.values.get("contact_phone")
        dossier = Dossier(**values, contact_enc=encrypt_json({"phone": phone}) if phone else None)
        db.session.add(dossier)
        db.session.flush()
        outcome, before = CREATED, None
    else:
        before = snapshot(dossier, DOSSIER_FIELDS)
        # The source is where the facts came from first; an update does not rewrite it.
        changes = dossier_changes(dossier, checked.values)
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
        "received_at": dossier.received_at, "legal_appointed_at": dossier.legal_appointed_at,
        "appointed_at": dossier.legal_appointed_at,  # its name before the re-set date existed
        "reset_appointed_at": dossier.reset_appointed_at,
        "apology_number": dossier.apology_number, "apology_date": dossier.apology_date,
        "returned_at": dossier.returned_at, "supplement_requests": dossier.supplement_requests,
        "online": dossier.online, "apology_issued": dossier.apology_issued,
        "source": dossier.source, "created_at": dossier.created_at,
        "updated_at": dossier.updated_at,
    }
