"""/metrics: who may read it, request counts by endpoint (never by URL), submissions counted
when their transaction commits, gauges read from the database, and several worker processes
summed in prometheus-client's multiprocess mode."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.apikeys import issue_api_key
from core.clock import now
from core.extensions import db
from core.models import JobRun, OutboxMessage, Role
from surveys.responses import SubmittedResponse, submit_response
from tests.feedback.helpers import build_org, submit_case
from tests.surveys.survey_page_helpers import build_desk

ROOT = Path(__file__).resolve().parents[2]


def _value(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def _key(make_user, unit, permissions) -> dict[str, str]:
    _api_key, plaintext = issue_api_key("Prometheus", unit, list(permissions),
                                        actor=make_user(Role.SYSTEM_ADMIN))
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def scrape(app, make_unit, make_user):
    headers = _key(make_user, make_unit("ROOT", kind="province"), ["metrics.view"])

    def read() -> str:
        response = app.test_client().get("/metrics", headers=headers)
        assert response.status_code == 200 and response.mimetype == "text/plain"
        return response.get_data(as_text=True)

    return read


def test_anonymous_callers_and_forged_keys_get_401(client):
    response = client.get("/metrics")
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert client.get("/metrics", headers={"Authorization": "Bearer ln_forged"}
                      ).status_code == 401


def test_only_holders_of_metrics_view_may_read(client, login, make_unit, make_user):
    unit = make_unit("ROOT", kind="province")
    assert client.get("/metrics", headers=_key(make_user, unit, ["units.view"])
                      ).status_code == 403
    assert client.get("/metrics", headers=_key(make_user, unit, ["metrics.view"])
                      ).status_code == 200
    login(client, make_user(Role.UNIT_ADMIN, unit))
    assert client.get("/metrics").status_code == 403
    staff = client.application.test_client()
    login(staff, make_user(Role.SYSTEM_ADMIN))
    assert staff.get("/metrics").status_code == 200


@pytest.mark.parametrize("app_config", [{"METRICS_ALLOW_LOOPBACK": True}])
def test_loopback_is_allowed_only_when_configured_and_not_through_a_proxy(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # Through the local nginx the socket is loopback too, but the request is someone else's.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 401
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 401


def test_loopback_is_refused_by_default(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 401


def test_requests_are_counted_by_endpoint_never_by_url(client, scrape):
    before = _value(scrape(), "langnghe_http_requests_total",
                    endpoint="feedback_answers_public.show", status="404") or 0
    for slug in ("s00000000417", "s00000000418"):
        assert client.get(f"/tra-loi-pakn/{slug}").status_code == 404
    # Letters, not digits: a duration such as 0.12345949 must not look like a leaked URL.
    client.get("/no/such/page-qzxw")
    text = scrape()
    assert _value(text, "langnghe_http_requests_total", method="GET",
                  endpoint="feedback_answers_public.show", status="404") == before + 2
    assert _value(text, "langnghe_http_request_duration_seconds_count",
                  endpoint="feedback_answers_public.show") >= 2
    assert _value(text, "langnghe_http_requests_total", endpoint="none", status="404") >= 1
    assert "s00000000417" not in text and "qzxw" not in text


def test_odd_methods_share_one_label(client, scrape):
    client.open("/tra-cuu/", method="PROPFIND")
    assert 'method="PROPFIND"' not in scrape()
    assert _value(scrape(), "langnghe_http_requests_total", method="other") >= 1


def test_pakn_submissions_are_counted_when_committed(app, scrape, make_unit, make_user):
    org = build_org(make_unit, make_user)
    before = _value(scrape(), "langnghe_pakn_submissions_total", channel="web") or 0
    submit_case(org, channel="web")
    submit_case(org, channel="web", commit=False)
    db.session.rollback()  # never stored: never counted
    with pytest.raises(RuntimeError), db.session.begin_nested():
        submit_case(org, channel="web", commit=False)
        raise RuntimeError("the savepoint rolls back")
    submit_case(org, channel="hotline")
    assert _value(scrape(), "langnghe_pakn_submissions_total", channel="web") == before + 1


def test_survey_submissions_are_counted_when_committed(app, scrape, make_unit):
    desk = build_desk(make_unit)
    before = _value(scrape(), "langnghe_survey_submissions_total", channel="desk_qr") or 0
    for commit in (True, False):
        submit_response(SubmittedResponse(version=desk.version, unit=desk.desk,
                                          channel="desk_qr", point=desk.point,
                                          answers={"q9_24": 4, "q9_25": 5}))
        db.session.commit() if commit else db.session.rollback()
    assert _value(scrape(), "langnghe_survey_submissions_total",
                  channel="desk_qr") == before + 1


def _message(status: str, age: timedelta) -> OutboxMessage:
    return OutboxMessage(channel="email", recipient_enc=b"-", subject="s", body="b",
                         purpose="test", status=status, created_at=now() - age)


def test_outbox_and_job_gauges_come_from_the_database(app, scrape):
    db.session.add_all([_message("pending", timedelta(minutes=10)),
                        _message("pending", timedelta(0)), _message("dead", timedelta(days=2)),
                        _message("sent", timedelta(days=3))])
    succeeded = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    db.session.add(JobRun(name="feedback.remind", last_success_at=succeeded))
    db.session.commit()
    text = scrape()
    assert _value(text, "langnghe_outbox_messages", status="pending") == 2
    assert _value(text, "langnghe_outbox_messages", status="dead") == 1
    assert 600 <= _value(text, "langnghe_outbox_oldest_pending_age_seconds") < 900
    assert _value(text, "langnghe_job_last_success_timestamp_seconds",
                  job="feedback.remind") == succeeded.timestamp()
    # A registered job that never succeeded reads 0, so an alert on its age fires.
    assert _value(text, "langnghe_job_last_success_timestamp_seconds",
                  job="feedback.escalate") == 0


def test_overdue_pakn_gauge(app, scrape, make_unit, make_user):
    org = build_org(make_unit, make_user)
    late, on_time, waiting = (submit_case(org) for _ in range(3))
    late.due_at = now() - timedelta(days=1)
    on_time.due_at = now() + timedelta(days=1)
    waiting.due_at, waiting.state = now() - timedelta(days=1), "waiting"  # its clock stopped
    db.session.commit()
    assert _value(scrape(), "langnghe_pakn_overdue_cases") == 1


SCRIPT = """
import multiprocessing, sys
from prometheus_client import generate_latest
from core import metrics

def work():
    metrics.observe_request("GET", "feedback_public.status", 200, 0.02)

workers = [multiprocessing.get_context("fork").Process(target=work) for _ in range(3)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
metrics.DATABASE_GAUGES.clear()  # no database here: only the process counters
sys.stdout.write(generate_latest(metrics.scrape_registry()).decode())
"""


def test_several_worker_processes_are_summed_in_multiprocess_mode(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert _value(done.stdout, "langnghe_http_requests_total", method="GET",
                  endpoint="feedback_public.status", status="200") == 3
    assert _value(done.stdout, "langnghe_http_request_duration_seconds_count",
                  endpoint="feedback_public.status") == 3
