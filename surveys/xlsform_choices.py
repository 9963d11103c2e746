"""The choices sheet of an XLSForm: its lists, and how a list becomes our choices and answer
type (a rating scale, yes/no, one choice, several choices).

Our choices are whole numbers with labels. A list whose names are all whole numbers keeps
them; otherwise (Kobo's ``very_satisfied``, ``male``, …) its choices are numbered 1, 2, 3… in
sheet order. A "not applicable" choice of a rating list (named 0, na, n_a or not_applicable,
or labelled "Không áp dụng" / "Not applicable" / "N/A") becomes value 0, the value our rating
scales keep for it (surveys.instrument_rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from analysis.sipas import NOT_APPLICABLE
from surveys.instrument_rules import SCALE_SIZES
from surveys.models.instruments import AnswerType
from surveys.xlsform_sheets import Row, Sheet

NA_NAMES = frozenset({"0", "na", "n_a", "n/a", "not_applicable", "khong_ap_dung"})
NA_LABELS = frozenset({"không áp dụng", "not applicable", "n/a", "na"})
YES_NO = ({"có", "yes", "1"}, {"không", "no", "2"})
SELECT_ONE_TYPES = frozenset(SCALE_SIZES) | {AnswerType.SINGLE.value, AnswerType.YESNO.value}
KNOWN_COLUMNS = frozenset({"list_name", "name", "label", "label::vi", "label::en"})


@dataclass
class Choice:
    row: Row
    name: str
    vi: str | None
    en: str | None

    @property
    def not_applicable(self) -> bool:
        labels = {(self.vi or "").lower(), (self.en or "").lower()}
        return self.name.lower() in NA_NAMES or bool(labels & NA_LABELS)


def _is_whole(text: str) -> bool:
    return text.lstrip("-").isdigit() and len(text) <= 9


def _problem(row: Row, message: str) -> str:
    return _("Row %(row)s (choices sheet): %(problem)s", row=row.number, problem=message)


def read_choice_lists(sheet: Sheet | None, default_language: str,
                      problems: list[str]) -> ChoiceLists:
    lists: dict[str, list[Choice]] = {}
    for row in sheet.rows if sheet else []:
        list_name = row.get("list_name")
        name = row.get("name")
        vi = row.get("label::vi") or (row.get("label") if default_language == "vi" else "")
        en = row.get("label::en") or (row.get("label") if default_language == "en" else "")
        for column in row.cells:
            if column not in KNOWN_COLUMNS and not column.startswith("$"):
                problems.append(_problem(row, _("column %(column)s is not supported.",
                                                column=column)))
        if not list_name or not name:
            problems.append(_problem(row, _("list_name and name are both needed.")))
            continue
        if not vi:
            problems.append(_problem(row, _("the choice has no Vietnamese label.")))
        if any(choice.name == name for choice in lists.get(list_name, [])):
            problems.append(_problem(row, _("the name %(name)s is used twice in the list "
                                            "%(list)s.", name=name, list=list_name)))
            continue
        lists.setdefault(list_name, []).append(Choice(row, name, vi or None, en or None))
    return ChoiceLists(lists)


class ChoiceLists:
    def __init__(self, lists: dict[str, list[Choice]]):
        self.lists = lists

    def choices_for(self, row: Row, list_name: str, base: str, declared: str,
                    has_sheet: bool, problems: list[str]) -> dict[str, Any] | None:
        """The answer type and choices of a select question, or None (a problem added)."""
        def refuse(message: str) -> None:
            problems.append(_("Row %(row)s (survey sheet): %(problem)s", row=row.number,
                              problem=message))

        choices = self.lists.get(list_name)
        if choices is None:
            refuse(_("the list %(list)s is not in the choices sheet.", list=list_name)
                   if has_sheet else
                   _("the question uses the list %(list)s but the workbook has no choices "
                     "sheet.", list=list_name))
            return None
        if base == "select_multiple":
            answer_type = AnswerType.MULTI.value
            if declared and declared != answer_type:
                refuse(_("sipas_type %(value)s does not fit select_multiple.", value=declared))
                return None
        elif declared:
            if declared not in SELECT_ONE_TYPES:
                refuse(_("sipas_type %(value)s does not fit select_one.", value=declared))
                return None
            answer_type = declared
        else:
            answer_type = infer_answer_type(choices)
        return {"answer_type": answer_type, "choices": _values(choices, answer_type)}


def infer_answer_type(choices: list[Choice]) -> str:
    """A rating scale for a list 1..n (n = 3, 4, 5) in order, perhaps with a not-applicable
    choice; yes/no for a two-choice yes/no list; else one choice."""
    rated = [choice.name for choice in choices if not choice.not_applicable]
    for answer_type, size in SCALE_SIZES.items():
        if rated == [str(value) for value in range(1, size + 1)]:
            return answer_type
    if len(choices) == 2 and all(
            {choice.name.lower(), (choice.vi or "").lower(), (choice.en or "").lower()} & words
            for choice, words in zip(choices, YES_NO, strict=True)):
        return AnswerType.YESNO.value
    return AnswerType.SINGLE.value


def _values(choices: list[Choice], answer_type: str) -> list[dict[str, Any]]:
    rating = answer_type in SCALE_SIZES
    counted = [c for c in choices if not (rating and c.not_applicable)]
    numbered = all(_is_whole(c.name) for c in counted)
    values = {id(c): int(c.name) if numbered else position
              for position, c in enumerate(counted, 1)}
    return [{"value": values.get(id(c), NOT_APPLICABLE), "vi": c.vi, "en": c.en}
            for c in choices]
