"""Email addresses, plain ("an@example.vn") and as citizens hide them from robots
("binh [at] gmail.com", "binh(a)gmail", "binh @ gmail . com", "lan a còng gmail chấm com")."""

from __future__ import annotations

import re

from feedback.redaction.spans import EMAIL, HIGH, LOW, Finding

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

_AT = (r"(?:\s*[\[({]\s*(?:at|a|@)\s*[\])}]\s*|\s*@\s*|\s+(?i:at|a\s+còng|a\s+móc)\s+)")
_DOT = r"(?:\s*[\[({]\s*(?:dot|chấm)\s*[\])}]\s*|\s*\.\s*|\s+(?i:dot|chấm)\s+|,)"
# Mail providers citizens name without a domain ending ("binh(a)gmail").
_PROVIDERS = r"(?i:gmail|yahoo|outlook|hotmail|icloud|live|ymail|vnn|fpt|viettel)"
_TLDS = r"(?i:com|vn|net|org|edu|gov|info|biz|io|me|co|uk|jp|kr|us|de|fr)"
OBFUSCATED_RE = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w.+-]*\w){_AT}(?P<domain>[\w-]+)"
    rf"(?P<tld>(?:{_DOT}{_TLDS}(?![\w]))*)")


def _looks_like_email(m: re.Match) -> bool:
    """A domain ending ("chấm com") or a known provider: "điểm (a) khoản 1" and "nhà at
    weekend" are not addresses."""
    if m.group("tld"):
        return True
    return re.fullmatch(_PROVIDERS, m.group("domain")) is not None


def find_emails(text: str):
    plain = []
    for m in EMAIL_RE.finditer(text):
        plain.append(m.span())
        yield Finding(EMAIL, m.start(), m.end())
    for m in OBFUSCATED_RE.finditer(text):
        if any(s <= m.start() < e for s, e in plain) or not _looks_like_email(m):
            continue
        # Without a domain ending ("binh(a)gmail") the reviewer should check the span.
        yield Finding(EMAIL, m.start(), m.end(), HIGH if m.group("tld") else LOW)
