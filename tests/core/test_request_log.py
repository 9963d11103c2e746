"""One JSON log line per request: the request id (the proxy's when sane, echoed back), method,
endpoint, route, status and duration; never the path's codes, the query string, form values or
the client's address unless the operator asks for it."""

from __future__ import annotations

import json
import logging

import pytest

from core.request_log import client_address_for_log

CODE = "K7M39QXDT"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def lines():
    handler = _Lines()
    logger = logging.getLogger("langnghe.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_one_line_per_request_with_the_proxy_request_id(client, lines):
    response = client.get(f"/tra-cuu/?ma={CODE}", headers={"X-Request-ID": "nginx-5f2c9a1b"})
    assert response.headers["X-Request-ID"] == "nginx-5f2c9a1b"
    [line] = lines
    assert line["request_id"] == "nginx-5f2c9a1b"
    assert (line["method"], line["endpoint"], line["route"], line["status"]) == (
        "GET", "feedback_public.status", "/tra-cuu/", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert CODE not in json.dumps(line) and "client" not in line


def test_a_request_without_a_sane_id_gets_one_of_ours(client, lines):
    response = client.get("/tra-cuu/", headers={"X-Request-ID": "bad id\x7f<script>"})
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 16 and generated.isalnum()
    assert lines[-1]["request_id"] == generated


def test_paths_query_strings_and_form_values_stay_out(client, lines):
    client.post("/tra-cuu/", data={"code": CODE, "digits": "5678"})
    client.get(f"/tra-loi-pakn/{CODE.lower()}?q=Nguyễn+Văn+An")
    text = json.dumps(lines, ensure_ascii=False)
    for secret in (CODE, CODE.lower(), "5678", "Nguyễn"):
        assert secret not in text
    assert [line["route"] for line in lines] == ["/tra-cuu/", "/tra-loi-pakn/<slug>"]


def test_refused_and_unknown_requests_are_logged_too(client, lines):
    client.get("/no-such-page")
    client.get("/tra-loi-pakn/?q=%FF")
    assert [(line["endpoint"], line["status"]) for line in lines] == [
        (None, 404), ("feedback_answers_public.index", 400)]
    assert all(line["request_id"] for line in lines)


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_HOPS": 1,
                                         "REQUEST_LOG_CLIENT_ADDRESS": "prefix"}])
def test_the_operator_may_log_the_client_network(client, lines):
    client.get("/tra-cuu/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
               headers={"X-Forwarded-For": "203.0.113.77"})
    assert lines[-1]["client"] == "203.0.113.0/24"


@pytest.mark.parametrize(("address", "mode", "logged"), [
    ("203.0.113.77", "none", None),
    ("203.0.113.77", "prefix", "203.0.113.0/24"),
    ("2001:db8:1234:5678::9", "prefix", "2001:db8:1234::/48"),
    ("203.0.113.77", "full", "203.0.113.77"),
    ("not-an-address", "full", None),
])
def test_client_address_modes(address, mode, logged):
    assert client_address_for_log(address, mode) == logged
