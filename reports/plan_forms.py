"""Forms of the improvement-plan pages: drafting a plan, the plan editor (one form for the title
and every row, so it works without JavaScript) and an agency's catalogue task."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from analysis.periods import parse_period
from core.forms import BaseForm
from reports.plan_catalogue import MAX_LENGTHS
from reports.plans import MAX_TITLE


def _period(_form, field) -> None:
    if field.data:
        try:
            parse_period(field.data)
        except ValueError as error:
            raise ValidationError(_l("Write the period as 2026, 2026-H1, 2026-Q2 or "
                                     "2026-06.")) from error


class DraftForm(BaseForm):
    unit = SelectField(_l("Unit"), validators=[InputRequired()])
    campaign = SelectField(_l("Survey campaign"), validators=[Optional()])
    period_label = StringField(_l("Period"), validators=[Optional(), Length(max=32), _period])
    source = SelectField(_l("Start from"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.campaign.data and not self.period_label.data:
            self.period_label.errors.append(_l("Choose a survey campaign or write a period."))
            return False
        return ok


class TaskTextForm(BaseForm):
    """The five text columns of a task or plan row, limited to their column sizes."""

    task_vi = TextAreaField(_l("Task"), validators=[Length(max=MAX_LENGTHS["task_vi"])])
    lead_vi = TextAreaField(_l("Lead unit"), validators=[Length(max=MAX_LENGTHS["lead_vi"])])
    cooperating_vi = TextAreaField(_l("Cooperating units"), validators=[
        Length(max=MAX_LENGTHS["cooperating_vi"])])
    deadline_vi = StringField(_l("Time frame"),
                              validators=[Length(max=MAX_LENGTHS["deadline_vi"])])
    expected_result_vi = TextAreaField(_l("Expected result / product"), validators=[
        Length(max=MAX_LENGTHS["expected_result_vi"])])


class RowForm(TaskTextForm):
    class Meta:
        csrf = False  # part of PlanForm, which carries the token

    id = IntegerField(validators=[InputRequired()])
    element = SelectField(_l("Element"), validators=[InputRequired()])


class PlanForm(BaseForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            # A list of subforms takes no filters: the rows (RowForm) normalise their own text.
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            return BaseForm.Meta.bind_field(self, form, unbound_field, options)

    version = HiddenField()
    title_vi = TextAreaField(_l("Title"), validators=[InputRequired(), Length(max=MAX_TITLE)])
    rows = FieldList(FormField(RowForm))
    new_task = SelectField(_l("Task from the catalogue"), validators=[Optional()])
    new_element = SelectField(_l("Element"), validators=[Optional()])


class TaskForm(TaskTextForm):
    unit = SelectField(_l("Unit"), validators=[InputRequired()])
    element = SelectField(_l("Element"), validators=[InputRequired()])
    task_vi = TextAreaField(_l("Task"), validators=[InputRequired(),
                                                    Length(max=MAX_LENGTHS["task_vi"])])
    active = BooleanField(_l("In use"), default=True)
