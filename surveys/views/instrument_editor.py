"""Back office: the draft editor (sections and items: add, edit, delete, move up or down).
Routes live on surveys.views.instruments.bp; surveys/contributes.py imports this module. A
published or retired version answers 409 and shows no edit controls."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from surveys.instrument_drafts import format_choice_lines, parse_choice_lines
from surveys.instrument_rules import ELEMENTS, MAX_TEXT_LENGTH
from surveys.instruments import (
    ItemData,
    SectionData,
    add_item,
    add_section,
    delete_item,
    delete_section,
    move_item,
    move_section,
    ordered_sections,
    update_item,
    update_section,
)
from surveys.models import Item, Section
from surveys.views.instruments import (
    ANSWER_TYPE_LABELS,
    load_version,
    refuse_unless_draft,
    render_version,
)
from surveys.views.instruments import bp as instruments_bp  # not "bp": one registration


class SectionForm(BaseForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=32)])
    title_vi = StringField(_l("Title in Vietnamese"), validators=[InputRequired(),
                                                                 Length(max=255)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=255)])
    element = SelectField(_l("SIPAS element it rates"), validators=[Optional()])

    def to_data(self) -> SectionData:
        return SectionData(code=self.code.data, title_vi=self.title_vi.data,
                           title_en=self.title_en.data or None, element=self.element.data or None)


class ItemForm(BaseForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=32)])
    section_id = SelectField(_l("Section"), coerce=int, validators=[InputRequired()])
    element = SelectField(_l("SIPAS element it scores"), validators=[Optional()])
    answer_type = SelectField(_l("Answer type"), validators=[InputRequired()],
                              choices=[SelectChoice(value, label)
                                       for value, label in ANSWER_TYPE_LABELS.items()])
    required = BooleanField(_l("An answer is required"))
    demographic = BooleanField(_l("About the respondent (stored apart, always optional)"))
    text_vi = TextAreaField(_l("Question in Vietnamese"), render_kw={"rows": 3},
                            validators=[InputRequired(), Length(max=MAX_TEXT_LENGTH)])
    text_en = TextAreaField(_l("Question in English"), render_kw={"rows": 3},
                            validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])
    choices = TextAreaField(_l("Choices, one per line: value|Vietnamese|English"),
                            render_kw={"rows": 7}, validators=[Optional(), Length(max=5000)])
    max_length = IntegerField(_l("Longest answer (free text, characters)"),
                              validators=[Optional(), NumberRange(min=1, max=MAX_TEXT_LENGTH)])

    def to_data(self) -> ItemData:
        return ItemData(
            code=self.code.data, section_id=self.section_id.data,
            answer_type=self.answer_type.data, text_vi=self.text_vi.data,
            text_en=self.text_en.data or None, element=self.element.data or None,
            required=self.required.data, demographic=self.demographic.data,
            choices=parse_choice_lines(self.choices.data), max_length=self.max_length.data)


def _element_choices() -> list[SelectChoice]:
    english = str(get_locale()) == "en"
    return [SelectChoice("", _("None"))] + [
        SelectChoice(code, f"{code} · {names[1] if english else names[0]}")
        for code, names in ELEMENTS.items()]


def _load_section(section_id: int) -> Section:
    section = db.session.get(Section, section_id)
    if section is None:
        abort(404)
    load_version(section.version_id, edit=True)
    return section


def _load_item(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    load_version(item.version_id, edit=True)
    return item


def _back(version_id: int, anchor: str | None = None):
    return redirect(url_for(".version", version_id=version_id, _anchor=anchor))


def _save(form: BaseForm, template: str, save, context: dict):
    """Validate, call the service, commit; or show the form again with the error beside the
    field and the right status."""
    if form.validate_on_submit():
        try:
            saved = save(form.to_data())
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template(template, form=form, **context), error.status
        db.session.commit()
        flash(_("Saved."), "success")
        return _back(saved.version_id, f"{type(saved).__name__.lower()}-{saved.id}")
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(template, form=form, **context), status


@instruments_bp.route("/phien-ban/<int:version_id>/phan/moi", methods=["GET", "POST"])
def section_new(version_id: int):
    """Add a section to a draft version."""
    version = load_version(version_id, edit=True)
    if (refusal := refuse_unless_draft(version)) is not None:
        return refusal
    form = SectionForm()
    form.element.choices = _element_choices()
    return _save(form, "surveys/admin_instrument_section.html",
                 lambda data: add_section(version, data), {"version": version, "section": None})


@instruments_bp.route("/phan/<int:section_id>/sua", methods=["GET", "POST"])
def section_edit(section_id: int):
    """Edit a section of a draft version."""
    section = _load_section(section_id)
    if (refusal := refuse_unless_draft(section.version)) is not None:
        return refusal
    form = SectionForm(obj=section) if request.method == "GET" else SectionForm()
    form.element.choices = _element_choices()
    return _save(form, "surveys/admin_instrument_section.html",
                 lambda data: update_section(section, data),
                 {"version": section.version, "section": section})


@instruments_bp.route("/phien-ban/<int:version_id>/cau-hoi/moi", methods=["GET", "POST"])
def item_new(version_id: int):
    """Add a question to a draft version, in the section chosen."""
    version = load_version(version_id, edit=True)
    if (refusal := refuse_unless_draft(version)) is not None:
        return refusal
    form = _item_form(version, None)
    if request.method == "GET":
        form.section_id.data = request.args.get("section", type=int)
    return _save(form, "surveys/admin_instrument_item.html",
                 lambda data: add_item(version, data), {"version": version, "item": None})


@instruments_bp.route("/cau-hoi/<int:item_id>/sua", methods=["GET", "POST"])
def item_edit(item_id: int):
    """Edit a question of a draft version: texts, answer type, choices, element."""
    item = _load_item(item_id)
    if (refusal := refuse_unless_draft(item.version)) is not None:
        return refusal
    form = _item_form(item.version, item)
    return _save(form, "surveys/admin_instrument_item.html",
                 lambda data: update_item(item, data), {"version": item.version, "item": item})


def _item_form(version, item: Item | None) -> ItemForm:
    form = ItemForm(obj=item) if item is not None and request.method == "GET" else ItemForm()
    if item is not None and request.method == "GET":
        form.choices.data = format_choice_lines(item.choices)
        form.element.data = item.element or ""
    form.section_id.choices = [SelectChoice(s.id, f"{s.code} · {s.title_vi}")
                               for s in ordered_sections(version)]
    form.element.choices = _element_choices()
    return form


def _post_action(obj, action, message: str):
    version = obj.version
    if (refusal := refuse_unless_draft(version)) is not None:
        return refusal
    anchor = f"{type(obj).__name__.lower()}-{obj.id}"
    try:
        action(obj)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_version(version, error.status)
    db.session.commit()
    flash(message, "success")
    return _back(version.id, anchor)


def _direction() -> int:
    return -1 if request.form.get("direction") == "up" else 1


@instruments_bp.post("/phan/<int:section_id>/di-chuyen")
def section_move(section_id: int):
    """Move a section of a draft one place up or down."""
    return _post_action(_load_section(section_id), lambda s: move_section(s, _direction()),
                        _("Section moved."))


@instruments_bp.post("/phan/<int:section_id>/xoa")
def section_delete(section_id: int):
    """Delete an empty section from a draft."""
    return _post_action(_load_section(section_id), delete_section, _("Section deleted."))


@instruments_bp.post("/cau-hoi/<int:item_id>/di-chuyen")
def item_move(item_id: int):
    """Move a question of a draft one place up or down within its section."""
    return _post_action(_load_item(item_id), lambda i: move_item(i, _direction()),
                        _("Item moved."))


@instruments_bp.post("/cau-hoi/<int:item_id>/xoa")
def item_delete(item_id: int):
    """Delete a question from a draft."""
    return _post_action(_load_item(item_id), delete_item, _("Item deleted."))
