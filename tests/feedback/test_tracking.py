"""Tracking codes: the check character catches every single wrong character and every swap
of neighbours but one pair (Luhn mod 32's blind spot, 0↔Z); look-alikes fold on reading."""

from __future__ import annotations

import random
import re

import pytest

from feedback.tracking import (
    ALPHABET,
    CODE_LENGTH,
    check_character,
    format_tracking_code,
    new_tracking_code,
    normalise_tracking_code,
)

# Fresh codes from the real generator are checked in the first test; the parametrised
# sample is drawn from a seeded generator so that every pytest-xdist worker
# collects the same test ids.
_SEEDED = random.Random(2026)
SAMPLE = [(data := "".join(_SEEDED.choice(ALPHABET) for _ in range(8))) + check_character(data)
          for _ in range(300)]
# Hand-picked codes too: repeated characters, every character of the alphabet, the ends.
FIXED = ["00000000", "ZZZZZZZZ", "0123456Z", "ABCDEFGH", "JKMNPQRS", "TVWXYZ09"]
SAMPLE += [data + check_character(data) for data in FIXED]


def test_new_codes_are_valid_readable_and_distinct():
    fresh = [new_tracking_code() for _ in range(300)]
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in fresh)
    assert all(normalise_tracking_code(code) == code for code in fresh + SAMPLE)
    assert len(set(fresh)) == len(fresh)
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize("code", SAMPLE[:60] + SAMPLE[-len(FIXED):])
def test_every_single_substitution_is_caught(code):
    for position in range(CODE_LENGTH):
        for char in ALPHABET:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1:]
                assert normalise_tracking_code(typo) is None, typo


def test_every_adjacent_swap_is_caught_except_0_and_z():
    checked = 0
    for code in SAMPLE:
        for position in range(CODE_LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2:]
            checked += 1
            if {a, b} == {"0", "Z"}:
                # Luhn mod N cannot see a swap of 0 and N-1 (like 09↔90 in base 10).
                assert normalise_tracking_code(swapped) == swapped
            else:
                assert normalise_tracking_code(swapped) is None, (code, swapped)
    assert checked > 2000


def test_swaps_of_every_pair_of_characters():
    rng = random.Random(5)
    for a in ALPHABET:
        for b in ALPHABET:
            if a == b or {a, b} == {"0", "Z"}:
                continue
            data = "".join(rng.choice(ALPHABET) for _ in range(6)) + a + b
            code = data + check_character(data)
            swapped = code[:6] + b + a + code[8]
            assert normalise_tracking_code(swapped) is None, (code, swapped)


def test_reading_folds_look_alikes_case_spaces_and_dashes():
    data = "01A0B1C1"
    code = data + check_character(data)
    typed = code.replace("0", "O").replace("1", "I", 1).replace("1", "l").lower()
    assert normalise_tracking_code(typed) == code
    assert normalise_tracking_code(" " + format_tracking_code(code).lower() + " ") == code
    assert normalise_tracking_code(code[:3] + " " + code[3:6] + "." + code[6:]) == code


@pytest.mark.parametrize("text", ["", None, "ABC", "U" * 9, "0123456789", "ABCD-EFGH-"])
def test_impossible_codes_are_none(text):
    assert normalise_tracking_code(text) is None


def test_format_groups_of_three():
    code = SAMPLE[0]
    formatted = format_tracking_code(code)
    assert re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", formatted)
    assert formatted.replace("-", "") == code
