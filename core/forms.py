"""Shared form pieces: NFC normalisation and field types every package uses."""

from __future__ import annotations

import unicodedata

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError


def nfc(value: object) -> object:
    """Strip and NFC-normalise text, so decomposed Vietnamese from some keyboards is stored
    the same as precomposed text; refuse NUL bytes upstream via ``no_control_chars``."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


def no_control_chars(_form: FlaskForm, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any(
        ord(ch) < 32 and ch not in "\t\n\r" for ch in data
    ):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


# WTForms ships no Vietnamese, so its own messages are in our catalogue; marked here so that
# extracting messages keeps them. English pages show WTForms' own words (the msgids).
WTFORMS_MESSAGES = (
    _l("This field is required."), _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."), _l("Invalid email address."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Not a valid date value."), _l("Not a valid time value."),
    _l("Not a valid integer value."), _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid input."), _l("Field must be equal to %(other_name)s."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
)


class _WTFormsTranslations:
    """What WTForms asks for its messages: our catalogue, in the request's language."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class BaseForm(FlaskForm):
    """A FlaskForm whose text fields are NFC-normalised and free of control characters, and
    whose built-in messages are translated."""

    class Meta:
        def get_translations(self, form):
            return _WTFormsTranslations()

        def bind_field(self, form, unbound_field, options):
            # Build new lists: the unbound field is shared by every instance of the form class.
            # Validators must be given by keyword (validators=[...]) for this to see them.
            filters = [nfc, *unbound_field.kwargs.get("filters", ())]
            validators = [no_control_chars, *(unbound_field.kwargs.get("validators") or ())]
            return unbound_field.bind(
                form=form, filters=filters, validators=validators, **options
            )
