"""XLSForm (https://xlsform.org), the spreadsheet format of Kobo and ODK: the columns both
directions share, and the export of a questionnaire version to an .xlsx workbook.

A version maps onto the three sheets like this:
- ``settings``: form_id = the instrument code, form_title = the Vietnamese title, version = the
  version number, default_language; our own ``sipas_*`` columns carry the English title, the
  instrument's names and the source (Kobo and pyxform ignore columns they do not know).
- ``survey``: the introduction is a first ``note`` row; each section is a ``begin group`` /
  ``end group`` pair named by its code; each item is a ``text``, ``select_one LIST`` or
  ``select_multiple LIST`` row named by its code. ``sipas_type`` keeps our answer type (a 1..5
  list may be a 5-point scale or a plain choice), ``sipas_element`` the SIPAS element and
  ``sipas_demographic`` the respondent flag; a text item's longest answer is a standard
  ``string-length(.) <= N`` constraint.
- ``choices``: one list per distinct choice list; value 0 is "not applicable".

The import (surveys.xlsform_import) reads these columns back, so an export re-imports into
the same content (the round trip is tested on every shipped form).
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from surveys.instrument_rules import SCALE_SIZES
from surveys.instruments import version_content
from surveys.models import InstrumentVersion
from surveys.models.instruments import AnswerType

LANGUAGE_COLUMNS = {"vi": "Vietnamese (vi)", "en": "English (en)"}
DEFAULT_LANGUAGE = LANGUAGE_COLUMNS["vi"]
SURVEY_COLUMNS = ("type", "name", "label::Vietnamese (vi)", "label::English (en)", "required",
                  "constraint", "appearance", "sipas_type", "sipas_element",
                  "sipas_demographic")
CHOICES_COLUMNS = ("list_name", "name", "label::Vietnamese (vi)", "label::English (en)")
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "sipas_title_en",
                    "sipas_name_vi", "sipas_name_en", "sipas_source")
INTRO_NAME = "intro"
# An item with no element inside a section that rates one (the section's element would
# otherwise be inherited on import).
NO_ELEMENT = "none"
MAX_LENGTH_CONSTRAINT = re.compile(r"^\s*string-length\(\s*\.\s*\)\s*<=\s*(\d{1,6})\s*$")
CHOICE_TYPES = {AnswerType.MULTI.value: "select_multiple"}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_length_constraint(max_length: int) -> str:
    return f"string-length(.) <= {max_length}"


def export_xlsform(version: InstrumentVersion) -> bytes:
    """The version as an XLSForm workbook (.xlsx bytes)."""
    instrument = version.instrument
    content = version_content(version)
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    choices = workbook.create_sheet("choices")
    settings = workbook.create_sheet("settings")
    lists = _ListNames()
    _append(survey, SURVEY_COLUMNS, bold=True)
    if content["intro_vi"] or content["intro_en"]:
        _append(survey, _survey_row(type="note", name=INTRO_NAME, vi=content["intro_vi"],
                                    en=content["intro_en"]))
    for section in content["sections"]:
        _append(survey, _survey_row(type="begin group", name=section["code"],
                                    vi=section["title_vi"], en=section["title_en"],
                                    sipas_element=section["element"]))
        for item in section["items"]:
            _append(survey, _item_row(item, section["element"], lists))
        _append(survey, _survey_row(type="end group", name=section["code"]))
    _append(choices, CHOICES_COLUMNS, bold=True)
    for name, list_choices in lists.lists:
        for choice in list_choices:
            _append(choices, (name, str(choice["value"]), choice["vi"], choice["en"]))
    _append(settings, SETTINGS_COLUMNS, bold=True)
    _append(settings, (content["title_vi"], instrument.code, str(version.number),
                       DEFAULT_LANGUAGE, content["title_en"], instrument.name_vi,
                       instrument.name_en, content["source"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _ListNames:
    """One choices list per distinct list of choices: the rating items of a form share one."""

    def __init__(self) -> None:
        self.lists: list[tuple[str, list[dict[str, Any]]]] = []

    def name_for(self, item: dict[str, Any]) -> str:
        for name, choices in self.lists:
            if choices == item["choices"]:
                return name
        base = item["answer_type"] if item["answer_type"] in SCALE_SIZES or \
            item["answer_type"] == AnswerType.YESNO.value else item["code"]
        taken = {name for name, _ in self.lists}
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self.lists.append((name, item["choices"]))
        return name


def _item_row(item: dict[str, Any], section_element: str | None, lists: _ListNames) -> tuple:
    answer_type = item["answer_type"]
    if answer_type == AnswerType.TEXT.value:
        xls_type, constraint = "text", max_length_constraint(item["max_length"])
    else:
        xls_type = f"{CHOICE_TYPES.get(answer_type, 'select_one')} {lists.name_for(item)}"
        constraint = None
    element = item["element"] or (NO_ELEMENT if section_element else None)
    return _survey_row(
        type=xls_type, name=item["code"], vi=item["text_vi"], en=item["text_en"],
        required="yes" if item["required"] else None, constraint=constraint,
        appearance="likert" if answer_type in SCALE_SIZES else None, sipas_type=answer_type,
        sipas_element=element, sipas_demographic="yes" if item["demographic"] else None)


def _survey_row(*, type: str, name: str, vi: str | None = None, en: str | None = None,
                **rest: str | None) -> tuple:
    values = {"type": type, "name": name, "label::Vietnamese (vi)": vi,
              "label::English (en)": en, **rest}
    return tuple(values.get(column) for column in SURVEY_COLUMNS)


def _append(sheet, values: tuple, bold: bool = False) -> None:
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value else 1
    for column, value in enumerate(values, 1):
        if value is None or value == "":
            continue
        cell = sheet.cell(row, column)
        cell.value = value
        # Text only: a label starting with "=" must stay text, never become a formula that
        # Excel would run when the file is opened.
        cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
