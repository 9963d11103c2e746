"""feedback.intake.clean_text skips its character by character filter when the text has
nothing to remove; the result must be the filter's, whatever the text holds."""

from __future__ import annotations

import random
import unicodedata

import pytest

from feedback.intake import clean_text


def _filtered(text: str | None) -> str:
    """The rule itself: NFC, every character of category C dropped but line feeds and
    tabs, trimmed."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(ch for ch in text
                   if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


@pytest.mark.parametrize("text", [
    None, "", "   ", "Hồ sơ chậm trả kết quả",
    "Dòng một\r\nDòng hai\r\n",          # a browser's textarea
    "a\rb", "\tthụt lề\t",
    "nul\x00 esc\x1b del\x7f c1\x85",     # control characters
    "zero\u200bwidth soft\u00adhyphen bom\ufeff rtl\u200f",  # format characters
    "private\ue000 unassigned\U000e0fff surrogate\ud800",
    "nbsp\u00a0 ideographic\u3000 line\u2028 paragraph\u2029",  # spaces that are kept
    "Nguye\u0302\u0303n",                 # decomposed: composed by NFC
])
def test_clean_text_is_the_character_filter(text):
    assert clean_text(text) == _filtered(text)


def test_clean_text_matches_the_filter_on_random_text():
    rng = random.Random(5)
    alphabet = [*"abc ăâđêôơư\r\n\t", "\x00", "\x1f", "\x85", "\u00a0", "\u00ad", "\u0301",
                "\u200b", "\u2028", "\u3000", "\ud800", "\ue000", "\ufeff", "\U000e0fff"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert clean_text(text) == _filtered(text), repr(text)
