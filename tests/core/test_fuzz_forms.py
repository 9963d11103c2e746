"""hypothesis against the citizen forms: the PAKN form (/phan-anh/), the status page
(/tra-cuu/) and the desk survey (/k/<code>). Any text, any length, any Unicode, missing fields
or a body that is not UTF-8 never answers 5xx, and a refused submission stores nothing while an
accepted one stores a whole case or response (never a half-written row)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.extensions import db
from core.models import OutboxMessage
from feedback.models import FeedbackAttachment, FeedbackCase, FeedbackEvent
from surveys.rollups import rollup_matches_raw
from tests.feedback.helpers import build_org
from tests.surveys.survey_page_helpers import POINT_CODE, build_desk, old_token, stored_counts

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Any text: short, or long enough to pass every length limit; every Unicode category
# hypothesis draws (control characters, combining marks, emoji, right-to-left…).
TEXT = st.one_of(st.text(max_size=40), st.text(min_size=200, max_size=6000))


def field(*valid: str) -> st.SearchStrategy[str | None]:
    """A field's value: missing, one of its valid values, or any text."""
    return st.one_of(st.none(), st.sampled_from(valid) if valid else st.nothing(), TEXT)


def form(**valid: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    """Every field drawn apart, or the valid form (each field's first valid value) with up to
    three fields dropped or replaced by any text, so accepted submissions are tried too."""
    drawn = st.fixed_dictionaries({name: field(*values) for name, values in valid.items()})
    base = {name: values[0] for name, values in valid.items() if values}
    changed = st.builds(_changed, st.just(base), st.dictionaries(
        st.sampled_from(sorted(valid)), st.one_of(st.none(), TEXT), max_size=3))
    return st.one_of(drawn, changed).map(
        lambda values: {name: value for name, value in values.items() if value is not None})


def _changed(valid: dict, changes: dict) -> dict:
    return {**valid, **changes}


PAKN_FORM = form(
    kind=("report", "recommendation"), topic=("procedures", "other"),
    title=("Chậm trả kết quả",), content=("Hồ sơ của tôi bị trễ hẹn 10 ngày.",),
    unit=("P-SNV", "P-HCC"), desk=("P-HCC-Q1",), procedure_name=(),
    procedure_code=("1.001234",), dossier_code=(), location=(),
    sender_type=("person", "organisation"), name=("Nguyễn Văn An",), address=(),
    phone=("0912 345 678",), email=("an@example.vn",), reply_channel=("email", "none", "sms"),
    consent=("y",), channel=("web", "qr"), idempotency_key=("k" * 32,),
)


@pytest.fixture
def app_config() -> dict:
    return {"RATELIMIT_ENABLED": False}


def _count(*models) -> tuple[int, ...]:
    counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                   for model in models)
    db.session.rollback()  # end the test's read: the next request takes the write lock
    return counts


PAKN_TABLES = (FeedbackCase, FeedbackEvent, FeedbackAttachment, OutboxMessage)


def test_pakn_form_never_fails_and_stores_whole_cases_or_nothing(client, make_unit, make_user):
    build_org(make_unit, make_user)
    outcomes: set[str] = set()

    @FUZZ
    @given(data=PAKN_FORM)
    def post(data: dict[str, str]) -> None:
        before = _count(*PAKN_TABLES)
        response = client.post("/phan-anh/", data=data)
        after = _count(*PAKN_TABLES)
        assert response.status_code < 500, data
        outcomes.add("stored" if after[0] > before[0] else str(response.status_code))
        if response.status_code in (302, 303):
            assert after[0] - before[0] in (0, 1)  # 0: the same idempotency key again
            if after[0] > before[0]:
                _assert_whole_case(data)
        else:
            assert response.status_code in (400, 413, 422), response.status_code
            assert after == before, data

    post()
    assert {"stored", "400"} <= outcomes, outcomes  # both paths were taken


def _assert_whole_case(data: dict[str, str]) -> None:
    case = db.session.scalars(select(FeedbackCase).order_by(FeedbackCase.id.desc())).first()
    assert case.tracking_code and case.agency_id and case.content
    assert db.session.scalar(select(func.count()).select_from(FeedbackEvent)
                             .where(FeedbackEvent.case_id == case.id)) >= 1
    db.session.rollback()


def test_status_page_never_fails_and_changes_no_case(client, make_unit, make_user):
    build_org(make_unit, make_user)

    @FUZZ
    @given(data=form(code=("PA-2612-0001",), digits=("5678",)), query=TEXT)
    def look_up(data: dict[str, str], query: str) -> None:
        before = _count(FeedbackCase, FeedbackEvent)
        shown = client.get("/tra-cuu/", query_string={"ma": query}).status_code
        assert shown == (400 if "\x00" in query else 200)
        response = client.post("/tra-cuu/", data=data)
        assert response.status_code in (400, 404, 429), (response.status_code, data)
        assert _count(FeedbackCase, FeedbackEvent) == before

    look_up()


def test_survey_form_never_fails_and_stores_whole_responses_or_nothing(app, client, make_unit):
    desk = build_desk(make_unit)
    started = old_token(desk.version.id)
    scale = ("4", "1", "5", "6", "0")
    survey = form(started=(started,), website=("",), q9_24=scale, q9_25=scale, overall=scale,
                  q8_1=("1", "2", "3"), a_age=("1", "2"), comment=("Cán bộ nhiệt tình.",),
                  q2=("1", "3"))

    outcomes: set[int] = set()

    @FUZZ
    @given(data=survey, code=st.one_of(st.just(POINT_CODE), TEXT))
    def rate(data: dict[str, str], code: str) -> None:
        before = stored_counts()
        db.session.rollback()
        url = f"/k/{code}" if code == POINT_CODE else "/k/" + code.replace("/", "")
        assert client.get(url).status_code < 500
        response = client.post(url, data=data)
        after = stored_counts()
        db.session.rollback()
        assert response.status_code < 500, (response.status_code, data)
        outcomes.add(response.status_code)
        if response.status_code == 303:
            assert after[0] == before[0] + 1 and after[2:] >= before[2:]
        else:
            assert after == before, (response.status_code, data)

    rate()
    assert {303, 400} <= outcomes, outcomes  # both paths were taken
    assert rollup_matches_raw()


@FUZZ
@given(body=st.binary(max_size=3000))
def test_bodies_that_are_not_utf8_are_refused_on_every_citizen_form(client, body):
    for url in ("/phan-anh/", "/tra-cuu/", f"/k/{POINT_CODE}"):
        response = client.post(url, data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (url, body)


def test_a_nul_character_is_refused_before_any_lookup(client, make_unit, make_user):
    """PostgreSQL refuses NUL even in a WHERE clause: it must never reach a query."""
    build_org(make_unit, make_user)
    before = _count(*PAKN_TABLES)
    for response in (client.post("/phan-anh/", data={"unit": "P-SNV\x00", "content": "x"}),
                     client.post("/tra-cuu/", data={"code": "PA\x00", "digits": "1234"}),
                     client.get("/tra-cuu/?ma=PA%00"), client.get("/k/K7M2%00"),
                     client.get("/don-vi/P%00")):
        assert response.status_code == 400
        assert "not valid UTF-8 text" in response.get_data(as_text=True)
    assert _count(*PAKN_TABLES) == before
