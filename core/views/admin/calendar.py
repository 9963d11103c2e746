"""The working-day calendar: a year's holidays and swaps, local overrides, a deadline calculator."""

from __future__ import annotations

from datetime import datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from core.access import Permission, can_globally, require, require_global
from core.clock import LOCAL_TZ, today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import CalendarOverride
from core.settings import get_setting
from core.templating import format_date
from core.views.admin import bp
from core.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    add_calendar_override,
    deadline_end,
    load_calendar,
    remove_calendar_override,
    update_calendar_override,
)

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


class OverrideForm(BaseForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    is_working = SelectField(_l("This day is"), validators=[InputRequired()], choices=[
        SelectChoice("0", _l("a day off")), SelectChoice("1", _l("a working day"))])
    reason = StringField(_l("Reason (for example the decision that sets it)"),
                         validators=[InputRequired(), Length(max=255)])


class CalculatorForm(BaseForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    received_at = TimeField(_l("At (local time)"), validators=[InputRequired()])
    days = IntegerField(_l("Working days"), validators=[InputRequired(),
                                                        NumberRange(min=0, max=365)])


def _year() -> tuple[int, int]:
    """(year to show, status): an impossible year shows this year with a message and 400."""
    year = request.args.get("year", type=int) or today().year
    if FIRST_YEAR <= year <= LAST_YEAR:
        return year, 200
    flash(_("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
          "error")
    return today().year, 400


def _calculation(form: CalculatorForm) -> dict | None:
    if "days" not in request.args or not form.validate():
        return None
    calendar = load_calendar()
    received = datetime.combine(form.received_on.data, form.received_at.data, tzinfo=LOCAL_TZ)
    cutoff = time(get_setting("dossier.cutoff_hour", on=received.date()), 0)
    due = calendar.add_working_days(received, form.days.data, cutoff=cutoff)
    return {"counts_from": calendar.received_day(received, cutoff=cutoff), "due_date": due,
            "due_end": deadline_end(due), "cutoff": cutoff}


def _render(year: int, override_form: OverrideForm, status: int = 200):
    year = year if FIRST_YEAR <= year <= LAST_YEAR else today().year
    calc_form = CalculatorForm(request.args)
    if "days" not in request.args:
        calc_form.received_on.data = calc_form.received_on.data or today()
        calc_form.received_at.data = calc_form.received_at.data or time(9, 0)
    calculation = _calculation(calc_form)
    if calc_form.errors and status == 200:
        status = 400
    locale = str(get_locale() or "vi")
    return render_template(
        "admin/calendar.html", year=year, days=load_calendar().year_days(year, locale),
        weekdays=WEEKDAYS, form=override_form, calc_form=calc_form, calculation=calculation,
        may_manage=can_globally(current_user, Permission.CALENDAR_MANAGE),
        first_year=FIRST_YEAR, last_year=LAST_YEAR,
    ), status


@bp.get("/lich")
def calendar():
    """A year's days off and swaps, local entries and the deadline calculator."""
    require(current_user, Permission.UNITS_VIEW, None)
    year, status = _year()
    return _render(year, OverrideForm(), status)


@bp.post("/lich/ngoai-le")
def calendar_override_add():
    """Add a local entry to the calendar."""
    require_global(current_user, Permission.CALENDAR_MANAGE)
    form = OverrideForm()
    if not form.validate_on_submit():
        return _render(form.day.data.year if form.day.data else today().year, form, 400)
    try:
        add_calendar_override(form.day.data, form.is_working.data == "1", form.reason.data,
                              actor_id=current_user.id)
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "day").errors.append(error.message)
        return _render(form.day.data.year, form, error.status)
    db.session.commit()
    flash(_("%(day)s added to the calendar.", day=format_date(form.day.data)), "success")
    return redirect(url_for("admin.calendar", year=form.day.data.year))


@bp.route("/lich/ngoai-le/<int:override_id>/sua", methods=["GET", "POST"])
def calendar_override_edit(override_id: int):
    """Change a local entry (its day, whether it is worked, its reason)."""
    require_global(current_user, Permission.CALENDAR_MANAGE)
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        abort(404)
    form = OverrideForm(obj=override if request.method == "GET" else None)
    if request.method == "GET":
        form.is_working.data = "1" if override.is_working else "0"
    if form.validate_on_submit():
        try:
            update_calendar_override(override.id, form.day.data, form.is_working.data == "1",
                                     form.reason.data)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "day").errors.append(error.message)
            return _render_edit(override, form, error.status)
        db.session.commit()
        flash(_("The entry for %(day)s was changed.", day=format_date(form.day.data)),
              "success")
        return redirect(url_for("admin.calendar", year=form.day.data.year))
    return _render_edit(override, form, 400 if form.errors else 200)


def _render_edit(override: CalendarOverride, form: OverrideForm, status: int):
    return render_template("admin/calendar_override.html", override=override, form=form), status


@bp.post("/lich/ngoai-le/<int:override_id>/xoa")
def calendar_override_remove(override_id: int):
    """Remove a local entry from the calendar."""
    require_global(current_user, Permission.CALENDAR_MANAGE)
    try:
        day = remove_calendar_override(override_id, reason=request.form.get("reason") or None)
    except ServiceError as error:
        db.session.rollback()
        abort(error.status, description=error.message)
    db.session.commit()
    flash(_("%(day)s removed from the calendar.", day=format_date(day)), "success")
    return redirect(url_for("admin.calendar", year=day.year))
