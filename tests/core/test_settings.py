"""Effective-dated settings: the services (core.settings)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, SettingValue
from core.settings import (
    DEFAULTS_FROM,
    SETTINGS,
    ensure_default_settings,
    get_setting,
    set_setting,
    setting_history,
    setting_overview,
)

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _request(app):
    # Refusal messages are translated, and core.i18n picks the language from the request.
    with app.test_request_context():
        yield


def rows(key: str | None = None) -> list[SettingValue]:
    stmt = db.select(SettingValue).order_by(SettingValue.id)
    if key:
        stmt = stmt.where(SettingValue.key == key)
    return list(db.session.scalars(stmt))


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def test_registry_holds_the_required_settings_and_marks():
    required = {"sipas.target_element_pct": 85, "sipas.min_cell_size": 5,
                "sipas.aggregation": "item_mean", "pakn.transfer_days": 5,
                "pakn.acknowledge_days": 10, "pakn.answer_days": 15,
                "pakn.retention_months": 36, "dossier.cutoff_hour": 15,
                "survey.token_valid_days": 30, "dossier.late_target_pct": 1.0,
                "pakn.on_time_target_pct": 100}
    assert {key: SETTINGS[key].default for key in required} == required
    assert SETTINGS["pakn.answer_days"].needs_confirmation
    assert not SETTINGS["pakn.transfer_days"].needs_confirmation  # Decree 20/2008: certain
    assert all(definition.source for definition in SETTINGS.values())


def test_default_applies_when_no_row_exists(app):
    assert rows() == []
    assert get_setting("pakn.transfer_days") == 5
    assert get_setting("sipas.target_element_pct") == 85.0


def test_ensure_default_settings_is_idempotent_and_leaves_set_keys_alone(app):
    set_setting("pakn.answer_days", 20, effective_from=today())
    assert ensure_default_settings() == len(SETTINGS) - 1  # every key but the one already set
    assert ensure_default_settings() == 0
    db.session.commit()
    assert len(rows()) == len(SETTINGS)
    assert [r.value for r in rows("pakn.answer_days")] == [20]
    default_row = rows("pakn.transfer_days")[0]
    assert (default_row.unit_id, default_row.effective_from, default_row.value) == (
        None, DEFAULTS_FROM, 5)
    assert len(audit("setting.default_added")) == len(SETTINGS) - 1


def test_value_in_force_before_on_and_after_a_change(app):
    ensure_default_settings()
    change, later = today() + 10 * DAY, today() + 20 * DAY
    set_setting("pakn.transfer_days", 7, effective_from=change, note="Decision 12/QĐ")
    set_setting("pakn.transfer_days", 9, effective_from=later)
    assert get_setting("pakn.transfer_days") == 5  # today: the default row
    assert get_setting("pakn.transfer_days", on=change - DAY) == 5
    assert get_setting("pakn.transfer_days", on=change) == 7
    assert get_setting("pakn.transfer_days", on=later - DAY) == 7
    assert get_setting("pakn.transfer_days", on=later + 100 * DAY) == 9
    assert get_setting("pakn.transfer_days", on=date(1999, 12, 31)) == 5  # before any row


def test_a_later_row_for_the_same_date_supersedes(app):
    start = today() + DAY
    set_setting("pakn.transfer_days", 7, effective_from=start)
    set_setting("pakn.transfer_days", 6, effective_from=start, note="corrected")
    assert get_setting("pakn.transfer_days", on=start) == 6
    assert [r.value for r in setting_history("pakn.transfer_days")] == [6, 7]


def test_unit_override_beats_global_and_is_inherited_by_the_subtree(app, make_unit):
    province = make_unit("P", kind="province")
    agency = make_unit("A", parent=province)
    desk = make_unit("D", parent=agency, kind="desk")
    sibling = make_unit("B", parent=province)
    other = make_unit("Q", kind="province")
    t = today()
    set_setting("pakn.answer_days", 12, effective_from=t)
    set_setting("pakn.answer_days", 20, effective_from=t, unit=province)
    set_setting("pakn.answer_days", 10, effective_from=t + 5 * DAY, unit=agency)
    # A newer global value does not beat an older unit value: the most specific unit wins.
    set_setting("pakn.answer_days", 14, effective_from=t + 2 * DAY)
    assert get_setting("pakn.answer_days", unit=desk) == 20  # from the province
    assert get_setting("pakn.answer_days", unit=desk, on=t + 5 * DAY) == 10  # agency's own
    assert get_setting("pakn.answer_days", unit=sibling, on=t + 5 * DAY) == 20
    assert get_setting("pakn.answer_days", unit=other, on=t + 5 * DAY) == 14  # global
    assert get_setting("pakn.answer_days", on=t + 5 * DAY) == 14
    assert [r.value for r in setting_history("pakn.answer_days", agency)] == [10]


def test_global_only_setting_ignores_and_refuses_unit_values(app, make_unit):
    unit = make_unit("P", kind="province")
    with pytest.raises(ServiceError) as refused:
        set_setting("sipas.min_cell_size", 10, effective_from=today(), unit=unit)
    assert refused.value.status == 400 and refused.value.field == "unit_id"
    assert rows() == []


@pytest.mark.parametrize(("key", "value"), [
    ("pakn.transfer_days", "abc"),
    ("pakn.transfer_days", 0),        # below the minimum of 1
    ("pakn.transfer_days", "2.5"),    # not a whole number
    ("pakn.transfer_days", True),     # a bool is not a number
    ("sipas.target_element_pct", 101),
    ("sipas.target_element_pct", "nan"),
    ("dossier.cutoff_hour", 24),
    ("sipas.aggregation", "median"),  # not one of the choices
    ("sipas.aggregation", ""),
])
def test_bad_values_are_refused_and_nothing_is_saved(app, key, value):
    with pytest.raises(ServiceError) as refused:
        set_setting(key, value, effective_from=today())
    assert refused.value.status == 400 and refused.value.field == "value"
    assert refused.value.message
    assert rows() == [] and audit("setting.scheduled") == []


@pytest.mark.parametrize(("key", "value", "stored"), [
    ("dossier.late_target_pct", "1,5", 1.5),  # Vietnamese decimal comma
    ("sipas.target_element_pct", "90%", 90.0),
    ("pakn.transfer_days", "3", 3),
    ("pakn.transfer_days", 4.0, 4),
    ("sipas.aggregation", "pooled", "pooled"),
])
def test_values_are_coerced_to_their_type(app, key, value, stored):
    row = set_setting(key, value, effective_from=today())
    assert row.value == stored and type(row.value) is type(stored)


def test_past_dates_and_unknown_keys_are_refused(app):
    with pytest.raises(ServiceError) as past:
        set_setting("pakn.transfer_days", 6, effective_from=today() - DAY)
    assert past.value.status == 400 and past.value.field == "effective_from"
    with pytest.raises(ServiceError) as unknown:
        set_setting("no.such.key", 1, effective_from=today())
    assert unknown.value.status == 400
    with pytest.raises(KeyError):
        get_setting("no.such.key")
    assert rows() == []


def test_audit_entry_written_with_before_and_after(app, make_user, make_unit):
    unit = make_unit("P", kind="province")
    user = make_user()
    start = today() + 3 * DAY
    set_setting("pakn.answer_days", 30, effective_from=start, unit=unit, note="QĐ 5/2026",
                actor=user)
    db.session.commit()
    [entry] = audit("setting.scheduled")
    assert (entry.object_type, entry.object_id, entry.unit_id) == ("setting",
                                                                   "pakn.answer_days", unit.id)
    assert entry.before == {"value": 15}
    assert entry.after == {"value": 30, "effective_from": start.isoformat(),
                           "unit_id": unit.id, "note": "QĐ 5/2026"}
    assert rows("pakn.answer_days")[0].created_by_id == user.id


def test_overview_splits_current_future_and_visible_units(app, make_unit):
    from core.models import Unit

    visible = make_unit("P", kind="province")
    hidden = make_unit("Q", kind="province")
    ensure_default_settings()
    set_setting("pakn.answer_days", 20, effective_from=today() + 7 * DAY)
    set_setting("pakn.answer_days", 18, effective_from=today(), unit=visible)
    set_setting("pakn.answer_days", 25, effective_from=today() + DAY, unit=visible)
    set_setting("pakn.answer_days", 30, effective_from=today(), unit=hidden)
    overview = setting_overview("pakn.answer_days", unit_scope=Unit.path.like(visible.path + "%"))
    assert overview.value_today == 15 and [r.value for r in overview.future] == [20]
    [unit_values] = overview.units
    assert unit_values.unit.id == visible.id
    assert unit_values.current.value == 18 and [r.value for r in unit_values.future] == [25]
