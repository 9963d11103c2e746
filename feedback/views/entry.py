"""Back office: an officer types in a PAKN that came by hotline, letter, suggestion box,
meeting, email or portal ("nhập PAKN").

Permission FEEDBACK_INTAKE on the chosen unit (PAKN officers, desk staff). The channel is
recorded, and the moment it was received (which may be earlier than now, never later). The
form carries a random submission id, so a double click or a refresh after saving makes one
case. Attachments go through feedback.attachments; a refused file keeps everything typed.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from core.access import Permission, require, visible_units
from core.clock import LOCAL_TZ, local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.views.admin import require_staff
from feedback import attachments as files
from feedback.intake import MAX_CONTENT, Contact, FeedbackSubmission, submit_feedback
from feedback.labels import TOPIC_LABELS
from feedback.models import IntakeChannel, Kind, ReplyChannel, Topic
from feedback.tracking import format_tracking_code

bp = Blueprint("feedback_entry", __name__, url_prefix="/quan-tri/pakn/nhap")

INTAKE = Permission.FEEDBACK_INTAKE

CHANNEL_LABELS = {
    IntakeChannel.HOTLINE: _l("Hotline call"),
    IntakeChannel.LETTER: _l("Letter"),
    IntakeChannel.BOX: _l("Suggestion box slip"),
    IntakeChannel.MEETING: _l("Meeting or dialogue with citizens"),
    IntakeChannel.EMAIL: _l("Email (typed in)"),
    IntakeChannel.PORTAL: _l("Public-service portal"),
}
KIND_LABELS = {
    Kind.REPORT: _l("Report (phản ánh): a problem with a rule or how it was applied"),
    Kind.RECOMMENDATION: _l("Recommendation (kiến nghị): a proposed fix or new rule"),
    Kind.SUGGESTION: _l("Suggestion (góp ý): no identity needed, no legal deadline"),
}
REPLY_LABELS = {
    ReplyChannel.NONE: _l("No reply wanted / not said"),
    ReplyChannel.POST: _l("By post"),
    ReplyChannel.EMAIL: _l("By email"),
    ReplyChannel.SMS: _l("By SMS"),
    ReplyChannel.ZALO: _l("By Zalo"),
}
SENDER_LABELS = {"person": _l("A person"), "organisation": _l("An organisation")}
# A minute of slack: the form's time has no seconds.
FUTURE_SLACK = timedelta(minutes=1)


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class EntryForm(BaseForm):
    submission_id = HiddenField(validators=[InputRequired(),
                                            Regexp(r"^[A-Za-z0-9_-]{16,40}$")])
    channel = SelectField(_l("Channel"), validators=[InputRequired()],
                          choices=_choices(CHANNEL_LABELS))
    received_date = DateField(_l("Received on"), validators=[InputRequired()])
    received_time = TimeField(_l("At (time)"), validators=[InputRequired()])
    # Not checked against the list: a unit out of scope gets the logged 404 of ``require``.
    unit_id = SelectField(_l("Unit or desk it is about"), coerce=int, validate_choice=False,
                          validators=[InputRequired()])
    kind = RadioField(_l("Kind"), default=Kind.REPORT.value, validators=[InputRequired()],
                      choices=_choices(KIND_LABELS))
    topic = SelectField(_l("Topic"), default=Topic.OTHER.value, validators=[InputRequired()],
                        choices=_choices(TOPIC_LABELS))
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=300)])
    content = TextAreaField(_l("Content"), validators=[InputRequired(
        message=_l("Write what the citizen reports or recommends.")),
        Length(max=MAX_CONTENT)], render_kw={"rows": 8})
    procedure_code = StringField(_l("Procedure code (optional)"),
                                 validators=[Optional(), Length(max=64)])
    procedure_name = StringField(_l("Procedure name (optional)"),
                                 validators=[Optional(), Length(max=500)])
    dossier_code = StringField(_l("Dossier code (optional)"),
                               validators=[Optional(), Length(max=64)])
    location_text = StringField(_l("Place it is about (optional)"),
                                validators=[Optional(), Length(max=300)])
    sender_type = RadioField(_l("Sent by"), default="person",
                             choices=_choices(SENDER_LABELS))
    name = StringField(_l("Sender's full name"), validators=[Optional(), Length(max=300)])
    address = StringField(_l("Sender's address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Sender's phone"), validators=[Optional(), Length(max=30)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    email = StringField(_l("Sender's email"), validators=[Optional(), Length(max=300),
                                                          Email()],
                        render_kw={"inputmode": "email", "autocomplete": "off"})
    reply_channel = SelectField(_l("Reply wanted"), default=ReplyChannel.NONE.value,
                                choices=_choices(REPLY_LABELS))
    attachments = MultipleFileField(_l("Attachments (photos or PDF, optional)"),
                                    render_kw={"accept": files.ACCEPT})


bp.before_request(require_staff)


def _unit_choices(form: EntryForm) -> None:
    units = [u for u in visible_units(current_user, INTAKE) if u.active]
    form.unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi) for u in units]


def _received_at(form: EntryForm) -> datetime | None:
    moment = datetime.combine(form.received_date.data, form.received_time.data,
                              tzinfo=LOCAL_TZ)
    if moment > now() + FUTURE_SLACK:
        form.received_time.errors = [_("The time received cannot be in the future.")]
        return None
    return moment


def _uploads(form: EntryForm) -> list[tuple[str, bytes]]:
    sent = [f for f in (form.attachments.data or []) if f and f.filename]
    files.validate_count(len(sent))
    return [(f.filename, f.stream.read(files.max_bytes() + 1)) for f in sent]


def _submission(form: EntryForm, unit: Unit, received_at: datetime) -> FeedbackSubmission:
    desk = unit if unit.kind == UnitKind.DESK.value else None
    return FeedbackSubmission(
        content=form.content.data or "", kind=form.kind.data, topic=form.topic.data,
        channel=form.channel.data, title=form.title.data or "",
        origin_unit=None if desk else unit, desk=desk,
        procedure_code=form.procedure_code.data, procedure_name=form.procedure_name.data,
        dossier_code=form.dossier_code.data, location_text=form.location_text.data,
        sender_type=form.sender_type.data or "person",
        contact=Contact(name=form.name.data or "", address=form.address.data or "",
                        phone=form.phone.data or "", email=form.email.data or ""),
        reply_channel=form.reply_channel.data, received_at=received_at,
        idempotency_key=f"entry:{current_user.id}:{form.submission_id.data}",
        created_by=current_user._get_current_object())


def _save(form: EntryForm, unit: Unit, received_at: datetime):
    """Create the case and its attachments; on a refusal roll back and mark the field."""
    stored = []
    try:
        uploads = _uploads(form)
        case, created = submit_feedback(_submission(form, unit, received_at))
        if created:
            stored = [files.store_attachment(case, name, content, role="sender")
                      for name, content in uploads]
    except ServiceError as error:
        db.session.rollback()
        files.discard_files(stored)
        target = getattr(form, error.field or "", None) or form.content
        target.errors = [*target.errors, error.message]
        return None, error.status
    db.session.commit()
    return case, 201 if created else 200


@bp.route("/", methods=["GET", "POST"])
def new():
    """Type in a PAKN received by hotline, letter, suggestion box, meeting, email or portal."""
    require(current_user, INTAKE, None)
    form = EntryForm()
    _unit_choices(form)
    if not form.is_submitted():
        moment = local(now())
        form.submission_id.data = secrets.token_urlsafe(18)
        form.received_date.data, form.received_time.data = moment.date(), moment.time()
        form.unit_id.data = form.unit_id.choices[0].value if form.unit_id.choices else None
        return _page(form), 200
    if not form.validate_on_submit():
        return _page(form), 400
    unit = db.session.get(Unit, form.unit_id.data) or abort(404)
    require(current_user, INTAKE, unit)
    received_at = _received_at(form)
    if received_at is None:
        return _page(form), 400
    case, status = _save(form, unit, received_at)
    if case is None:
        return _page(form), status
    code = format_tracking_code(case.tracking_code)
    if "feedback_case.show" in current_app.view_functions:
        flash(_("Saved with tracking code %(code)s.", code=code), "success")
        return redirect(url_for("feedback_case.show", case_id=case.id), 303)
    flash(_("Saved with tracking code %(code)s. Enter the next one.", code=code), "success")
    return redirect(url_for(".new"), 303)


def _page(form: EntryForm) -> str:
    # Show a fresh id again only after a save; a refused form keeps its id (same case).
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,40}", form.submission_id.data or ""):
        form.submission_id.data = secrets.token_urlsafe(18)
    return render_template("feedback/entry/new.html", form=form,
                           max_files=files.max_files(),
                           max_mb=f"{files.max_bytes() / 1024 / 1024:g}")
