"""Shared form pieces: NFC normalisation and field types every package uses."""

from __future__ import annotations

import unicodedata

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


class BaseForm(FlaskForm):
    """A FlaskForm whose text fields are NFC-normalised and free of control characters."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # Build new lists: the unbound field is shared by every instance of the form class.
            # Validators must be given by keyword (validators=[...]) for this to see them.
            filters = [nfc, *unbound_field.kwargs.get("filters", ())]
            validators = [no_control_chars, *(unbound_field.kwargs.get("validators") or ())]
            return unbound_field.bind(
                form=form, filters=filters, validators=validators, **options
            )
