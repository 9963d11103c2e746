"""Back office: collection points, their QR codes and printable posters (A5/A4)."""

from __future__ import annotations

from itertools import groupby

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from core.access import Permission, require, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.qr import qr_png, qr_svg
from core.views.admin import require_staff
from surveys import points as services
from surveys.instruments import DESK_FORM_CODE, get_version
from surveys.models import CollectionPoint, InstrumentVersion

bp = Blueprint("surveys_points", __name__, url_prefix="/quan-tri/diem-khao-sat")

QR_PRINT = Permission.QR_PRINT
POSTER_SIZES = ("a5", "a4")
# Printed in both languages whatever the screen language: Vietnamese first, English below.
POSTER_TEXT = {
    "scan": _l("Scan to rate our service"),
    "minute": _l("It takes less than a minute."),
    "type": _l("Or type this address:"),
    "hotline": _l("Hotline"),
    "private": _l("No personal information is asked. Your rating is anonymous."),
}


class PointForm(BaseForm):
    unit_id = SelectField(_l("Desk or unit"), coerce=int, validators=[InputRequired()])
    version_id = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])
    every_desk = BooleanField(_l("Instead, give every desk under this unit that has no point "
                                 "its own point"))
    # Asked only when the desk already collects: two posters at one desk split its ratings.
    also_active = BooleanField(_l("Yes, this desk gets another active point besides the one "
                                  "it has"))


class RotateForm(BaseForm):
    reason = StringField(_l("Reason (kept in the audit log)"),
                         validators=[InputRequired(), Length(max=500)])


bp.before_request(require_staff)


def _load(point_id: int) -> CollectionPoint:
    point = db.session.get(CollectionPoint, point_id) or abort(404)
    require(current_user, QR_PRINT, point.unit, object_type="collection_point",
            object_id=point.id)
    return point


def _size() -> str:
    size = request.args.get("size", "a4")
    return size if size in POSTER_SIZES else abort(400)


@bp.get("/")
def index():
    """Every collection point the user may print, with its public and kiosk addresses."""
    require(current_user, QR_PRINT, None)
    points = services.points_visible_to(current_user)
    groups = [(unit, list(rows)) for unit, rows in groupby(points, key=lambda p: p.unit)]
    live = [p for p in points if services.has_poster(p)]
    # One print job per unit above the desks: how many live posters each subtree holds.
    bulk = [(unit, count) for unit in visible_units(current_user, QR_PRINT)
            if unit.kind != UnitKind.DESK.value
            and (count := sum(p.unit.is_within(unit) for p in live))]
    return render_template("surveys/points.html", groups=groups, bulk=bulk,
                           public_url=services.public_url, kiosk_url=services.kiosk_url,
                           is_live=services.is_live)


def _form_choices(form: PointForm) -> None:
    units = [u for u in visible_units(current_user, QR_PRINT) if u.active]
    form.unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi) for u in units]
    # Shipped forms, and agency forms owned by a unit in (or above) the user's scope.
    owners = {i for u in units for i in u.ancestor_ids()}
    form.version_id.choices = [
        SelectChoice(v.id, f"{v.title_vi} (v{v.number})") for v in services.published_versions()
        if v.instrument.owner_unit_id is None or v.instrument.owner_unit_id in owners]


def _desk_form_id() -> int | None:
    version = get_version(DESK_FORM_CODE)
    return version.id if version else None


def _unconfirmed_second(form: PointForm, unit: Unit) -> list[CollectionPoint]:
    """The unit's live desk points when this would add another without the box ticked."""
    if form.every_desk.data or form.also_active.data:
        return []
    existing = services.live_desk_points(unit)
    if existing:
        form.also_active.errors = [_(
            "%(unit)s already has an active collection point (%(codes)s). Tick the box to add "
            "another one, or open the existing one to print its poster.",
            unit=unit.name_vi, codes=", ".join(p.public_code for p in existing))]
    return existing


@bp.route("/moi", methods=["GET", "POST"])
def new():
    """Create a collection point (or one for every desk without one), confirming a second."""
    require(current_user, QR_PRINT, None)
    form = PointForm()
    _form_choices(form)
    if request.method == "GET":
        form.unit_id.data = request.args.get("unit", type=int)
        form.version_id.data = _desk_form_id()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) or abort(404)
        require(current_user, QR_PRINT, unit)
        version = db.session.get(InstrumentVersion, form.version_id.data) or abort(404)
        existing = _unconfirmed_second(form, unit)
        if existing:
            return render_template("surveys/points_new.html", form=form,
                                   existing=existing), 409
        try:
            if form.every_desk.data:
                created = services.ensure_points_for_desks(unit, version, current_user)
            else:
                created = [services.create_point(unit, version, current_user)]
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "unit_id").errors.append(error.message)
            return render_template("surveys/points_new.html", form=form), error.status
        db.session.commit()
        flash(_("%(count)d collection point(s) created.", count=len(created)), "success")
        return redirect(url_for(".detail", point_id=created[0].id) if len(created) == 1
                        else url_for(".index"))
    return render_template("surveys/points_new.html", form=form), _status(form)


@bp.get("/<int:point_id>")
def detail(point_id: int):
    """One point: its addresses, QR code, posters, and code change."""
    return _render_detail(_load(point_id), RotateForm())


@bp.post("/<int:point_id>/doi-ma")
def rotate(point_id: int):
    """Give the point a new code; the old one tells citizens where to go."""
    point = _load(point_id)
    form = RotateForm()
    if not form.validate_on_submit():
        return _render_detail(point, form), 400
    return _apply(point, lambda: services.rotate_point(point, current_user, form.reason.data),
                  _("New code created. Print the new poster and take down the old one."))


@bp.post("/<int:point_id>/ngung")
def deactivate(point_id: int):
    """Stop collecting at this point."""
    point = _load(point_id)
    return _apply(point, lambda: services.deactivate_point(
        point, current_user, request.form.get("reason") or None),
        _("The collection point no longer accepts ratings."))


def _apply(point: CollectionPoint, change, message: str):
    try:
        result = change()
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_detail(point, RotateForm()), error.status
    db.session.commit()
    flash(message, "success")
    target = result.id if isinstance(result, CollectionPoint) else point.id
    return redirect(url_for(".detail", point_id=target))


def _render_detail(point: CollectionPoint, form: RotateForm) -> str:
    successor = db.session.get(CollectionPoint, point.replaced_by_id) if point.replaced_by_id \
        else None
    return render_template(
        "surveys/points_detail.html", point=point, form=form, url=services.public_url(point),
        kiosk=services.kiosk_url(point),
        live=services.is_live(point), version=db.session.get(InstrumentVersion, point.version_id),
        successor=successor)


def _image(body: bytes | str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:point_id>/qr.png")
def qr_png_image(point_id: int):
    """The QR code as PNG, to download."""
    return _image(qr_png(services.public_url(_load(point_id))), "image/png")


@bp.get("/<int:point_id>/qr.svg")
def qr_svg_image(point_id: int):
    """The QR code as SVG, to download or print."""
    return _image(qr_svg(services.public_url(_load(point_id))), "image/svg+xml")


def _poster_text() -> dict[str, dict[str, str]]:
    texts = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            texts[locale] = {key: str(text) for key, text in POSTER_TEXT.items()}
    return texts


def _render_posters(points: list[CollectionPoint], size: str, back: str, **links):
    return render_template("surveys/poster.html", posters=[services.poster_data(p)
                                                           for p in points],
                           size=size, text=_poster_text(), back=back, links=links)


@bp.get("/<int:point_id>/poster")
def poster(point_id: int):
    """The printable poster of one live point."""
    point, size = _load(point_id), _size()
    if not services.has_poster(point):
        flash(_("This point no longer accepts ratings: do not print its poster.")
              if not services.is_live(point) else
              _("An online point has no poster: citizens reach it from the rating page."),
              "error")
        return redirect(url_for(".detail", point_id=point.id))
    return _render_posters([point], size, url_for(".detail", point_id=point.id),
                           **{s: url_for(".poster", point_id=point.id, size=s)
                              for s in POSTER_SIZES})


@bp.get("/don-vi/<int:unit_id>/posters")
def unit_posters(unit_id: int):
    """Every live poster of a unit's subtree, to print at once."""
    unit, size = db.session.get(Unit, unit_id) or abort(404), _size()
    require(current_user, QR_PRINT, unit)
    return _render_posters(services.live_posters(unit), size,
                           url_for(".index"),
                           **{s: url_for(".unit_posters", unit_id=unit.id, size=s)
                              for s in POSTER_SIZES})


def _status(form: BaseForm) -> int:
    return 400 if form.is_submitted() and form.errors else 200
