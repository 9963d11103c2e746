"""What the detectors find (categories, confidence) and how findings become the public text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

NAME = "name"
PHONE = "phone"
EMAIL = "email"
ID_NUMBER = "id_number"
DOSSIER_CODE = "dossier_code"
ADDRESS = "address"
BANK_ACCOUNT = "bank_account"
VEHICLE_PLATE = "vehicle_plate"

CATEGORIES = (NAME, PHONE, EMAIL, ID_NUMBER, DOSSIER_CODE, ADDRESS, BANK_ACCOUNT,
              VEHICLE_PLATE)

# What the public reads in place of the removed text (the public pages are Vietnamese).
REPLACEMENTS = {
    NAME: "[họ tên]",
    PHONE: "[số điện thoại]",
    EMAIL: "[email]",
    ID_NUMBER: "[số định danh]",
    DOSSIER_CODE: "[mã hồ sơ]",
    ADDRESS: "[địa chỉ]",
    BANK_ACCOUNT: "[số tài khoản]",
    VEHICLE_PLATE: "[biển số xe]",
}

# HIGH: the form or its context leaves little doubt (an "@", a validated phone number, a
# number after "CCCD"). LOW: a guess from the shape of the text (a capitalised word after a
# house number, a name alone): the reviewer should look at it twice.
HIGH = "high"
LOW = "low"

# When two findings overlap they are merged; the merged span takes the first category here
# (a bank account that is also a valid phone number is a bank account: "STK 0987654321").
_PRIORITY = {EMAIL: 0, DOSSIER_CODE: 1, BANK_ACCOUNT: 2, VEHICLE_PLATE: 3, PHONE: 4,
             ID_NUMBER: 5, ADDRESS: 6, NAME: 7}
_ADDRESS_JOIN_RE = re.compile(r"\s*,?\s*")


class Finding(NamedTuple):
    category: str
    start: int
    end: int
    confidence: str = HIGH


@dataclass(frozen=True)
class Span:
    category: str
    start: int
    end: int
    text: str
    confidence: str = HIGH

    @property
    def replacement(self) -> str:
        return REPLACEMENTS[self.category]

    def as_dict(self, field_name: str | None = None) -> dict:
        data = {"category": self.category, "start": self.start, "end": self.end,
                "text": self.text, "confidence": self.confidence}
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


def _absorb(last: list, finding: Finding) -> None:
    last[1] = max(last[1], finding.end)
    if _PRIORITY[finding.category] < _PRIORITY[last[2]]:
        last[2] = finding.category
    if finding.confidence == HIGH:
        last[3] = HIGH


def _joins_address(last: list, finding: Finding, text: str) -> bool:
    """"số 12 đường X, thôn Y" found in two pieces: one address."""
    return finding.category == ADDRESS and last[2] == ADDRESS and \
        _ADDRESS_JOIN_RE.fullmatch(text, last[1], finding.start) is not None


def merge_findings(findings: Iterable[Finding], text: str) -> list[Span]:
    """Sorted, non-overlapping spans; a merged span is HIGH when any of its parts is."""
    merged: list[list] = []
    for finding in sorted((f for f in findings if f.end > f.start),
                          key=lambda f: (f.start, f.end)):
        last = merged[-1] if merged else None
        if last is not None and (finding.start < last[1] or _joins_address(last, finding, text)):
            _absorb(last, finding)
            continue
        merged.append([finding.start, finding.end, finding.category, finding.confidence])
    return [Span(c, s, e, text[s:e], conf) for s, e, c, conf in merged]


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        pieces.append(text[cursor:span.start])
        pieces.append(span.replacement)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)
