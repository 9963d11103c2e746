"""Back office: questionnaires. The list, a version page that previews the form in Vietnamese
and English side by side, copy to a new draft, publish, retire. The draft editor's routes are
in surveys.views.instrument_editor (imported at the end of this module, same blueprint).

Access: shipped questionnaires (no owner unit) are readable by anyone who manages surveys
somewhere and changed only by a system-wide grant; an agency's own questionnaire needs
Permission.SURVEYS_MANAGE on its owner unit (someone who cannot see that unit gets 404)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.access import Permission, can, can_globally, require, unit_scope_clause, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from surveys.instrument_rules import ELEMENTS
from surveys.instruments import (
    create_draft,
    create_instrument,
    delete_draft,
    element_summary,
    ordered_items,
    ordered_sections,
    publish_version,
    retire_version,
)
from surveys.models import Instrument, InstrumentVersion, VersionStatus

bp = Blueprint("surveys_admin", __name__, url_prefix="/quan-tri/khao-sat")
MANAGE = Permission.SURVEYS_MANAGE

ANSWER_TYPE_LABELS = {
    "scale5": _l("5-point satisfaction scale"), "scale4": _l("4-point scale"),
    "scale3": _l("3-level scale"), "single": _l("One choice"), "multi": _l("Several choices"),
    "yesno": _l("Yes / no"), "text": _l("Free text"),
}
STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired")}


class InstrumentForm(BaseForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[InputRequired(),
                                                               Length(max=255)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=255)])
    owner_unit_id = SelectField(_l("Unit that owns it"), coerce=int,
                                validators=[InputRequired()])
    from_version_id = SelectField(_l("Start from"), coerce=int, validators=[Optional()])


bp.before_request(require_staff)


def owner_unit(instrument: Instrument) -> Unit | None:
    return db.session.get(Unit, instrument.owner_unit_id) if instrument.owner_unit_id else None


def may_edit(instrument: Instrument) -> bool:
    unit = owner_unit(instrument)
    return can_globally(current_user, MANAGE) if unit is None else can(current_user, MANAGE, unit)


def check_access(instrument: Instrument, *, edit: bool) -> None:
    unit = owner_unit(instrument)
    if unit is not None:
        require(current_user, MANAGE, unit, object_type="survey_instrument",
                object_id=instrument.id)
    elif not (can_globally(current_user, MANAGE) if edit else can(current_user, MANAGE)):
        require(None, MANAGE, None, object_type="survey_instrument", object_id=instrument.id)


def load_version(version_id: int, *, edit: bool = False) -> InstrumentVersion:
    version = db.session.get(InstrumentVersion, version_id)
    if version is None:
        abort(404)
    check_access(version.instrument, edit=edit)
    return version


def render_version(version: InstrumentVersion, status: int = 200):
    return render_template(
        "surveys/admin_instrument_version.html", version=version,
        instrument=version.instrument, owner=owner_unit(version.instrument),
        sections=[(section, ordered_items(section)) for section in ordered_sections(version)],
        summary=element_summary(version), may_edit=may_edit(version.instrument),
        elements=ELEMENTS, type_labels=ANSWER_TYPE_LABELS, status_labels=STATUS_LABELS,
    ), status


def refuse_unless_draft(version: InstrumentVersion):
    """A published or retired version is shown again, unchanged, with 409."""
    if version.is_editable:
        return None
    flash(_("Version %(number)s is no longer a draft and cannot be changed. Copy it to a new "
            "draft to make changes.", number=version.number), "error")
    return render_version(version, 409)


@bp.get("/")
def instruments():
    """The questionnaires (shipped and the user's units' own) with their versions."""
    require(current_user, MANAGE, None)
    rows = db.session.scalars(
        db.select(Instrument).outerjoin(Unit, Unit.id == Instrument.owner_unit_id)
        .where(Instrument.owner_unit_id.is_(None) | unit_scope_clause(current_user, MANAGE))
        .order_by(Instrument.owner_unit_id.is_not(None), Instrument.code)).all()
    return render_template("surveys/admin_instruments.html", instruments=rows,
                           owner_unit=owner_unit, status_labels=STATUS_LABELS,
                           may_create=bool(visible_units(current_user, MANAGE)))


def _start_choices() -> list[SelectChoice]:
    published = db.session.scalars(
        db.select(InstrumentVersion).join(Instrument)
        .outerjoin(Unit, Unit.id == Instrument.owner_unit_id)
        .where(InstrumentVersion.status == VersionStatus.PUBLISHED.value,
               Instrument.owner_unit_id.is_(None) | unit_scope_clause(current_user, MANAGE))
        .order_by(Instrument.code)).all()
    return [SelectChoice(0, _("An empty form"))] + [
        SelectChoice(v.id, f"{v.instrument.name_vi} – {_('version %(n)s', n=v.number)}")
        for v in published]


@bp.route("/moi", methods=["GET", "POST"])
def instrument_new():
    """Create a unit's questionnaire as a draft, empty or from a published version."""
    units = visible_units(current_user, MANAGE)
    if not units:
        require(None, MANAGE, None)
    form = InstrumentForm()
    form.owner_unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi) for u in units]
    form.from_version_id.choices = _start_choices()
    if request.method == "GET":
        form.from_version_id.data = request.args.get("from", type=int) or 0
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.owner_unit_id.data)
        require(current_user, MANAGE, unit)
        source = db.session.get(InstrumentVersion, form.from_version_id.data or 0)
        try:
            version = create_instrument(form.code.data, form.name_vi.data, form.name_en.data,
                                        unit, current_user, from_version=source)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template("surveys/admin_instrument_form.html", form=form), error.status
        db.session.commit()
        flash(_("Questionnaire %(name)s created as a draft.", name=form.name_vi.data), "success")
        return redirect(url_for(".version", version_id=version.id))
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template("surveys/admin_instrument_form.html", form=form), status


@bp.get("/phien-ban/<int:version_id>")
def version(version_id: int):
    """A questionnaire version previewed in Vietnamese and English; a draft is edited here."""
    return render_version(load_version(version_id))


def _act(version_id: int, action, done_message):
    version = load_version(version_id, edit=True)
    try:
        result = action(version)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_version(version, error.status)
    db.session.commit()
    flash(done_message, "success")
    # Deleting a draft returns nothing: back to the list.
    return redirect(url_for(".version", version_id=result.id) if result is not None
                    else url_for(".instruments"))


@bp.post("/phien-ban/<int:version_id>/sao-chep")
def version_copy(version_id: int):
    """Copy a version into a new draft, to change the form."""
    return _act(version_id, lambda v: create_draft(v, current_user),
                _("A new draft was made; edit it, then publish it."))


@bp.post("/phien-ban/<int:version_id>/cong-bo")
def version_publish(version_id: int):
    """Publish a draft; the version published before it is retired."""
    return _act(version_id, lambda v: publish_version(v, current_user),
                _("The version is published; the one before it is retired."))


@bp.post("/phien-ban/<int:version_id>/ngung")
def version_retire(version_id: int):
    """Retire a published version; its responses are kept."""
    return _act(version_id, lambda v: retire_version(v, current_user),
                _("The version is retired; its responses are kept."))


@bp.post("/phien-ban/<int:version_id>/xoa")
def version_delete(version_id: int):
    """Delete a draft version; back to the list of questionnaires."""
    return _act(version_id, lambda v: delete_draft(v), _("The draft was deleted."))
