"""Issue 13, defect 7: invalid UTF-8 was stored as U+FFFD (multipart) or kept percent-encoded
(query strings, urlencoded forms); it is now refused with a 400 that says why, in Vietnamese on
citizen pages and as ``invalid_encoding`` in the API. And a 405 keeps its Allow header."""

from __future__ import annotations

import pytest

from core.extensions import db
from feedback.models import FeedbackCase
from tests.feedback.helpers import build_org
from tests.feedback.test_public_form import form_data

VIETNAMESE = "không phải văn bản UTF-8 hợp lệ"
BROKEN = "Hồ sơ bị chậm ".encode() + b"\xff\xfe" + " mười ngày.".encode()


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "langnghe-test-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value + b"\r\n" for name, value in fields.items())
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _cases() -> int:
    return db.session.scalar(db.select(db.func.count(FeedbackCase.id)))


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def test_a_pakn_with_invalid_utf8_is_refused_and_not_stored(client_vi, org):
    fields = {name: str(value).encode() for name, value in form_data().items()}
    body, content_type = _multipart({**fields, "content": BROKEN})
    response = client_vi.post("/phan-anh/", data=body, content_type=content_type)
    assert response.status_code == 400
    assert VIETNAMESE in response.get_data(as_text=True)
    assert _cases() == 0
    # The same form in valid UTF-8 goes through.
    body, content_type = _multipart({**fields, "content": BROKEN.replace(b"\xff\xfe", b"")})
    assert client_vi.post("/phan-anh/", data=body, content_type=content_type
                          ).status_code == 303
    assert _cases() == 1


@pytest.mark.parametrize("body", [b"code=K7M%FF&digits=1234", b"code=K7M\xff&digits=1234"])
def test_an_urlencoded_form_with_invalid_utf8_is_refused(client_vi, body):
    response = client_vi.post("/tra-cuu/", data=body,
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert VIETNAMESE in response.get_data(as_text=True)


def test_a_query_string_with_invalid_utf8_is_refused(client_vi):
    response = client_vi.get("/tra-loi-pakn/?q=%C3%28")
    assert response.status_code == 400
    assert VIETNAMESE in response.get_data(as_text=True)
    assert client_vi.get("/tra-loi-pakn/?q=%C4%91i%E1%BB%87n").status_code == 200  # "điện"


def test_the_api_names_the_encoding_error(client):
    response = client.get("/api/v1/calendar/days?year=2026&lang=%FF")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_encoding"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/tra-cuu/", {"GET", "POST"}),
    ("PUT", "/api/v1/calendar/days", {"GET"}),
    ("DELETE", "/api/v1/open311/requests.json", {"GET", "POST"}),
])
def test_a_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
