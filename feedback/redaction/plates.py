"""Vehicle registration plates (biển số xe): "12A-345.67", "29H1-123.45", "51F 12345",
"29-B1 123.45", "12AA-123.45" (the plates of Thông tư 24/2023/TT-BCA: two digits of the province,
the series of one or two letters, a digit for motorbikes, then four or five digits)."""

from __future__ import annotations

import re

from feedback.redaction.letters import previous_words
from feedback.redaction.spans import HIGH, LOW, VEHICLE_PLATE, Finding

PLATE_RE = re.compile(
    r"(?<![\w.\-/])(?P<province>[1-9]\d)[\s-]?(?P<series>[A-Z]{1,2}\d?)[\s-]?"
    r"(?P<number>\d{3}\.\d{2}|\d{4,5})(?![\w]|[.\-/]\d)")
# Words before a plate that make it sure (folded): "biển số", "BKS", "xe", "ô tô".
_PLATE_CONTEXT = {"bien so", "so", "bks", "bs", "xe", "o to", "bien kiem soat", "kiem soat",
                  "may", "tai", "oto"}


def _confidence(text: str, m: re.Match) -> str:
    if "." in m.group("number") or "-" in m.group(0):
        return HIGH  # "12A-345.67": nothing else is written like this
    before = (previous_words(text, m.start(), 1), previous_words(text, m.start(), 2))
    return HIGH if any(words in _PLATE_CONTEXT for words in before) else LOW


def find_plates(text: str):
    for m in PLATE_RE.finditer(text):
        yield Finding(VEHICLE_PLATE, m.start(), m.end(), _confidence(text, m))
