"""The public calendar API: /api/v1/calendar/deadline and /days."""

from __future__ import annotations

from datetime import date

import pytest

from core.extensions import db
from core.workdays import add_calendar_override

DEADLINE = "/api/v1/calendar/deadline"


@pytest.mark.parametrize("received_at", [
    "2026-02-13T16:00:00%2B07:00",  # properly encoded
    "2026-02-13T16:00:00+07:00",    # '+' unencoded: arrives as a space and is repaired
    "2026-02-13T09:00:00Z",         # the same moment in UTC
])
def test_deadline_after_cutoff_before_tet(client, received_at):
    # Fri 13/2/2026 16:00 local is after 15:00 → counts as received on the next working day,
    # Mon 23/2 (14–15/2 weekend, 16–20/2 Tết, 21–22/2 weekend); 1 working day → Tue 24/2.
    response = client.get(f"{DEADLINE}?received_at={received_at}&working_days=1")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["counts_from"] == "2026-02-23"
    assert body["due_date"] == "2026-02-24"
    # End of 24/2 in UTC+7 = 16:59:59.999999 UTC.
    assert body["due_end"] == "2026-02-24T16:59:59.999999+00:00"
    assert body["cutoff"] == "15:00:00"
    assert body["received_at"] in ("2026-02-13T16:00:00+07:00", "2026-02-13T09:00:00+00:00")


def test_deadline_follows_overrides_and_the_swap(client):
    # Fri 28/8 09:00 + 1: Sat 29, Sun 30, Mon 31/8 (swap), Tue 1/9, Wed 2/9 closed → Thu 3/9.
    url = f"{DEADLINE}?received_at=2026-08-28T09:00:00%2B07:00&working_days=1"
    assert client.get(url).get_json()["due_date"] == "2026-09-03"
    add_calendar_override(date(2026, 9, 3), False, "Extra day off (test)")
    db.session.commit()
    assert client.get(url).get_json()["due_date"] == "2026-09-04"


@pytest.mark.parametrize("query", [
    "received_at=2026-02-13T16:00:00&working_days=1",   # no offset: ambiguous
    "received_at=yesterday&working_days=1",
    "received_at=2026-02-13T16:00:00%2B07:00&working_days=-1",
    "received_at=2026-02-13T16:00:00%2B07:00&working_days=366",
    "received_at=2026-02-13T16:00:00%2B07:00",           # working_days missing
])
def test_deadline_bad_input_is_422_json(client, query):
    response = client.get(f"{DEADLINE}?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_days_of_2026(client):
    response = client.get("/api/v1/calendar/days?year=2026")
    assert response.status_code == 200
    days = {d["date"]: d for d in response.get_json()}
    # 14 package holidays (see tests/core/test_workdays.py) + the worked Saturday 22/8.
    assert len(days) == 15
    assert days["2026-09-01"] == {"date": "2026-09-01", "working": False, "name": "Quốc khánh"}
    assert days["2026-08-22"]["working"] is True
    assert days["2026-04-26"]["working"] is False  # Sunday, Hùng Kings
    assert "2026-09-03" not in days
    english = client.get("/api/v1/calendar/days?year=2026&lang=en").get_json()
    assert {d["name"] for d in english} >= {"National Day", "Vietnam Cultural Day"}


@pytest.mark.parametrize("query", ["year=1999", "year=abc", "", "year=2026&lang=fr"])
def test_days_bad_input_is_422_json(client, query):
    response = client.get(f"/api/v1/calendar/days?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    deadline = spec["paths"]["/api/v1/calendar/deadline"]["get"]
    assert {p["name"] for p in deadline["parameters"]} >= {"received_at", "working_days"}
    assert "security" not in deadline  # public: no API key
    assert "/api/v1/calendar/days" in spec["paths"]
