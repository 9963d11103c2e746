"""Administrators' work list: what set-up is still missing, each check scoped to the units the
administrator manages, and each gap gone once the set-up is done."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from core.clock import today
from core.extensions import db
from core.models import Role
from core.settings import SETTINGS, set_setting
from core.worklists import check_settings, check_staff, check_units, setup_gaps
from surveys.instruments import load_shipped_instruments
from surveys.models import CollectionPoint, InstrumentVersion, VersionStatus
from surveys.worklists import check_points, check_questionnaire


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def test_units_check(english, make_unit, make_user):
    province = make_unit("P", kind="province")
    admin = make_user(Role.UNIT_ADMIN, province)
    assert "No units under yours" in check_units(admin).label
    make_unit("P-S", parent=province)
    assert check_units(admin) is None


def test_staff_check_counts_working_roles_in_scope_only(english, make_unit, make_user):
    province = make_unit("P", kind="province")
    other = make_unit("Q", kind="province")
    admin = make_user(Role.UNIT_ADMIN, province)
    make_user(Role.HANDLER, other)          # outside the admin's units
    make_user(Role.UNIT_ADMIN, province)    # an administrator is not a working role
    assert check_staff(admin) is not None
    make_user(Role.HANDLER, make_unit("P-S", parent=province))
    assert check_staff(admin) is None


def test_settings_check_is_for_system_admins(english, make_unit, make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    unit_admin = make_user(Role.UNIT_ADMIN, make_unit("P", kind="province"))
    pending = [key for key, d in SETTINGS.items() if d.needs_confirmation]
    assert pending and check_settings(unit_admin) is None
    gap = check_settings(admin)
    assert gap is not None and all(key in gap.label for key in pending)
    for key in pending:
        set_setting(key, SETTINGS[key].default, effective_from=today(), actor=admin)
    db.session.commit()
    assert check_settings(admin) is None


def test_questionnaire_and_points_checks(english, make_unit, make_user):
    province = make_unit("P", kind="province")
    desk = make_unit("P-Q1", parent=province, kind="desk")
    admin = make_user(Role.UNIT_ADMIN, province)
    assert check_questionnaire(admin) is not None
    assert check_points(admin) is not None
    load_shipped_instruments()
    db.session.commit()
    assert check_questionnaire(admin) is None
    version = db.session.scalars(db.select(InstrumentVersion).where(
        InstrumentVersion.status == VersionStatus.PUBLISHED.value)).first()
    db.session.add(CollectionPoint(unit_id=desk.id, public_code="K7M2P9Q",
                                   version_id=version.id))
    db.session.commit()
    assert check_points(admin) is None
    elsewhere = make_user(Role.UNIT_ADMIN, make_unit("Q", kind="province"))
    assert check_points(elsewhere) is not None


def test_setup_list_and_page(client, login, make_unit, make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    with client.application.test_request_context(), force_locale("en"):
        labels = [item.title for item in setup_gaps(admin).items]
    assert any("No units under yours" in label for label in labels)
    assert any("No questionnaire is published" in label for label in labels)
    login(client, admin)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-setup_system_admin"' in html and "No units under yours" in html
