"""Names of persons: after an honorific or "tôi là", after an official's title, "X Văn/Thị Y"
anywhere, and foreign names after Mr./Ms./Mrs. or "My name is"."""

from __future__ import annotations

import re

from core.text import fold_same_length
from feedback.redaction.letters import CAP, CAP_RE, LO, UP
from feedback.redaction.name_lists import (
    ADMIN_BEFORE,
    NOT_NAME,
    NOT_SINGLE_NAME,
    SURNAME,
)
from feedback.redaction.spans import HIGH, LOW, NAME, Finding

# Words that introduce a private person's name.
NAME_TRIGGER_RE = re.compile(
    r"(?<![\w])(?i:tôi\s+tên\s+là|tên\s+tôi\s+là|tôi\s+là|tôi\s+tên|họ\s+và\s+tên|họ\s+tên|"
    r"tên\s+là|người\s+gửi|người\s+phản\s+ánh|người\s+kiến\s+nghị|người\s+viết|công\s+dân|"
    r"gia\s+đình|hộ|vợ|chồng|con|mẹ|bố|"
    r"ông|bà|anh|chị|em|cô|chú|bác|cháu|cụ|dì|cậu|mợ|thím)(?![\w])"
    r"(?:\s*[:\-–]\s*|\s+)")
_HONORIFICS = {"ong", "ba", "anh", "chi", "em", "co", "chu", "bac", "chau", "cu", "di", "cau",
               "mo", "thim"}
_NAME_IS = {"toi ten la", "ten toi la", "toi ten", "ten la"}
TITLE_RE = re.compile(
    r"(?<![\w])(?i:phó\s+giám\s+đốc|giám\s+đốc|phó\s+chủ\s+tịch|chủ\s+tịch|"
    r"phó\s+trưởng\s+phòng|trưởng\s+phòng|phó\s+chánh\s+văn\s+phòng|chánh\s+văn\s+phòng|"
    r"chánh\s+thanh\s+tra|phó\s+bí\s+thư|bí\s+thư|trưởng\s+thôn|trưởng\s+bản|trưởng\s+ban|"
    r"trưởng\s+công\s+an|công\s+an\s+viên|cán\s+bộ|công\s+chức|viên\s+chức|chuyên\s+viên|"
    r"thủ\s+trưởng|đồng\s+chí|đ/c|kế\s+toán|hiệu\s+trưởng|tổ\s+trưởng|bác\s+sĩ|"
    r"giáo\s+viên|trưởng\s+trạm|trạm\s+trưởng|địa\s+chính|người\s+đại\s+diện)(?![\w])")
_SURNAME_NAME_RE = re.compile(rf"{SURNAME}(?:\s+{CAP}){{1,3}}")
_GAP_WORD_RE = re.compile(r"\s+([^\s,.;:!?()\[\]]+)")
# "Nguyễn Văn Hùng", "Lò Thị Mai" anywhere: a family name, Văn/Thị, then given names.
MIDDLE_NAME_RE = re.compile(
    rf"(?<![\w])(?P<name>{SURNAME}\s+(?:Văn|Thị|VĂN|THỊ)(?:\s+{CAP}){{1,2}})")
# Places and institutions named after people keep their name ("đường Nguyễn Văn Cừ",
# "phường Hoàng Văn Thụ").
NAMED_PLACE_BEFORE = re.compile(
    r"(?i:đường|phố|ngõ|hẻm|kiệt|trường|THPT|THCS|tiểu\s+học|mầm\s+non|cầu|chợ|bệnh\s+viện|"
    r"công\s+viên|quảng\s+trường|khu\s+đô\s+thị|tư\s+tưởng|di\s+tích|nhà\s+văn\s+hóa|"
    r"nhà\s+lưu\s+niệm|phường|xã|quận|huyện|thị\s+trấn|thị\s+xã|thành\s+phố|tỉnh)\s*$")

# Foreign names: English honorifics (in their own case: "MS Word" is no honorific) or "My
# name is", then one to three capitalised words ("O'Brien", "Min-jun"). Not "I am": "I am
# Vietnamese".
_FOREIGN_WORD = rf"[{UP}](?:[{LO}]|['’][{UP}])*(?:-[{UP}{LO}][{LO}]*)*(?![\w'’-])"
FOREIGN_RE = re.compile(
    rf"(?<![\w])(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+|(?i:my\s+name\s+is)\s+)"
    rf"(?P<name>{_FOREIGN_WORD}(?:\s+{_FOREIGN_WORD}){{0,2}})")
_ENGLISH_HONORIFIC_RE = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+")


def _capitalised_words(text: str, pos: int) -> list[tuple[int, int]]:
    """Up to four capitalised words from ``pos``, one space apart."""
    words: list[tuple[int, int]] = []
    cursor = pos
    while len(words) < 4:
        m = CAP_RE.match(text, cursor)
        if m is None:
            break
        words.append(m.span())
        if text[m.end():m.end() + 1] != " " or not CAP_RE.match(text, m.end() + 1):
            break
        cursor = m.end() + 1
    return words


def name_after(text: str, pos: int, *, allow_single: bool) -> tuple[int, int] | None:
    """The capitalised words (1–4) starting at ``pos``, if they look like a person's name."""
    words = _capitalised_words(text, pos)
    if not words or text[words[0][0]:words[0][1]].lower() in NOT_NAME:
        return None
    if len(words) == 1:
        word = text[words[0][0]:words[0][1]]
        # A lone capital letter or an abbreviation is not a given name.
        if not allow_single or len(word) < 2 or word.isupper() or \
                word.lower() in NOT_SINGLE_NAME:
            return None
    return words[0][0], words[-1][1]


def _name_after_title(text: str, pos: int) -> tuple[int, int] | None:
    """"Giám đốc Sở Nội vụ Nguyễn Văn Hùng": within the next words (no punctuation between),
    a family name and given names, not a place ("UBND tỉnh Hà Giang")."""
    previous = ""
    for _index in range(10):
        gap = _GAP_WORD_RE.match(text, pos)
        if gap is None:
            return None
        name = _SURNAME_NAME_RE.match(text, gap.start(1))
        if name is not None and previous.lower() not in ADMIN_BEFORE:
            return name.span()
        previous = gap.group(1)
        pos = gap.end()
    return None


def _after_named_place(text: str, start: int) -> bool:
    return NAMED_PLACE_BEFORE.search(text, max(0, start - 30), start) is not None


def _find_after_triggers(text: str):
    for m in NAME_TRIGGER_RE.finditer(text):
        if _after_named_place(text, m.start()):
            continue  # "phố Bà Triệu", "đường Bà Huyện Thanh Quan"
        pos = m.end()
        if _ENGLISH_HONORIFIC_RE.match(text, pos):
            continue  # "tôi là Mr Kim": the foreign-name rule reads it
        trigger = fold_same_length(m.group(0).strip(" :-–"))
        # Honorifics and "my name is" allow a single given name ("chị Lan", "tôi tên là
        # Ngọc"); "tôi là" needs two ("Tôi là Giáo viên…").
        single = trigger in _HONORIFICS or " ".join(trigger.split()) in _NAME_IS
        span = name_after(text, pos, allow_single=single)
        if span is not None:
            single_word = " " not in text[span[0]:span[1]]
            yield Finding(NAME, *span, LOW if single_word else HIGH)


def find_names(text: str):
    yield from _find_after_triggers(text)
    for m in TITLE_RE.finditer(text):
        span = _name_after_title(text, m.end())
        if span is not None:
            yield Finding(NAME, *span, LOW)
    for m in MIDDLE_NAME_RE.finditer(text):
        if not _after_named_place(text, m.start()):
            yield Finding(NAME, *m.span("name"))
    for m in FOREIGN_RE.finditer(text):
        yield Finding(NAME, *m.span("name"))
