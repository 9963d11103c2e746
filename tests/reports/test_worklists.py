"""The analyst's work lists: the latest figures of the units they report on (the current
half-year, from the same rollups as the dashboard) and the targets missed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask_babel import force_locale

from core.clock import LOCAL_TZ, today
from core.extensions import db
from core.models import Role
from reports.filters import ReportFilters, current_half_year
from reports.worklists import analyst_figures, analyst_missed
from tests.reports.sipas_helpers import rate


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def _in_this_half_year() -> datetime:
    """A moment inside the current half-year, before today (figures of the period)."""
    period = ReportFilters(current_half_year(), 0, None, None, False)
    first = datetime.combine(period.first_day, time(0, 30), tzinfo=LOCAL_TZ)
    yesterday = datetime.combine(today() - timedelta(days=1), time(10), tzinfo=LOCAL_TZ)
    return max(first, min(yesterday, first + timedelta(days=3)))


@pytest.fixture
def ratings(org):
    """Sở A: 5, 5, 4, 3, 2, 1 → 50 % (under the target); Sở B: all 5 → 100 %."""
    when = _in_this_half_year()
    for value in (5, 5, 4, 3, 2, 1):
        rate(org, org.desk_a, value, when)
    for _ in range(6):
        rate(org, org.dept_b, 5, when)
    db.session.commit()
    return org


def test_latest_figures_of_the_analysts_units(english, ratings):
    result = analyst_figures(ratings.analyst)
    assert result.count == 1
    [(label, value)] = result.figures
    assert label == f"UBND tỉnh Thử · {current_half_year()}"
    assert value == "75.0% (n = 192)"
    assert result.more_url.endswith(f"?unit={ratings.province.id}")


def test_no_answers_yet(english, org):
    [(label, value)] = analyst_figures(org.analyst).figures
    assert value == "no answers yet"


def test_missed_targets_name_the_unit_below_target(english, ratings):
    result = analyst_missed(ratings.analyst)
    titles = [item.title for item in result.items]
    assert "Sở A" in titles and "Sở B" not in titles
    item = result.items[titles.index("Sở A")]
    assert item.note.startswith("50.0%, target ")
    assert item.url.endswith(f"?unit={ratings.dept_a.id}")


def test_analyst_landing_page_and_scope(client, login, ratings, make_unit, make_user):
    outsider = make_user(Role.ANALYST, make_unit("KHAC", name_vi="UBND tỉnh Khác"))
    login(client, ratings.analyst)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-analyst_figures"' in html and 'id="wl-analyst_missed"' in html
    assert "75.0% (n = 192)" in html
    login(client, outsider)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert "75.0%" not in html and "Sở A" not in html
