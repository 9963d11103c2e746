"""Back office: random-sample invitations. Draw a stratified random sample of a unit's
consenting dossiers for a period, look at a draw (its allocation, delivery and response rates,
and whether the recorded seed still reproduces it), and send its invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.access import Permission, require, visible_units
from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.views.admin import require_staff
from surveys.models import SampleDraw, SampleInvitation
from surveys.sampling import (
    MAX_SAMPLE,
    MAX_SEED,
    draw_sample,
    draw_status,
    draws_for,
    repeat_draw,
    send_invitations,
)

bp = Blueprint("surveys_samples", __name__, url_prefix="/quan-tri/mau-ngau-nhien")
bp.before_request(require_staff)

MANAGE = Permission.SURVEYS_MANAGE


class DrawForm(BaseForm):
    unit = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    period = StringField(_l("Period (2026-Q2, 2026-06, 2026-H1 or 2026)"),
                         validators=[InputRequired(), Length(max=16)])
    size = IntegerField(_l("Sample size"),
                        validators=[InputRequired(), NumberRange(min=1, max=MAX_SAMPLE)])
    seed = IntegerField(_l("Seed (empty: a new random seed)"),
                        validators=[Optional(), NumberRange(min=0, max=MAX_SEED)])


def _form() -> DrawForm:
    form = DrawForm()
    form.unit.choices = [(unit.id, "— " * unit.depth + unit.name_vi)
                         for unit in visible_units(current_user, MANAGE)
                         if unit.kind != UnitKind.DESK.value]
    if not form.period.data:
        form.period.data = f"{today().year}-Q{(today().month - 1) // 3 + 1}"
    return form


def _load(draw_id: int) -> SampleDraw:
    draw = db.session.get(SampleDraw, draw_id) or abort(404)
    require(current_user, MANAGE, draw.unit, object_type="sample_draw", object_id=draw.id)
    return draw


@bp.get("/")
def index():
    """The latest draws with their response rates, and the form to draw a new sample."""
    require(current_user, MANAGE, None)
    draws = [(draw, draw_status(draw)) for draw in draws_for(current_user)]
    return render_template("surveys/samples.html", form=_form(), draws=draws)


@bp.post("/")
def create():
    """Draw and record a sample; the draw's page follows."""
    require(current_user, MANAGE, None)
    form = _form()
    if form.validate():
        unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
        try:
            if unit is None:
                raise ServiceError(_("Choose a unit."), status=400, field="unit")
            draw = draw_sample(unit, form.period.data.strip(), form.size.data,
                               actor=current_user, seed=form.seed.data)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "unit", form.unit).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Sample drawn: %(n)s dossiers of %(frame)s.", n=draw.sample_size,
                    frame=draw.frame_size), "success")
            return redirect(url_for(".show", draw_id=draw.id))
    draws = [(draw, draw_status(draw)) for draw in draws_for(current_user)]
    return render_template("surveys/samples.html", form=form, draws=draws), 400


@bp.get("/<int:draw_id>")
def show(draw_id: int):
    """One draw: seed, frame, allocation per stratum, delivery and responses, and a check
    that the recorded seed draws the same dossiers from today's frame."""
    draw = _load(draw_id)
    ids, same_frame = repeat_draw(draw)
    recorded = sorted(invitation for invitation in db.session.scalars(
        db.select(SampleInvitation.dossier_id).where(SampleInvitation.draw_id == draw.id)))
    return render_template("surveys/sample.html", draw=draw, status=draw_status(draw),
                           same_frame=same_frame, reproduced=ids == recorded)


@bp.post("/<int:draw_id>/gui")
def send(draw_id: int):
    """Queue the single-use invitations of a draw in the outbox."""
    draw = _load(draw_id)
    try:
        queued = send_invitations(draw, actor=current_user)
    except ServiceError as error:
        db.session.rollback()
        abort(error.status)
    db.session.commit()
    flash(_("%(n)s invitations queued.", n=queued), "success")
    return redirect(url_for(".show", draw_id=draw.id))
