"""Back office: the bias report. Per SIPAS element, self-selected QR and online ratings
against the random sample of dossiers invited for the period (Permission.REPORTS_VIEW)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from core.access import Permission, require, visible_units
from core.clock import today
from core.exceptions import ServiceError
from core.forms import BaseForm
from core.models import UnitKind
from core.replica import reads_from_replica
from core.views.admin import require_staff
from reports.dashboard_model import element_name
from reports.sample_bias import BiasReport, build_bias_report

bp = Blueprint("reports_sample_bias", __name__, url_prefix="/quan-tri/bao-cao/sai-lech-mau")
bp.before_request(require_staff)


class BiasFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET report form: nothing changes

    unit = SelectField(_l("Unit"), validators=[InputRequired()])
    period = StringField(_l("Period (2026-Q2, 2026-06, 2026-H1 or 2026)"),
                         validators=[InputRequired(), Length(max=16)])


def _form() -> BiasFilterForm:
    units = [unit for unit in visible_units(current_user, Permission.REPORTS_VIEW)
             if unit.kind != UnitKind.DESK.value]
    args = request.args.to_dict()
    args.setdefault("period", f"{today().year}-Q{(today().month - 1) // 3 + 1}")
    if units:
        args.setdefault("unit", str(units[0].id))
    form = BiasFilterForm(formdata=MultiDict(args))
    form.unit.choices = [(str(unit.id), "— " * unit.depth + unit.name_vi) for unit in units]
    return form


def _report(form: BiasFilterForm) -> BiasReport | None:
    """The report, or None when a filter is not valid (the form then carries the error)."""
    if not form.validate():
        return None
    try:
        return build_bias_report(current_user, int(form.unit.data), form.period.data.strip())
    except ServiceError as error:
        if error.field == "period":
            form.period.errors.append(_("Write the period as 2026, 2026-H1, 2026-Q2 or "
                                        "2026-06."))
        else:
            form.unit.errors.append(_("Choose one of your units."))
        return None


@bp.get("/")
@reads_from_replica
def index():
    """Self-selected ratings against the invited random sample, per element, for a unit and
    a period: difference with its interval and test, and the post-stratified index."""
    require(current_user, Permission.REPORTS_VIEW, None)
    form = _form()
    report = _report(form)
    return render_template("reports/sample_bias.html", form=form, report=report,
                           element_name=element_name), 200 if report is not None else 400
