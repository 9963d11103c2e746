"""Back office: survey campaigns (list, create, edit, close) and their progress page.

Units are chosen from a table of the units in the user's scope: a checkbox and a quota box
per row. Without JavaScript that is easier than typing "unit code;quota" lines: people see the
tree with names (no codes to look up or mistype), a mistake is marked on its own row, and the
browser keeps every box when the page comes back with a message.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.access import Permission, require, visible_units
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.spreadsheets import csv_response
from core.views.admin import require_staff
from surveys import campaigns as services
from surveys.labels import CHANNEL_LABELS
from surveys.models import Campaign, Channel, InstrumentVersion
from surveys.paper import versions_for

bp = Blueprint("surveys_campaigns", __name__, url_prefix="/quan-tri/dot-khao-sat")

MANAGE = Permission.SURVEYS_MANAGE
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(BaseForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[InputRequired(),
                                                               Length(max=255)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=255)])
    owner_unit_id = SelectField(_l("Unit running the campaign"), coerce=int,
                                validators=[InputRequired()])
    version_id = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    # Any value is passed on: the service names an unknown channel (400) instead of WTForms.
    channels = CheckboxesField(_l("Channels open (none ticked: every channel)"),
                               choices=[SelectChoice(c.value, label)
                                        for c, label in CHANNEL_LABELS.items()],
                               validate_choice=False)


bp.before_request(require_staff)


def _load(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    require(current_user, MANAGE, db.session.get(Unit, campaign.owner_unit_id),
            object_type="survey_campaign", object_id=campaign.id)
    return campaign


def _status(campaign: Campaign) -> str:
    if campaign.closed_at is not None:
        return "closed"
    day = today()
    return "scheduled" if day < campaign.starts_on else "ended" if day > campaign.ends_on \
        else "open"


@bp.get("/")
def index():
    """The survey campaigns of the user's units, with their status and progress totals."""
    require(current_user, MANAGE, None)
    rows = [(c, _status(c), services.progress_totals(services.campaign_progress(c)))
            for c in services.campaigns_visible_to(current_user)]
    return render_template("surveys/campaigns.html", rows=rows,
                           versions=_version_names([c.version_id for c, *_ in rows]))


def _version_names(ids: list[int]) -> dict[int, str]:
    versions = db.session.scalars(db.select(InstrumentVersion)
                                  .where(InstrumentVersion.id.in_(ids or [0])))
    return {v.id: f"{v.title_vi} (v{v.number})" for v in versions}


def _units() -> list[Unit]:
    return [u for u in visible_units(current_user, MANAGE) if u.active]


def _choices(form: CampaignForm, units: list[Unit]) -> None:
    form.owner_unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi)
                                  for u in units if u.kind != "desk"]
    seen: dict[int, InstrumentVersion] = {}
    for unit in units:
        seen.update({v.id: v for v in versions_for(unit)})
    form.version_id.choices = [SelectChoice(v.id, f"{v.title_vi} (v{v.number})")
                               for v in seen.values()]


def _read_quotas(units: list[Unit]) -> tuple[dict[int, int], dict[int, str]]:
    """{unit id: quota} from the ticked rows, and {unit id: message} for unreadable boxes.
    Ticks for units not shown are passed on too, so the service refuses them by name."""
    ticked = {int(key[5:]) for key in request.form if re.fullmatch(r"unit-[0-9]{1,9}", key)}
    quotas, errors = {}, {}
    for unit_id in ticked | {u.id for u in units}:
        text = request.form.get(f"quota-{unit_id}", "").strip()
        if unit_id not in ticked:
            if text:
                errors[unit_id] = _("Tick the unit to include it, or clear its quota.")
        elif not text or _INTEGER.match(text):
            quotas[unit_id] = int(text or 0)
        else:
            errors[unit_id] = _("Type the quota as a whole number.")
    return quotas, errors


def _data(form: CampaignForm, quotas: dict[int, int]) -> services.CampaignData:
    return services.CampaignData(
        code=form.code.data, name_vi=form.name_vi.data, name_en=form.name_en.data,
        owner_unit_id=form.owner_unit_id.data, version_id=form.version_id.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        channels=list(form.channels.data or []), quotas=quotas)


def _edit_page(campaign: Campaign | None):
    units = _units()
    form = CampaignForm(obj=campaign)
    _choices(form, units)
    quotas = {row.unit_id: row.quota for row in campaign.units} if campaign else {}
    row_errors: dict[int, str] = {}
    general: list[str] = []
    if request.method == "POST":
        quotas, row_errors = _read_quotas(units)
        if form.validate_on_submit() and not row_errors:
            try:
                saved = (services.update_campaign(campaign, _data(form, quotas), current_user)
                         if campaign else
                         services.create_campaign(_data(form, quotas), current_user))
            except ServiceError as error:
                db.session.rollback()
                _place_error(error, form, row_errors, general, units)
                return _render_edit(form, campaign, units, quotas, row_errors, general,
                                    error.status)
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for(".progress", campaign_id=saved.id))
        return _render_edit(form, campaign, units, quotas, row_errors, general, 400)
    return _render_edit(form, campaign, units, quotas, row_errors, general, 200)


def _place_error(error: ServiceError, form: CampaignForm, row_errors: dict[int, str],
                 general: list[str], units: list[Unit]) -> None:
    name = error.field or ""
    shown = {u.id for u in units}
    if name.startswith("units.") and name[6:].isdigit() and int(name[6:]) in shown:
        row_errors[int(name[6:])] = error.message
    elif name in form._fields:
        form[name].errors = [*form[name].errors, error.message]
    else:
        general.append(error.message)


def _render_edit(form, campaign, units, quotas, row_errors, general, status):
    return render_template("surveys/campaign_form.html", form=form, campaign=campaign,
                           units=units, quotas=quotas, row_errors=row_errors, general=general,
                           ticked=set(quotas)), status


@bp.route("/moi", methods=["GET", "POST"])
def new():
    """Create a survey campaign: questionnaire, dates, channels, and units with their quotas."""
    require(current_user, MANAGE, None)
    return _edit_page(None)


@bp.route("/<int:campaign_id>/sua", methods=["GET", "POST"])
def edit(campaign_id: int):
    """Change a campaign that is not closed (a closed one is shown unchanged, with 409)."""
    campaign = _load(campaign_id)
    if campaign.closed_at is not None:
        flash(_("This campaign is closed and can no longer be changed."), "error")
        return _render_progress(campaign), 409
    return _edit_page(campaign)


@bp.post("/<int:campaign_id>/dong")
def close(campaign_id: int):
    """Close a campaign, with a reason; later responses are continuous ratings again."""
    campaign = _load(campaign_id)
    try:
        services.close_campaign(campaign, current_user, request.form.get("reason") or None)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".progress", campaign_id=campaign.id)), 303
    db.session.commit()
    flash(_("Campaign closed: new responses are continuous ratings again."), "success")
    return redirect(url_for(".progress", campaign_id=campaign.id)), 303


def _channels(campaign: Campaign, rows) -> list[str]:
    """Columns: the campaign's channels, plus any other that has responses."""
    used = {name for row in rows for name in row.by_channel}
    listed = campaign.channels or [c.value for c in Channel]
    return [c.value for c in Channel if c.value in listed or c.value in used]


@bp.get("/<int:campaign_id>")
def progress(campaign_id: int):
    """A campaign's progress: responses per unit and channel against each unit's quota."""
    return _render_progress(_load(campaign_id))


def _render_progress(campaign: Campaign) -> str:
    rows = services.campaign_progress(campaign)
    return render_template(
        "surveys/campaign_progress.html", campaign=campaign, rows=rows,
        totals=services.progress_totals(rows), channels=_channels(campaign, rows),
        labels=CHANNEL_LABELS, status=_status(campaign),
        version=db.session.get(InstrumentVersion, campaign.version_id),
        owner=db.session.get(Unit, campaign.owner_unit_id))


@bp.get("/<int:campaign_id>/tien-do.csv")
def progress_csv(campaign_id: int):
    """A campaign's progress table (responses per unit and channel, quotas) as CSV."""
    campaign = _load(campaign_id)
    rows = services.campaign_progress(campaign)
    channels = _channels(campaign, rows)
    header = [_("Unit code"), _("Unit"), _("Quota"), *[str(CHANNEL_LABELS[Channel(c)])
                                                       for c in channels],
              _("Total"), _("Share of quota (%)"), _("Flagged for review")]
    # csv_response neutralises every cell (a unit name starting with "=" stays text).
    body = [[row.unit.code if row.unit else "",
             row.unit.name_vi if row.unit else _("Units no longer listed"),
             row.quota, *[row.by_channel.get(c, 0) for c in channels], row.total,
             "" if row.percent is None else row.percent, row.flagged] for row in rows]
    return csv_response([header, *body], f"tien-do-{campaign.code}.csv")
