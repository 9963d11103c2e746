"""Automatic removal of personal data from PAKN text before publication.

``redact(text, known_names=...)`` finds names of private persons, phone numbers, emails, ID
numbers (CMND 9 digits, CCCD 12 digits, and numbers written after "CCCD", "CMND", "mã số
thuế"…), dossier codes of the one-stop system and street or village addresses, and replaces
each with a Vietnamese placeholder ("[họ tên]", "[số điện thoại]"…). Spans are given in the
ORIGINAL text so a reviewer can see exactly what was removed.

What is kept on purpose: dates (12/03/2025), money amounts (1.200.000 đồng), years, article
numbers (Điều 147), administrative units (xã Đình Lập, tỉnh Lạng Sơn, phường Đông Kinh) and
agencies (Sở Nội vụ): they carry the meaning of a typical answer and identify nobody.

The rules err on the side of removing: a reviewer restores wording by editing, while a leaked
phone number cannot be taken back. Pure Python (re, unicodedata): no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.text import fold_same_length

NAME = "name"
PHONE = "phone"
EMAIL = "email"
ID_NUMBER = "id_number"
DOSSIER_CODE = "dossier_code"
ADDRESS = "address"

CATEGORIES = (NAME, PHONE, EMAIL, ID_NUMBER, DOSSIER_CODE, ADDRESS)

# What the public reads in place of the removed text (the public pages are Vietnamese).
REPLACEMENTS = {
    NAME: "[họ tên]",
    PHONE: "[số điện thoại]",
    EMAIL: "[email]",
    ID_NUMBER: "[số định danh]",
    DOSSIER_CODE: "[mã hồ sơ]",
    ADDRESS: "[địa chỉ]",
}

# When two findings overlap they are merged; the merged span takes the first category here.
_PRIORITY = {EMAIL: 0, DOSSIER_CODE: 1, PHONE: 2, ID_NUMBER: 3, ADDRESS: 4, NAME: 5}


@dataclass(frozen=True)
class Span:
    category: str
    start: int
    end: int
    text: str

    @property
    def replacement(self) -> str:
        return REPLACEMENTS[self.category]

    def as_dict(self, field_name: str | None = None) -> dict:
        data = {"category": self.category, "start": self.start, "end": self.end,
                "text": self.text}
        if field_name is not None:
            data = {"field": field_name, **data}
        return data


@dataclass(frozen=True)
class RedactionResult:
    text: str
    spans: list[Span] = field(default_factory=list)

    @property
    def categories(self) -> set[str]:
        return {span.category for span in self.spans}


# --- Letters -----------------------------------------------------------------------------

def _letters(predicate) -> str:
    ranges = [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)]
    chars = (chr(c) for lo, hi in ranges for c in range(lo, hi + 1))
    return "".join(ch for ch in chars if ch.isalpha() and predicate(ch))


_UP = re.escape(_letters(str.isupper))
_LO = re.escape(_letters(str.islower))
# A capitalised word ("Nguyễn", "An") or one written in capitals ("NGUYỄN").
CAP = rf"(?:[{_UP}][{_LO}]*|[{_UP}]{{2,}})(?![{_UP}{_LO}\d])"
_WORD_BEFORE = r"(?<![\w])"
_WORD_AFTER = r"(?![\w])"


# --- Detectors ------------------------------------------------------------------------

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# One-stop dossier codes: "000.00.15.H42-250312-0001", "H42.15-250312-0001", "H42-250312-0001".
DOSSIER_FORMAT_RE = re.compile(
    r"(?<![\w.])[A-Z0-9]{1,6}(?:\.[A-Z0-9]{1,6}){0,5}-\d{6}-\d{3,6}(?![\w])")
DOSSIER_CONTEXT_RE = re.compile(
    r"(?i:mã\s+số\s+hồ\s+sơ|mã\s+hồ\s+sơ|số\s+hồ\s+sơ|hồ\s+sơ\s+số|mã\s+HS|"
    r"số\s+biên\s+nhận|biên\s+nhận\s+số|phiếu\s+hẹn\s+số|mã\s+biên\s+nhận)"
    r"\s*(?:là\s+)?[:#]?\s*"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9./_-]*\d[A-Za-z0-9./_-]*)")

# Candidate phone numbers: a prefix (0, 84, +84, (0xx), (+84)) then digits with at most one
# separator between them; the longest prefix of the run that is a valid Vietnamese number wins.
PHONE_RUN_RE = re.compile(
    r"(?<![\w+./,-])(?:\(\+?84\)|\+84|84|\(0\d{1,3}\)|0)(?:[ .\-]?\d)+")
_MOBILE_FIRST = "35789"

# Bare 9- or 12-digit numbers (CMND, CCCD), not part of a longer number, date or amount.
ID_RE = re.compile(r"(?<![\w.,/-])(?:\d{12}|\d{9})(?![\w]|[.,/-]\d)")
_MONEY_AFTER = re.compile(
    r"\s*(?i:đồng|đ\b|vnđ|vnd|triệu|nghìn|ngàn|tỷ|tỉ|usd|\$)")
ID_CONTEXT_RE = re.compile(
    r"(?i:căn\s+cước\s+công\s+dân|căn\s+cước|chứng\s+minh\s+nhân\s+dân|chứng\s+minh\s+thư|"
    r"CCCD|CMND|CMTND|hộ\s+chiếu|mã\s+số\s+thuế|MST|số\s+định\s+danh(?:\s+cá\s+nhân)?|"
    r"mã\s+định\s+danh|mã\s+số\s+BHXH|sổ\s+BHXH|BHXH|thẻ\s+BHYT|mã\s+thẻ\s+BHYT)"
    r"(?:\s+(?i:số|là|mới|cũ|cá\s+nhân|của\s+tôi))*\s*[:#]?\s*"
    r"(?P<num>[A-Za-z]{0,2}\d(?:[ .]?\d){6,14})(?!\d)")

_STREET_NAME = (rf"(?:\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*(?:\s+{CAP}){{0,3}}"
                rf"|{CAP}(?:\s+(?:{CAP}|\d+)){{0,4}})")
_STREET_KW = (r"(?i:đường|phố|ngõ|ngách|hẻm|kiệt|tổ\s+dân\s+phố|khu\s+phố|thôn|xóm|ấp|bản|"
              r"buôn|làng|khóm|sóc)")
_HOUSE = r"(?i:số\s+nhà|nhà\s+số|SN|số)\s*\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*"
# "số 12 đường Trần Hưng Đạo", "số nhà 45, ngõ 3, phố Lê Lợi"
ADDRESS_HOUSE_RE = re.compile(
    rf"{_WORD_BEFORE}(?P<house>{_HOUSE})(?P<streets>(?:\s*,?\s*{_STREET_KW}\s+{_STREET_NAME})*)")
# "ngõ 3 phố Lê Lợi", "hẻm 12/4 đường Lê Lai"
ADDRESS_LANE_RE = re.compile(
    rf"{_WORD_BEFORE}(?i:ngõ|ngách|hẻm|kiệt)\s+\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*"
    rf"(?:\s*,?\s*{_STREET_KW}\s+{_STREET_NAME})*")
# Villages and residential groups: "thôn Bản Chắt", "xóm 2", "tổ dân phố 5", "ấp Tân Lập".
ADDRESS_VILLAGE_RE = re.compile(
    rf"{_WORD_BEFORE}(?P<kw>(?i:thôn|xóm|ấp|bản|buôn|làng|khóm|sóc|tổ\s+dân\s+phố|khu\s+phố))"
    rf"\s+(?:{CAP}(?:\s+{CAP}){{0,3}}|\d+[A-Za-z]?)"
    rf"|{_WORD_BEFORE}(?i:tổ|khối)\s+\d+[A-Za-z]?{_WORD_AFTER}")
# "bản" is also "copy/version" (văn bản, bản sao, phiên bản): not a village after these.
_NOT_VILLAGE_BEFORE = {"van", "phien", "nguyen", "du", "thao", "mot", "hai", "ba", "cac",
                       "nhung", "tai", "kich", "ky"}

# Words that introduce a private person's name.
NAME_TRIGGER_RE = re.compile(
    r"(?<![\w])(?i:tôi\s+tên\s+là|tên\s+tôi\s+là|tôi\s+là|họ\s+và\s+tên|họ\s+tên|tên\s+là|"
    r"người\s+gửi|người\s+phản\s+ánh|người\s+kiến\s+nghị|người\s+viết|công\s+dân|"
    r"gia\s+đình|hộ|vợ|chồng|con|mẹ|bố|"
    r"ông|bà|anh|chị|em|cô|chú|bác|cháu|cụ|dì|cậu|mợ|thím)(?![\w])"
    r"(?:\s*[:\-–]\s*|\s+)")
# Words that start a title or an organisation, not a name, after "ông", "bà"… (compared in
# lower case with diacritics: "Chủ" (tịch) is a title, "Chu" a family name).
_NOT_NAME = set("""
chủ phó giám trưởng bí chánh thủ tổng cán công viên bộ sở ủy ubnd hđnd hdnd người dân ban
đoàn đại tổ tòa phòng cục chi hội đảng nhà lãnh thanh tỉnh huyện xã phường quận thị trung
tâm một các những kính thưa ông bà anh chị em cô chú bác cháu cụ tôi cq mttq cand ca bhxh
bhyt cccd cmnd thpt thcs tt vp hcc không đã đang sẽ và hoặc là ở tại nếu khi xin cảm ơn gửi
trong ngày tháng năm hôm sau trước theo về với của do vì được bị cho có
""".split())
# A single word after an honorific that is a place or a national figure ("Bà Rịa", "Bác Hồ",
# "Cô Tô"), not a private person.
_NOT_SINGLE_NAME = {"rịa", "hồ", "tô"}
# Common Vietnamese family names (for names after officials' titles and "X Văn/Thị Y").
SURNAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Lương Nông "
    "Hà Lò Lục Vi Mã Chu Triệu Đinh Đào Cao Tạ Mai Trịnh Đoàn Lâm Tô Quách Kiều Hứa Thái "
    "Tăng Lưu Châu Lã Lạc Mạc Nghiêm Quan Tống Văn Khổng Hoàng Giàng Sùng Thào Vàng Lầu "
    "Mùa Sầm Hầu Bế Hứa Ma Lăng Nịnh Hoàng Doãn Phùng Khúc Kim La Đàm Trương Âu Ninh Bạch"
).split()
_SURNAME = "(?:" + "|".join(sorted({re.escape(s) for s in SURNAMES}, key=len,
                                   reverse=True)) + ")"
TITLE_RE = re.compile(
    r"(?<![\w])(?i:phó\s+giám\s+đốc|giám\s+đốc|phó\s+chủ\s+tịch|chủ\s+tịch|"
    r"phó\s+trưởng\s+phòng|trưởng\s+phòng|phó\s+chánh\s+văn\s+phòng|chánh\s+văn\s+phòng|"
    r"chánh\s+thanh\s+tra|phó\s+bí\s+thư|bí\s+thư|trưởng\s+thôn|trưởng\s+bản|trưởng\s+ban|"
    r"trưởng\s+công\s+an|công\s+an\s+viên|cán\s+bộ|công\s+chức|viên\s+chức|chuyên\s+viên|"
    r"thủ\s+trưởng|đồng\s+chí|đ/c|kế\s+toán|hiệu\s+trưởng|tổ\s+trưởng|bác\s+sĩ|"
    r"giáo\s+viên|trưởng\s+trạm|trạm\s+trưởng|địa\s+chính|người\s+đại\s+diện)(?![\w])")
_SURNAME_NAME_RE = re.compile(rf"{_SURNAME}(?:\s+{CAP}){{1,3}}")
_GAP_WORD_RE = re.compile(r"\s+([^\s,.;:!?()\[\]]+)")
# "Nguyễn Văn Hùng", "Lò Thị Mai" anywhere: a family name, Văn/Thị, then given names.
MIDDLE_NAME_RE = re.compile(
    rf"(?<![\w])(?P<name>{_SURNAME}\s+(?:Văn|Thị|VĂN|THỊ)(?:\s+{CAP}){{1,2}})")
# Places and institutions named after people keep their name ("đường Nguyễn Văn Cừ").
_NAMED_PLACE_BEFORE = re.compile(
    r"(?i:đường|phố|trường|THPT|THCS|tiểu\s+học|mầm\s+non|cầu|chợ|bệnh\s+viện|công\s+viên|"
    r"quảng\s+trường|khu\s+đô\s+thị|tư\s+tưởng|di\s+tích|nhà\s+văn\s+hóa|nhà\s+lưu\s+niệm)"
    r"\s*$")
# Ordinary words that begin with a common given name ("An toàn", "Bình thường"): the given
# name alone is not redacted there, even at the start of a sentence.
_COMMON_COMPOUNDS = {pair.replace("_", " ") for pair in """
an_toan an_ninh an_sinh an_tam an_cu an_duong an_ui binh_thuong binh_dang binh_yen binh_quan
binh_chon binh_xet binh_luan minh_bach minh_chung thanh_toan thanh_tra thanh_ly thanh_lap
thanh_pho thanh_nien thanh_vien thanh_cong phuc_loi phuc_vu phuc_hoi hanh_chinh hanh_vi
hoa_giai hoa_binh hoa_don dung_han dung_quy tien_do tien_hanh tam_tru thuong_tru hai_long
nam_nay nam_sau nam_truoc nam_2024 nam_2025 nam_2026 quang_cao trung_tam trung_uong
tuan_nay tuan_sau tuan_truoc tuan_thu tam_thoi dung_sai dung_y hung_thinh
""".split()}
# Words before a place name (compared in lower case with diacritics).
_ADMIN_BEFORE = {"xã", "phường", "huyện", "tỉnh", "quận", "thị", "trấn", "phố", "đường",
                 "thôn", "bản", "xóm", "ấp", "sông", "núi", "cầu", "chợ", "trường", "thành",
                 "tp", "tp.", "khu", "làng", "hồ", "đèo", "suối", "cửa", "khẩu"}


# --- The detectors, each yields spans --------------------------------------------------

def _find_emails(text: str):
    for m in EMAIL_RE.finditer(text):
        yield EMAIL, m.start(), m.end()


def _find_dossiers(text: str):
    for m in DOSSIER_FORMAT_RE.finditer(text):
        yield DOSSIER_CODE, m.start(), m.end()
    for m in DOSSIER_CONTEXT_RE.finditer(text):
        start, end = m.span("code")
        while end > start and text[end - 1] in ".-/_":
            end -= 1
        yield DOSSIER_CODE, start, end


def _valid_phone(digits: str) -> bool:
    if digits.startswith("84") and len(digits) in (11, 12):
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        return False
    if len(rest) == 9 and rest[0] in _MOBILE_FIRST:
        return True
    return len(rest) == 10 and rest[0] == "2"


def _find_phones(text: str):
    for m in PHONE_RUN_RE.finditer(text):
        run = m.group(0)
        best = None
        digits = ""
        for offset, ch in enumerate(run):
            if not ch.isdigit():
                continue
            digits += ch
            at_boundary = offset + 1 == len(run) or not run[offset + 1].isdigit()
            if at_boundary and _valid_phone(digits):
                best = offset + 1
        if best is not None:
            yield PHONE, m.start(), m.start() + best


def _find_ids(text: str):
    for m in ID_RE.finditer(text):
        if _MONEY_AFTER.match(text, m.end()):
            continue
        yield ID_NUMBER, m.start(), m.end()
    for m in ID_CONTEXT_RE.finditer(text):
        start, end = m.span("num")
        yield ID_NUMBER, start, end


def _previous_word(text: str, start: int) -> str:
    before = text[:start].rstrip()
    match = re.search(r"(\w+)$", before)
    return fold_same_length(match.group(1)) if match else ""


def _find_addresses(text: str):
    for m in ADDRESS_HOUSE_RE.finditer(text):
        house = fold_same_length(m.group("house"))
        explicit = house.startswith(("so nha", "nha so", "sn"))
        if m.group("streets") or explicit:
            yield ADDRESS, m.start(), m.end()
    for m in ADDRESS_LANE_RE.finditer(text):
        yield ADDRESS, m.start(), m.end()
    for m in ADDRESS_VILLAGE_RE.finditer(text):
        keyword = m.group("kw")
        if keyword is not None and fold_same_length(keyword) == "ban" and \
                _previous_word(text, m.start()) in _NOT_VILLAGE_BEFORE:
            continue
        yield ADDRESS, m.start(), m.end()


def _name_after(text: str, pos: int, *, allow_single: bool) -> tuple[int, int] | None:
    """The capitalised words (1–4) starting at ``pos``, if they look like a person's name."""
    words: list[tuple[int, int]] = []
    cursor = pos
    cap_re = re.compile(CAP)
    while len(words) < 4:
        m = cap_re.match(text, cursor)
        if m is None:
            break
        words.append(m.span())
        # Words of a name are separated by one space (a line break or comma ends it).
        if text[m.end():m.end() + 1] == " " and cap_re.match(text, m.end() + 1):
            cursor = m.end() + 1
            continue
        break
    if not words:
        return None
    if text[words[0][0]:words[0][1]].lower() in _NOT_NAME:
        return None
    if len(words) == 1:
        if not allow_single:
            return None
        word = text[words[0][0]:words[0][1]]
        # A lone capital letter or an abbreviation is not a given name.
        if len(word) < 2 or word.isupper() or word.lower() in _NOT_SINGLE_NAME:
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
        start = gap.start(1)
        name = _SURNAME_NAME_RE.match(text, start)
        if name is not None and previous.lower() not in _ADMIN_BEFORE:
            return name.span()
        previous = gap.group(1)
        pos = gap.end()
    return None


def _find_names(text: str):
    for m in NAME_TRIGGER_RE.finditer(text):
        if _NAMED_PLACE_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue  # "phố Bà Triệu", "đường Bà Huyện Thanh Quan"
        trigger = fold_same_length(m.group(0).strip(" :-–"))
        # Only the honorifics allow a single given name ("chị Lan"); "tôi là" needs two.
        single = trigger in {"ong", "ba", "anh", "chi", "em", "co", "chu", "bac", "chau",
                             "cu", "di", "cau", "mo", "thim"}
        span = _name_after(text, m.end(), allow_single=single)
        if span is not None:
            yield NAME, *span
    for m in TITLE_RE.finditer(text):
        span = _name_after_title(text, m.end())
        if span is not None:
            yield NAME, *span
    for m in MIDDLE_NAME_RE.finditer(text):
        if _NAMED_PLACE_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue
        yield NAME, *m.span("name")


def _known_patterns(values: Iterable[str]) -> list[tuple[str, bool]]:
    """(folded pattern, is_single_given_name) for each known name and its given name."""
    patterns: list[tuple[str, bool]] = []
    for value in values:
        value = unicodedata.normalize("NFC", (value or "").strip())
        words = value.split()
        if not words:
            continue
        patterns.append((fold_same_length(" ".join(words)), False))
        if len(words) >= 2 and len(words[-1]) >= 2:
            patterns.append((fold_same_length(words[-1]), True))
    return patterns


def _find_known_names(text: str, folded: str, names: Iterable[str]):
    for pattern, single in _known_patterns(names):
        regex = re.compile(r"(?<![\w])" + r"\s+".join(re.escape(w) for w in pattern.split())
                           + r"(?![\w])")
        for m in regex.finditer(folded):
            start, end = m.span()
            original = text[start:end]
            if single and not _single_name_fits(text, start, end, original, pattern):
                continue
            yield NAME, start, end


def _single_name_fits(text: str, start: int, end: int, original: str, pattern: str) -> bool:
    """The given name alone ("An" of "Nguyễn Văn An"): written with a capital, not part of a
    longer proper noun ("Bình Dương", "An Giang"), not a place ("xã An"), and not the first
    word of a sentence followed by an ordinary word ("An toàn giao thông…")."""
    if not original[:1].isupper():
        return False
    cap_re = re.compile(CAP)
    if text[end:end + 1] == " " and cap_re.match(text, end + 1):
        return False
    before = text[:start]
    prev = re.search(r"(\S+)\s$", before)
    if prev is not None and cap_re.fullmatch(prev.group(1)):
        return False
    previous = re.search(r"(\w+)$", before.rstrip())
    if previous is not None and previous.group(1).lower() in _ADMIN_BEFORE:
        return False
    following = re.match(r"\s+(\w+)", text[end:end + 30])
    if following is not None and \
            f"{pattern} {fold_same_length(following.group(1))}" in _COMMON_COMPOUNDS:
        return False
    return True


def _find_known_values(text: str, folded: str, values: Iterable[tuple[str, str]]):
    """Literal values from the decrypted contact (phone, email, address) wherever they are."""
    for category, value in values:
        value = unicodedata.normalize("NFC", (value or "").strip())
        if len(value) < 5:
            continue
        if category == PHONE:
            digits = re.sub(r"\D", "", value)
            if len(digits) < 9:
                continue
            regex = re.compile(r"(?<!\d)" + r"[\s.\-()]*".join(digits[-9:]) + r"(?!\d)")
            for m in regex.finditer(text):
                start = m.start()
                # Take the prefix (0, 84, +84) too.
                prefix = re.search(r"(?:\+?84|0)[\s.\-()]*$", text[max(0, start - 6):start])
                if prefix is not None:
                    start -= len(prefix.group(0))
                yield PHONE, start, m.end()
            continue
        pattern = fold_same_length(" ".join(value.split()))
        regex = re.compile(r"(?<![\w])" + r"\s+".join(re.escape(w) for w in pattern.split())
                           + r"(?![\w])")
        for m in regex.finditer(folded):
            yield category, *m.span()


# --- Assembly --------------------------------------------------------------------------

def _merge(raw: list[tuple[str, int, int]], text: str) -> list[Span]:
    raw = sorted((s, e, c) for c, s, e in raw if e > s)
    merged: list[list] = []
    for start, end, category in raw:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if _PRIORITY[category] < _PRIORITY[last[2]]:
                last[2] = category
            continue
        # "số 12 đường X, thôn Y" found in two pieces: one address.
        if merged and category == ADDRESS and merged[-1][2] == ADDRESS and \
                re.fullmatch(r"\s*,?\s*", text[merged[-1][1]:start]):
            merged[-1][1] = end
            continue
        merged.append([start, end, category])
    return [Span(c, s, e, text[s:e]) for s, e, c in merged]


def find_personal_data(text: str, *, known_names: Iterable[str] = (),
                       known_values: Iterable[tuple[str, str]] = ()) -> list[Span]:
    """Every span of personal data in ``text`` (NFC), sorted, non-overlapping."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text)
    folded = fold_same_length(text)
    raw: list[tuple[str, int, int]] = []
    for finder in (_find_emails, _find_dossiers, _find_phones, _find_ids, _find_addresses,
                   _find_names):
        raw.extend(finder(text))
    raw.extend(_find_known_names(text, folded, known_names))
    raw.extend(_find_known_values(text, folded, known_values))
    return _merge(raw, text)


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        pieces.append(text[cursor:span.start])
        pieces.append(span.replacement)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redact(text: str, *, known_names: Iterable[str] = (),
           known_values: Iterable[tuple[str, str]] = ()) -> RedactionResult:
    """``text`` with personal data replaced by placeholders, and what was removed (offsets in
    the original text). ``known_names``: the sender's name (matched with or without
    diacritics, and the given name alone); ``known_values``: (category, value) pairs from the
    decrypted contact, e.g. ("phone", "0912 345 678"), ("address", "Số 12 …")."""
    text = unicodedata.normalize("NFC", text or "")
    known_names = [n for n in known_names if n]
    known_values = [(c, v) for c, v in known_values if v]
    spans = find_personal_data(text, known_names=known_names, known_values=known_values)
    return RedactionResult(apply_spans(text, spans), spans)
