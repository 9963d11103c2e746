"""Vietnamese phone numbers in the ways citizens write them: "0912345678", "09 12 34 56 78",
"0912.345.678", "0912/345/678", "+84-912-345-678", "+84 (0) 912 345 678", "(0205) 3871234",
"O912345678" (the letter O for zero) and in words ("không chín một hai ba…").

Every candidate is checked with ``phonenumbers`` (Google's libphonenumber metadata for Viet
Nam: mobile and fixed-line ranges): a number it knows is a sure finding, one that only has
the shape of a Vietnamese number is removed too but marked for the reviewer. Dates, amounts
and dispatch numbers that start with 0 have neither.
"""

from __future__ import annotations

import re

import phonenumbers

from core.text import fold_same_length
from feedback.redaction.spans import HIGH, LOW, PHONE, Finding

# A prefix (0, O, 84, +84, +84 (0), (0xx), (+84)) then digits with at most one separator
# between them; the longest prefix of the run that is a valid number wins.
PHONE_RUN_RE = re.compile(
    r"(?<![\w+./,-])(?:\(\+?84\)|\+84\s?\(0\)|\+84|84|\(0\d{1,3}\)|0|[oO](?=\d{8}))"
    r"(?:[ .\-_]?\d)+")
# Slashes only between groups of digits, the first of 3–4 ("0912/345/678"), never in a date.
PHONE_SLASH_RE = re.compile(r"(?<![\w/])0\d{2,3}(?:/\d{2,4}){2,3}(?![\w/])")
_MOBILE_FIRST = "35789"

_DIGIT_WORDS = {"khong": "0", "mot": "1", "hai": "2", "ba": "3", "bon": "4",
                "tu": "4", "nam": "5", "lam": "5", "sau": "6", "bay": "7", "tam": "8",
                "chin": "9"}
_DIGIT_WORD = "(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + ")"
# Nine or more digit words in a row (in the folded text: "không" → "khong"), separated by
# spaces and at most a comma, dot or dash: "không chín tám, ba bốn năm, sáu bảy tám chín".
PHONE_WORDS_RE = re.compile(
    rf"(?<![\w])khong(?:\s*[,.\-]?\s+{_DIGIT_WORD}(?![\w])){{8,11}}")


def _national(digits: str) -> str:
    """The number as dialled at home: "84912…" and "840912…" ("+84 (0) 912…", the trunk
    zero written by habit) become "0912…"."""
    if digits.startswith("840"):
        digits = "84" + digits[3:]
    if digits.startswith("84") and len(digits) in (11, 12):
        return "0" + digits[2:]
    return digits


def phone_confidence(digits: str) -> str | None:
    """HIGH for a number libphonenumber knows as Vietnamese; LOW for one that only has the
    shape (0 + 9 digits starting 3/5/7/8/9, or 02 + 9 digits: its metadata lags behind new
    ranges, and a leaked number cannot be taken back); None otherwise."""
    digits = _national(digits)
    if not digits.startswith("0") or not 10 <= len(digits) <= 11:
        return None
    if phonenumbers.is_valid_number_for_region(phonenumbers.parse(digits, "VN"), "VN"):
        return HIGH
    shaped = (len(digits) == 10 and digits[1] in _MOBILE_FIRST) or \
        (len(digits) == 11 and digits[1] == "2")
    return LOW if shaped else None


def _digits(run: str) -> str:
    return "".join("0" if ch in "oO" else ch for ch in run if ch.isdigit() or ch in "oO")


def _longest_valid(run: str) -> tuple[int, str] | None:
    """(length, confidence) of the longest start of ``run`` that ends a group of digits and
    is a phone number ("0912345678 2 lần" → the first ten digits)."""
    best = None
    for offset, ch in enumerate(run):
        at_boundary = offset + 1 == len(run) or not run[offset + 1].isdigit()
        confidence = phone_confidence(_digits(run[:offset + 1])) if ch.isdigit() and \
            at_boundary else None
        if confidence is not None:
            best = offset + 1, confidence
    return best


def _find_digit_phones(text: str):
    for m in PHONE_RUN_RE.finditer(text):
        found = _longest_valid(m.group(0))
        if found is not None:
            yield Finding(PHONE, m.start(), m.start() + found[0], found[1])
    for m in PHONE_SLASH_RE.finditer(text):
        confidence = phone_confidence(m.group(0).replace("/", ""))
        if confidence is not None:
            yield Finding(PHONE, m.start(), m.end(), confidence)


def _find_word_phones(folded: str):
    for m in PHONE_WORDS_RE.finditer(folded):
        words = re.findall(r"\w+", m.group(0))
        confidence = phone_confidence("".join(_DIGIT_WORDS[w] for w in words))
        if confidence is not None:
            yield Finding(PHONE, m.start(), m.end(), confidence)


def find_phones(text: str, folded: str | None = None):
    yield from _find_digit_phones(text)
    yield from _find_word_phones(folded if folded is not None else fold_same_length(text))
