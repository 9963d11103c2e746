"""Issue 13, defect 1: behind nginx every client shared one rate-limit bucket per endpoint.

The app now trusts exactly TRUSTED_PROXY_HOPS proxies (werkzeug's ProxyFix), so the limits key on
the real client; and a production start with several workers and in-memory limits is refused.
"""

from __future__ import annotations

import pytest

from tests.feedback.helpers import build_org, submit_case
from tests.feedback.test_status_page import DIGITS

URL = "/tra-cuu/"
LIMITED = {"FEEDBACK_STATUS_LIMIT": "2 per minute"}
NGINX = "127.0.0.1"  # the proxy on the same host: every request reaches the app from it


def _lookup(client, forwarded_for: str | None = None, **fields: str) -> int:
    """A lookup (empty: 400 with the form) from ``forwarded_for`` as the proxy reports it."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(URL, data={"code": "", "digits": "", **fields}, headers=headers,
                       environ_base={"REMOTE_ADDR": NGINX}).status_code


@pytest.mark.parametrize("app_config", [{**LIMITED, "TRUSTED_PROXY_HOPS": 1}])
def test_behind_one_proxy_each_client_has_its_own_bucket(client, make_unit, make_user):
    case = submit_case(build_org(make_unit, make_user))
    assert [_lookup(client, "203.0.113.7") for _ in range(3)] == [400, 400, 429]
    # Another citizen behind the same proxy still finds their case.
    assert _lookup(client, "198.51.100.20", code=case.tracking_code, digits=DIGITS) == 200
    assert _lookup(client, "203.0.113.7") == 429


@pytest.mark.parametrize("app_config", [{**LIMITED, "TRUSTED_PROXY_HOPS": 0}])
def test_without_a_trusted_proxy_a_forged_header_changes_nothing(client):
    # Each request claims another address; the socket's address is what counts.
    statuses = [_lookup(client, f"203.0.113.{n}") for n in range(1, 4)]
    assert statuses == [400, 400, 429]


@pytest.mark.parametrize("app_config", [{**LIMITED, "TRUSTED_PROXY_HOPS": 1}])
def test_a_forged_left_most_address_changes_nothing(client):
    assert [_lookup(client, "203.0.113.7") for _ in range(2)] == [400, 400]
    # The client sent "X-Forwarded-For: 10.9.8.7"; nginx appended the address it saw.
    assert _lookup(client, "10.9.8.7, 203.0.113.7") == 429


@pytest.mark.own_app
@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_HOPS": 1}])
def test_the_proxy_scheme_and_host_are_taken_from_one_hop(app, client):
    @app.get("/_where")
    def _where():
        from flask import request

        return {"scheme": request.scheme, "host": request.host, "addr": request.remote_addr}

    answer = client.get("/_where", environ_base={"REMOTE_ADDR": NGINX}, headers={
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "langnghe.example.gov.vn"}).json
    assert answer == {"scheme": "https", "host": "langnghe.example.gov.vn",
                      "addr": "203.0.113.9"}


def test_no_proxy_is_trusted_by_default(app):
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    assert app.wsgi_app.__class__.__name__ != "ProxyFix"


def test_several_production_workers_without_shared_limits_refuse_to_start(make_app,
                                                                          monkeypatch):
    monkeypatch.setenv("LANGNGHE_WORKERS", "3")  # what deploy/gunicorn.conf.py runs with
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        make_app(TESTING=False, REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://")


PRODUCTION_HASHING = {"PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY"}


def test_one_worker_or_shared_limits_start(make_app):
    one = make_app(TESTING=False, WORKERS=1, REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://",
                   **PRODUCTION_HASHING)
    assert one.config["WORKERS"] == 1
    shared = make_app(TESTING=False, WORKERS=3, REDIS_URL="redis://127.0.0.1:6379/15",
                      **PRODUCTION_HASHING)
    assert shared.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"
