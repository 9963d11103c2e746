"""SMS and Zalo delivery over HTTP, for the outbox (core.outbox picks the adapter).

``HttpSmsAdapter`` talks to any SMS gateway with an HTTP JSON API: the URL, the
authentication (a bearer token or HTTP basic) and the JSON body are configuration, so a
contracted provider needs no code. ``ZaloZnsAdapter`` sends a Zalo Notification Service
template message as Zalo's published API describes it (POST
https://business.openapi.zalo.me/message/template, the Official Account's ``access_token``
in a header, ``phone`` as 84xxxxxxxxx, ``template_id``, ``template_data``, ``tracking_id``;
the answer's ``error`` is 0 on success and ``data.msg_id`` names the message).

``send`` returns the provider's message id (or None) and raises ``ProviderError`` on any
failure, which the outbox records (without the phone number) and retries. Unconfigured
channels are not sent here: core.outbox then keeps logging them (development).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from typing import Any

__all__ = ["DEFAULT_SMS_BODY", "ZNS_URL", "HttpSmsAdapter", "ProviderError", "ZaloZnsAdapter",
           "international_phone"]

ZNS_URL = "https://business.openapi.zalo.me/message/template"
DEFAULT_SMS_BODY = {"to": "{phone}", "text": "{text}", "ref": "{ref}"}
MAX_RESPONSE = 65536


class ProviderError(Exception):
    """The provider refused or could not be reached; the text never holds the recipient."""


def international_phone(phone: str) -> str:
    """A Vietnamese number as 84xxxxxxxxx (what Zalo and most gateways want): "0912 345 678",
    "+84912345678" and "84912345678" all give "84912345678". ProviderError for anything that
    is not 9–10 digits after the country code."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not 9 <= len(digits) <= 10:
        raise ProviderError("not a Vietnamese phone number")
    return "84" + digits


def _post_json(url: str, payload: Any, headers: dict[str, str], timeout: float) -> Any:
    """POST ``payload`` as JSON; the decoded JSON answer (None when it is not JSON).
    ProviderError on a network failure or a non-2xx status."""
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            raw = answer.read(MAX_RESPONSE)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the answer's socket
        raise ProviderError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ProviderError(f"unreachable: {type(reason).__name__}") from None
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _fill(template: Any, values: dict[str, str]) -> Any:
    """``template`` with "{name}" in its strings replaced by ``values`` (after JSON parsing,
    so a value can never break the body's syntax)."""
    if isinstance(template, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values) for value in template]
    return template


def _dig(answer: Any, path: str) -> str | None:
    """The value at a dotted ``path`` ("data.msg_id") of a JSON answer, as text, or None."""
    for part in path.split(".") if path else ():
        if not isinstance(answer, dict) or part not in answer:
            return None
        answer = answer[part]
    return None if answer is None or isinstance(answer, (dict, list)) else str(answer)[:100]


def _as_mapping(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class HttpSmsAdapter:
    """SMS through a provider's HTTP API (configuration keys SMS_API_*, README)."""

    channel = "sms"

    def __init__(self, config: Any):
        self.config = config

    def _headers(self) -> dict[str, str]:
        config, auth = self.config, (self.config.get("SMS_API_AUTH") or "bearer").lower()
        if auth == "bearer":
            return {"Authorization": f"Bearer {config.get('SMS_API_TOKEN') or ''}"}
        if auth == "basic":
            pair = f"{config.get('SMS_API_USERNAME') or ''}:{config.get('SMS_API_PASSWORD') or ''}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        if auth == "none":
            return {}
        raise ProviderError(f"SMS_API_AUTH must be bearer, basic or none, not {auth!r}")

    def payload(self, recipient: str, message: Any) -> Any:
        phone = international_phone(recipient)
        values = {"phone": phone, "phone0": "0" + phone[2:], "text": message.body,
                  "ref": f"outbox-{message.id}", "sender": self.config.get("SMS_SENDER") or ""}
        template = _as_mapping(self.config.get("SMS_API_BODY")) or DEFAULT_SMS_BODY
        return _fill(template, values)

    def send(self, recipient: str, message: Any) -> str | None:
        answer = _post_json(self.config["SMS_API_URL"], self.payload(recipient, message),
                            self._headers(), float(self.config.get("SMS_API_TIMEOUT") or 10))
        return _dig(answer, self.config.get("SMS_API_ID_FIELD") or "id")


class ZaloZnsAdapter:
    """A Zalo ZNS template message (configuration keys ZALO_ZNS_*, README). The template is
    chosen by the message's purpose (ZALO_ZNS_TEMPLATES) or ZALO_ZNS_TEMPLATE_ID; its data is
    the message body when that is a JSON object (the sender filled the template's parameters),
    otherwise the body's text under the parameter ZALO_ZNS_TEXT_PARAM."""

    channel = "zalo"

    def __init__(self, config: Any):
        self.config = config

    def payload(self, recipient: str, message: Any) -> dict[str, Any]:
        templates = _as_mapping(self.config.get("ZALO_ZNS_TEMPLATES")) or {}
        template_id = templates.get(message.purpose) or self.config.get("ZALO_ZNS_TEMPLATE_ID")
        if not template_id:
            raise ProviderError(f"no ZNS template for {message.purpose}")
        try:
            data = json.loads(message.body)
        except (TypeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            data = {self.config.get("ZALO_ZNS_TEXT_PARAM") or "content": message.body}
        return {"phone": international_phone(recipient), "template_id": str(template_id),
                "template_data": {key: str(value) for key, value in data.items()},
                "tracking_id": f"outbox-{message.id}"}

    def send(self, recipient: str, message: Any) -> str | None:
        answer = _post_json(self.config.get("ZALO_ZNS_URL") or ZNS_URL,
                            self.payload(recipient, message),
                            {"access_token": self.config["ZALO_ZNS_ACCESS_TOKEN"]},
                            float(self.config.get("ZALO_ZNS_TIMEOUT") or 10))
        if not isinstance(answer, dict) or "error" not in answer:
            raise ProviderError("ZNS answer without an error field")
        if answer["error"] != 0:
            # Zalo's message explains the code (quota, template, a phone without Zalo …).
            text = re.sub(r"\d{8,}", "***", str(answer.get("message") or ""))[:200]
            raise ProviderError(f"ZNS error {answer['error']}: {text}")
        return _dig(answer, "data.msg_id")
