"""The citizen questionnaire as a WTForms form class, built at runtime from a stored version:
one field per item, validated on the server, with a signed start time and a honeypot.

No CSRF token (it needs a session cookie and citizen pages set none): the form is anonymous,
and replay is handled by the signed start token plus the quality flags (surveys.responses).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, TimestampSigner
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.clock import now
from core.forms import BaseForm
from surveys.instrument_rules import offers_not_applicable
from surveys.models import AnswerType, InstrumentVersion, Item, Section, VersionStatus
from surveys.responses import RATED_TYPES, SCALE_SIZES, allowed_values, text_limit

STARTED = "started"
HONEYPOT = "website"  # a name bots like to fill; hidden from people by citizen.css
_START_SALT = "surveys.form-started"
_ONE_ANSWER = _l("Give one answer only.")
_NOT_A_CHOICE = _l("Choose one of the answers shown.")
_UNREADABLE = "\ufffd"  # what invalid UTF-8 in a form body decodes to

# Labels for items stored without their own choice list (shipped forms carry their own).
DEFAULT_LABELS = {
    AnswerType.SCALE5: (_l("Very dissatisfied"), _l("Dissatisfied"), _l("Neutral"),
                        _l("Satisfied"), _l("Very satisfied")),
    AnswerType.SCALE3: (_l("Not satisfied"), _l("Satisfied"), _l("Very satisfied")),
    AnswerType.YESNO: (_l("Yes"), _l("No")),
}


class _Signer(TimestampSigner):
    def __init__(self, issued_at: float | None = None):
        super().__init__(current_app.config["SECRET_KEY"], salt=_START_SALT)
        self._issued_at = issued_at

    def get_timestamp(self) -> int:
        return int(self._issued_at if self._issued_at is not None else time.time())


def start_token(version_id: int, issued_at: float | None = None) -> str:
    """A signed "this form was handed out at …" stamp, to measure fill time without cookies
    or JavaScript. ``issued_at`` (a Unix time) is for tests and benchmarks."""
    return _Signer(issued_at).sign(str(version_id)).decode()


def read_start_token(token: str, version_id: int) -> datetime:
    """When the form was handed out; BadSignature if forged, for another questionnaire, or
    older than SURVEY_FORM_MAX_AGE seconds (default a day)."""
    max_age = current_app.config.get("SURVEY_FORM_MAX_AGE", 24 * 3600)
    value, issued = _Signer().unsign(token, max_age=max_age, return_timestamp=True)
    if value.decode() != str(version_id):
        raise BadSignature("token for another questionnaire")
    return issued.astimezone(UTC)


class ChoiceField(RadioField):
    """One answer from a list; an unanswered optional item is simply left out."""

    def process_formdata(self, valuelist):
        if len(valuelist) > 1:
            raise ValueError(_ONE_ANSWER)
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.data is None and not self.raw_data:
            return
        super().pre_validate(form)


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        if len(set(valuelist)) != len(valuelist):
            raise ValueError(_ONE_ANSWER)
        super().process_formdata(valuelist)


class SingleTextArea(TextAreaField):
    def process_formdata(self, valuelist):
        if len(valuelist) > 1:
            raise ValueError(_ONE_ANSWER)
        super().process_formdata(valuelist)


def _readable(_form, field) -> None:
    if isinstance(field.data, str) and _UNREADABLE in field.data:
        raise ValidationError(_l("Some characters could not be read. Please type them again."))


class SurveyForm(BaseForm):
    """Base of the generated classes; ``make_survey_form`` adds one field per item."""

    class Meta:
        csrf = False  # see the module docstring

    started = HiddenField()
    website = StringField(_l("Leave this field empty"))
    # Shown on a unit's online point only (surveys.online): no QR code says what was rated.
    procedure = StringField(
        _l("The procedure you came for, or your dossier code (optional)"),
        validators=[Optional(), Length(max=255, message=_l(
            "Keep this answer to %(max)d characters or fewer.")), _readable])

    version_id: int = 0
    names: dict[str, str] = {}  # field name → item code
    # item code → (answer type, demographic): plain values, as the class outlives the session.
    kinds: dict[str, tuple[str, bool]] = {}

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        self._posted = self.meta.wrap_formdata(self, formdata)
        super().process(self._posted, obj, data=data, extra_filters=extra_filters, **kwargs)

    def validate_started(self, field) -> None:
        try:
            self.started_at: datetime | None = read_start_token(field.data or "",
                                                                self.version_id)
        except BadSignature:
            self.started_at = None
            raise ValidationError(_l("This form was changed or is too old. Please check your "
                                     "answers and send them again.")) from None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        unknown = sorted(set(self._posted or ()) - set(self._fields))
        if unknown:
            self.form_errors.append(_(
                "The form contains answers to questions that are not on it: %(names)s. "
                "Please reload the form.", names=", ".join(unknown)[:200]))
            valid = False
        return valid

    @property
    def fill_seconds(self) -> float | None:
        started = getattr(self, "started_at", None)
        return None if started is None else (now() - started).total_seconds()

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.website.data)

    def collect(self) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
        """(answers, texts, demographics) as ``SubmittedResponse`` takes them."""
        answers: dict[str, Any] = {}
        texts: dict[str, str] = {}
        demographics: dict[str, Any] = {}
        for name, code in self.names.items():
            (answer_type, demographic), value = self.kinds[code], self[name].data
            if value is None or value == "" or value == []:
                continue
            if demographic:
                demographics[code] = value
            elif answer_type == AnswerType.TEXT:
                texts[code] = value
            else:
                answers[code] = sorted(value) if isinstance(value, list) else value
        return answers, texts, demographics


def choice_labels(item: Item, locale: str) -> list[tuple[int, str]]:
    if item.choices:
        return [(int(c["value"]), (c.get("en") if locale == "en" else None) or c.get("vi")
                 or str(c["value"])) for c in item.choices]
    defaults = DEFAULT_LABELS.get(AnswerType(item.answer_type))
    values = allowed_values(item)
    if defaults and len(defaults) == len(values):
        return [(value, str(label)) for value, label in zip(values, defaults, strict=True)]
    return [(value, str(value)) for value in values]


def item_text(item: Item | Section, locale: str) -> str:
    if isinstance(item, Section):
        return (item.title_en if locale == "en" else None) or item.title_vi
    return (item.text_en if locale == "en" else None) or item.text_vi


def _field_for(item: Item, locale: str):
    label = item_text(item, locale)
    answer_type = AnswerType(item.answer_type)
    if answer_type == AnswerType.TEXT:
        limit = text_limit(item)
        required = DataRequired(message=_l("Please fill in this answer.")) if item.required \
            else Optional()
        return SingleTextArea(label, validators=[required, _readable, Length(
            max=limit, message=_l("Keep this answer to %(max)d characters or fewer."))],
            render_kw={"maxlength": limit, "rows": 3})
    required = InputRequired(message=_l("Please answer this question.")) if item.required \
        else Optional()
    field_class = CheckboxListField if answer_type == AnswerType.MULTI else ChoiceField
    choices = [SelectChoice(value, text) for value, text in choice_labels(item, locale)]
    return field_class(label, validators=[required], choices=choices,
                       coerce=int, invalid_value_message=_NOT_A_CHOICE,
                       invalid_choice_message=_NOT_A_CHOICE)


def _field_name(code: str) -> str:
    # An item code that clashes with a form attribute (data, errors, meta…) gets a prefix.
    return f"item_{code}" if code.startswith("_") or hasattr(SurveyForm, code) else code


def make_survey_form(version: InstrumentVersion, locale: str) -> type[SurveyForm]:
    """The form class for this version and language. Published versions never change, so
    their classes are kept per app (each test app starts empty)."""
    cache = current_app.extensions.setdefault("surveys.form_classes", {})
    key = (version.id, locale)
    if version.status == VersionStatus.PUBLISHED and key in cache:
        return cache[key]
    attrs: dict[str, Any] = {
        "version_id": version.id,
        "names": {_field_name(item.code): item.code for item in version.items},
        "kinds": {item.code: (item.answer_type, item.demographic) for item in version.items},
    }
    with force_locale(locale):  # default choice labels are built once, in this language
        attrs.update({_field_name(item.code): _field_for(item, locale)
                      for item in version.items})
    form_class = type(f"SurveyForm{version.id}{locale.title()}", (SurveyForm,), attrs)
    if version.status == VersionStatus.PUBLISHED:
        cache[key] = form_class
    return form_class


@dataclass
class Question:
    item: Item
    field: Any
    scale: int  # number of points for rating scales (0 for other types)
    # The scale ends with "Không áp dụng" (value 0, surveys.instrument_rules), shown apart.
    not_applicable: bool = False


@dataclass
class Fieldset:
    legend: str
    element: str | None
    questions: list[Question]


def version_text(version: InstrumentVersion, locale: str) -> tuple[str, str | None]:
    """(title, introduction) in the page's language, Vietnamese when no translation exists."""
    if locale == "en":
        return version.title_en or version.title_vi, version.intro_en or version.intro_vi
    return version.title_vi, version.intro_vi


@dataclass
class Problem:
    anchor: str | None  # the id of the input to jump to from the summary at the top
    question: str | None
    message: str


def error_summary(form: SurveyForm, fieldsets: list[Fieldset]) -> list[Problem]:
    """Every message of a failed submission, in page order, for the summary at the top."""
    problems = [Problem(None, None, str(message))
                for message in [*form.form_errors, *form.started.errors, *form.website.errors]]
    problems.extend(Problem(form.procedure.id, form.procedure.label.text, str(message))
                    for message in form.procedure.errors)
    for fieldset in fieldsets:
        for question in fieldset.questions:
            field = question.field
            anchor = field.id if question.item.answer_type == AnswerType.TEXT else f"{field.id}-0"
            problems.extend(Problem(anchor, field.label.text, str(message))
                            for message in field.errors)
    return problems


def form_layout(form: SurveyForm, version: InstrumentVersion, locale: str) -> list[Fieldset]:
    """Sections in order, each a fieldset of its items' fields, for the template."""
    by_code = {code: name for name, code in form.names.items()}
    return [
        Fieldset(item_text(section, locale), section.element, [
            Question(item, form[by_code[item.code]],
                     SCALE_SIZES.get(AnswerType(item.answer_type), 0)
                     if item.answer_type in RATED_TYPES else 0,
                     offers_not_applicable(item.answer_type, item.choices))
            for item in section.items])
        for section in version.sections if section.items
    ]
