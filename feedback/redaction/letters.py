"""Letters and words shared by the detectors (Vietnamese capitals, the word before a span)."""

from __future__ import annotations

import re

from core.text import fold_same_length


def _letters(predicate) -> str:
    ranges = [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)]
    chars = (chr(c) for lo, hi in ranges for c in range(lo, hi + 1))
    return "".join(ch for ch in chars if ch.isalpha() and predicate(ch))


UP = re.escape(_letters(str.isupper))
LO = re.escape(_letters(str.islower))
# A capitalised word ("Nguyễn", "An") or one written in capitals ("NGUYỄN").
CAP = rf"(?:[{UP}][{LO}]*|[{UP}]{{2,}})(?![{UP}{LO}\d])"
CAP_RE = re.compile(CAP)
WORD_BEFORE = r"(?<![\w])"
WORD_AFTER = r"(?![\w])"

_LAST_WORD_RE = re.compile(r"(\w+)\W*$")


def previous_word(text: str, start: int) -> str:
    """The word before ``start``, folded ("Điều" → "dieu"), or ""."""
    match = _LAST_WORD_RE.search(text, max(0, start - 40), start)
    return fold_same_length(match.group(1)) if match else ""


def previous_words(text: str, start: int, count: int) -> str:
    """The ``count`` words before ``start``, folded and lower case, joined by one space."""
    words = re.findall(r"\w+", text[max(0, start - 60):start])
    return fold_same_length(" ".join(words[-count:]))


def has_diacritics(word: str) -> bool:
    return fold_same_length(word) != word.lower()
