"""Questionnaire data files (surveys/data/*.json, format in surveys/data/README.md): read one,
check every rule, and turn it into the plain content a version is built from.

Problems are reported all at once, in English, for whoever edits the file (a developer or an
administrator running ``flask surveys load-instruments``): fixing a file one error per run is
slow. The same content shape (``version_content`` in surveys.instruments) is what versions are
compared on, so "is this file already loaded?" is a plain dict comparison.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.sipas import NOT_APPLICABLE
from surveys.instrument_rules import (
    ANSWER_TYPES,
    ELEMENT_TYPES,
    ELEMENTS,
    INSTRUMENT_CODE,
    ITEM_CODE,
    MAX_TEXT_LENGTH,
    NOT_APPLICABLE_TYPES,
    SCALE_SIZES,
    SECTION_CODE,
    scale_values,
)
from surveys.models.instruments import AnswerType

FORMAT = 1
MAX_FILE_BYTES = 1_000_000

TOP_KEYS = {"format", "code", "name_vi", "name_en", "source", "version", "scales", "sections"}
VERSION_KEYS = {"title_vi", "title_en", "intro_vi", "intro_en"}
SECTION_KEYS = {"code", "title_vi", "title_en", "element", "items"}
ITEM_KEYS = {"code", "element", "answer_type", "required", "text_vi", "text_en", "choices",
             "demographic", "max_length"}
CHOICE_KEYS = {"value", "vi", "en"}


class InstrumentFileError(ValueError):
    """A questionnaire file that cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin = origin
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{origin}: {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class InstrumentSpec:
    """A checked file: the instrument's identity and its version content."""

    code: str
    name_vi: str
    name_en: str | None
    content: dict[str, Any]


def read_instrument_file(path: str | Path) -> InstrumentSpec:
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise InstrumentFileError(str(path), [f"file is larger than {MAX_FILE_BYTES} bytes"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InstrumentFileError(
            str(path), [f"not valid UTF-8 (byte {error.start})"]) from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstrumentFileError(
            str(path), [f"not valid JSON: {error.msg} (line {error.lineno}, "
                        f"column {error.colno})"]) from error
    return parse_instrument(data, origin=str(path))


def parse_instrument(data: Any, origin: str = "<data>") -> InstrumentSpec:
    """Check decoded file data; raise InstrumentFileError with every problem found."""
    check = _Checker()
    spec = check.instrument(_nfc(data))
    if check.problems:
        raise InstrumentFileError(origin, check.problems)
    assert spec is not None
    return spec


def _nfc(value: Any) -> Any:
    # Stored text is NFC (core.forms does the same for typed text); a file saved by an editor
    # that decomposes accents must not load as different content.
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def normalise_choice(choice: dict[str, Any]) -> dict[str, Any]:
    return {"value": choice["value"], "vi": choice["vi"], "en": choice.get("en") or None}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def text(self, data: dict, key: str, where: str, *, required: bool,
             max_length: int | None = 255) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, f"{key} is missing")
            return None
        if not isinstance(value, str):
            self.add(where, f"{key} must be text")
            return None
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            self.add(where, f"{key} contains control characters")
        if max_length is not None and len(value) > max_length:
            self.add(where, f"{key} is longer than {max_length} characters")
        return value.strip()

    def keys(self, data: Any, allowed: set[str], where: str) -> bool:
        if not isinstance(data, dict):
            self.add(where, "must be an object")
            return False
        for key in sorted(set(data) - allowed):
            self.add(where, f"unknown field {key!r}")
        return True

    def instrument(self, data: Any) -> InstrumentSpec | None:
        if not self.keys(data, TOP_KEYS, ""):
            return None
        if data.get("format") != FORMAT:
            self.add("format", f"must be {FORMAT}")
        code = data.get("code")
        if not isinstance(code, str) or not INSTRUMENT_CODE.match(code):
            self.add("code", "must be lower-case letters, digits, dot, dash or underscore "
                             "(at most 64)")
        name_vi = self.text(data, "name_vi", "", required=True)
        name_en = self.text(data, "name_en", "", required=False)
        version = data.get("version")
        content: dict[str, Any] = {"source": self.text(data, "source", "", required=False)}
        if self.keys(version, VERSION_KEYS, "version"):
            content["title_vi"] = self.text(version, "title_vi", "version", required=True)
            content["title_en"] = self.text(version, "title_en", "version", required=False)
            for key in ("intro_vi", "intro_en"):
                content[key] = self.text(version, key, "version", required=False,
                                         max_length=MAX_TEXT_LENGTH)
        scales = data.get("scales") or {}
        if not isinstance(scales, dict):
            self.add("scales", "must be an object of named choice lists")
            scales = {}
        checked_scales = {name: self.choice_list(choices, f"scales.{name}")
                          for name, choices in scales.items()}
        sections = data.get("sections")
        if not isinstance(sections, list) or not sections:
            self.add("sections", "must be a non-empty list")
            sections = []
        content["sections"] = self.sections(sections, checked_scales)
        return InstrumentSpec(code=code if isinstance(code, str) else "", name_vi=name_vi or "",
                              name_en=name_en, content=content)

    def sections(self, sections: list, scales: dict[str, list | None]) -> list[dict]:
        out: list[dict] = []
        section_codes: set[str] = set()
        item_codes: set[str] = set()
        for s_index, section in enumerate(sections):
            where = f"sections[{s_index}]"
            if not self.keys(section, SECTION_KEYS, where):
                continue
            code = section.get("code")
            if not isinstance(code, str) or not SECTION_CODE.match(code):
                self.add(where, "code must be letters, digits, dot, dash or underscore")
            elif code in section_codes:
                self.add(where, f"duplicate section code {code!r}")
            else:
                section_codes.add(code)
                where = f"section {code}"
            element = self.element(section.get("element"), where)
            items = section.get("items")
            if not isinstance(items, list) or not items:
                self.add(where, "items must be a non-empty list")
                items = []
            checked_items = []
            for i_index, item in enumerate(items):
                checked = self.item(item, f"{where}, items[{i_index}]", element, scales)
                if checked is None:
                    continue
                if ITEM_CODE.match(checked["code"]) and checked["code"] in item_codes:
                    self.add(f"{where}, items[{i_index}]",
                             f"duplicate item code {checked['code']!r}")
                item_codes.add(checked["code"])
                checked_items.append(checked)
            out.append({"code": code, "title_vi": self.text(section, "title_vi", where,
                                                            required=True),
                        "title_en": self.text(section, "title_en", where, required=False),
                        "element": element, "items": checked_items})
        return out

    def element(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in ELEMENTS:
            self.add(where, f"element {value!r} is not one of {', '.join(ELEMENTS)}")
            return None
        return value

    def item(self, item: Any, where: str, section_element: str | None,
             scales: dict[str, list | None]) -> dict | None:
        if not self.keys(item, ITEM_KEYS, where):
            return None
        code = item.get("code")
        if not isinstance(code, str) or not ITEM_CODE.match(code):
            self.add(where, "code must start with a lower-case letter and use a-z, 0-9, _ "
                            "(at most 32)")
            code = str(code)
        else:
            where = f"{where} ({code})"
        answer_type = item.get("answer_type")
        if not isinstance(answer_type, str) or answer_type not in ANSWER_TYPES:
            self.add(where, f"unknown answer type {answer_type!r} (use one of "
                            f"{', '.join(sorted(ANSWER_TYPES))})")
            answer_type = None
        element = self.element(item.get("element", section_element), where)
        if element and section_element and element != section_element:
            self.add(where, f"element {element} differs from its section's {section_element}")
        if element and answer_type in ANSWER_TYPES and answer_type not in ELEMENT_TYPES:
            self.add(where, f"only {' or '.join(sorted(ELEMENT_TYPES))} items can score an "
                            "element")
        flags = {}
        for key in ("required", "demographic"):
            flags[key] = item.get(key, False)
            if not isinstance(flags[key], bool):
                self.add(where, f"{key} must be true or false")
        if flags["demographic"] is True and flags["required"] is True:
            self.add(where, "demographic items must be optional")
        choices = self.item_choices(item.get("choices"), answer_type, where, scales)
        max_length = item.get("max_length")
        if answer_type == AnswerType.TEXT.value:
            if (not isinstance(max_length, int) or isinstance(max_length, bool)
                    or not 1 <= max_length <= MAX_TEXT_LENGTH):
                self.add(where, f"text items need max_length between 1 and {MAX_TEXT_LENGTH}")
        elif max_length is not None:
            self.add(where, "max_length is only for text items")
        return {
            "code": code, "element": element, "answer_type": answer_type,
            "required": flags["required"], "demographic": flags["demographic"],
            "text_vi": self.text(item, "text_vi", where, required=True,
                                 max_length=MAX_TEXT_LENGTH),
            "text_en": self.text(item, "text_en", where, required=False,
                                 max_length=MAX_TEXT_LENGTH),
            "choices": choices, "max_length": max_length if answer_type == "text" else None,
        }

    def item_choices(self, value: Any, answer_type: Any, where: str,
                     scales: dict[str, list | None]) -> list | None:
        if answer_type == AnswerType.TEXT.value:
            if value is not None:
                self.add(where, "text items have no choices")
            return None
        if answer_type not in ANSWER_TYPES:
            return None
        if value is None:
            kind = "a rating type" if answer_type in SCALE_SIZES else "a choice type"
            self.add(where, f"{answer_type} is {kind} but the item has no scale or choices")
            return None
        if isinstance(value, str):
            if value not in scales:
                self.add(where, f"unknown scale {value!r}")
                return None
            choices = scales[value]
        else:
            choices = self.choice_list(value, f"{where} choices")
        if choices is None:
            return None
        values = [choice["value"] for choice in choices]
        size = SCALE_SIZES.get(answer_type)
        if size is not None and scale_values(choices) != list(range(1, size + 1)):
            self.add(where, f"{answer_type} needs choices valued 1 to {size} in order")
        self.not_applicable_choice(values, answer_type, where)
        if answer_type == AnswerType.YESNO.value and len(values) != 2:
            self.add(where, "yesno needs exactly two choices")
        if answer_type in (AnswerType.SINGLE.value, AnswerType.MULTI.value) and len(values) < 2:
            self.add(where, f"{answer_type} needs at least two choices")
        return choices

    def not_applicable_choice(self, values: list, answer_type: str, where: str) -> None:
        """Value 0 means "not applicable" (surveys.instrument_rules): rating scales only, and
        after the scale, where the form shows it."""
        if NOT_APPLICABLE not in values:
            return
        if answer_type not in NOT_APPLICABLE_TYPES:
            self.add(where, f"value {NOT_APPLICABLE} (not applicable) is only for rating scales "
                            f"({', '.join(sorted(NOT_APPLICABLE_TYPES))})")
        elif values[-1] != NOT_APPLICABLE:
            self.add(where, f"the not-applicable choice (value {NOT_APPLICABLE}) comes last")

    def choice_list(self, value: Any, where: str) -> list | None:
        if not isinstance(value, list) or not value:
            self.add(where, "must be a non-empty list of {value, vi, en}")
            return None
        out, seen, ok = [], set(), True
        for index, choice in enumerate(value):
            here = f"{where}[{index}]"
            if not self.keys(choice, CHOICE_KEYS, here):
                ok = False
                continue
            number = choice.get("value")
            if not isinstance(number, int) or isinstance(number, bool):
                self.add(here, "value must be a whole number")
                ok = False
            elif number in seen:
                self.add(here, f"duplicate value {number}")
                ok = False
            seen.add(number)
            label = self.text(choice, "vi", here, required=True)
            ok = ok and label is not None
            out.append({"value": number, "vi": label,
                        "en": self.text(choice, "en", here, required=False)})
        return out if ok else None
