"""A response's whole-number answers as one short string, so a full recompute over millions of
responses reads a few bytes per row instead of parsing a JSON document per row.

The format (``Response.ratings``): one character per rated item of the response's questionnaire
version, items in code order (``rated_codes``); the character is ``chr(48 + value)`` for values
0…74 ("0"…"z") and "." for an item left unanswered. A published version never changes, so the
positions stay valid for as long as the response exists. A response whose answers do not fit
(a value outside 0…74, an answer to an item that is not rated) gets NULL and is read from its
JSON answers instead: the string is an index of the JSON, never the only copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select

from core.extensions import db
from surveys.models import AnswerType, Item

# Answer types stored as one whole number (the same set surveys.responses validates).
RATED_TYPES = frozenset({AnswerType.SCALE5, AnswerType.SCALE4, AnswerType.SCALE3,
                         AnswerType.SINGLE, AnswerType.YESNO})
ZERO = 48            # ord("0")
MAX_VALUE = 74       # chr(48 + 74) == "z"
BLANK = "."
BLANK_VALUE = ord(BLANK) - ZERO   # what a blank decodes to (negative: dropped when counting)


def rated_codes(items: Iterable[Item]) -> tuple[str, ...]:
    """The positions of a version's rating string: its rated, non-demographic item codes."""
    return tuple(sorted(item.code for item in items
                        if not item.demographic and AnswerType(item.answer_type) in RATED_TYPES))


def encode_ratings(codes: Sequence[str], answers: Mapping[str, Any]) -> str | None:
    """The rating string of ``answers`` (validated: only this version's items), or None when a
    whole-number answer cannot be written in it (the JSON answers are then read instead)."""
    positions = set(codes)
    for code, value in answers.items():
        if _is_whole(value) and (code not in positions or not 0 <= value <= MAX_VALUE):
            return None
    characters = []
    for code in codes:
        value = answers.get(code)
        characters.append(chr(ZERO + value) if _is_whole(value) else BLANK)
    return "".join(characters)


def decode_ratings(strings: Sequence[str], width: int) -> np.ndarray:
    """Rating strings of one version (each ``width`` long) → an ``n × width`` int16 matrix of
    values, blanks negative. Vectorised: the strings are joined into one buffer."""
    if width == 0 or not strings:
        return np.zeros((len(strings), width), dtype=np.int16)
    joined = "".join(strings).encode("ascii")
    if len(joined) != len(strings) * width:
        raise ValueError("rating strings of one version must all be of its width")
    matrix = np.frombuffer(joined, dtype=np.uint8).reshape(len(strings), width)
    return matrix.astype(np.int16) - ZERO


def version_rated_codes(version_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """``rated_codes`` of each version, read in one query."""
    wanted = sorted(set(version_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Item.version_id, Item.code, Item.answer_type, Item.demographic)
        .where(Item.version_id.in_(wanted)))
    codes: dict[int, list[str]] = {version: [] for version in wanted}
    for version_id, code, answer_type, demographic in rows:
        if not demographic and AnswerType(answer_type) in RATED_TYPES:
            codes[version_id].append(code)
    return {version: tuple(sorted(found)) for version, found in codes.items()}


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
