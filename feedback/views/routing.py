"""Back office: PAKN routing rules (ordered, editable) and their dry run over recent routed
cases. Officers (FEEDBACK_TRIAGE) and unit admins (UNITS_MANAGE) manage the rules whose
handling unit lies in their scope."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.access import Permission, can, visible_units
from core.audit import record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.views.admin import require_staff
from feedback import routing
from feedback.case_access import can_on_case
from feedback.labels import KIND_LABELS, TOPIC_LABELS
from feedback.models import Kind, RoutingRule, Topic
from feedback.tracking import format_tracking_code

bp = Blueprint("feedback_routing", __name__, url_prefix="/quan-tri/pakn/phan-luong")
bp.before_request(require_staff)

PERMS = routing.RULE_ADMIN_PERMISSIONS


@bp.context_processor
def _labels() -> dict:
    return {"topic_labels": TOPIC_LABELS, "kind_labels": KIND_LABELS}


class RuleForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    origin_unit_id = SelectField(_l("Unit or desk of origin (and everything under it)"),
                                 coerce=int, validators=[Optional()])
    procedure_code = StringField(_l("Procedure code"), validators=[Optional(),
                                                                  Length(max=64)])
    keywords = StringField(_l("Keywords, separated by commas (any one is enough)"),
                           validators=[Optional(), Length(max=2000)])
    handling_unit_id = SelectField(_l("Handling unit"), coerce=int,
                                   validators=[InputRequired()])
    active = BooleanField(_l("Active"), default=True)

    def to_data(self) -> routing.RuleData:
        return routing.RuleData(
            name=self.name.data or "", handling_unit_id=self.handling_unit_id.data,
            topic=self.topic.data or None, kind=self.kind.data or None,
            origin_unit_id=self.origin_unit_id.data or None,
            procedure_code=self.procedure_code.data or None, keywords=self.keywords.data,
            active=bool(self.active.data))


def _scope_units() -> list[Unit]:
    """Units the admin manages rules for: FEEDBACK_TRIAGE or UNITS_MANAGE subtrees."""
    units = {u.id: u for perm in PERMS for u in visible_units(current_user, perm)}
    return sorted(units.values(), key=lambda u: u.path)


def _may(unit: Unit | None) -> bool:
    return unit is not None and any(can(current_user, perm, unit) for perm in PERMS)


def _require_any() -> None:
    if not any(can(current_user, perm) for perm in PERMS):
        record_audit_now("access.denied", reason=Permission.FEEDBACK_TRIAGE.value)
        abort(403)


def _load(rule_id: int) -> RoutingRule:
    """The rule, if its handling unit is in the admin's scope: 404 when the unit is not even
    visible to them, 403 when it is visible but not theirs to manage (both logged)."""
    rule = db.session.get(RoutingRule, rule_id) or abort(404)
    if _may(rule.handling_unit):
        return rule
    visible = can(current_user, Permission.UNITS_VIEW, rule.handling_unit)
    record_audit_now("access.denied", object_type="feedback_routing_rule", object_id=rule.id,
                     unit_id=rule.handling_unit_id, reason=Permission.FEEDBACK_TRIAGE.value)
    abort(403 if visible else 404)


def _choices(form: RuleForm, rule: RoutingRule | None = None) -> None:
    units = _scope_units()
    label = lambda u: "— " * u.depth + u.name_vi  # noqa: E731
    form.topic.choices = [SelectChoice("", str(_l("(any topic)")))] + [
        SelectChoice(t.value, str(TOPIC_LABELS.get(t.value, t.value))) for t in Topic]
    form.kind.choices = [SelectChoice("", str(_l("(any kind)")))] + [
        SelectChoice(k.value, str(KIND_LABELS.get(k.value, k.value))) for k in Kind]
    form.handling_unit_id.choices = [SelectChoice(u.id, label(u)) for u in units if u.active]
    form.origin_unit_id.choices = [SelectChoice(0, str(_l("(any unit)")))] + [
        SelectChoice(u.id, label(u)) for u in units]
    if rule is not None and rule.origin_unit_id and all(
            c.value != rule.origin_unit_id for c in form.origin_unit_id.choices):
        form.origin_unit_id.choices.append(
            SelectChoice(rule.origin_unit_id, rule.origin_unit.name_vi))


def _save(form: RuleForm, rule: RoutingRule | None):
    template = "feedback/routing/rule_form.html"
    if form.validate_on_submit():
        try:
            saved = (routing.create_rule(form.to_data()) if rule is None
                     else routing.update_rule(rule, form.to_data()))
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "name", form.name).errors.append(error.message)
            return render_template(template, form=form, rule=rule), error.status
        db.session.commit()
        flash(_("Rule \u201c%(name)s\u201d saved.", name=saved.name), "success")
        return redirect(url_for(".rules"))
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, rule=rule), status


@bp.get("/")
def rules():
    """The PAKN routing rules the user may manage, in the order they are tried."""
    _require_any()
    shown = routing.rules_visible_to(current_user)
    return render_template("feedback/routing/rules.html", rules=shown)


@bp.route("/moi", methods=["GET", "POST"])
def new():
    """Create a routing rule: which cases (topic, kind, origin) go to which handling unit."""
    _require_any()
    form = RuleForm()
    _choices(form)
    return _save(form, None)


@bp.route("/<int:rule_id>/sua", methods=["GET", "POST"])
def edit(rule_id: int):
    """Edit a routing rule."""
    rule = _load(rule_id)
    form = RuleForm(obj=rule) if request.method == "GET" else RuleForm()
    _choices(form, rule)
    if request.method == "GET":
        form.origin_unit_id.data = rule.origin_unit_id or 0
        form.topic.data = rule.topic or ""
        form.kind.data = rule.kind or ""
    return _save(form, rule)


@bp.post("/<int:rule_id>/di-chuyen")
def move(rule_id: int):
    """Move a routing rule one place up or down in the order rules are tried."""
    rule = _load(rule_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    routing.move_rule(rule, direction, among=routing.rules_visible_to(current_user))
    db.session.commit()
    return redirect(url_for(".rules"))


@bp.post("/<int:rule_id>/trang-thai")
def set_active(rule_id: int):
    """Switch a routing rule on or off (on only while its handling unit is active)."""
    rule = _load(rule_id)
    value = request.form.get("active")
    if value not in ("0", "1"):
        abort(400)
    if value == "1" and not rule.handling_unit.active:
        flash(_("The handling unit is inactive: choose another unit first."), "error")
        return redirect(url_for(".rules"))
    routing.set_rule_active(rule, value == "1")
    db.session.commit()
    flash(_("Rule \u201c%(name)s\u201d is now active.", name=rule.name) if value == "1" else
          _("Rule \u201c%(name)s\u201d is now inactive.", name=rule.name), "success")
    return redirect(url_for(".rules"))


@bp.route("/<int:rule_id>/xoa", methods=["GET", "POST"])
def delete(rule_id: int):
    """Confirm, then delete a routing rule."""
    rule = _load(rule_id)
    if request.method == "GET":
        return render_template("feedback/routing/rule_delete.html", rule=rule)
    if request.form.get("confirm") != "1":
        flash(_("Tick the box to confirm the deletion."), "error")
        return render_template("feedback/routing/rule_delete.html", rule=rule), 400
    name = rule.name
    routing.delete_rule(rule)
    db.session.commit()
    flash(_("Rule \u201c%(name)s\u201d deleted.", name=name), "success")
    return redirect(url_for(".rules"))


def _agencies() -> list[Unit]:
    """Registers the admin can dry-run: provinces and communes in scope (else the top units
    of their scope)."""
    units = _scope_units()
    registers = [u for u in units if u.kind in (UnitKind.PROVINCE.value,
                                                UnitKind.COMMUNE.value)]
    if registers:
        return registers
    return [u for u in units if not any(u.path.startswith(o.path) and u.id != o.id
                                        for o in units)]


@bp.get("/chay-thu")
def dry_run():
    """Try a register's rules on its recent routed cases: which rule matches, and agrees?"""
    _require_any()
    agencies = _agencies()
    agency_id = request.args.get("agency", type=int)
    agency = next((a for a in agencies if a.id == agency_id), None) if agency_id else (
        agencies[0] if agencies else None)
    if agency is None:
        abort(404 if agency_id else 400)
    include_inactive = request.args.get("inactive") == "1"
    # The agency is in the admin's scope, so every rule serving it is too.
    rules = routing.rules_for_agency(agency, include_inactive=include_inactive)
    rows = routing.dry_run_rules(rules, routing.recent_routed_cases(agency))
    return render_template("feedback/routing/dry_run.html", agency=agency, agencies=agencies,
                           include_inactive=include_inactive, rows=rows,
                           summary=routing.dry_run_summary(rows), rules=rules,
                           limit=routing.DRY_RUN_CASES,
                           may_view=lambda case: can_on_case(current_user,
                                                             Permission.FEEDBACK_VIEW, case),
                           format_code=format_tracking_code)
