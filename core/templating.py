"""Jinja filters shared by every package's templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import get_locale

from core.clock import local


def format_localtime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time zone, as Vietnamese documents write it."""
    if value is None:
        return ""
    return local(value).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.strftime("%d/%m/%Y")


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "vi")
    app.jinja_env.filters["localtime"] = format_localtime
    app.jinja_env.filters["vndate"] = format_date
