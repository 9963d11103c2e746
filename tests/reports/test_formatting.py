"""Figures as Vietnamese readers expect them: a decimal comma, a real minus sign, a dash for a
missing figure, and evidence statistics that never round a tiny p-value to 0."""

from __future__ import annotations

from flask_babel import force_locale

from reports.formatting import format_count, format_measure, format_number, format_signed


def test_numbers_in_vietnamese_and_english(app):
    with app.test_request_context(), force_locale("vi"):
        assert format_number(84.46) == "84,5"
        assert format_signed(-10.0) == "−10,0"
        assert format_count(23314) == "23.314"
        assert format_number(None) == "—"
        assert format_measure(0.26667) == "0,267"
        assert format_measure(93.3333) == "93,333"
    with app.test_request_context(), force_locale("en"):
        assert format_measure(0.26667) == "0.267"
        assert format_count(23314) == "23,314"


def test_a_tiny_p_value_is_not_shown_as_zero(app):
    with app.test_request_context(), force_locale("vi"):
        assert format_measure(3.2e-7) == "3.2e-07"
        assert format_measure(0.0) == "0"
