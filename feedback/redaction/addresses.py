"""Home addresses: a house number with its lanes and street, with or without the word
"đường" ("số 12 đường Trần Hưng Đạo", "số 12 ngõ 5 Lê Lợi", "số 12 Lê Lợi", "ở 56 Lê Đại
Hành"), flats ("căn hộ 1203 tòa CT2"), villages and residential groups ("thôn Bản Chắt",
"tổ 5"). The ward, commune and province after them stay: thousands of people share them.

A street named without a house number ("đèn đường phố Lê Lợi hỏng") is a place reference
and stays: it identifies nobody, and the public answer needs it.
"""

from __future__ import annotations

import re

from core.text import fold_same_length
from feedback.redaction.letters import CAP, WORD_AFTER, WORD_BEFORE, previous_word
from feedback.redaction.spans import ADDRESS, HIGH, LOW, Finding

_NUMBER = r"\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*"
_STREET_NAME = (rf"(?:\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*(?:\s+{CAP}){{0,3}}"
                rf"|{CAP}(?:\s+(?:{CAP}|\d+)){{0,4}})")
_STREET_KW = (r"(?i:đường|phố|ngõ|ngách|hẻm|kiệt|tổ\s+dân\s+phố|khu\s+phố|thôn|xóm|ấp|bản|"
              r"buôn|làng|khóm|sóc)")
_SEP = r"\s*,?\s*"
# "số 12", "số nhà 45", "nhà số 3", "SN 21": a house number.
HOUSE_RE = re.compile(
    rf"{WORD_BEFORE}(?P<marker>(?i:số\s+nhà|nhà\s+số|số)|SN)\s*{_NUMBER}(?![\w/])")
# "ngõ 3 phố Lê Lợi", "kiệt 45 Hoàng Diệu": a lane with its number.
LANE_RE = re.compile(rf"{WORD_BEFORE}(?i:ngõ|ngách|hẻm|kiệt)\s+{_NUMBER}(?![\w/])")
# "ở 56 Lê Đại Hành", "Địa chỉ: 12 Lê Lợi": a bare number after the words that announce
# where someone lives.
BARE_NUMBER_RE = re.compile(
    rf"{WORD_BEFORE}(?i:ở|tại|địa\s+chỉ(?:\s+liên\s+hệ)?)\s*:?\s+(?P<num>{_NUMBER})(?=\s)")
SEGMENT_RE = re.compile(
    rf"{_SEP}(?:(?i:ngõ|ngách|hẻm|kiệt)\s+{_NUMBER}(?![\w/])|{_STREET_KW}\s+{_STREET_NAME})")
BARE_STREET_RE = re.compile(rf"(?P<sep>{_SEP})(?P<name>{CAP}(?:\s+{CAP}){{0,3}})")
APARTMENT_RE = re.compile(
    rf"{WORD_BEFORE}(?P<kind>(?i:căn\s+hộ|phòng))\s+(?i:số\s+)?\d{{1,4}}[A-Z]?\s+"
    rf"(?i:tòa|nhà|block|lô)\s+[A-Z0-9]{{1,4}}(?:-[A-Z0-9]{{1,4}})?{WORD_AFTER}")
# Villages and residential groups: "thôn Bản Chắt", "xóm 2", "tổ dân phố 5", "ấp Tân Lập".
VILLAGE_RE = re.compile(
    rf"{WORD_BEFORE}(?P<kw>(?i:thôn|xóm|ấp|bản|buôn|làng|khóm|sóc|tổ\s+dân\s+phố|khu\s+phố))"
    rf"\s+(?:{CAP}(?:\s+{CAP}){{0,3}}|\d+[A-Za-z]?)"
    rf"|{WORD_BEFORE}(?i:tổ|khối)\s+\d+[A-Za-z]?{WORD_AFTER}")
# "bản" is also "copy/version" (văn bản, bản sao, phiên bản): not a village after these.
_NOT_VILLAGE_BEFORE = {"van", "phien", "nguyen", "du", "thao", "mot", "hai", "ba", "cac",
                       "nhung", "tai", "kich", "ky"}
# Before "số N", these make it a document, article, counter or count, not a house (folded).
_NOT_HOUSE_BEFORE = set("""
dieu khoan muc chuong dinh tu van ban dan trinh hoach thi luat quay phong phieu nhan mau
lenh bao cao ke thong tri cong so tk stk cccd cmnd dt sdt zalo hieu ho
""".split())
# A capitalised word after a house number that starts an agency, a document or a time, not a
# street (folded): "Công văn số 45 Sở Nội vụ", "số 12 Ngày…".
_NOT_STREET_FIRST = set("""
so ubnd uy hdnd bo cuc chi tong van phong ban cong toa vien benh truong ngan kho quy dieu
khoan muc chuong nghi quyet thong luat to ke huong mau ngay thang nam quy lan dot gio phut
tang quay nguoi ho sdt dt stk cccd cmnd zalo email mail gmail xa phuong huyen tinh quan thi
thanh tp ap thon toi chung em anh chi ong ba co chu bac mr ms mrs tai o va hoac
""".split()) - {"ba"}
_NOT_STREET_PAIRS = {"trung tam", "van phong", "cong an", "ngan hang", "hoi dong", "viet nam",
                     "ha noi", "lang son", "sai gon"}


def _street_name_fits(name: str) -> bool:
    words = fold_same_length(name).split()
    first = name.split()[0]
    if words[0] in _NOT_STREET_FIRST or (len(first) > 1 and first.isupper()):
        return False
    return " ".join(words[:2]) not in _NOT_STREET_PAIRS


def _extend(text: str, end: int) -> tuple[int, int]:
    """(end, number of lane or street segments) after a house number."""
    segments = 0
    while (m := SEGMENT_RE.match(text, end)) is not None:
        end, segments = m.end(), segments + 1
    return end, segments


def _bare_street_end(text: str, end: int, *, after_lane: bool) -> int | None:
    """The end of a street named without "đường" right after ``end`` ("số 12 Lê Lợi")."""
    m = BARE_STREET_RE.match(text, end)
    if m is None or ("," in m.group("sep") and not after_lane):
        return None
    return m.end() if _street_name_fits(m.group("name")) else None


def _address_from(text: str, start: int, end: int, *, explicit: bool) -> Finding | None:
    """The address that starts with a house number at [start, end), if any."""
    end, segments = _extend(text, end)
    if not segments or text[end - 1].isdigit():
        bare_end = _bare_street_end(text, end, after_lane=segments > 0)
        if bare_end is not None:
            return Finding(ADDRESS, start, bare_end, LOW)
    if segments or explicit:
        return Finding(ADDRESS, start, end, HIGH)
    return None


def _find_houses(text: str):
    for m in HOUSE_RE.finditer(text):
        marker = fold_same_length(m.group("marker"))
        explicit = marker != "so"
        if not explicit and previous_word(text, m.start()) in _NOT_HOUSE_BEFORE:
            continue
        found = _address_from(text, m.start(), m.end(), explicit=explicit)
        if found is not None:
            yield found
    for m in BARE_NUMBER_RE.finditer(text):
        found = _address_from(text, m.start("num"), m.end("num"), explicit=False)
        if found is not None:
            yield found
    for m in LANE_RE.finditer(text):
        yield _address_from(text, m.start(), m.end(), explicit=True)


def _find_villages(text: str):
    for m in VILLAGE_RE.finditer(text):
        keyword = m.group("kw")
        if keyword is not None and fold_same_length(keyword) == "ban" and \
                previous_word(text, m.start()) in _NOT_VILLAGE_BEFORE:
            continue
        yield Finding(ADDRESS, m.start(), m.end(), HIGH if keyword else LOW)


def find_addresses(text: str):
    yield from _find_houses(text)
    for m in APARTMENT_RE.finditer(text):
        flat = fold_same_length(m.group("kind")).startswith("can")
        yield Finding(ADDRESS, m.start(), m.end(), HIGH if flat else LOW)
    yield from _find_villages(text)
