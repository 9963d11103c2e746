"""The SMS and Zalo ZNS adapters against a fake provider on loopback (tests/core/
provider_server.py): the request's shape and authentication, the provider's message id, error
handling and retries through the outbox, and logging only when a channel is not configured."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from core.clock import now
from core.extensions import db
from core.messaging import ProviderError, international_phone
from core.models import OutboxMessage
from core.outbox import deliver_due, queue_message
from tests.core.provider_server import fake_provider

TEXT = "Sở Tư pháp mời Ông/Bà đánh giá: https://localhost/d/abc"


@pytest.fixture
def provider():
    with fake_provider() as server:
        yield server


def _queue(channel: str, body: str = TEXT, purpose: str = "survey.sample_invitation"
           ) -> OutboxMessage:
    message = queue_message(channel, "0912 345 678", subject="Khảo sát", body=body,
                            purpose=purpose)
    db.session.commit()
    return message


def _due_again(message: OutboxMessage) -> None:
    message.next_attempt_at = now()
    db.session.commit()


@pytest.mark.parametrize("phone, expected", [
    ("0912345678", "84912345678"), ("+84 912 345 678", "84912345678"),
    ("84912345678", "84912345678"), ("912345678", "84912345678")])
def test_phone_numbers_are_written_84_then_the_subscriber_number(phone, expected):
    assert international_phone(phone) == expected


def test_a_number_that_is_not_vietnamese_is_refused():
    with pytest.raises(ProviderError):
        international_phone("12345")


def test_sms_is_posted_with_a_bearer_token_and_the_default_body(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_API_URL", provider.url + "/v1/sms")
    monkeypatch.setitem(app.config, "SMS_API_TOKEN", "secret-token")
    provider.answers = [(200, {"id": "prov-77", "status": "accepted"})]
    message = _queue("sms")
    assert deliver_due()["sent"] == 1
    [request] = provider.requests
    assert request.path == "/v1/sms"
    assert request.headers["authorization"] == "Bearer secret-token"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.body == {"to": "84912345678", "text": TEXT, "ref": f"outbox-{message.id}"}
    db.session.refresh(message)
    assert (message.status, message.provider_message_id) == ("sent", "prov-77")


def test_sms_with_basic_auth_and_a_configured_body(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_API_URL", provider.url + "/send")
    monkeypatch.setitem(app.config, "SMS_API_AUTH", "basic")
    monkeypatch.setitem(app.config, "SMS_API_USERNAME", "so-tu-phap")
    monkeypatch.setitem(app.config, "SMS_API_PASSWORD", "pa:ss")
    monkeypatch.setitem(app.config, "SMS_SENDER", "SOTUPHAP")
    # A provider that wants a local number and a nested message (as an env JSON string).
    monkeypatch.setitem(app.config, "SMS_API_BODY", json.dumps(
        {"brandname": "{sender}", "messages": [{"phone": "{phone0}", "content": "{text}"}]}))
    monkeypatch.setitem(app.config, "SMS_API_ID_FIELD", "result.sms_id")
    provider.answers = [(200, {"result": {"sms_id": 123456}})]
    message = _queue("sms", body='Quote " and {braces} stay text')
    assert deliver_due()["sent"] == 1
    [request] = provider.requests
    expected = base64.b64encode(b"so-tu-phap:pa:ss").decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.body == {"brandname": "SOTUPHAP", "messages": [
        {"phone": "0912345678", "content": 'Quote " and {braces} stay text'}]}
    db.session.refresh(message)
    assert message.provider_message_id == "123456"


def test_a_failing_sms_provider_is_retried_then_succeeds(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_API_URL", provider.url + "/sms")
    provider.answers = [(503, {"error": "busy"}), (200, {"id": "ok-2"})]
    message = _queue("sms")
    assert deliver_due() == {"sent": 0, "retry": 1, "dead": 0, "failed": 0}
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "ProviderError: HTTP 503"
    assert "912" not in message.last_error
    _due_again(message)
    assert deliver_due()["sent"] == 1
    db.session.refresh(message)
    assert (message.status, message.attempts, message.provider_message_id) == ("sent", 2, "ok-2")
    assert len(provider.requests) == 2


def test_an_unreachable_provider_is_a_recorded_failure(app, monkeypatch):
    with fake_provider() as server:
        url = server.url
    monkeypatch.setitem(app.config, "SMS_API_URL", url + "/sms")  # nobody listens any more
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 1)
    message = _queue("sms")
    assert deliver_due()["dead"] == 1
    db.session.refresh(message)
    assert message.last_error.startswith("ProviderError: unreachable")


def test_zalo_zns_follows_the_published_api(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "ZALO_ZNS_URL", provider.url + "/message/template")
    monkeypatch.setitem(app.config, "ZALO_ZNS_ACCESS_TOKEN", "oa-access-token")
    monkeypatch.setitem(app.config, "ZALO_ZNS_TEMPLATES",
                        {"survey.sample_invitation": "7895417a7d3f9461cd2e"})
    provider.answers = [(200, {"error": 0, "message": "Success",
                               "data": {"msg_id": "a1b2c3", "sent_time": "1700000000000"}})]
    body = json.dumps({"unit_name": "Sở Tư pháp", "survey_url": "https://localhost/d/abc"},
                      ensure_ascii=False)
    message = _queue("zalo", body=body)
    assert deliver_due()["sent"] == 1
    [request] = provider.requests
    assert request.path == "/message/template"
    assert request.headers["access_token"] == "oa-access-token"
    assert request.body == {
        "phone": "84912345678", "template_id": "7895417a7d3f9461cd2e",
        "template_data": {"unit_name": "Sở Tư pháp", "survey_url": "https://localhost/d/abc"},
        "tracking_id": f"outbox-{message.id}"}
    db.session.refresh(message)
    assert message.provider_message_id == "a1b2c3"


def test_a_plain_text_zalo_message_fills_the_text_parameter(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "ZALO_ZNS_URL", provider.url + "/message/template")
    monkeypatch.setitem(app.config, "ZALO_ZNS_ACCESS_TOKEN", "t")
    monkeypatch.setitem(app.config, "ZALO_ZNS_TEMPLATE_ID", "default-template")
    provider.answers = [(200, {"error": 0, "data": {"msg_id": "x"}})]
    _queue("zalo", purpose="feedback.received")
    deliver_due()
    assert provider.requests[0].body["template_id"] == "default-template"
    assert provider.requests[0].body["template_data"] == {"content": TEXT}


def test_a_zalo_error_code_is_recorded_and_retried(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "ZALO_ZNS_URL", provider.url + "/message/template")
    monkeypatch.setitem(app.config, "ZALO_ZNS_ACCESS_TOKEN", "t")
    monkeypatch.setitem(app.config, "ZALO_ZNS_TEMPLATE_ID", "tpl")
    # Zalo answers HTTP 200 with a non-zero error for a refused message.
    provider.answers = [(200, {"error": -124, "message": "Access token is invalid"}),
                        (200, {"error": 0, "data": {"msg_id": "second"}})]
    message = _queue("zalo")
    assert deliver_due()["retry"] == 1
    db.session.refresh(message)
    assert message.last_error == "ProviderError: ZNS error -124: Access token is invalid"
    _due_again(message)
    assert deliver_due()["sent"] == 1
    db.session.refresh(message)
    assert message.provider_message_id == "second"


def test_a_zalo_answer_without_an_error_field_is_a_failure(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "ZALO_ZNS_URL", provider.url + "/message/template")
    monkeypatch.setitem(app.config, "ZALO_ZNS_ACCESS_TOKEN", "t")
    monkeypatch.setitem(app.config, "ZALO_ZNS_TEMPLATE_ID", "tpl")
    provider.answers = [(200, {"unexpected": True})]
    message = _queue("zalo")
    deliver_due()
    db.session.refresh(message)
    assert message.last_error == "ProviderError: ZNS answer without an error field"


def test_unconfigured_channels_only_log(app, provider, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("core.outbox"), "disabled", False)
    caplog.set_level(logging.INFO, logger="core.outbox")
    _queue("sms")
    _queue("zalo")
    assert deliver_due()["sent"] == 2
    assert provider.requests == []
    assert [r.getMessage() for r in caplog.records] == [
        "sms to ***678: survey.sample_invitation", "zalo to ***678: survey.sample_invitation"]
