"""Shared report fixtures: the small organisation of ``sipas_helpers`` and its ratings."""

from __future__ import annotations

import pytest

from core.extensions import db
from tests.reports.sipas_helpers import at, build_org, rate


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def rated(org):
    # Sở A (its desk): six responses rating every item 5, 5, 4, 3, 2, 1 → 3 of 6 = 50% for
    # every item, element and the overall index (in Q1). Sở B: five responses, all 5 → 100%
    # (in Q2). The province: each item 3 + 5 = 8 satisfied of 11 = 72.7272…%.
    for value in (5, 5, 4, 3, 2, 1):
        rate(org, org.desk_a, value, at(2026, 3, 10))
    for _ in range(5):
        rate(org, org.dept_b, 5, at(2026, 4, 2))
    db.session.commit()
    return org
