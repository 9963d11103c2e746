"""Forms and labels of the citizen PAKN pages (feedback/views/public.py): the web form and
the status lookup. Labels are English msgids; the Vietnamese comes from the catalogue."""

from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from core.forms import BaseForm
from feedback import attachments as files
from feedback.intake import MAX_CONTENT, MAX_TITLE, Contact
from feedback.labels import KIND_LABELS, TOPIC_LABELS  # noqa: F401  (used here and re-exported)
from feedback.models import Kind, ReplyChannel

KIND_HINTS = {
    Kind.REPORT.value: _l("A problem with a rule or with how it was applied: delays, "
                          "harassment, a rule that is unfit or unlawful."),
    Kind.RECOMMENDATION.value: _l("A proposal: how to fix a problem, or a rule to change or "
                                  "to make."),
    Kind.SUGGESTION.value: _l("An idea or opinion. No name needed; there is no legal "
                              "deadline to answer it."),
}
SENDER_TYPES = {
    "person": _l("A person"),
    "organisation": _l("An organisation or business"),
    "overseas_vn": _l("A Vietnamese living abroad"),
    "foreigner": _l("A foreigner"),
}
REPLY_LABELS = {
    ReplyChannel.EMAIL.value: _l("Email"),
    ReplyChannel.SMS.value: _l("SMS"),
    ReplyChannel.ZALO.value: _l("Zalo"),
    ReplyChannel.POST.value: _l("Letter by post"),
    ReplyChannel.NONE.value: _l("None: I will look it up with the tracking code"),
}


# WTForms' own messages (it ships no Vietnamese) → ours, so a citizen never reads English on
# a Vietnamese page, whichever validator speaks. Keys are WTForms' msgids, word for word.
WTFORMS_MESSAGES = {
    "Field cannot be longer than %(max)d character.": _l("Write at most %(max)d characters."),
    "Field cannot be longer than %(max)d characters.": _l("Write at most %(max)d characters."),
    "Field must be at least %(min)d character long.": _l("Write at least %(min)d characters."),
    "Field must be at least %(min)d characters long.": _l("Write at least %(min)d characters."),
    "Field must be exactly %(max)d character long.": _l("Write exactly %(max)d characters."),
    "Field must be exactly %(max)d characters long.": _l("Write exactly %(max)d characters."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Write from %(min)d to %(max)d characters."),
    "This field is required.": _l("This field is required."),
    "Not a valid choice.": _l("Choose one of the options."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options."),
    "Invalid email address.": _l("The email address does not look right."),
    "Invalid input.": _l("This value is not valid."),
}


class _CitizenTranslations:
    """What WTForms asks for its messages: ours, in the request's language."""

    def gettext(self, string: str) -> str:
        mapped = WTFORMS_MESSAGES.get(string)
        return str(mapped) if mapped is not None else get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class CitizenForm(BaseForm):
    """A citizen page's form: WTForms' built-in messages come translated."""

    class Meta(BaseForm.Meta):
        def get_translations(self, form):
            return _CitizenTranslations()


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class PaknForm(CitizenForm):
    kind = RadioField(_l("What are you sending?"), default=Kind.REPORT.value,
                      choices=_choices(KIND_LABELS),
                      validators=[DataRequired(message=_l("Choose a kind."))])
    topic = SelectField(_l("Topic (if you know it)"),
                        choices=[SelectChoice("", _l("— Choose a topic —")),
                                 *_choices(TOPIC_LABELS)],
                        validators=[Optional()])
    title = StringField(_l("Title (optional)"), validators=[Length(max=MAX_TITLE)])
    content = TextAreaField(
        _l("What happened, and what do you propose?"),
        validators=[DataRequired(message=_l("Write what you want to report or recommend.")),
                    Length(max=MAX_CONTENT)],
        render_kw={"rows": 8, "maxlength": MAX_CONTENT})
    unit = SelectField(_l("Agency or unit it is about"), validate_choice=False)
    desk = HiddenField()
    procedure_name = StringField(_l("Name of the procedure (optional)"),
                                 validators=[Length(max=500)])
    procedure_code = StringField(_l("Procedure code (optional)"), validators=[Length(max=64)])
    dossier_code = StringField(_l("Dossier code on your receipt (optional)"),
                               validators=[Length(max=64)])
    location = StringField(_l("Where it happened (optional)"), validators=[Length(max=300)])
    attachments = MultipleFileField(_l("Photos or PDF files (optional)"),
                                    render_kw={"accept": files.ACCEPT})
    sender_type = RadioField(_l("You are"), default="person",
                             choices=_choices(SENDER_TYPES))
    name = StringField(_l("Full name (of the person or organisation)"),
                       validators=[Length(max=200)], render_kw={"autocomplete": "name"})
    address = StringField(_l("Address"), validators=[Length(max=300)],
                          render_kw={"autocomplete": "address-line1"})
    phone = StringField(_l("Phone"), validators=[Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = StringField(_l("Email"), validators=[
        Optional(), Email(message=_l("The email address does not look right.")),
        Length(max=254)], render_kw={"autocomplete": "email", "inputmode": "email"})
    reply_channel = RadioField(_l("How should we send you the answer?"),
                               default=ReplyChannel.NONE.value, choices=_choices(REPLY_LABELS))
    consent = BooleanField(_l("I agree that my contact details are used as explained above."))
    channel = HiddenField()
    idempotency_key = HiddenField()

    def contact(self) -> Contact:
        return Contact(name=self.name.data or "", address=self.address.data or "",
                       phone=self.phone.data or "", email=self.email.data or "")


class StatusForm(CitizenForm):
    class Meta(CitizenForm.Meta):
        csrf = False  # a lookup changes nothing; no session cookie needed to read a status

    code = StringField(_l("Tracking code"), validators=[
        DataRequired(message=_l("Enter the tracking code.")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false"})
    digits = StringField(_l("Last 4 digits of the phone you gave (if you gave one)"),
                         validators=[Length(max=10)],
                         render_kw={"autocomplete": "off", "inputmode": "numeric"})
