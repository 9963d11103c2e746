"""What a request may send before any view reads it: valid UTF-8 and JSON a parser can take.

Werkzeug is lenient by design: a multipart field with invalid UTF-8 becomes U+FFFD, an
urlencoded one keeps its bad bytes percent-encoded, and JSON nested deeper than Python's
recursion limit raises RecursionError (a 500). Here such input is refused with a 400 that says
why, in the API's JSON format under /api/ and on the bilingual error page elsewhere.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The escape \u0000 itself, not an escaped backslash followed by "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class InvalidEncoding(BadRequest):
    """A query string or form field that is not valid UTF-8."""

    code_name = "invalid_encoding"
    description = _l("What was sent is not valid UTF-8 text. Please type it again, or send it "
                     "from another browser.")


class InvalidJson(BadRequest):
    """A body that claims to be JSON but cannot be read as JSON."""

    code_name = "invalid_json"
    description = _l("The body is not valid JSON (or it is nested too deeply).")


def load_json_text(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that reports nesting beyond the recursion limit as a ValueError (what
    every JSON reader already treats as invalid JSON), not as a RecursionError."""
    try:
        return json.loads(data, **kwargs)
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json_text(s, **kwargs)


class SafeRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not sent as JSON at all: werkzeug's 415 says so
            return super().on_json_loading_failed(e)
        raise InvalidJson() from e


def _is_utf8(raw: bytes) -> bool:
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _form_is_utf8() -> bool:
    if request.mimetype == "application/x-www-form-urlencoded":
        return _is_utf8(request.get_data(cache=True))
    # Multipart fields were already decoded with replacement characters: look for them.
    return not any("\ufffd" in value for value in request.form.values())


def _carries_nul() -> bool:
    """A NUL character: valid UTF-8, but no text field holds one, and PostgreSQL refuses it
    even in a lookup (a 500 before any form validation could answer)."""
    if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.query_string):
        return True
    if request.is_json:  # JSON can only carry it escaped (a raw NUL is not JSON)
        return _JSON_NUL.search(request.get_data(cache=True)) is not None
    if request.mimetype == "application/x-www-form-urlencoded":
        return b"\x00" in unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" "))
    return request.mimetype == "multipart/form-data" and any(
        "\x00" in value for value in request.form.values())


def refuse_invalid_utf8() -> None:
    """A before-request check (the first one, so no other hook reads the form first)."""
    if not _is_utf8(request.query_string):
        raise InvalidEncoding()
    if _carries_nul():
        raise InvalidEncoding()
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in _FORM_TYPES \
            and not _form_is_utf8():
        raise InvalidEncoding()


def init_request_input(app: Flask) -> None:
    app.request_class = SafeRequest
    app.json = SafeJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_invalid_utf8)
