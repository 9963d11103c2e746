"""Identity numbers (CMND 9 digits, CCCD 12 digits, numbers after "CCCD", "mã số thuế"…)
and the dossier codes of the one-stop system."""

from __future__ import annotations

import re

from feedback.redaction.spans import DOSSIER_CODE, HIGH, ID_NUMBER, LOW, Finding

# One-stop dossier codes: "000.00.15.H42-250312-0001", "H42.15-250312-0001", "H42-250312-0001".
DOSSIER_FORMAT_RE = re.compile(
    r"(?<![\w.])[A-Z0-9]{1,6}(?:\.[A-Z0-9]{1,6}){0,5}-\d{6}-\d{3,6}(?![\w])")
DOSSIER_CONTEXT_RE = re.compile(
    r"(?i:mã\s+số\s+hồ\s+sơ|mã\s+hồ\s+sơ|số\s+hồ\s+sơ|hồ\s+sơ\s+số|mã\s+HS|"
    r"số\s+biên\s+nhận|biên\s+nhận\s+số|phiếu\s+hẹn\s+số|mã\s+biên\s+nhận)"
    r"\s*(?:là\s+)?[:#]?\s*"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9./_-]*\d[A-Za-z0-9./_-]*)")

# Bare 9- or 12-digit numbers (CMND, CCCD), not part of a longer number, date or amount.
ID_RE = re.compile(r"(?<![\w.,/-])(?:\d{12}|\d{9})(?![\w]|[.,/-]\d)")
MONEY_AFTER_RE = re.compile(
    r"\s*(?i:đồng|đ\b|vnđ|vnd|triệu|nghìn|ngàn|tỷ|tỉ|usd|\$)")
ID_CONTEXT_RE = re.compile(
    r"(?i:căn\s+cước\s+công\s+dân|căn\s+cước|chứng\s+minh\s+nhân\s+dân|chứng\s+minh\s+thư|"
    r"CCCD|CMND|CMTND|hộ\s+chiếu|mã\s+số\s+thuế|MST|số\s+định\s+danh(?:\s+cá\s+nhân)?|"
    r"mã\s+định\s+danh|mã\s+số\s+BHXH|sổ\s+BHXH|BHXH|thẻ\s+BHYT|mã\s+thẻ\s+BHYT)"
    r"(?:\s+(?i:số|là|mới|cũ|cá\s+nhân|của\s+tôi))*\s*[:#]?\s*"
    r"(?P<num>[A-Za-z]{0,2}\d(?:[ .]?\d){6,14})(?!\d)")


def find_dossier_codes(text: str):
    for m in DOSSIER_FORMAT_RE.finditer(text):
        yield Finding(DOSSIER_CODE, m.start(), m.end())
    for m in DOSSIER_CONTEXT_RE.finditer(text):
        start, end = m.span("code")
        while end > start and text[end - 1] in ".-/_":
            end -= 1
        yield Finding(DOSSIER_CODE, start, end)


def find_id_numbers(text: str):
    for m in ID_RE.finditer(text):
        if not MONEY_AFTER_RE.match(text, m.end()):
            # A bare 9 or 12 digits may be a CCCD or something else: the reviewer checks.
            yield Finding(ID_NUMBER, m.start(), m.end(), LOW)
    for m in ID_CONTEXT_RE.finditer(text):
        yield Finding(ID_NUMBER, *m.span("num"), HIGH)
