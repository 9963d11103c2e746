"""Survey demo data: the shipped questionnaires, a collection point at every demo desk, and
14 months of demo responses, dossiers and SIPAS waves (surveys.demo_responses)."""

from __future__ import annotations

from surveys.demo_responses import load_demo_responses
from surveys.instruments import load_shipped_instruments
from surveys.points import ensure_demo_points


def load_survey_demo() -> None:
    load_shipped_instruments()
    ensure_demo_points()
    load_demo_responses()
