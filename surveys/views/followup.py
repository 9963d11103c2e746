"""The citizen page behind the rating link sent with a PAKN answer (/p/<token>): the three
SIPAS II.E items and "has your problem been solved?", usable once (surveys.followups).

Like /d/<token> it sets no cookie and carries no CSRF token (surveys.views.public explains
why) and tells the browser never to pass the bearer link on as a referrer.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, Optional

from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db, limiter
from core.followups import FollowupStatus
from core.models import Unit
from surveys.followups import (
    NOT_RESOLVED,
    RESOLVED_ITEM,
    FollowupAnswers,
    followup_status,
    followup_token_for,
    followup_version,
    redeem_followup,
)
from surveys.models import InstrumentVersion, RatingToken
from surveys.responses import quality_reasons
from surveys.survey_form import (
    Problem,
    SingleTextArea,
    SurveyForm,
    _readable,
    error_summary,
    form_layout,
    make_survey_form,
    start_token,
    version_text,
)
from surveys.tokens import TokenRefused, hash_random, random_part_of
from surveys.views.public import Gone, _post_limit, single_use_link_blueprint

bp = single_use_link_blueprint("surveys_followup")
MAX_REASON = 1000
# What the thank-you page says (the outcome travels in the query string: nothing personal).
OUTCOMES = ("reopened", "not_reopened", "solved")


@bp.errorhandler(TokenRefused)
def _refused(error: TokenRefused):
    return render_template("surveys/followup_refused.html", status=error.status,
                           message=error.message), error.status


class FollowupForm(SurveyForm):
    """The questionnaire's fields plus the reason, which goes to the case, not the response."""

    reason = SingleTextArea(
        _l("Why is it not solved? (needed if you answer \u201cChưa\u201d)"),
        validators=[Optional(), _readable, Length(max=MAX_REASON, message=_l(
            "Keep this answer to %(max)d characters or fewer."))],
        render_kw={"maxlength": MAX_REASON, "rows": 4})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        field = self[_resolved_name(self)]
        if field.data == NOT_RESOLVED and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, _l(
                "Please tell us what is still not solved.")]
            valid = False
        return valid


def _resolved_name(form: SurveyForm) -> str:
    return next(name for name, code in form.names.items() if code == RESOLVED_ITEM)


def _form_class(version: InstrumentVersion, locale: str) -> type[FollowupForm]:
    base = make_survey_form(version, locale)
    return type(f"Followup{base.__name__}", (FollowupForm, base), {})


@bp.route("/p/<token>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def rate(token: str):
    """The PAKN sender's rating of how their case was handled, usable once."""
    rating = followup_token_for(token)  # 404 / 409 / 410 before anything else
    status = followup_status(rating)
    unit = rating.unit
    version = followup_version()
    if version is None:
        raise Gone("closed", unit)
    locale = str(get_locale() or "vi")
    posted = request.method == "POST"
    form = _form_class(version, locale)(formdata=request.form if posted else None)
    if posted and form.validate():
        stored = _store(token, form, version, unit)
        if stored is not None:
            return stored
    return _page(form, version, token, unit, status), 400 if posted else 200


@bp.get("/p/<token>/cam-on")
def thank_you(token: str):
    """Thanks after the rating, saying whether the case was reopened."""
    random_part = random_part_of(token)
    rating = None if random_part is None else db.session.scalar(
        db.select(RatingToken).where(RatingToken.secret_hash == hash_random(random_part)))
    if rating is None or rating.used_at is None or rating.subject is None:
        abort(404)
    outcome = request.args.get("kq", "solved")
    if outcome not in OUTCOMES:
        abort(404)
    return render_template("surveys/followup_thanks.html", outcome=outcome,
                           status=followup_status(rating), unit=rating.unit)


def _store(token: str, form: FollowupForm, version: InstrumentVersion, unit: Unit | None):
    """Redeem and store: a 303 to the thank-you page, or None with the refusal on the form."""
    answers, _texts, _demographics = form.collect()
    not_solved = answers.get(RESOLVED_ITEM) == NOT_RESOLVED
    try:
        _response, status = redeem_followup(token, version, FollowupAnswers(
            answers, (form.reason.data or "").strip() if not_solved else None,
            quality_reasons(form.honeypot_filled, form.fill_seconds)))
    except TokenRefused:
        db.session.rollback()
        raise
    except ServiceError as error:
        db.session.rollback()
        if error.status in (409, 410):
            raise Gone("closed", unit, error.status, error.message) from error
        form.form_errors.append(error.message)
        return None
    db.session.commit()
    outcome = "solved" if not not_solved else (
        "reopened" if status.reopened else "not_reopened")
    return redirect(url_for(".thank_you", token=token, kq=outcome), 303)


def _page(form: FollowupForm, version: InstrumentVersion, token: str, unit: Unit | None,
          status: FollowupStatus) -> str:
    locale = str(get_locale() or "vi")
    started = form.started.data if getattr(form, "started_at", None) else start_token(version.id)
    fieldsets = form_layout(form, version, locale)
    title, intro = version_text(version, locale)
    problems = error_summary(form, fieldsets)
    problems.extend(Problem(form.reason.id, form.reason.label.text, str(message))
                    for message in form.reason.errors)
    return render_template(
        "surveys/followup_rate.html", form=form, unit=unit, status=status, started=started,
        title=title, intro=intro, fieldsets=fieldsets,
        problems=problems, now=now(),
        action=url_for(".rate", token=token))
