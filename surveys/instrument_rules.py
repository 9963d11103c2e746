"""The rules of questionnaire content shared by the file loader (surveys.instrument_files) and
the draft editor (surveys.instrument_drafts): SIPAS elements, scales, code patterns."""

from __future__ import annotations

import re
from typing import Any

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

INSTRUMENT_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
SECTION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
ITEM_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
