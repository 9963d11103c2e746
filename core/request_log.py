"""One JSON line per request on the ``langnghe.request`` logger, and the request metrics.

A line holds: ``ts``, ``request_id`` (the proxy's X-Request-ID when sane, else ours: see
core.security; echoed in the response), ``method``, ``endpoint`` (the Flask endpoint name),
``route`` (the URL rule with its placeholders), ``status``, ``duration_ms`` and ``bytes``.

What it never holds, by choice (Nghị định 13/2023/NĐ-CP: personal data is processed only as
far as the stated purpose needs, and an operations log needs none): the actual path or the
query string (citizen pages carry tracking codes, phone digits and rating tokens there),
form or JSON values, cookies, the user agent, user or key ids (the audit log records who did
what, under its own rules). The client's address is left out unless the operator chooses
``REQUEST_LOG_CLIENT_ADDRESS``: "prefix" (the /24 or /48 network, enough to see an abusive
network) or "full"; the operator then states that purpose (security) and a retention for
these logs. Streamed answers (CSV exports) are timed to their first byte.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request

from core.metrics import observe_request

log = logging.getLogger("langnghe.request")
_PREFIX_LENGTH = {4: 24, 6: 48}


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (a test runner swaps it between tests)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logger() -> None:
    """The lines go to stderr as they are (gunicorn's and systemd's journal keep them), not
    through the root logger, whose format would wrap the JSON."""
    if log.handlers:
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def client_address_for_log(address: str | None, mode: str) -> str | None:
    """The client's address as the operator chose to log it (None: not at all)."""
    if mode not in ("prefix", "full") or not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if mode == "full":
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/{_PREFIX_LENGTH[ip.version]}", strict=False))


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else None
    observe_request(request.method, endpoint, response.status_code, seconds)
    if current_app.config["REQUEST_LOG"]:
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": g.get("request_id"), "method": request.method[:16],
            "endpoint": endpoint, "route": rule.rule if rule is not None else None,
            "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
            "bytes": response.content_length,
        }
        address = client_address_for_log(request.remote_addr,
                                         current_app.config["REQUEST_LOG_CLIENT_ADDRESS"])
        if address is not None:
            line["client"] = address
        log.info(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return response


def init_request_log(app: Flask) -> None:
    _configure_logger()
    # First of all hooks, so the time includes the others (limits, session, CSRF).
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_finish)
