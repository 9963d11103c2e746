"""Survey demo data: the shipped questionnaires and a collection point at every demo desk."""

from __future__ import annotations


def load_survey_demo() -> None:
    from surveys.instruments import load_shipped_instruments
    from surveys.points import ensure_demo_points

    load_shipped_instruments()
    ensure_demo_points()
