"""Editing a draft questionnaire version: sections and items, their order and their checks.
Every service refuses (409) to touch a published or retired version, because responses were
collected on it and reports read them by its item codes. Services flush; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from core.audit import record_audit, snapshot
from core.exceptions import ServiceError
from core.extensions import db
from surveys.instrument_rules import (
    ANSWER_TYPES,
    DEFAULT_CHOICES,
    ELEMENT_TYPES,
    ELEMENTS,
    ITEM_CODE,
    MAX_TEXT_LENGTH,
    SCALE_SIZES,
    SECTION_CODE,
    scale_values,
)
from surveys.models.instruments import AnswerType, InstrumentVersion, Item, Section

ITEM_AUDIT_FIELDS = ("code", "section_id", "position", "element", "answer_type", "required",
                     "demographic", "text_vi", "text_en", "choices", "max_length")
SECTION_AUDIT_FIELDS = ("code", "position", "title_vi", "title_en", "element")
DEFAULT_TEXT_LENGTH = 1000


@dataclass
class SectionData:
    code: str
    title_vi: str
    title_en: str | None = None
    element: str | None = None


@dataclass
class ItemData:
    code: str
    section_id: int
    answer_type: str
    text_vi: str
    text_en: str | None = None
    element: str | None = None
    required: bool = False
    demographic: bool = False
    choices: list[dict[str, Any]] | None = None
    max_length: int | None = None


def ensure_editable(version: InstrumentVersion) -> None:
    if not version.is_editable:
        raise ServiceError(_("Version %(number)s is no longer a draft and cannot be changed. "
                             "Copy it to a new draft to make changes.", number=version.number))


def ordered_sections(version: InstrumentVersion) -> list[Section]:
    # Sorted here rather than trusting the relationship order: an edit in this session may
    # have changed positions after the collection was loaded.
    return sorted(version.sections, key=lambda section: section.position)


def ordered_items(section: Section) -> list[Item]:
    return sorted(section.items, key=lambda item: item.position)


def parse_choice_lines(text: str | None) -> list[dict[str, Any]] | None:
    """Choices typed one per line as ``value|Vietnamese|English``; None when blank."""
    choices: list[dict[str, Any]] = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not parts[1] or not _is_int(parts[0]):
            raise ServiceError(_("Line %(number)s: write value|Vietnamese|English, for example "
                                 "1|Có|Yes.", number=number), field="choices", status=400)
        value = int(parts[0])
        if any(choice["value"] == value for choice in choices):
            raise ServiceError(_("Line %(number)s: the value %(value)s is used twice.",
                                 number=number, value=value), field="choices", status=400)
        choices.append({"value": value, "vi": parts[1],
                        "en": parts[2] if len(parts) == 3 and parts[2] else None})
    return choices or None


def format_choice_lines(choices: list[dict[str, Any]] | None) -> str:
    return "\n".join(f"{c['value']}|{c['vi']}|{c.get('en') or ''}" for c in choices or [])


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit() and len(text) <= 9


def _audit(action: str, obj: Item | Section, version: InstrumentVersion,
           before: dict | None = None) -> None:
    fields = ITEM_AUDIT_FIELDS if isinstance(obj, Item) else SECTION_AUDIT_FIELDS
    record_audit(action, object_type="survey_item" if isinstance(obj, Item) else "survey_section",
                 object_id=obj.id, unit_id=version.instrument.owner_unit_id, before=before,
                 after=None if action.endswith(".deleted") else snapshot(obj, fields))


def _check_section(version: InstrumentVersion, data: SectionData,
                   section: Section | None = None) -> None:
    if not SECTION_CODE.match(data.code or ""):
        raise ServiceError(_("Use letters, digits, dot, dash or underscore only (at most 32)."),
                           field="code", status=400)
    if any(s.code == data.code and s is not section for s in version.sections):
        raise ServiceError(_("The code %(code)s is already used in this version.",
                             code=data.code), field="code")
    if not (data.title_vi or "").strip():
        raise ServiceError(_("Give the title in Vietnamese."), field="title_vi", status=400)
    if data.element is not None and data.element not in ELEMENTS:
        raise ServiceError(_("Choose an element from the list."), field="element", status=400)
    if section is not None and data.element and any(
            item.element and item.element != data.element for item in section.items):
        raise ServiceError(_("Some items of this section score another element; change them "
                             "first."), field="element")


def add_section(version: InstrumentVersion, data: SectionData) -> Section:
    ensure_editable(version)
    _check_section(version, data)
    section = Section(version=version, position=len(version.sections) + 1, code=data.code,
                      title_vi=data.title_vi, title_en=data.title_en or None,
                      element=data.element or None)
    db.session.add(section)
    db.session.flush()
    _audit("survey_section.added", section, version)
    return section


def update_section(section: Section, data: SectionData) -> Section:
    ensure_editable(section.version)
    _check_section(section.version, data, section)
    before = snapshot(section, SECTION_AUDIT_FIELDS)
    section.code, section.title_vi = data.code, data.title_vi
    section.title_en, section.element = data.title_en or None, data.element or None
    db.session.flush()
    _audit("survey_section.updated", section, section.version, before)
    return section


def delete_section(section: Section) -> None:
    version = section.version
    ensure_editable(version)
    if section.items:
        raise ServiceError(_("Move or delete the items of this section first."))
    _audit("survey_section.deleted", section, version, snapshot(section, SECTION_AUDIT_FIELDS))
    version.sections.remove(section)
    db.session.delete(section)
    _renumber(ordered_sections(version))


def move_section(section: Section, direction: int) -> Section:
    ensure_editable(section.version)
    _swap(ordered_sections(section.version), section, direction)
    _audit("survey_section.moved", section, section.version)
    return section


def _check_item(version: InstrumentVersion, data: ItemData,
                item: Item | None = None) -> tuple[Section, dict[str, Any]]:
    def refuse(message: str, field: str, status: int = 400) -> ServiceError:
        return ServiceError(message, field=field, status=status)

    if not ITEM_CODE.match(data.code or ""):
        raise refuse(_("Start with a lower-case letter and use a–z, 0–9 and _ only (at most "
                       "32)."), "code")
    if any(other.code == data.code and other is not item for other in version.items):
        raise refuse(_("The code %(code)s is already used in this version.", code=data.code),
                     "code", 409)
    section = db.session.get(Section, data.section_id)
    if section is None or section.version_id != version.id:
        raise refuse(_("Choose a section of this version."), "section_id")
    if data.answer_type not in ANSWER_TYPES:
        raise refuse(_("Choose an answer type from the list."), "answer_type")
    element = data.element or None
    if element is None and section.element and data.answer_type in ELEMENT_TYPES:
        element = section.element  # an item in an element's section scores that element
    if element is not None and element not in ELEMENTS:
        raise refuse(_("Choose an element from the list."), "element")
    if element and data.answer_type not in ELEMENT_TYPES:
        raise refuse(_("Only 5-point and 3-level satisfaction items can score an element."),
                     "element")
    if element and section.element and element != section.element:
        raise refuse(_("This section rates %(element)s; the item must rate it too.",
                       element=section.element), "element")
    if not (data.text_vi or "").strip():
        raise refuse(_("Give the question in Vietnamese."), "text_vi")
    if data.demographic and data.required:
        raise refuse(_("Questions about the respondent must be optional."), "required")
    fields = {"code": data.code, "answer_type": data.answer_type, "element": element,
              "text_vi": data.text_vi, "text_en": data.text_en or None,
              "required": data.required, "demographic": data.demographic,
              "choices": _checked_choices(data), "max_length": None}
    if data.answer_type == AnswerType.TEXT.value:
        max_length = data.max_length or DEFAULT_TEXT_LENGTH
        if not 1 <= max_length <= MAX_TEXT_LENGTH:
            raise refuse(_("The longest answer must be between 1 and %(max)s characters.",
                           max=MAX_TEXT_LENGTH), "max_length")
        fields["max_length"] = max_length
    return section, fields


def _checked_choices(data: ItemData) -> list[dict[str, Any]] | None:
    answer_type, choices = data.answer_type, data.choices
    if answer_type == AnswerType.TEXT.value:
        return None
    if not choices:
        choices = DEFAULT_CHOICES.get(answer_type)
    values = [choice["value"] for choice in choices or []]
    size = SCALE_SIZES.get(answer_type)
    # A scale may end with "0|Không áp dụng|Not applicable" (surveys.instrument_rules).
    if size is not None and scale_values(choices or []) != list(range(1, size + 1)):
        message = _("A %(size)s-point scale needs one line for each value from 1 to %(size)s, "
                    "in order.", size=size)
    elif answer_type == AnswerType.YESNO.value and len(values) != 2:
        message = _("A yes/no question needs exactly two choices.")
    elif len(values) < 2:
        message = _("Give at least two choices.")
    else:
        return [dict(choice) for choice in choices or []]
    raise ServiceError(message, field="choices", status=400)


def add_item(version: InstrumentVersion, data: ItemData) -> Item:
    ensure_editable(version)
    section, fields = _check_item(version, data)
    item = Item(version=version, section=section, position=len(section.items) + 1, **fields)
    db.session.add(item)
    db.session.flush()
    _audit("survey_item.added", item, version)
    return item


def update_item(item: Item, data: ItemData) -> Item:
    version = item.version
    ensure_editable(version)
    section, fields = _check_item(version, data, item)
    before = snapshot(item, ITEM_AUDIT_FIELDS)
    old_section = item.section
    for name, value in fields.items():
        setattr(item, name, value)
    if section is not old_section:
        old_section.items.remove(item)
        item.section = section
        item.position = len(section.items)
        _renumber(ordered_items(old_section))
    db.session.flush()
    _audit("survey_item.updated", item, version, before)
    return item


def move_item(item: Item, direction: int) -> Item:
    """Move an item one place up (-1) or down (+1) within its section."""
    ensure_editable(item.version)
    _swap(ordered_items(item.section), item, direction)
    _audit("survey_item.moved", item, item.version)
    return item


def delete_item(item: Item) -> None:
    version, section = item.version, item.section
    ensure_editable(version)
    _audit("survey_item.deleted", item, version, snapshot(item, ITEM_AUDIT_FIELDS))
    # Loading version.items would autoflush the item with no section (NOT NULL) first.
    with db.session.no_autoflush:
        section.items.remove(item)
        version.items.remove(item)
    db.session.delete(item)
    _renumber(ordered_items(section))


def _swap(siblings: list[Any], obj: Any, direction: int) -> None:
    index = siblings.index(obj)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        _renumber(siblings)


def _renumber(ordered: list[Any]) -> None:
    for position, obj in enumerate(ordered, 1):
        obj.position = position
    db.session.flush()
