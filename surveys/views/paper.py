"""Back office: typing in paper questionnaires ("nhập phiếu giấy"), keyboard only.

The unit, questionnaire and campaign are chosen once; they then live in the entry page's
address, so the page can be bookmarked for a day of typing and a reload never asks again.
Each answer is a one-line box (Enter anywhere submits; Tab goes straight down). The boxes are
text with a numeric keypad rather than <input type=number>, whose value a mouse wheel or an
arrow key silently changes, and which browsers empty when text is typed, so the typist would
never see what they typed wrong.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from core.access import Permission, require, visible_units
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from surveys.campaigns import open_campaigns_for
from surveys.models import Campaign, Channel, InstrumentVersion
from surveys.paper import (
    FIELD_PREFIX,
    PaperEntry,
    PaperEntryError,
    enter_paper_response,
    entered_today,
    paper_fields,
    versions_for,
)
from surveys.responses import open_campaign

bp = Blueprint("surveys_paper", __name__, url_prefix="/quan-tri/nhap-phieu")

ENTER = Permission.SURVEYS_ENTER
PAPER = Channel.PAPER.value


class SetupForm(BaseForm):
    unit_id = SelectField(_l("Unit or desk the forms were filled in at"), coerce=int,
                          validators=[InputRequired()])
    version_id = SelectField(_l("Questionnaire printed on the forms"), coerce=int,
                             validators=[InputRequired()])
    campaign_id = SelectField(_l("Campaign"), coerce=int, default=0)


class EntryForm(BaseForm):
    """Only the CSRF token: the answer boxes are read by surveys.paper from the raw form."""


bp.before_request(require_staff)


def _setup_choices(form: SetupForm) -> list[Unit]:
    units = [u for u in visible_units(current_user, ENTER) if u.active]
    form.unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi) for u in units]
    versions: dict[int, InstrumentVersion] = {}
    for unit in units:
        versions.update({v.id: v for v in versions_for(unit)})
    form.version_id.choices = [SelectChoice(v.id, f"{v.title_vi} (v{v.number})")
                               for v in versions.values()]
    day = today()
    running = db.session.scalars(db.select(Campaign).where(
        Campaign.closed_at.is_(None), Campaign.starts_on <= day, Campaign.ends_on >= day))
    form.campaign_id.choices = [
        SelectChoice(0, _("Automatic: the campaign open for this unit today, if any")),
        *[SelectChoice(c.id, f"{c.name_vi} ({c.code})") for c in running
          if not c.channels or PAPER in c.channels]]
    return units


def _campaign_problem(campaign: Campaign | None, unit: Unit, version_id: int) -> str | None:
    if campaign is None:
        return None
    if campaign not in open_campaigns_for(unit, today()) or (
            campaign.channels and PAPER not in campaign.channels):
        return _("This campaign is not open for paper forms at the chosen unit today.")
    if campaign.version_id != version_id:
        return _("This campaign uses another questionnaire.")
    return None


@bp.route("/", methods=["GET", "POST"])
def index():
    """Choose the unit, questionnaire and campaign for typing in paper forms."""
    require(current_user, ENTER, None)
    form = SetupForm()
    _setup_choices(form)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) or abort(404)
        require(current_user, ENTER, unit)
        campaign = db.session.get(Campaign, form.campaign_id.data or 0)
        problem = _campaign_problem(campaign, unit, form.version_id.data)
        if problem is None:
            return redirect(url_for(".entry", unit_id=unit.id, version_id=form.version_id.data,
                                    campaign=campaign.id if campaign else None), 303)
        form.campaign_id.errors = [problem]
    status = 400 if form.is_submitted() else 200
    return render_template("surveys/paper_setup.html", form=form), status


def _load(unit_id: int, version_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    require(current_user, ENTER, unit, object_type="unit", object_id=unit.id)
    version = next((v for v in versions_for(unit) if v.id == version_id), None) or abort(404)
    campaign_id = request.args.get("campaign", type=int)
    campaign = (db.session.get(Campaign, campaign_id) or abort(404)) if campaign_id else None
    return unit, version, campaign


@bp.route("/<int:unit_id>/<int:version_id>", methods=["GET", "POST"])
def entry(unit_id: int, version_id: int):
    """Type in paper questionnaires for a unit, one after another, keyboard only."""
    unit, version, campaign = _load(unit_id, version_id)
    form = EntryForm()
    typed = {k: v for k, v in request.form.items() if k.startswith(FIELD_PREFIX)}
    fields, problem = paper_fields(version, typed), None
    if request.method == "POST":
        if not form.validate_on_submit():
            problem = _("The form expired. Your typing is kept: press Save again.")
        else:
            try:
                enter_paper_response(PaperEntry(unit, version, campaign, typed), current_user)
            except PaperEntryError as error:
                db.session.rollback()
                fields, problem = error.fields, error.message
            except ServiceError as error:
                db.session.rollback()
                return _render_entry(unit, version, campaign, form, fields, error.message,
                                     error.status)
            else:
                db.session.commit()
                flash(_("Saved. Type in the next form."), "success")
                return redirect(url_for(".entry", unit_id=unit.id, version_id=version.id,
                                        campaign=campaign.id if campaign else None), 303)
    return _render_entry(unit, version, campaign, form, fields, problem,
                         400 if problem else 200)


def _render_entry(unit, version, campaign, form, fields, problem, status):
    attached = campaign or open_campaign(unit, version, PAPER, today())
    first_error = next((box.name for box in fields if box.error), None)
    return render_template(
        "surveys/paper_entry.html", unit=unit, version=version, campaign=attached,
        chosen=campaign is not None, form=form, fields=fields, problem=problem,
        focus=first_error or (fields[0].name if fields else None),
        count=entered_today(current_user, unit)), status
