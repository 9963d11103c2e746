"""The citizen side of PAKN: the web form (/phan-anh/, also reached from a desk's QR poster
and a survey's low-rating offer), the "sent" page with the tracking code, and the status page
(/tra-cuu/) by tracking code and the phone's last four digits.

No JavaScript. The form keeps everything the citizen typed on a validation error (files must
be chosen again: browsers do not keep them). A hidden random key per rendered form makes a
double click or a refresh create one case. The blank form is rendered once per unit-list
version (feedback.public_form_page). The session remembers only the sent case's id, never
its tracking code (the session cookie is signed, not encrypted); the sent page reads the
code from the database. The links the sender receives (sent page, messages) fill the code in
on the status page with ``?ma=`` (feedback.tracking.CODE_PARAM), so only the phone's last 4
digits are typed; the lookup itself is a POST, and each code allows few wrong lookups
(feedback.status.lookup_locked). CSRF is checked by the form itself (the blueprint is exempt
from the global check), so an expired token re-renders the form with the text instead of an
error page.
"""

from __future__ import annotations

import re
import secrets
import time

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from core.db import set_write_intent
from core.exceptions import ServiceError
from core.extensions import csrf, db, limiter
from core.models import Unit, UnitKind
from core.org import public_directory
from core.settings import get_setting
from feedback import attachments as files
from feedback.intake import FeedbackSubmission, phone_digits, prepare_feedback, store_feedback
from feedback.models import FeedbackCase, IntakeChannel, Kind, ReplyChannel, Topic
from feedback.public_form_page import (
    CSRF_PLACEHOLDER,
    KEY_PLACEHOLDER,
    form_pages,
    stamp,
    unit_list_version,
)
from feedback.public_forms import KIND_HINTS, PaknForm, StatusForm
from feedback.status import (
    citizen_deadlines,
    find_case_for_status,
    lookup_locked,
    note_failed_lookup,
    public_status,
)
from feedback.tracking import CODE_PARAM, format_tracking_code

bp = Blueprint("feedback_public", __name__)
csrf.exempt(bp)  # the forms check their own token (see the module docstring)

SENT_KEY = "pakn_sent"
# The sent page shows the code for this long after sending (a shared computer forgets it).
SENT_SECONDS = 3600
FORM_CHANNELS = (IntakeChannel.WEB.value, IntakeChannel.QR.value, IntakeChannel.SURVEY.value)
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,80}$")

@bp.before_request
def _read_before_locking() -> None:
    """Pages read first; the form's POST takes the SQLite write lock only once the text and
    the files have been checked (``_take_write_lock``); the status POST never writes."""
    set_write_intent(False)


def _take_write_lock() -> None:
    if db.engine.dialect.name != "sqlite":
        return
    sess = db.session()
    sess.expire_on_commit = False
    try:
        sess.commit()  # end the read transaction (it wrote nothing)
    finally:
        sess.expire_on_commit = True
    set_write_intent(True)


def _post_limit() -> str:
    return current_app.config.get("FEEDBACK_POST_LIMIT", "30 per minute")


def _status_limit() -> str:
    return current_app.config.get("FEEDBACK_STATUS_LIMIT", "10 per minute")


# --- The form -------------------------------------------------------------------------------

@bp.route("/phan-anh/", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def new():
    """The PAKN form: GET shows it (cached), POST checks and stores it."""
    if request.method == "GET":
        return _blank_form()
    form = PaknForm()
    # A POST that succeeds needs only the chosen unit as the select's one valid choice; the
    # whole directory is built only to show the form again.
    chosen = _unit(form.unit.data)
    form.unit.choices = [SelectChoice("", "")] + (
        [SelectChoice(chosen.code, chosen.name_vi)] if chosen is not None else [])
    desk = _desk(form.desk.data)
    valid = form.validate()
    valid = _check_extra(form, desk) and valid
    uploads, status = _read_uploads(form) if valid else ([], 400)
    if not valid or form.attachments.errors:
        _offer_all_units(form)
        return _form_page(form, files_posted=_files_posted()), status
    try:
        return _submit(form, desk, uploads)
    except ServiceError as error:
        db.session.rollback()
        target = getattr(form, error.field or "", None) if error.field else None
        if target is not None and hasattr(target, "errors") and error.field != "channel":
            target.errors = [*target.errors, error.message]
        else:
            form.form_errors.append(error.message)
        _offer_all_units(form)
        return _form_page(form, files_posted=_files_posted()), error.status


def _blank_form() -> str:
    retention = int(get_setting("pakn.retention_months"))
    if session.get("_flashes"):  # a message for this visitor only: not for the cache
        return stamp(_render_blank(retention))
    key = (_locale(), unit_list_version(), retention, request.full_path)
    return stamp(form_pages().get_or_render(key, lambda: _render_blank(retention)))


def _render_blank(retention_months: int) -> str:
    """The blank form with placeholders for the per-visitor CSRF token and key."""
    form = PaknForm()
    units = _offer_all_units(form)
    _prefill(form, {unit.code for unit, _label in units})
    if form.meta.csrf:
        form.csrf_token.current_token = CSRF_PLACEHOLDER
    form.idempotency_key.data = KEY_PLACEHOLDER
    return _form_page(form, retention_months=retention_months)


def _offer_all_units(form: PaknForm) -> list[tuple[Unit, str]]:
    units = _public_units()
    form.unit.choices = [SelectChoice("", _("— Choose the agency or unit —"))] + [
        SelectChoice(unit.code, label) for unit, label in units]
    return units


def _submit(form: PaknForm, desk: Unit | None, uploads: list[tuple[str, bytes]]):
    unit = _unit(form.unit.data)
    if desk is not None and unit is not None and not desk.is_within(unit):
        desk = None  # the citizen chose another unit than the poster's: the desk is not it
    contact = form.contact()
    prepared = prepare_feedback(FeedbackSubmission(
        content=form.content.data or "", kind=form.kind.data, title=form.title.data or "",
        topic=form.topic.data or Topic.OTHER.value, channel=_channel(form.channel.data),
        origin_unit=unit, desk=desk, procedure_name=form.procedure_name.data,
        procedure_code=form.procedure_code.data, dossier_code=form.dossier_code.data,
        location_text=form.location.data, sender_type=form.sender_type.data or "person",
        contact=contact, reply_channel=form.reply_channel.data or ReplyChannel.NONE.value,
        idempotency_key=_idempotency_key(form.idempotency_key.data)))
    _take_write_lock()  # only now: the checks above only read
    case, created = store_feedback(prepared)
    stored = []
    try:
        if created:
            for filename, content in uploads:
                stored.append(files.store_attachment(case, filename, content))
        db.session.commit()
    except BaseException:
        files.discard_files(stored)
        raise
    # The case's id, not its code: the session cookie is signed but readable.
    session[SENT_KEY] = {"case": case.id, "asked": form.kind.data, "at": int(time.time())}
    return redirect(url_for(".sent"), 303)


def _check_extra(form: PaknForm, desk: Unit | None) -> bool:
    """What the field validators cannot see: a unit (or the poster's desk), a phone or
    email fit for the chosen reply channel (the intake service checks the same, but here
    every problem shows at once), and consent when contact data is given. Adds the
    messages to the form; False when any."""
    ok = True
    if not form.unit.data and desk is None:
        form.unit.errors = [*form.unit.errors,
                            _("Choose the agency or unit the feedback is about.")]
        ok = False
    elif form.unit.data and _unit(form.unit.data) is None:
        form.unit.errors = [*form.unit.errors, _("Choose a unit from the list.")]
        ok = False
    digits = len(phone_digits(form.phone.data or ""))
    if (form.phone.data or "").strip() and not 9 <= digits <= 15:
        form.phone.errors = [*form.phone.errors, _("The phone number does not look right.")]
        ok = False
    elif form.reply_channel.data in (ReplyChannel.SMS.value, ReplyChannel.ZALO.value) \
            and digits < 9:
        form.phone.errors = [*form.phone.errors,
                             _("Give a phone number to be answered by SMS or Zalo.")]
        ok = False
    if form.reply_channel.data == ReplyChannel.EMAIL.value and not (form.email.data or ""):
        form.email.errors = [*form.email.errors,
                             _("Give an email address to be answered by email.")]
        ok = False
    if not form.contact().is_empty() and not form.consent.data:
        form.consent.errors = [*form.consent.errors, _(
            "Tick the box to agree to the use of your contact details, or leave them out.")]
        ok = False
    return ok


def _read_uploads(form: PaknForm) -> tuple[list[tuple[str, bytes]], int]:
    """The chosen files, each checked by content; errors go on the attachments field.
    Returns the files and the status to answer when there are errors (400 or 413)."""
    chosen = [f for f in request.files.getlist("attachments") if f and f.filename]
    status = 400
    try:
        files.validate_count(len(chosen))
    except ServiceError as error:
        form.attachments.errors = [error.message]
        return [], error.status
    uploads, errors = [], []
    for sent in chosen:
        content = sent.stream.read(files.max_bytes() + 1)
        try:
            files.validate_attachment(sent.filename, content)
        except ServiceError as error:
            errors.append(error.message)
            status = max(status, error.status)
            continue
        uploads.append((sent.filename, content))
    form.attachments.errors = errors
    return uploads, status


def _files_posted() -> bool:
    return any(f and f.filename for f in request.files.getlist("attachments"))


def _prefill(form: PaknForm, public_codes: set[str]) -> None:
    form.idempotency_key.data = secrets.token_urlsafe(24)
    form.channel.data = _channel(request.args.get("channel"))
    desk = _desk(request.args.get("desk"))
    if desk is not None:
        form.desk.data = desk.code
    code = request.args.get("unit", "")
    if code in public_codes:
        form.unit.data = code
    elif desk is not None:
        parent = next((u for u in _ancestors(desk) if u.code in public_codes), None)
        form.unit.data = parent.code if parent is not None else ""


def _form_page(form: PaknForm, files_posted: bool = False,
               retention_months: int | None = None) -> str:
    if retention_months is None:
        retention_months = int(get_setting("pakn.retention_months"))
    if not _KEY.match(form.idempotency_key.data or ""):
        form.idempotency_key.data = secrets.token_urlsafe(24)
    form.channel.data = _channel(form.channel.data)
    return render_template(
        "feedback/public/form.html", form=form, desk=_desk(form.desk.data),
        kind_hints=KIND_HINTS, files_posted=files_posted,
        retention_months=retention_months,
        max_files=files.max_files(), max_mb=f"{files.max_bytes() / 1024 / 1024:g}",
        problems=_problems(form))


def _problems(form: PaknForm) -> list[tuple[str, str]]:
    """(field id, message) for the summary at the top of a refused form."""
    found = [("", message) for message in form.form_errors]
    if form.meta.csrf and form.csrf_token.errors:
        found.append(("", _("The form expired. Check what you wrote and send it again.")))
    for field in form:
        if field.name != "csrf_token":
            found.extend((field.id, str(message)) for message in field.errors)
    return found


def _channel(value: str | None) -> str:
    return value if value in FORM_CHANNELS else IntakeChannel.WEB.value


def _idempotency_key(value: str | None) -> str | None:
    return f"web:{value}" if value and _KEY.match(value) else None


def _public_units() -> list[tuple[Unit, str]]:
    """Active provinces, agencies, communes and service centres in tree order, labelled
    with their depth under the top unit."""
    locale = _locale()
    found = []
    for root, units in public_directory():
        found.append((root, root.name(locale)))
        found.extend((unit, "\u2014 " * min(unit.depth - root.depth, 3) + unit.name(locale))
                     for unit in units)
    return found


def _unit(code: str | None) -> Unit | None:
    if not code:
        return None
    looked_up = g.setdefault("pakn_units_by_code", {})  # asked three times per POST
    if code not in looked_up:
        looked_up[code] = db.session.execute(
            select(Unit).where(Unit.code == code)).scalar_one_or_none()
    unit = looked_up[code]
    public = (UnitKind.PROVINCE.value, UnitKind.AGENCY.value, UnitKind.COMMUNE.value,
              UnitKind.SERVICE_CENTRE.value)
    if unit is None or not unit.active or unit.kind not in public:
        return None
    return unit


def _desk(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = db.session.execute(select(Unit).where(Unit.code == code[:40])).scalar_one_or_none()
    if unit is None or not unit.active or unit.kind != UnitKind.DESK.value:
        return None
    return unit


def _ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors, nearest first."""
    found, current = [], unit.parent
    while current is not None:
        found.append(current)
        current = current.parent
    return found


def _locale() -> str:
    return str(get_locale() or "vi")


# --- The "sent" page ------------------------------------------------------------------------

@bp.get("/phan-anh/da-gui")
def sent():
    """The tracking code and the dates of the case this browser sent lately."""
    remembered = session.get(SENT_KEY)
    remembered = remembered if isinstance(remembered, dict) else {}
    fresh = time.time() - int(remembered.get("at") or 0) < SENT_SECONDS
    case_id = remembered.get("case") if fresh else None
    case = db.session.get(FeedbackCase, case_id) if isinstance(case_id, int) else None
    if case is None:
        # Nothing sent from this browser lately (or cookies are refused): say so plainly
        # rather than show an empty form to someone looking for their code.
        session.pop(SENT_KEY, None)
        return render_template("feedback/public/sent.html", case=None, code=None)
    demoted = remembered.get("asked") in (Kind.REPORT.value, Kind.RECOMMENDATION.value) \
        and not case.is_formal
    return render_template(
        "feedback/public/sent.html", code=format_tracking_code(case.tracking_code),
        case=case, demoted=demoted, agency_name=case.agency.name(_locale()),
        deadlines=citizen_deadlines(case),
        status_link=url_for(".status", **{CODE_PARAM: format_tracking_code(
            case.tracking_code)}))


# --- The status page ------------------------------------------------------------------------

@bp.route("/tra-cuu/", methods=["GET", "POST"])
@limiter.limit(_status_limit, methods=["POST"])
def status():
    """Look a case up by tracking code (filled in by ``?ma=``) and the phone's 4 digits."""
    form = StatusForm()
    if request.method == "GET":
        form.code.data = (request.args.get(CODE_PARAM) or "")[:40]
        return render_template("feedback/public/status.html", form=form, status=None)
    if not form.validate():
        return render_template("feedback/public/status.html", form=form, status=None), 400
    if lookup_locked(form.code.data):
        return render_template("feedback/public/status.html", form=form, status=None,
                               locked=True), 429
    case = find_case_for_status(form.code.data, form.digits.data)
    if case is None:
        note_failed_lookup(form.code.data)
        return render_template("feedback/public/status.html", form=form, status=None,
                               not_found=True), 404
    return render_template("feedback/public/status.html", form=StatusForm(formdata=None),
                           status=public_status(case, _locale()),
                           code=format_tracking_code(case.tracking_code))
