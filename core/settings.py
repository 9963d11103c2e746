"""Effective-dated parameters: which value is in force on a date, globally or for a unit subtree.

Legal parameters change (a decree replaces another) and some defaults are not verified
(DOMAIN.md), so a value is never edited in place: a new row takes effect on a date and the old
ones stay as history, so a report re-run for a past period uses the values of that period.
Definitions live in code (``SETTINGS``): core's in ``core.setting_definitions``, registered by
``create_app``; each package's ``init_app`` registers its own with ``register_settings``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, or_

from core.audit import record_audit
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import SettingValue, Unit, User

DEFAULTS_FROM = date(2000, 1, 1)
LAST_EFFECTIVE_YEAR = 2100
MAX_TEXT = 200


class SettingType(StrEnum):
    INT = "int"
    FLOAT = "float"
    PERCENT = "percent"
    BOOL = "bool"
    STR = "str"


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    type: SettingType
    description: Any  # a lazy string
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[tuple[str, Any], ...] = ()  # (value, lazy label) for STR settings
    per_unit: bool = False
    needs_confirmation: bool = False  # unverified: the agency must confirm the value
    source: Any = None  # legal source or reason for the default, shown to admins
    unit_label: Any = None  # "working days", "months", ...


SETTINGS: dict[str, SettingDefinition] = {}


def register_setting(definition: SettingDefinition) -> SettingDefinition:
    # Store the default as a value would be stored (85 → 85.0 for a percent); a default
    # that does not validate is a programming error and fails at import.
    definition = replace(definition, default=coerce_value(definition, definition.default))
    existing = SETTINGS.get(definition.key)
    if existing is not None and existing != definition:
        raise ValueError(f"setting {definition.key!r} is already registered differently")
    SETTINGS[definition.key] = definition
    return definition


def register_settings(definitions: Iterable[SettingDefinition]) -> None:
    """Register a package's definitions (each package's ``init_app`` lists its own)."""
    for definition in definitions:
        register_setting(definition)


def definition_of(key: str) -> SettingDefinition:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}; register it in core.settings") from None


# --- Values: validation ------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on", "có", "co"}
_FALSE = {"0", "false", "no", "off", "không", "khong"}


def coerce_value(definition: SettingDefinition, raw: Any) -> Any:
    """The value as stored, or ServiceError(400) saying what is wrong."""
    kind = definition.type
    if kind is SettingType.BOOL:
        value = _to_bool(raw)
    elif kind is SettingType.STR:
        value = _to_str(definition, raw)
    else:
        value = _to_number(kind, raw)
        if definition.minimum is not None and value < definition.minimum or (
                definition.maximum is not None and value > definition.maximum):
            raise _bad(_("Enter a value from %(low)s to %(high)s.",
                         low=_fmt(definition.minimum), high=_fmt(definition.maximum)))
    return value


def _bad(message: str) -> ServiceError:
    return ServiceError(message, status=400, field="value")


def _fmt(bound: float | None) -> str:
    if bound is None:
        return "…"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(_("Choose yes or no."))


def _to_str(definition: SettingDefinition, raw: Any) -> str:
    text = str(raw).strip() if raw is not None else ""
    if not text or len(text) > MAX_TEXT:
        raise _bad(_("Enter a value of at most %(n)d characters.", n=MAX_TEXT))
    if definition.choices and text not in {value for value, _label in definition.choices}:
        raise _bad(_("Choose one of the values offered."))
    return text


def _to_number(kind: SettingType, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _bad(_("Enter a number."))
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").rstrip("%")
        if "," in text and "." not in text and text.count(",") == 1:
            text = text.replace(",", ".")  # Vietnamese decimal comma: "1,5"
        raw = text
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise _bad(_("Enter a number.")) from None
    if not math.isfinite(number):
        raise _bad(_("Enter a number."))
    if kind is SettingType.INT:
        if not number.is_integer():
            raise _bad(_("Enter a whole number."))
        return int(number)
    return number


# --- Reading ------------------------------------------------------------------------------


def _pick(rows: list[SettingValue], ancestor_ids: list[int]) -> SettingValue | None:
    """The most specific unit wins (deepest ancestor, then global); then the latest date."""
    depth = {unit_id: index for index, unit_id in enumerate(ancestor_ids)}
    return max(rows, default=None, key=lambda row: (
        -1 if row.unit_id is None else depth.get(row.unit_id, -2),
        row.effective_from, row.id))


def value_row_in_force(key: str, *, on: date | None = None,
                       unit: Unit | None = None) -> SettingValue | None:
    definition = definition_of(key)
    ancestor_ids = unit.ancestor_ids() if unit is not None and definition.per_unit else []
    scope = SettingValue.unit_id.is_(None)
    if ancestor_ids:
        scope = or_(scope, SettingValue.unit_id.in_(ancestor_ids))
    rows = list(db.session.scalars(db.select(SettingValue).where(
        SettingValue.key == key, SettingValue.effective_from <= (on or today()), scope)))
    return _pick(rows, ancestor_ids)


def get_setting(key: str, *, on: date | None = None, unit: Unit | None = None) -> Any:
    """The value in force on ``on`` (default today) for ``unit``: its own or its nearest
    ancestor's value, else the global one; the registered default when no row is in force."""
    row = value_row_in_force(key, on=on, unit=unit)
    return definition_of(key).default if row is None else row.value


def setting_history(key: str, unit: Unit | None = None) -> list[SettingValue]:
    """Every value ever scheduled for ``key`` on exactly this unit (None: global), newest first."""
    definition_of(key)
    where = (SettingValue.unit_id.is_(None) if unit is None
             else SettingValue.unit_id == unit.id)
    return list(db.session.scalars(db.select(SettingValue).where(SettingValue.key == key, where)
                                   .order_by(SettingValue.effective_from.desc(),
                                             SettingValue.id.desc())))


@dataclass
class UnitValues:
    unit: Unit
    current: SettingValue | None = None
    future: list[SettingValue] = field(default_factory=list)
    history: list[SettingValue] = field(default_factory=list)


@dataclass
class SettingOverview:
    definition: SettingDefinition
    value_today: Any
    current: SettingValue | None
    future: list[SettingValue]
    history: list[SettingValue]
    units: list[UnitValues]


def setting_overview(key: str, *, unit_scope: ColumnElement[bool],
                     on: date | None = None) -> SettingOverview:
    """The global value in force, scheduled and past values, and the unit values inside
    ``unit_scope`` (a WHERE clause on Unit, from core.access.unit_scope_clause)."""
    definition, on = definition_of(key), on or today()
    history = setting_history(key)
    current = next((row for row in history if row.effective_from <= on), None)
    rows = db.session.execute(
        db.select(SettingValue, Unit).join(Unit, Unit.id == SettingValue.unit_id)
        .where(SettingValue.key == key, unit_scope)
        .order_by(Unit.path, SettingValue.effective_from.desc(), SettingValue.id.desc()))
    units: dict[int, UnitValues] = {}
    for row, unit in rows:
        entry = units.setdefault(unit.id, UnitValues(unit))
        entry.history.append(row)
        if row.effective_from > on:
            entry.future.insert(0, row)
        elif entry.current is None:
            entry.current = row
    return SettingOverview(
        definition=definition,
        value_today=definition.default if current is None else current.value,
        current=current,
        future=sorted((r for r in history if r.effective_from > on),
                      key=lambda r: (r.effective_from, r.id)),
        history=history,
        units=list(units.values()),
    )


# --- Writing (flush, never commit) --------------------------------------------------------


def set_setting(key: str, value: Any, *, effective_from: date, unit: Unit | None = None,
                note: str | None = None, actor: User | None = None) -> SettingValue:
    """Schedule ``value`` for ``key`` from ``effective_from`` (today or later) on ``unit``'s
    subtree, or globally. Access is the caller's check (core.access)."""
    definition = SETTINGS.get(key)
    if definition is None:
        raise ServiceError(_("There is no setting called %(key)s.", key=key), status=400,
                           field="key")
    if unit is not None and not definition.per_unit:
        raise ServiceError(_("This setting applies to every unit alike; it cannot be set for "
                             "one unit."), status=400, field="unit_id")
    if effective_from < today():
        raise ServiceError(_("A new value cannot take effect in the past, which would change "
                             "figures already reported. Choose today or a later date."),
                           status=400, field="effective_from")
    if effective_from.year > LAST_EFFECTIVE_YEAR:
        raise ServiceError(_("Choose a date before %(year)d.", year=LAST_EFFECTIVE_YEAR + 1),
                           status=400, field="effective_from")
    stored = coerce_value(definition, value)
    before = get_setting(key, on=effective_from, unit=unit)
    row = SettingValue(key=key, unit_id=unit.id if unit is not None else None,
                       effective_from=effective_from, value=stored,
                       note=(note or "").strip() or None,
                       created_by_id=actor.id if actor is not None else None)
    db.session.add(row)
    db.session.flush()
    record_audit("setting.scheduled", object_type="setting", object_id=key,
                 unit_id=row.unit_id, before={"value": before},
                 after={"value": stored, "effective_from": effective_from,
                        "unit_id": row.unit_id, "note": row.note})
    return row


def ensure_default_settings() -> int:
    """Give each registered setting with no row at all a global row holding its default.
    Idempotent; safe at any time (a setting already scheduled is left alone)."""
    have = set(db.session.scalars(db.select(SettingValue.key).distinct()))
    added = 0
    for key, definition in SETTINGS.items():
        if key in have:
            continue
        db.session.add(SettingValue(key=key, unit_id=None, effective_from=DEFAULTS_FROM,
                                    value=definition.default, note="default"))
        record_audit("setting.default_added", object_type="setting", object_id=key,
                     after={"value": definition.default, "effective_from": DEFAULTS_FROM})
        added += 1
    db.session.flush()
    return added

