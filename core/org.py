"""Services for the organisation tree. They flush and leave the commit to the caller."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import exists, update
from sqlalchemy.exc import IntegrityError

from core.audit import record_audit, snapshot
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind

UNIT_FIELDS = ("code", "parent_id", "kind", "name_vi", "name_en", "active", "sort_order",
               "hotline", "email", "address", "opening_hours")
PUBLIC_ROOT_KINDS = (UnitKind.PROVINCE.value, UnitKind.AGENCY.value, UnitKind.COMMUNE.value,
                     UnitKind.SERVICE_CENTRE.value)


@dataclass
class UnitData:
    code: str
    name_vi: str
    kind: str = UnitKind.OTHER.value
    parent_id: int | None = None
    name_en: str | None = None
    sort_order: int = 0
    hotline: str | None = None
    email: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    active: bool = True


@dataclass
class TreeNode:
    unit: Unit
    children: list[TreeNode] = field(default_factory=list)


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(db.select(Unit).where(Unit.code == code))


def _check_code_free(code: str, except_id: int | None = None) -> None:
    existing = unit_by_code(code)
    if existing is not None and existing.id != except_id:
        raise ServiceError(_("The code %(code)s is already used by %(name)s.", code=code,
                             name=existing.name_vi), field="code")


def create_unit(data: UnitData) -> Unit:
    _check_code_free(data.code)
    parent = db.session.get(Unit, data.parent_id) if data.parent_id else None
    if data.parent_id and parent is None:
        raise ServiceError(_("The parent unit does not exist."), field="parent_id", status=400)
    unit = Unit(**{name: getattr(data, name) for name in UNIT_FIELDS})
    db.session.add(unit)
    db.session.flush()
    _set_path(unit, parent)
    record_audit("unit.created", object_type="unit", object_id=unit.id, unit_id=unit.id,
                 after=snapshot(unit, UNIT_FIELDS))
    return unit


def update_unit(unit: Unit, data: UnitData, reason: str | None = None) -> Unit:
    """Change a unit's details; a new parent goes through ``move_unit``'s checks."""
    before = snapshot(unit, UNIT_FIELDS)
    _check_code_free(data.code, except_id=unit.id)
    if data.parent_id != unit.parent_id:
        new_parent = db.session.get(Unit, data.parent_id) if data.parent_id else None
        _move(unit, new_parent)
    for name in UNIT_FIELDS:
        if name != "parent_id":
            setattr(unit, name, getattr(data, name))
    db.session.flush()
    record_audit("unit.updated", object_type="unit", object_id=unit.id, unit_id=unit.id,
                 before=before, after=snapshot(unit, UNIT_FIELDS), reason=reason)
    return unit


def move_unit(unit: Unit, new_parent: Unit | None, reason: str | None = None) -> Unit:
    before = snapshot(unit, ("parent_id", "path"))
    _move(unit, new_parent)
    record_audit("unit.moved", object_type="unit", object_id=unit.id, unit_id=unit.id,
                 before=before, after=snapshot(unit, ("parent_id", "path")), reason=reason)
    return unit


def _move(unit: Unit, new_parent: Unit | None) -> None:
    if new_parent is not None and new_parent.is_within(unit):
        raise ServiceError(
            _("A unit cannot be moved under itself or one of its own sub-units."),
            field="parent_id",
        )
    old_path = unit.path
    unit.parent_id = new_parent.id if new_parent else None
    _set_path(unit, new_parent)
    _rewrite_descendant_paths(old_path, unit.path)


def _set_path(unit: Unit, parent: Unit | None) -> None:
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = unit.path.count("/") - 2
    db.session.flush()


def _rewrite_descendant_paths(old_prefix: str, new_prefix: str) -> None:
    descendants = db.session.scalars(
        db.select(Unit).where(Unit.path.like(old_prefix + "%"), Unit.path != new_prefix)
    ).all()
    for child in descendants:
        if child.path.startswith(old_prefix) and child.path != old_prefix:
            child.path = new_prefix + child.path[len(old_prefix):]
            child.depth = child.path.count("/") - 2
    db.session.flush()


def set_unit_active(unit: Unit, active: bool, reason: str | None = None) -> None:
    """Deactivating hides a unit and its subtree from citizens and new work, keeping its data."""
    before = snapshot(unit, ("active",))
    unit.active = active
    if not active:
        db.session.execute(
            update(Unit).where(Unit.path.like(unit.path + "%")).values(active=False)
        )
    db.session.flush()
    record_audit("unit.activated" if active else "unit.deactivated", object_type="unit",
                 object_id=unit.id, unit_id=unit.id, before=before,
                 after=snapshot(unit, ("active",)), reason=reason)


def delete_unit(unit: Unit, reason: str | None = None) -> None:
    """Delete a unit that holds nothing. Anything that refers to it (sub-units, staff roles,
    settings, and every later table's rows through RESTRICT foreign keys) blocks deletion."""
    has_children = db.session.scalar(db.select(exists().where(Unit.parent_id == unit.id)))
    if has_children:
        raise ServiceError(_("This unit has sub-units. Move or delete them first, or "
                             "deactivate the unit instead."))
    before = snapshot(unit, UNIT_FIELDS)
    unit_id = unit.id
    try:
        with db.session.begin_nested():
            db.session.delete(unit)
            db.session.flush()
    except IntegrityError as error:
        raise ServiceError(_("This unit already has data (staff roles, settings, surveys or "
                             "feedback). Deactivate it instead of deleting it.")) from error
    record_audit("unit.deleted", object_type="unit", object_id=unit_id, unit_id=unit_id,
                 before=before, reason=reason)


def build_tree(units: list[Unit]) -> list[TreeNode]:
    """Nest a flat list of units; units whose parent is not in the list become roots."""
    nodes = {unit.id: TreeNode(unit) for unit in units}
    roots: list[TreeNode] = []
    for unit in sorted(units, key=lambda u: (u.depth, u.sort_order, u.name_vi)):
        node = nodes[unit.id]
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def flatten_tree(roots: list[TreeNode]) -> list[Unit]:
    ordered: list[Unit] = []

    def walk(node: TreeNode) -> None:
        ordered.append(node.unit)
        for child in node.children:
            walk(child)

    for root in roots:
        walk(root)
    return ordered


def public_directory() -> list[tuple[Unit, list[Unit]]]:
    """Active agencies, communes and service centres grouped under their top-level unit
    (usually a province), in tree order, for the public home page."""
    stmt = db.select(Unit).where(Unit.active.is_(True), Unit.kind.in_(PUBLIC_ROOT_KINDS))
    groups: list[tuple[Unit, list[Unit]]] = []
    for root in build_tree(list(db.session.scalars(stmt))):
        groups.append((root.unit, flatten_tree(root.children)))
    return groups


def public_unit_by_code(code: str) -> Unit:
    unit = unit_by_code(code)
    if unit is None or not unit.active:
        abort(404)
    return unit
