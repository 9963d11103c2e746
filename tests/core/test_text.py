"""Folding has one rule (core.text); the pure analysis package keeps a copy that must agree."""

from __future__ import annotations

import doctest
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

import core.text
from analysis import text_similarity
from core.text import fold, fold_char, fold_same_length

# Every Vietnamese letter with every tone, both cases (QĐ on the Vietnamese alphabet).
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VIETNAMESE = "".join(unicodedata.normalize("NFC", vowel + tone)
                     for vowel in VOWELS + VOWELS.upper() for tone in TONES) + "đĐ"


def test_each_vietnamese_letter_folds_to_its_plain_latin_letter():
    folded = fold_same_length(VIETNAMESE)
    assert len(folded) == len(VIETNAMESE)
    # Hand-written: the 12 vowels lose their marks (ă, â → a; ê → e; ô, ơ → o; ư → u).
    plain = "aaaeeiooouuy"
    expected = "".join(p * len(TONES) for p in plain + plain) + "dd"
    assert folded == expected


def test_header_fold_matches_loosely_written_headers():
    assert fold("Mã_đơn-vị *") == "ma don vi"
    assert fold("  TÊN   ĐƠN VỊ ") == "ten don vi"
    assert fold("Ngày tiếp nhận") == fold("ngay_tiep_nhan")


def test_fold_char_is_always_one_character():
    assert fold_char("ß") == "ß"
    # Its lower case is two characters ("i" and a combining dot): it keeps its case and loses
    # the dot, so the folded text stays as long as the original.
    assert fold_char("İ") == "I"
    assert fold_char("7") == "7"


@given(st.text())
def test_analysis_copy_agrees_with_the_one_rule(text):
    assert text_similarity.fold(text) == fold_same_length(unicodedata.normalize("NFC", text))


def test_doctests():
    assert doctest.testmod(core.text).failed == 0
