"""Questionnaire services: load the shipped files, look up the version in use, copy a version
into a draft, publish and retire. A published version never changes: a changed file or an
edit makes a new version number, and publishing it retires the one before. Draft editing
lives in surveys.instrument_drafts (re-exported here). Services flush; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func

from core.audit import record_audit
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from surveys.instrument_drafts import (  # noqa: F401  (the editing services, one import path)
    ItemData,
    SectionData,
    add_item,
    add_section,
    delete_item,
    delete_section,
    ensure_editable,
    move_item,
    move_section,
    ordered_items,
    ordered_sections,
    update_item,
    update_section,
)
from surveys.instrument_files import InstrumentSpec, normalise_choice, read_instrument_file
from surveys.instrument_rules import ELEMENTS, INSTRUMENT_CODE
from surveys.models.instruments import Instrument, InstrumentVersion, Item, Section, VersionStatus

DESK_FORM_CODE = "sipas-desk"
HOUSEHOLD_FORM_CODE = "sipas-qd1001"
QUICK_FORM_CODE = "quick-3"
DATA_DIR = Path(__file__).parent / "data"

ITEM_FIELDS = ("code", "element", "answer_type", "required", "demographic", "text_vi",
               "text_en", "choices", "max_length")
PUBLISHED = VersionStatus.PUBLISHED.value


@dataclass(frozen=True)
class LoadResult:
    version: InstrumentVersion
    outcome: str  # "created" (new instrument), "new_version" or "unchanged"
    retired: tuple[int, ...] = ()  # numbers of the versions the new one replaced


def instrument_by_code(code: str) -> Instrument | None:
    return db.session.scalar(db.select(Instrument).where(Instrument.code == code))


def get_version(instrument_code: str) -> InstrumentVersion | None:
    """The latest published version of an instrument (what new responses are collected on)."""
    return db.session.scalar(
        db.select(InstrumentVersion).join(Instrument)
        .where(Instrument.code == instrument_code, InstrumentVersion.status == PUBLISHED)
        .order_by(InstrumentVersion.number.desc()).limit(1))


def version_content(version: InstrumentVersion) -> dict[str, Any]:
    """The version as plain data, in the shape surveys.instrument_files produces: two versions
    with equal content ask the same questions the same way."""
    return {
        "source": version.source, "title_vi": version.title_vi, "title_en": version.title_en,
        "intro_vi": version.intro_vi, "intro_en": version.intro_en,
        "sections": [
            {"code": section.code, "title_vi": section.title_vi, "title_en": section.title_en,
             "element": section.element,
             "items": [_item_content(item) for item in ordered_items(section)]}
            for section in ordered_sections(version)
        ],
    }


def _item_content(item: Item) -> dict[str, Any]:
    data = {name: getattr(item, name) for name in ITEM_FIELDS}
    data["choices"] = [normalise_choice(c) for c in item.choices] if item.choices else None
    return data


def element_summary(version: InstrumentVersion) -> dict[str, int]:
    """How many items score each SIPAS element, in the national order (I.A … II.E)."""
    counts = {element: 0 for element in ELEMENTS}
    for item in version.items:
        if item.element in counts:
            counts[item.element] += 1
    return {element: count for element, count in counts.items() if count}


def _next_number(instrument: Instrument) -> int:
    if instrument.id is None:
        return 1
    highest = db.session.scalar(db.select(func.max(InstrumentVersion.number))
                                .where(InstrumentVersion.instrument_id == instrument.id))
    return (highest or 0) + 1


def _build_version(instrument: Instrument, content: dict[str, Any], status: str,
                   actor: User | None) -> InstrumentVersion:
    version = InstrumentVersion(
        instrument=instrument, number=_next_number(instrument), status=status,
        title_vi=content["title_vi"], title_en=content.get("title_en"),
        intro_vi=content.get("intro_vi"), intro_en=content.get("intro_en"),
        source=content.get("source"), created_by_id=actor.id if actor else None,
        published_at=now() if status == PUBLISHED else None)
    db.session.add(version)
    for s_position, section_data in enumerate(content["sections"], 1):
        section = Section(version=version, position=s_position, code=section_data["code"],
                          title_vi=section_data["title_vi"],
                          title_en=section_data.get("title_en"),
                          element=section_data.get("element"))
        # SQLAlchemy 2 does not cascade along backrefs: add each new row explicitly.
        db.session.add(section)
        for i_position, item_data in enumerate(section_data["items"], 1):
            db.session.add(Item(version=version, section=section, position=i_position,
                                **{name: item_data.get(name) for name in ITEM_FIELDS}))
    db.session.flush()
    return version


def _audit_version(action: str, version: InstrumentVersion, **extra: Any) -> None:
    instrument = version.instrument
    record_audit(action, object_type="survey_version", object_id=version.id,
                 unit_id=instrument.owner_unit_id,
                 after={"instrument": instrument.code, "number": version.number,
                        "status": version.status, "items": len(version.items), **extra})


def _retire_published(instrument: Instrument, keep: InstrumentVersion) -> tuple[int, ...]:
    retired = []
    for version in instrument.versions:
        if version is not keep and version.status == PUBLISHED:
            version.status = VersionStatus.RETIRED.value
            version.retired_at = now()
            retired.append(version.number)
            _audit_version("survey_version.retired", version, replaced_by=keep.number)
    db.session.flush()
    return tuple(retired)


def load_instrument_spec(spec: InstrumentSpec, actor: User | None = None) -> LoadResult:
    instrument = instrument_by_code(spec.code)
    if instrument is not None and instrument.owner_unit_id is not None:
        raise ServiceError(_("The code %(code)s is already used by an agency's own "
                             "questionnaire.", code=spec.code), field="code")
    outcome = "new_version"
    if instrument is None:
        instrument = Instrument(code=spec.code, name_vi=spec.name_vi, name_en=spec.name_en)
        db.session.add(instrument)
        db.session.flush()
        record_audit("survey_instrument.created", object_type="survey_instrument",
                     object_id=instrument.id, after={"code": spec.code, "name_vi": spec.name_vi})
        outcome = "created"
    elif (instrument.name_vi, instrument.name_en) != (spec.name_vi, spec.name_en):
        before = {"name_vi": instrument.name_vi, "name_en": instrument.name_en}
        instrument.name_vi, instrument.name_en = spec.name_vi, spec.name_en
        record_audit("survey_instrument.renamed", object_type="survey_instrument",
                     object_id=instrument.id, before=before,
                     after={"name_vi": spec.name_vi, "name_en": spec.name_en})
    current = get_version(spec.code)
    if current is not None and version_content(current) == spec.content:
        return LoadResult(current, "unchanged")
    version = _build_version(instrument, spec.content, PUBLISHED, actor)
    retired = _retire_published(instrument, keep=version)
    _audit_version("survey_version.loaded", version, source=version.source)
    return LoadResult(version, outcome, retired)


def load_instrument_file(path: str | Path, actor: User | None = None) -> InstrumentVersion:
    """Load one questionnaire file: the published version equal to it, or a new version that
    retires the previous one. Raises InstrumentFileError (a ValueError) listing every problem."""
    return load_instrument_spec(read_instrument_file(path), actor).version


def shipped_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.json"))


def load_shipped_instruments(actor: User | None = None) -> list[LoadResult]:
    """Load every file in surveys/data (the demo and ``flask surveys load-instruments``)."""
    return [load_instrument_spec(read_instrument_file(path), actor) for path in shipped_files()]


def create_instrument(code: str, name_vi: str, name_en: str | None, owner_unit: Unit,
                      actor: User | None, from_version: InstrumentVersion | None = None,
                      content: dict[str, Any] | None = None) -> InstrumentVersion:
    """An agency's own questionnaire, with its first draft: a copy of ``from_version``, the
    given checked ``content`` (an imported file) or one empty section to add items to."""
    if not INSTRUMENT_CODE.match(code or ""):
        raise ServiceError(_("Use lower-case letters, digits, dot, dash or underscore only."),
                           field="code", status=400)
    if instrument_by_code(code) is not None:
        raise ServiceError(_("The code %(code)s is already used by another questionnaire.",
                             code=code), field="code")
    instrument = Instrument(code=code, name_vi=name_vi, name_en=name_en or None,
                            owner_unit_id=owner_unit.id)
    db.session.add(instrument)
    db.session.flush()
    record_audit("survey_instrument.created", object_type="survey_instrument",
                 object_id=instrument.id, unit_id=owner_unit.id,
                 after={"code": code, "name_vi": name_vi,
                        "copied_from": from_version.id if from_version else None})
    if from_version is not None:
        content = version_content(from_version)
    content = content or {
        "title_vi": name_vi, "title_en": name_en or None, "source": None,
        "sections": [{"code": "main", "title_vi": name_vi, "title_en": name_en or None,
                      "items": []}],
    }
    version = _build_version(instrument, content, VersionStatus.DRAFT.value, actor)
    _audit_version("survey_version.drafted", version)
    return version


def import_instrument_draft(spec: InstrumentSpec, owner_unit: Unit | None, actor: User | None,
                            origin: str) -> InstrumentVersion:
    """A checked imported file (an XLSForm: surveys.xlsform_import) as a new draft: of the
    questionnaire with its code when there is one (the caller checked the right to change
    it), else of a new questionnaire of ``owner_unit``. Nothing is published."""
    instrument = instrument_by_code(spec.code)
    if instrument is None:
        if owner_unit is None:
            raise ServiceError(_("Choose the unit the new questionnaire belongs to."),
                               field="owner_unit_id", status=400)
        version = create_instrument(spec.code, spec.name_vi, spec.name_en, owner_unit, actor,
                                    content=spec.content)
    else:
        version = _build_version(instrument, spec.content, VersionStatus.DRAFT.value, actor)
        _audit_version("survey_version.drafted", version, imported_from=origin)
    record_audit("survey_version.imported", object_type="survey_version", object_id=version.id,
                 unit_id=version.instrument.owner_unit_id,
                 after={"instrument": spec.code, "number": version.number, "file": origin})
    return version


def create_draft(from_version: InstrumentVersion, actor: User | None) -> InstrumentVersion:
    """Copy a version (usually the published one) into a new draft number to edit."""
    version = _build_version(from_version.instrument, version_content(from_version),
                             VersionStatus.DRAFT.value, actor)
    _audit_version("survey_version.drafted", version, copied_from=from_version.number)
    return version


def publish_version(draft: InstrumentVersion, actor: User | None) -> InstrumentVersion:
    """Publish a draft; the version published before it is retired."""
    ensure_editable(draft)
    items = list(draft.items)
    if not items:
        raise ServiceError(_("Add at least one item before publishing."))
    codes = [item.code for item in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ServiceError(_("Item codes must be unique; repeated: %(codes)s.",
                             codes=", ".join(duplicates)))
    empty = [section.code for section in ordered_sections(draft) if not section.items]
    if empty:
        raise ServiceError(_("These sections have no items; add items or delete them: "
                             "%(codes)s.", codes=", ".join(empty)))
    draft.status = PUBLISHED
    draft.published_at = now()
    db.session.flush()
    retired = _retire_published(draft.instrument, keep=draft)
    _audit_version("survey_version.published", draft, retired=list(retired),
                   by=actor.id if actor else None)
    return draft


def retire_version(version: InstrumentVersion, actor: User | None) -> InstrumentVersion:
    """Stop collecting on a published version (its responses stay)."""
    if version.status != PUBLISHED:
        raise ServiceError(_("Only a published version can be retired."))
    version.status = VersionStatus.RETIRED.value
    version.retired_at = now()
    db.session.flush()
    _audit_version("survey_version.retired", version, by=actor.id if actor else None)
    return version


def delete_draft(version: InstrumentVersion) -> None:
    """Throw away a draft nobody published (it has no responses)."""
    ensure_editable(version)
    _audit_version("survey_version.deleted", version)
    db.session.delete(version)
    db.session.flush()
