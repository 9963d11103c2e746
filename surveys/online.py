"""Rating without a QR code: the citizen finds the agency or desk by name on the online entry
(/danh-gia/), accents optional, and rates on its standing online point (surveys.points); a
procedure they name, or a dossier code they type, says what was rated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_

from core.extensions import db
from core.models import Unit, UnitKind
from core.text import fold
from surveys.models import Dossier
from surveys.points import ONLINE_KINDS

MAX_RESULTS = 30
MAX_WORDS = 8
PROCEDURE_MAX = 255


@dataclass(frozen=True)
class RateableUnit:
    unit: Unit
    parent: Unit | None  # shown beside a desk's name ("Trung tâm … · Quầy …")


@dataclass(frozen=True)
class UnitSearch:
    results: list[RateableUnit]
    more: bool  # more units matched than are shown: the citizen should type another word


def _search_text(unit: Unit, parent: Unit | None) -> str:
    names = [unit.name_vi, unit.name_en or "", unit.code]
    if parent is not None and unit.kind == UnitKind.DESK.value:
        names += [parent.name_vi, parent.name_en or ""]
    return fold(" ".join(names))


def find_rateable_units(query: str) -> UnitSearch:
    """Active units that serve citizens whose name (Vietnamese or English, with or without
    accents), code or, for a desk, centre's name holds every word of ``query``, in tree
    order. An empty query lists the agencies, communes and centres (desks need a word)."""
    words = fold(query or "").split()[:MAX_WORDS]
    units = list(db.session.scalars(db.select(Unit).where(Unit.active.is_(True))))
    by_id = {unit.id: unit for unit in units}
    found = []
    for unit in sorted(units, key=Unit.ancestor_ids):
        if unit.kind not in ONLINE_KINDS or (not words and unit.kind == UnitKind.DESK.value):
            continue
        parent = by_id.get(unit.parent_id) if unit.parent_id else None
        text = _search_text(unit, parent)
        if all(word in text for word in words):
            found.append(RateableUnit(unit, parent))
    return UnitSearch(found[:MAX_RESULTS], len(found) > MAX_RESULTS)


def active_unit(code: str) -> Unit | None:
    unit = db.session.scalar(db.select(Unit).where(Unit.code == (code or "")[:40]))
    return unit if unit is not None and unit.active else None


def nearest_rateable(unit: Unit) -> Unit | None:
    """The unit, or its nearest active ancestor, that citizens may rate online (a division
    inside an agency is rated as its agency); None above every agency (a province)."""
    current: Unit | None = unit
    while current is not None and not (current.active and current.kind in ONLINE_KINDS):
        current = current.parent
    return current


def procedure_named(unit: Unit, given: str | None) -> str | None:
    """What to store for the procedure the citizen typed: a dossier code of this unit's
    subtree becomes its procedure's name (the code, which leads to a person, is never
    kept); anything else is kept as typed, trimmed to the column."""
    text = " ".join((given or "").split())[:PROCEDURE_MAX]
    if not text:
        return None
    dossier = db.session.scalar(
        db.select(Dossier).join(Unit, Dossier.unit_id == Unit.id)
        .where(Dossier.code == text[:64],
               or_(Unit.path.like(unit.path + "%"), Dossier.desk_id == unit.id)))
    if dossier is not None:
        return (dossier.procedure_name or "")[:PROCEDURE_MAX] or None
    return text
