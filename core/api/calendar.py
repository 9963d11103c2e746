"""Public working-day calendar: deadlines and a year's holidays. No key: nothing here is private."""

from __future__ import annotations

import re
from datetime import time

import marshmallow as ma
from flask import current_app
from flask_babel import force_locale
from flask_limiter.util import get_remote_address

from core.api import Blueprint
from core.clock import local
from core.extensions import limiter
from core.settings import get_setting
from core.workdays import FIRST_YEAR, LAST_YEAR, deadline_end, load_calendar

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar",
                description="Working days and deadlines in Vietnam (public, no API key).")

# "2026-02-13T16:00:00+07:00" sent unencoded in a query string arrives with a space for '+'.
_LOST_PLUS = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")


class OffsetDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 datetime that must carry its UTC offset (or Z)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = _LOST_PLUS.sub(r"\1+\2", value.strip())
        return super()._deserialize(value, attr, data, **kwargs)


class DeadlineQuery(ma.Schema):
    received_at = OffsetDateTime(required=True, metadata={
        "description": "When it was received, ISO 8601 with an offset, e.g. "
                       "2026-02-13T16:00:00+07:00 (encode '+' as %2B)"})
    working_days = ma.fields.Integer(required=True, validate=ma.validate.Range(0, 365),
                                     metadata={"description": "Length of the period"})


class DeadlineSchema(ma.Schema):
    received_at = ma.fields.AwareDateTime(metadata={"description": "As sent"})
    counts_from = ma.fields.Date(metadata={
        "description": "The working day it counts as received on (after the cut-off hour or "
                       "on a day off: the next working day); this day itself is not counted"})
    due_date = ma.fields.Date(metadata={"description": "Last day of the period"})
    due_end = ma.fields.AwareDateTime(metadata={
        "description": "End of the last day (23:59:59.999999 Vietnam time), in UTC"})
    cutoff = ma.fields.Time(metadata={"description": "Cut-off hour applied (local time)"})


class DaysQuery(ma.Schema):
    year = ma.fields.Integer(required=True,
                             validate=ma.validate.Range(FIRST_YEAR, LAST_YEAR))
    lang = ma.fields.String(load_default="vi", validate=ma.validate.OneOf(["vi", "en"]),
                            metadata={"description": "Language of the names"})


class DaySchema(ma.Schema):
    date = ma.fields.Date()
    working = ma.fields.Boolean(metadata={"description": "Whether agencies work that day"})
    name = ma.fields.String(metadata={"description": "Holiday name or the local reason"})


def _limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


@blp.route("/deadline")
@limiter.limit(_limit, key_func=get_remote_address)
@blp.arguments(DeadlineQuery, location="query")
@blp.response(200, DeadlineSchema)
def deadline(query):
    """Due date of a period of working days from a moment of reception.

    Counting follows the Civil Code (art. 147–148) and the one-stop rule: the day of receipt
    is not counted, and a receipt after the cut-off hour (the dossier.cutoff_hour setting) or
    on a day off counts as received on the next working day.
    """
    received, calendar = query["received_at"], load_calendar()
    cutoff = time(get_setting("dossier.cutoff_hour", on=local(received).date()), 0)
    due = calendar.add_working_days(received, query["working_days"], cutoff=cutoff)
    return {"received_at": received, "due_date": due, "due_end": deadline_end(due),
            "counts_from": calendar.received_day(received, cutoff=cutoff), "cutoff": cutoff}


@blp.route("/days")
@limiter.limit(_limit, key_func=get_remote_address)
@blp.arguments(DaysQuery, location="query")
@blp.response(200, DaySchema(many=True))
def days(query):
    """A year's days that differ from a Monday–Friday week: holidays, their observed days,
    weekend days worked in exchange, and local decisions. Unlisted days follow Mon–Fri."""
    with force_locale(query["lang"]):
        listed = load_calendar().year_days(query["year"], query["lang"])
    return [{"date": d.day, "working": d.working, "name": d.name} for d in listed]
