"""The citizen page behind a dossier's receipt QR (/d/<token>): the desk form bound to that
dossier and desk, usable once.

Like /k/<code> it sets no cookie and carries no CSRF token (surveys.views.public explains why);
the token in the path is not personal data, but it is a bearer link, so these pages tell the
browser never to send it on as a referrer.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale

from core.exceptions import ServiceError
from core.extensions import db, limiter
from core.models import Unit, UnitKind
from surveys.instruments import DESK_FORM_CODE, get_version
from surveys.models import Dossier, InstrumentVersion
from surveys.responses import has_low_rating, quality_reasons
from surveys.survey_form import (
    SurveyForm,
    error_summary,
    form_layout,
    make_survey_form,
    start_token,
    version_text,
)
from surveys.tokens import (
    TokenAnswers,
    TokenRefused,
    redeem_rating_token,
    stored_token,
    token_for,
)
from surveys.views.public import (
    Gone,
    _contact,
    _pakn_args,
    _post_limit,
    single_use_link_blueprint,
)

bp = single_use_link_blueprint("surveys_rate")


@bp.errorhandler(TokenRefused)
def _refused(error: TokenRefused):
    return render_template("surveys/rated.html", status=error.status,
                           message=error.message), error.status


@bp.route("/d/<token>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def rate(token: str):
    """The citizen's rating form for the dossier behind a receipt QR, usable once."""
    dossier = token_for(token).dossier  # 404 / 409 / 410 before anything else
    version = _desk_version(dossier)
    posted = request.method == "POST"
    form = make_survey_form(version, str(get_locale() or "vi"))(
        formdata=request.form if posted else None)
    if posted and form.validate():
        stored = _store(token, form, dossier, version)
        if stored is not None:
            return stored
    return _page(form, dossier, version, token), 400 if posted else 200


@bp.get("/d/<token>/cam-on")
def thank_you(token: str):
    """Thanks after rating a dossier; after a low rating, an offer to send a PAKN."""
    rating = stored_token(token)
    if rating is None or rating.used_at is None or rating.dossier is None:
        abort(404)
    unit = _desk_or_unit(rating.dossier)
    agency = unit.parent if unit.kind == UnitKind.DESK and unit.parent else unit
    return render_template(
        "surveys/thank_you.html", point=None, agency=agency, kiosk=False,
        offer_pakn=request.args.get("pakn") == "1", pakn_args=_pakn_args(unit),
        contact=_contact(unit), refresh_seconds=0)


def _desk_version(dossier: Dossier) -> InstrumentVersion:
    version = get_version(DESK_FORM_CODE)
    if version is None:
        raise Gone("closed", dossier.unit)
    return version


def _desk_or_unit(dossier: Dossier) -> Unit:
    return dossier.desk or dossier.unit


def _store(token: str, form: SurveyForm, dossier: Dossier, version: InstrumentVersion):
    """Redeem and store: a 303 to the thank-you page, or None with the refusal on the form."""
    answers, texts, demographics = form.collect()
    try:
        redeem_rating_token(token, version, TokenAnswers(
            answers, texts, demographics,
            quality_reasons(form.honeypot_filled, form.fill_seconds)))
    except TokenRefused:
        db.session.rollback()
        raise
    except ServiceError as error:
        db.session.rollback()
        if error.status in (409, 410):
            raise Gone("closed", dossier.unit, error.status, error.message) from error
        form.form_errors.append(error.message)
        return None
    db.session.commit()
    low = {"pakn": 1} if has_low_rating(version, answers) else {}
    return redirect(url_for(".thank_you", token=token, **low), 303)


def _page(form: SurveyForm, dossier: Dossier, version: InstrumentVersion, token: str) -> str:
    locale = str(get_locale() or "vi")
    # Keep the first valid stamp through corrections, so fill time counts from the first view.
    started = form.started.data if getattr(form, "started_at", None) else start_token(version.id)
    fieldsets = form_layout(form, version, locale)
    title, intro = version_text(version, locale)
    return render_template(
        "surveys/dossier_rate.html", form=form, unit=_desk_or_unit(dossier),
        procedure=dossier.procedure_name, started=started, title=title, intro=intro,
        fieldsets=fieldsets, problems=error_summary(form, fieldsets),
        action=url_for(".rate", token=token))
