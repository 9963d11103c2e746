"""Numbers as people read them: one decimal, the locale's decimal sign (84,5 in Vietnamese),
and a dash for a figure that is hidden or missing (never 0)."""

from __future__ import annotations

import math

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale


def _locale() -> str:
    try:
        return str(get_locale() or "vi")
    except RuntimeError:  # outside a request (jobs): reports are Vietnamese
        return "vi"


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(value: object, decimals: int = 1) -> str:
    if is_missing(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(float(value), format=pattern, locale=_locale())  # type: ignore[arg-type]


def format_signed(value: object, decimals: int = 1) -> str:
    if is_missing(value):
        return "—"
    text = format_number(abs(float(value)), decimals)  # type: ignore[arg-type]
    return ("+" if float(value) > 0 else "−" if float(value) < 0 else "±") + text  # type: ignore[arg-type]


def format_measure(value: float) -> str:
    """A statistic shown as evidence (a share, a chi-square, a p-value): up to three decimals in
    the locale's style, and a very small p-value in scientific notation rather than 0."""
    if value != 0 and abs(value) < 0.001:
        return f"{value:.1e}"
    return format_decimal(value, format="#,##0.###", locale=_locale())


def format_count(value: object) -> str:
    return format_number(value, 0)


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters["num"] = format_number
    app.jinja_env.filters["signed"] = format_signed
    app.jinja_env.filters["count"] = format_count
