"""Demo PAKN cases for `make run` (filled in by the PAKN capability)."""

from __future__ import annotations


def load_feedback_demo() -> None:
    return None
