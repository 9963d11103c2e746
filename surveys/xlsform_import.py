"""Import an XLSForm (Kobo, ODK, or our own export: surveys.xlsform) as questionnaire content.

The workbook becomes the data of a questionnaire file (surveys/data/README.md, format 1) and
goes through the same checks as a shipped file (surveys.instrument_files.parse_instrument);
surveys.instruments.import_instrument_draft then makes a draft version of it.

What maps: ``begin group``/``end group`` → a section (questions outside any group form a
section of their own; groups inside groups are refused); ``text`` → free text (its longest
answer from a ``string-length(.) <= N`` constraint, else 1000); ``select_multiple`` → several
choices; ``select_one`` → a rating scale when its list is 1..n (n = 3, 4, 5) in order, plus
perhaps a "not applicable" choice (stored as 0); yes/no for a two-choice Có/Không or yes/no
list; else one choice. The ``sipas_*`` columns of our own export decide instead. A first
``note`` is the introduction. Metadata rows (start, end, today, deviceid, …) are skipped: every
response here records its own time. Everything else that has no place in our model (other
question types, hints, skip logic, repeats, calculations, other languages) is refused with
the row it is on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from surveys.instrument_drafts import DEFAULT_TEXT_LENGTH
from surveys.instrument_files import InstrumentFileError, InstrumentSpec, parse_instrument
from surveys.instrument_rules import ANSWER_TYPES, ELEMENT_TYPES, ELEMENTS, ITEM_CODE
from surveys.xlsform import MAX_LENGTH_CONSTRAINT, NO_ELEMENT
from surveys.xlsform_choices import ChoiceLists, read_choice_lists
from surveys.xlsform_sheets import (
    Row,
    Sheet,
    XLSFormError,
    language_of,
    open_workbook,
    settings_values,
)

METADATA_TYPES = frozenset({
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "start-geopoint", "background-audio", "imei",
})
GROUP_TYPES = {"begin group": "begin", "begin_group": "begin", "end group": "end",
               "end_group": "end"}
QUESTION_TYPES = {"text": "text", "select_one": "select_one", "select1": "select_one",
                  "select_multiple": "select_multiple"}
# Columns that change nothing we store: display hints, Kobo's own bookkeeping, messages for
# constraints we check ourselves.
IGNORED_COLUMNS = frozenset({"appearance", "constraint_message", "required_message",
                             "guidance_hint", "name", "type"})
YES_WORDS = frozenset({"yes", "true", "true()", "1", "có"})
NO_WORDS = frozenset({"no", "false", "false()", "0", "không"})
LOOSE_SECTION = "main"


@dataclass
class ImportResult:
    spec: InstrumentSpec
    skipped: list[str] = field(default_factory=list)  # metadata rows left out, by type
    form_version: str | None = None


def read_xlsform(data: bytes, filename: str = "") -> ImportResult:
    """Read and check an XLSForm; raise XLSFormError with every problem, by sheet and row."""
    sheets = open_workbook(data)
    settings = settings_values(sheets)
    reader = _SurveyReader(sheets, settings, filename)
    content = reader.read()
    if reader.problems:
        raise XLSFormError(reader.problems)
    try:
        spec = parse_instrument(content, origin=filename or "XLSForm")
    except InstrumentFileError as error:
        raise XLSFormError([reader.locate(problem) for problem in error.problems]) from error
    return ImportResult(spec, reader.skipped, settings.get("version") or None)


def _row_problem(row: Row, message: str) -> str:
    return _("Row %(row)s (survey sheet): %(problem)s", row=row.number, problem=message)


class _SurveyReader:
    def __init__(self, sheets: dict[str, Sheet], settings: dict[str, str], filename: str):
        self.survey = sheets["survey"]
        self.settings = settings
        self.problems: list[str] = []
        self.skipped: list[str] = []
        self.default_language = self._default_language()
        self.lists: ChoiceLists = read_choice_lists(sheets.get("choices"),
                                                    self.default_language, self.problems)
        self.has_choices_sheet = "choices" in sheets
        self.filename = filename
        self.sections: list[dict[str, Any]] = []
        self.rows: list[tuple[Row, list[Row]]] = []  # per section: its row, its items' rows
        self.intro: dict[str, str | None] = {}
        self.asked = 0  # question rows in the open group

    # --- settings and languages -------------------------------------------------------

    def _default_language(self) -> str:
        value = self.settings.get("default_language", "")
        if not value:
            return "vi"
        code = language_of(value)
        if code is None:
            self.problems.append(_("Settings sheet: default_language %(value)s is neither "
                                   "Vietnamese (vi) nor English (en).", value=value))
            return "vi"
        return code

    def text(self, row: Row, column: str, language: str) -> str | None:
        value = row.get(f"{column}::{language}")
        if not value and language == self.default_language:
            value = row.get(column)
        return value or None

    def _check_columns(self) -> None:
        for column in self.survey.columns:
            base, _sep, language = column.partition("::")
            if language and language not in ("vi", "en") and base in ("label", "hint"):
                self.problems.append(_(
                    "Survey sheet: column %(column)s is in a language this system does not "
                    "keep; only Vietnamese (vi) and English (en) are supported.",
                    column=column))

    # --- the survey sheet -------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        self._check_columns()
        group: tuple[Row, dict[str, Any]] | None = None
        loose: dict[str, Any] | None = None
        for row in self.survey.rows:
            kind = row.get("type").lower()
            if not kind:
                self.problems.append(_row_problem(row, _("the type is missing.")))
            elif kind in GROUP_TYPES:
                group, loose = self._group_row(row, GROUP_TYPES[kind], group), None
                self.asked = 0
            elif kind in METADATA_TYPES:
                self.skipped.append(kind)
            elif kind == "note" and self._is_intro(group):
                self.intro = {"vi": self.text(row, "label", "vi"),
                              "en": self.text(row, "label", "en")}
            else:
                self.asked += 1
                item = self._question(row, kind, group[1] if group else None)
                if item is None:
                    continue
                if group is None and loose is None:
                    loose = self._open_section(row, self._loose_code(), None)
                (group[1] if group else loose)["items"].append(item)
                self.rows[-1][1].append(row)
        if group is not None:
            self.problems.append(_row_problem(group[0], _(
                "the group %(name)s has no end group row.", name=group[0].get("name"))))
        return self._content()

    def _is_intro(self, group) -> bool:
        return group is None and not self.sections and not self.intro

    def _group_row(self, row: Row, action: str, group):
        if action == "end":
            if group is None:
                self.problems.append(_row_problem(row, _("end group without a begin group.")))
            elif not self.asked:
                self.problems.append(_row_problem(group[0], _(
                    "the group %(name)s has no questions.", name=group[0].get("name"))))
            return None
        if group is not None:
            self.problems.append(_row_problem(row, _(
                "a group inside a group is not supported: a questionnaire here has one level "
                "of sections.")))
            return group
        element = row.get("sipas_element") or None
        if element is not None and element not in ELEMENTS:
            self.problems.append(_row_problem(row, _(
                "sipas_element %(value)s is not a SIPAS element (%(elements)s).",
                value=element, elements=", ".join(ELEMENTS))))
            element = None
        return row, self._open_section(row, row.get("name"), element)

    def _open_section(self, row: Row, code: str, element: str | None) -> dict[str, Any]:
        from_group = row.get("type").lower() in GROUP_TYPES
        section = {
            "code": code,
            "title_vi": self.text(row, "label", "vi") if from_group else self._title("vi"),
            "title_en": self.text(row, "label", "en") if from_group else self._title("en"),
            "items": [],
        }
        if from_group and not section["title_vi"]:
            self.problems.append(_row_problem(row, _("the group has no Vietnamese label.")))
        if element:
            section["element"] = element
        self.sections.append(section)
        self.rows.append((row, []))
        return section

    def _loose_code(self) -> str:
        taken = {section["code"] for section in self.sections}
        code, suffix = LOOSE_SECTION, 2
        while code in taken:
            code, suffix = f"{LOOSE_SECTION}_{suffix}", suffix + 1
        return code

    def _question(self, row: Row, kind: str, section: dict | None) -> dict[str, Any] | None:
        words = kind.split()
        base = QUESTION_TYPES.get(words[0])
        if base is None or (base == "text") != (len(words) == 1) or len(words) > 2:
            self.problems.append(_row_problem(row, self._unsupported(row, words[0])))
            return None
        count = len(self.problems)
        code = row.get("name")
        if not ITEM_CODE.match(code):
            self.problems.append(_row_problem(row, _(
                "the name %(name)s cannot be an item code: start with a lower-case letter "
                "and use a–z, 0–9 and _ only (at most 32).", name=code or "—")))
        self._refuse_extras(row)
        item: dict[str, Any] = {
            "code": code, "text_vi": self.text(row, "label", "vi"),
            "text_en": self.text(row, "label", "en"),
            "required": self._flag(row, "required"),
            "demographic": self._flag(row, "sipas_demographic"),
        }
        if not item["text_vi"]:
            self.problems.append(_row_problem(row, _("the question has no Vietnamese label.")))
        if base == "text":
            item.update(answer_type=self._declared(row, "text") or "text",
                        max_length=self._max_length(row))
        else:
            choices = self.lists.choices_for(row, words[1], base, row.get("sipas_type"),
                                             self.has_choices_sheet, self.problems)
            if choices is not None:
                item.update(choices)
        self._element(row, item, section)
        return item if len(self.problems) == count else None

    def _unsupported(self, row: Row, kind: str) -> str:
        if kind in ("begin", "end") or "repeat" in kind:
            return _("repeats (%(type)s) are not supported: every question is asked once.",
                     type=row.get("type"))
        if kind in ("calculate", "hidden"):
            return _("calculations (%(type)s) are not supported.", type=kind)
        if kind == "note":
            return _("a note is only supported as the first row (the introduction).")
        if kind in ("select_one", "select1", "select_multiple") and \
                len(row.get("type").split()) == 1:
            return _("%(type)s needs the name of its list in the choices sheet, e.g. "
                     "select_one satisfaction.", type=kind)
        if kind.startswith("select") and "or_other" in row.get("type"):
            return _("or_other is not supported; add an \"Other\" choice and a text question.")
        return _("type %(type)s is not supported; this system stores text, select_one and "
                 "select_multiple questions.", type=row.get("type"))

    def _refuse_extras(self, row: Row) -> None:
        for column, value in row.cells.items():
            base = column.partition("::")[0]
            if base == "hint":
                self.problems.append(_row_problem(row, _(
                    "hints are not supported; put the hint into the label or delete it.")))
            elif base == "relevant":
                self.problems.append(_row_problem(row, _(
                    "skip logic (relevant) is not supported: every question is shown to "
                    "every respondent.")))
            elif base not in IGNORED_COLUMNS and base not in (
                    "label", "required", "constraint", "sipas_type", "sipas_element",
                    "sipas_demographic") and not base.startswith("$"):
                self.problems.append(_row_problem(row, _(
                    "column %(column)s is not supported (value %(value)s).",
                    column=column, value=value[:60])))

    def _flag(self, row: Row, column: str) -> bool:
        value = row.get(column).lower()
        if not value or value in NO_WORDS:
            return False
        if value in YES_WORDS:
            return True
        self.problems.append(_row_problem(row, _(
            "%(column)s must be yes or no, not %(value)s (conditions are not supported).",
            column=column, value=row.get(column)[:60])))
        return False

    def _declared(self, row: Row, default: str) -> str | None:
        declared = row.get("sipas_type")
        if declared and (declared not in ANSWER_TYPES or (declared == "text") != (
                default == "text")):
            self.problems.append(_row_problem(row, _(
                "sipas_type %(value)s does not fit the type %(type)s.", value=declared,
                type=row.get("type"))))
        return declared or None

    def _max_length(self, row: Row) -> int:
        constraint = row.get("constraint")
        if not constraint:
            return DEFAULT_TEXT_LENGTH
        match = MAX_LENGTH_CONSTRAINT.match(constraint)
        if match is None:
            self.problems.append(_row_problem(row, _(
                "the constraint %(value)s is not supported; only string-length(.) <= N for "
                "a text question.", value=constraint[:60])))
            return DEFAULT_TEXT_LENGTH
        return int(match.group(1))

    def _element(self, row: Row, item: dict[str, Any], section: dict | None) -> None:
        value = row.get("sipas_element")
        if row.get("constraint") and item.get("answer_type") != "text":
            self.problems.append(_row_problem(row, _(
                "constraints are not supported on choice questions.")))
        if value == NO_ELEMENT:
            item["element"] = None
        elif value:
            if value not in ELEMENTS:
                self.problems.append(_row_problem(row, _(
                    "sipas_element %(value)s is not a SIPAS element (%(elements)s).",
                    value=value, elements=", ".join(ELEMENTS))))
            item["element"] = value
        elif section is not None and section.get("element") and \
                item.get("answer_type") not in ELEMENT_TYPES:
            # Like the draft editor: only a satisfaction item inherits its section's element.
            item["element"] = None

    # --- the result -------------------------------------------------------------------

    def _title(self, language: str) -> str | None:
        if language == "vi":
            return self.settings.get("form_title") or self._code() or None
        return self.settings.get("sipas_title_en") or None

    def _code(self) -> str:
        # pyxform too takes the file's name when the settings give no form_id.
        return self.settings.get("form_id") or self.filename.rsplit(".", 1)[0].lower()

    def _content(self) -> dict[str, Any]:
        code = self._code()
        if not self.sections:
            self.problems.append(_("The survey sheet has no questions."))
        source = self.settings.get("sipas_source") if "sipas_source" in self.settings or \
            "sipas_name_vi" in self.settings else "XLSForm" + (
                f" {self.settings['version']}" if self.settings.get("version") else "")
        return {
            "format": 1, "code": code,
            "name_vi": self.settings.get("sipas_name_vi") or self._title("vi"),
            "name_en": self.settings.get("sipas_name_en") or self._title("en"),
            "source": source or None,
            "version": {"title_vi": self._title("vi"), "title_en": self._title("en"),
                        "intro_vi": self.intro.get("vi"), "intro_en": self.intro.get("en")},
            "sections": self.sections,
        }

    def locate(self, problem: str) -> str:
        """A problem of the shared checks ('section II.A, items[2] (q9_26): …') with the row
        of the survey sheet it is on; the checks' own wording is English."""
        best: tuple[int, Row] | None = None
        for index, (section_row, item_rows) in enumerate(self.rows):
            code = self.sections[index]["code"]
            for prefix in (f"section {code}", f"sections[{index}]"):
                candidates = [(prefix, section_row)] + [
                    (f"{prefix}, items[{i}]", item_row) for i, item_row in enumerate(item_rows)]
                for text, row in candidates:
                    if problem.startswith(text) and (best is None or len(text) > best[0]):
                        best = (len(text), row)
        if best is None:
            if problem.startswith("code"):
                return _("Settings sheet: form_id %(value)s cannot be a questionnaire code: use "
                         "lower-case letters, digits, dot, dash or underscore (at most 64).",
                         value=self.settings.get("form_id") or "—")
            return _("Settings sheet: %(problem)s", problem=problem)
        rest = problem[best[0]:].lstrip()
        if rest.startswith("("):
            rest = rest.partition(")")[2]
        return _row_problem(best[1], rest.lstrip(": "))
