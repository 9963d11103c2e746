"""The sender's own data (name, phone, email, address from the decrypted contact), found
wherever it is written: with or without diacritics, and the given name alone."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from core.text import fold_same_length
from feedback.redaction.letters import CAP_RE, has_diacritics
from feedback.redaction.name_lists import ADMIN_BEFORE, COMMON_COMPOUNDS
from feedback.redaction.spans import HIGH, LOW, NAME, PHONE, Finding

_PREVIOUS_TOKEN_RE = re.compile(r"(\S+)\s$")
_PREVIOUS_WORD_RE = re.compile(r"(\w+)\W*$")
_FOLLOWING_WORD_RE = re.compile(r"\s+(\w+)")


def _words_regex(folded_value: str) -> re.Pattern:
    return re.compile(r"(?<![\w])" + r"\s+".join(re.escape(w) for w in folded_value.split())
                      + r"(?![\w])")


def _known_patterns(values: Iterable[str]) -> list[tuple[str, str, bool]]:
    """(name as written, folded pattern, is_single_given_name) for each known name and its
    given name."""
    patterns: list[tuple[str, str, bool]] = []
    for value in values:
        words = unicodedata.normalize("NFC", (value or "").strip()).split()
        if not words:
            continue
        patterns.append((" ".join(words), fold_same_length(" ".join(words)), False))
        if len(words) >= 2 and len(words[-1]) >= 2:
            patterns.append((words[-1], fold_same_length(words[-1]), True))
    return patterns


def _same_word(written: str, name: str) -> bool:
    """"Binh" or "BÌNH" is the sender "Bình"; "Bính" or "Lần" (for "Lan") is another word:
    only text without any diacritics may differ from the name in its marks."""
    return written.lower() == name.lower() or not has_diacritics(written)


def _is_compound(text: str, end: int, pattern: str) -> bool:
    following = _FOLLOWING_WORD_RE.match(text, end, min(len(text), end + 30))
    return following is not None and \
        f"{pattern} {fold_same_length(following.group(1))}" in COMMON_COMPOUNDS


def _single_name_fits(text: str, start: int, end: int, pattern: str) -> bool:
    """The given name alone ("An" of "Nguyễn Văn An"): written with a capital, not part of a
    longer proper noun ("Bình Dương", "An Giang"), not a place ("xã An"), and not the first
    word of an ordinary word ("An toàn giao thông…", "Hoa ban")."""
    if not text[start:start + 1].isupper():
        return False
    if text[end:end + 1] == " " and CAP_RE.match(text, end + 1):
        return False
    prev = _PREVIOUS_TOKEN_RE.search(text, max(0, start - 40), start)
    if prev is not None and CAP_RE.fullmatch(prev.group(1)) and \
            prev.group(1).lower() not in _HONORIFIC_WORDS:
        return False
    previous = _PREVIOUS_WORD_RE.search(text, max(0, start - 40), start)
    if previous is not None and previous.group(1).lower() in ADMIN_BEFORE:
        return False
    return not _is_compound(text, end, pattern)


# Capitalised at the start of a sentence, these still introduce the given name ("Anh Bình").
_HONORIFIC_WORDS = {"anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "cụ"}


def find_known_names(text: str, folded: str, names: Iterable[str]):
    for written, pattern, single in _known_patterns(names):
        for m in _words_regex(pattern).finditer(folded):
            start, end = m.span()
            if not _same_word(text[start:end], written):
                continue
            if single and not _single_name_fits(text, start, end, pattern):
                continue
            yield Finding(NAME, start, end, LOW if single else HIGH)


def _find_known_phone(text: str, value: str):
    digits = re.sub(r"\D", "", value)
    if len(digits) < 9:
        return
    regex = re.compile(r"(?<!\d)" + r"[\s.\-()]*".join(digits[-9:]) + r"(?!\d)")
    for m in regex.finditer(text):
        start = m.start()
        # Take the prefix (0, 84, +84) too.
        prefix = re.search(r"(?:\+?84|0)[\s.\-()]*$", text[max(0, start - 6):start])
        if prefix is not None:
            start -= len(prefix.group(0))
        yield Finding(PHONE, start, m.end())


def find_known_values(text: str, folded: str, values: Iterable[tuple[str, str]]):
    """Literal values from the decrypted contact (phone, email, address) wherever they are."""
    for category, value in values:
        value = unicodedata.normalize("NFC", (value or "").strip())
        if len(value) < 5:
            continue
        if category == PHONE:
            yield from _find_known_phone(text, value)
            continue
        for m in _words_regex(fold_same_length(" ".join(value.split()))).finditer(folded):
            yield Finding(category, *m.span())
