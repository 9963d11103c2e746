"""The rules of questionnaire content shared by the file loader (surveys.instrument_files) and
the draft editor (surveys.instrument_drafts): SIPAS elements, scales, code patterns."""

from __future__ import annotations

import re
from typing import Any

from analysis.sipas import NOT_APPLICABLE
from surveys.models.instruments import AnswerType

# SIPAS groups an item can score (QĐ 1001): Vietnamese and English names.
ELEMENTS: dict[str, tuple[str, str]] = {
    "I.A": ("Trách nhiệm giải trình", "Accountability"),
    "I.B": ("Sự tham gia của người dân", "Citizen participation"),
    "I.C": ("Chất lượng tổ chức thực hiện chính sách", "Quality of policy implementation"),
    "I.D": ("Kết quả, tác động của chính sách", "Policy results and impact"),
    "II.A": ("Tiếp cận dịch vụ", "Access to services"),
    "II.B": ("Thủ tục hành chính", "Administrative procedures"),
    "II.C": ("Công chức trực tiếp giải quyết công việc", "Civil servants handling the case"),
    "II.D": ("Kết quả giải quyết TTHC", "Results of the procedure"),
    "II.E": ("Tiếp nhận, xử lý phản ánh, kiến nghị", "Handling of feedback and petitions"),
}
# Rating scales and their values 1…n; only these (and choice lists) carry choices.
SCALE_SIZES = {AnswerType.SCALE5.value: 5, AnswerType.SCALE4.value: 4,
               AnswerType.SCALE3.value: 3}
# An element index counts "satisfied" answers, which only satisfaction scales have.
ELEMENT_TYPES = frozenset({AnswerType.SCALE5.value, AnswerType.SCALE3.value})
ANSWER_TYPES = frozenset(t.value for t in AnswerType)
# Labels the editor fills in when a rating or yes/no item is given no choices (SIPAS_ITEMS.md).
DEFAULT_CHOICES: dict[str, list[dict[str, Any]]] = {
    AnswerType.SCALE5.value: [
        {"value": 1, "vi": "Rất không hài lòng", "en": "Very dissatisfied"},
        {"value": 2, "vi": "Không hài lòng", "en": "Dissatisfied"},
        {"value": 3, "vi": "Bình thường", "en": "Neutral"},
        {"value": 4, "vi": "Hài lòng", "en": "Satisfied"},
        {"value": 5, "vi": "Rất hài lòng", "en": "Very satisfied"},
    ],
    AnswerType.SCALE3.value: [
        {"value": 1, "vi": "Không hài lòng", "en": "Not satisfied"},
        {"value": 2, "vi": "Hài lòng", "en": "Satisfied"},
        {"value": 3, "vi": "Rất hài lòng", "en": "Very satisfied"},
    ],
    AnswerType.YESNO.value: [
        {"value": 1, "vi": "Có", "en": "Yes"},
        {"value": 2, "vi": "Không", "en": "No"},
    ],
}
MAX_TEXT_LENGTH = 10_000
# A rating item that does not concern every respondent (the PAKN items II.E concern only those
# who sent a PAKN, Q8 item 7) may list one more choice after its scale: the value
# NOT_APPLICABLE (0), "Không áp dụng". It is stored as given and counted like a blank by every
# index (QĐ 1001 counts valid answers only; analysis.sipas).
NOT_APPLICABLE_TYPES = frozenset(SCALE_SIZES)


def offers_not_applicable(answer_type: str, choices: list[dict[str, Any]] | None) -> bool:
    return answer_type in NOT_APPLICABLE_TYPES and any(
        choice.get("value") == NOT_APPLICABLE for choice in choices or [])


def scale_values(choices: list[dict[str, Any]]) -> list[Any]:
    """The values of a rating scale's choices without its "not applicable" choice."""
    return [choice["value"] for choice in choices if choice["value"] != NOT_APPLICABLE]

INSTRUMENT_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
SECTION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
ITEM_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
