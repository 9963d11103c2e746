"""Folding Vietnamese text for matching: lower case without diacritics ("Đường" → "duong").

One home for the rule, used by spreadsheet headers, searches, duplicate checks and redaction.
``analysis.text_similarity`` (pure, it may not import ``core``) has its own copy, which
tests/core/test_text.py holds equal to this one.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_char", "fold_same_length"]


def fold_char(ch: str) -> str:
    """One character in, one character out: lower case, diacritics dropped, "đ" → "d" (the
    stroke is not a combining mark). Characters whose lower case or base form is not a single
    character stay as they are, so a folded text keeps the offsets of the original.

    >>> "".join(fold_char(c) for c in "Đường Lê Lợi")
    'duong le loi'
    """
    lower = ch.lower()
    if len(lower) != 1:
        lower = ch
    if lower == "đ":
        return "d"
    base = "".join(c for c in unicodedata.normalize("NFD", lower) if not unicodedata.combining(c))
    return base if len(base) == 1 else lower


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character: folding then runs at
    C speed instead of one Python call per character."""

    def __missing__(self, codepoint: int) -> str:
        folded = self[codepoint] = fold_char(chr(codepoint))
        return folded


_TABLE = _FoldTable()


def fold_same_length(text: str) -> str:
    """``text`` folded character by character, same length, so offsets carry over (give NFC
    text: normalising here would shift them)."""
    return text.translate(_TABLE)


def fold(text: str) -> str:
    """Folded words for loose matching of headers and searches: "Mã_đơn-vị *" → "ma don vi"
    (NFC first, "_" and "-" as spaces, runs of spaces as one, no edge spaces or stars)."""
    folded = fold_same_length(unicodedata.normalize("NFC", text))
    return " ".join(folded.replace("_", " ").replace("-", " ").strip(" *").split())
