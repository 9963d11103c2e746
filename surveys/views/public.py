"""The citizen survey page behind every desk's QR code (/k/<code>), its thank-you page and the
kiosk mode for a tablet at the desk.

Citizen pages set no session or CSRF cookie, and a kiosk keeps nothing between citizens. The
only cookies are the language choice (when the visitor taps the switch) and, on a citizen's
own phone after a rating, the per-device mark of surveys.device_marks (point ids and times).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.orm import Session, selectinload

from core.db import set_write_intent
from core.exceptions import ServiceError
from core.extensions import csrf, db, limiter
from core.models import Unit, UnitKind
from surveys.blank_pages import STARTED_PLACEHOLDER, blank_pages
from surveys.device_marks import device_reasons, remember_rating
from surveys.models import Channel, CollectionPoint, InstrumentVersion, Section
from surveys.online import procedure_named
from surveys.points import ONLINE, point_and_version, point_by_code
from surveys.responses import (
    SubmittedResponse,
    check_open,
    collecting_version,
    has_low_rating,
    quality_reasons,
    submit_response,
)
from surveys.survey_form import (
    SurveyForm,
    error_summary,
    form_layout,
    make_survey_form,
    start_token,
    version_text,
)

bp = Blueprint("surveys_public", __name__)
# Flask-WTF's CSRF token lives in the session cookie, which citizen pages must not set. The
# survey form is anonymous (nothing to forge on someone's behalf); replays are handled by the
# signed start token, the per-IP limit and the quality flags (honeypot, too fast, burst).
csrf.exempt(bp)

@bp.before_request
def _read_before_locking() -> None:
    """Survey POSTs read the questionnaire and check the answers before they write anything;
    on SQLite they take the write lock only for the insert (``_take_write_lock``), so many
    phones' submissions are checked in parallel instead of queueing behind one lock."""
    set_write_intent(False)


def _take_write_lock() -> None:
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL locks rows, not the database: one transaction is enough
    session = db.session()
    session.expire_on_commit = False  # keep the loaded questionnaire: nothing changed
    try:
        session.commit()  # end the read transaction (it wrote nothing)
    finally:
        session.expire_on_commit = True
    set_write_intent(True)  # the next statement begins with BEGIN IMMEDIATE


# Kiosk (static/js/kiosk.js): after this long with no touch or key the tablet asks "Tiếp
# tục?", and without an answer empties the form after the second delay, so nothing one
# citizen typed is shown to the next. Without JavaScript nothing is reset on a timer: the
# thank-you page, which returns to the empty form by itself, is the reset.
KIOSK_IDLE_SECONDS = 90
KIOSK_PROMPT_SECONDS = 15
KIOSK_THANKS_SECONDS = 15


class Gone(Exception):
    """A code, desk or questionnaire that no longer takes ratings: a friendly 410 page."""

    def __init__(self, reason: str, unit: Unit | None, status: int = 410, message: str = ""):
        super().__init__(reason)
        self.reason, self.unit, self.status, self.message = reason, unit, status, message


@dataclass
class Contact:
    hotline: str | None
    email: str | None


def _post_limit() -> str:
    return current_app.config.get("SURVEY_POST_LIMIT", "30 per minute")


@bp.route("/k/<code>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def survey(code: str):
    """The survey page behind a desk's QR code (or a unit's online point)."""
    return _survey_page(code, kiosk=False)


@bp.route("/k/<code>/kiosk", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def kiosk(code: str):
    """The same form on a tablet at the desk: no cookie, reset after inactivity."""
    return _survey_page(code, kiosk=True)


@bp.get("/k/<code>/cam-on")
def thank_you(code: str):
    """Thanks, with the PAKN offer after a low rating and the next steps."""
    return _thank_you_page(code, kiosk=False)


@bp.get("/k/<code>/kiosk/cam-on")
def kiosk_thank_you(code: str):
    """The kiosk's thanks, which returns to the empty form by itself."""
    return _thank_you_page(code, kiosk=True)


@bp.errorhandler(Gone)
def _gone(error: Gone):
    return render_template("surveys/gone.html", reason=error.reason, unit=error.unit,
                           status=error.status, message=error.message,
                           contact=_contact(error.unit)), error.status


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def single_use_link_blueprint(name: str) -> Blueprint:
    """A blueprint for pages opened by a single-use link (/d/<token>, /p/<token>): CSRF-exempt
    like the survey form (anonymous, no session cookie), the friendly Gone page, and no Referer
    sent onwards, since the token is in the URL."""
    blueprint = Blueprint(name, __name__)
    csrf.exempt(blueprint)
    blueprint.errorhandler(Gone)(_gone)
    blueprint.after_request(_no_referrer)
    return blueprint


def _survey_page(code: str, kiosk: bool):
    point, version = _open_point(code)
    locale = str(get_locale() or "vi")
    posted = request.method == "POST"
    if not posted:
        # The blank form is the same for every citizen but its start stamp: render it once per
        # process and questionnaire, then stamp it (survey GETs are most of the traffic).
        page = blank_pages().get_or_render(
            (point.id, version.id, point.unit.updated_at, locale, kiosk, request.full_path),
            lambda: _render_survey(point, _with_items(version), locale, kiosk, None,
                                   STARTED_PLACEHOLDER))
        return page.replace(STARTED_PLACEHOLDER, start_token(version.id))
    version = _with_items(version)
    form = make_survey_form(version, locale)(formdata=request.form)
    if form.validate():
        stored = _store(form, point, version, kiosk)
        if stored is not None:
            return stored
    # Keep the first valid stamp through corrections, so fill time counts from the first view.
    started = form.started.data if getattr(form, "started_at", None) else start_token(version.id)
    return _render_survey(point, version, locale, kiosk, form, started), 400


def _render_survey(point: CollectionPoint, version: InstrumentVersion, locale: str, kiosk: bool,
                   form: SurveyForm | None, started: str) -> str:
    form = form or make_survey_form(version, locale)(formdata=None)
    fieldsets = form_layout(form, version, locale)
    title, intro = version_text(version, locale)
    return render_template(
        "surveys/survey.html", form=form, point=point, kiosk=kiosk, started=started,
        title=title, intro=intro, fieldsets=fieldsets, problems=error_summary(form, fieldsets),
        idle_seconds=KIOSK_IDLE_SECONDS, prompt_seconds=KIOSK_PROMPT_SECONDS,
        online=point.channel == ONLINE and not kiosk,
    )


def _store(form: SurveyForm, point: CollectionPoint, version: InstrumentVersion, kiosk: bool):
    """Submit a valid form: a 303 to the thank-you page, or None with the refusal added to
    the form's messages (a 409/410 refusal becomes the friendly gone page)."""
    answers, texts, demographics = form.collect()
    reasons = quality_reasons(form.honeypot_filled, form.fill_seconds)
    if not kiosk:
        reasons += device_reasons(request, point.id)
    channel = _channel(point, kiosk)
    procedure = procedure_named(point.unit, form.procedure.data) \
        if channel == Channel.ONLINE else None
    _take_write_lock()
    try:
        submit_response(SubmittedResponse(
            version=version, unit=point.unit, point=point, channel=channel.value,
            answers=answers, texts=texts, demographics=demographics,
            quality_reasons=reasons, procedure_name=procedure))
    except ServiceError as error:
        db.session.rollback()
        if error.status in (409, 410):
            raise Gone("closed", point.unit, error.status, error.message) from error
        form.form_errors.append(error.message)
        return None
    # Read before the commit, which expires what was loaded: reading it after would reload the
    # point (on SQLite inside a new write transaction) only to build the redirect.
    low = {"pakn": 1} if has_low_rating(version, answers) else {}
    point_id, public_code = point.id, point.public_code
    db.session.commit()
    endpoint = ".kiosk_thank_you" if kiosk else ".thank_you"
    answer = redirect(url_for(endpoint, code=public_code, **low), 303)
    if not kiosk:
        remember_rating(request, answer, point_id)
    return answer


def _channel(point: CollectionPoint, kiosk: bool) -> Channel:
    if kiosk:
        return Channel.KIOSK
    return Channel.ONLINE if point.channel == ONLINE else Channel.DESK_QR


def _thank_you_page(code: str, kiosk: bool):
    point = point_by_code(code)
    if point is None:
        abort(404)
    unit = point.unit
    offer_pakn = request.args.get("pakn") == "1"
    agency = unit.parent if unit.kind == UnitKind.DESK and unit.parent else unit
    return render_template(
        "surveys/thank_you.html", point=point, agency=agency, kiosk=kiosk, offer_pakn=offer_pakn,
        pakn_args=_pakn_args(unit), contact=_contact(unit), refresh_seconds=KIOSK_THANKS_SECONDS,
    )


def _open_point(code: str) -> tuple[CollectionPoint, InstrumentVersion]:
    """The point and its questionnaire, or 404 (unknown code) / 410 (replaced or closed)."""
    found = point_and_version(code)
    if found is None:
        abort(404)
    point, version = found
    if point.retired_at is not None or point.replaced_by_id is not None:
        raise Gone("replaced", point.unit)
    version = collecting_version(version)
    try:
        check_open(version, point.unit, point)
    except ServiceError as error:
        raise Gone("closed", point.unit, error.status, error.message) from error
    return point, version


def _with_items(version: InstrumentVersion) -> InstrumentVersion:
    """The questionnaire with its sections and items, loaded once per app and kept detached:
    a published version never changes (its status is still read fresh by ``_open_point``)."""
    cache = current_app.extensions.setdefault("survey_versions", {})
    loaded = cache.get(version.id)
    if loaded is None:
        with Session(db.engine) as own:
            loaded = own.get(InstrumentVersion, version.id, options=[
                selectinload(InstrumentVersion.items),
                selectinload(InstrumentVersion.sections).selectinload(Section.items)])
            assert loaded is not None
        if len(cache) > 64:  # a handful of questionnaires in practice; stay bounded anyway
            cache.clear()
        cache[version.id] = loaded
    return loaded


def _pakn_args(unit: Unit) -> dict[str, str]:
    """?unit=…&desk=… for the PAKN form: codes only, no identity of the citizen."""
    if unit.kind == UnitKind.DESK and unit.parent is not None:
        return {"unit": unit.parent.code, "desk": unit.code}
    return {"unit": unit.code}


def _contact(unit: Unit | None) -> Contact:
    """The nearest hotline and email up the tree (a desk rarely has its own)."""
    hotline = email = None
    while unit is not None and not (hotline and email):
        hotline, email = hotline or unit.hotline, email or unit.email
        unit = unit.parent
    return Contact(hotline, email)
