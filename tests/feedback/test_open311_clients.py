"""Open311 driven by published GeoReport v2 client libraries from PyPI, as an integrator would:

- ``georeport`` (GeoReport, requests + xmltodict): services, service definitions and
  requests, in XML (the specification's default format) and JSON;
- ``civicbot`` (civicbot.open311.Open311Client): the POST with ``attribute[code]`` values,
  checked first against our service definition (``validate_remote``).

Only the transport is replaced: georeport's ``requests.get`` and civicbot's
``HttpTransport._open`` hand the request to the Flask test client; every URL, parameter,
form body and parse is the library's own.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, date, datetime

import pytest
import requests
from civicbot.http import HttpError, HttpTransport
from civicbot.open311 import Open311Client
from civicbot.open311 import ValidationError as ClientValidationError
from civicbot.registry import Endpoint
from georeport import GeoReport
from sqlalchemy import func, select

from core.clock import LOCAL_TZ, now
from core.crypto import decrypt_json
from core.extensions import db
from feedback import intake
from feedback.models import FeedbackCase, Publication, Topic
from tests.feedback.helpers import build_org
from tests.surveys.dossier_helpers import api_key_for

ROOT = "http://localhost/api/v1/open311"
ATTRIBUTE_CODES = ["sender_address", "kind", "unit", "sender_type", "consent"]
# Monday 1 June 2026, 10:00 in Vietnam: no holiday for the next three weeks.
RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
SENDER = {"first_name": "Thị Hoa", "last_name": "Vũ", "phone": "0912 000 111",
          "email": "hoa.vu@example.vn"}
FORMAL = {"sender_address": "12 ngõ 5 Lê Lợi, phường Hoàn Kiếm, Hà Nội", "kind": "report",
          "unit": "P-SNV", "sender_type": "person", "consent": "true"}


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                    tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def key(org, make_user):
    return api_key_for(make_user, org.province, ("feedback.intake", "feedback.view"))


class _FlaskResponse(requests.Response):
    def __init__(self, url: str, answer):
        super().__init__()
        self.url, self.status_code = url, answer.status_code
        self._content = answer.get_data()
        self.headers.update(dict(answer.headers))


@pytest.fixture
def georeport_transport(client, monkeypatch):
    """georeport calls ``requests.get(url, params=…)``: answer it from the test client."""
    class _Requests:
        @staticmethod
        def get(url: str, params=None):
            answer = client.get(url.removeprefix("http://localhost"), query_string=params)
            return _FlaskResponse(url, answer)

    monkeypatch.setattr("georeport.georeport.requests", _Requests)
    return GeoReport


class _FlaskTransport(HttpTransport):
    """civicbot's transport with the network call replaced by the test client; a status of
    400 or more raises civicbot's HttpError exactly as its urllib call does."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def _open(self, req) -> bytes:
        parts = urllib.parse.urlsplit(req.full_url)
        answer = self.client.open(parts.path, method=req.get_method(),
                                  query_string=parts.query, data=req.data,
                                  headers=dict(req.header_items()))
        if answer.status_code >= 400:
            raise HttpError(answer.status_code, req.full_url, answer.get_data(as_text=True))
        return answer.get_data()


@pytest.fixture
def civicbot(client):
    endpoint = Endpoint(id="langnghe", name="Lắng nghe", base_url=ROOT, write=True)
    return Open311Client(endpoint, transport=_FlaskTransport(client))


@pytest.fixture
def received_monday(monkeypatch):
    monkeypatch.setattr(intake, "now", lambda: RECEIVED)


def _post(civicbot, key: str, attributes: dict, validate: bool = True, **fields):
    return civicbot.create_request(
        "road_traffic", dry_run=False, confirm="SEND", api_key=key, validate_remote=validate,
        description="Ổ gà lớn trước cổng trường, xe máy ngã liên tục.",
        address_string="Đường Trần Phú, phường Hà Đông", attributes=attributes,
        **{**SENDER, **fields})


def _cases() -> int:
    return db.session.scalar(select(func.count(FeedbackCase.id)))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_lists_the_services(georeport_transport, fmt):
    services = georeport_transport(ROOT, output_format=fmt).get_service_list()
    assert [s["service_code"] for s in services] == [t.value for t in Topic]
    traffic = services[[t.value for t in Topic].index("road_traffic")]
    assert traffic["service_name"] == "Giao thông đường bộ"
    # XML carries text: the specification's "true"; JSON its boolean.
    assert traffic["metadata"] == ("true" if fmt == "xml" else True)
    assert traffic["type"] == "realtime"


def test_georeport_reads_the_service_definition_in_xml_and_json(georeport_transport):
    as_xml = georeport_transport(ROOT, output_format="xml").get_service_definition("health")
    as_json = georeport_transport(ROOT).get_service_definition("health")
    assert as_xml["service_code"] == as_json["service_code"] == "health"
    xml_attributes = as_xml["attributes"]["attribute"]
    assert [a["code"] for a in xml_attributes] == ATTRIBUTE_CODES
    assert [a["code"] for a in as_json["attributes"]] == ATTRIBUTE_CODES
    assert [a["order"] for a in xml_attributes] == ["1", "2", "3", "4", "5"]
    kind = xml_attributes[1]
    assert (kind["datatype"], kind["required"], kind["variable"]) == (
        "singlevaluelist", "false", "true")
    assert [v["key"] for v in kind["values"]["value"]] == [
        "report", "recommendation", "suggestion"]
    consent = as_json["attributes"][4]
    assert consent["values"] == [{"key": "true", "name": "Đồng ý"}]
    assert as_json["attributes"][0]["datatype"] == "string"


def test_georeport_gets_404_for_an_unknown_service_in_the_specs_xml(georeport_transport):
    with pytest.raises(requests.HTTPError) as raised:
        georeport_transport(ROOT, output_format="xml").get_service_definition("weather")
    answer = raised.value.response
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert answer.text.endswith("<errors><error><code>404</code><description>Unknown "
                                "service_code.</description></error></errors>")


def test_civicbot_files_a_formal_pakn_with_its_legal_deadlines(
        civicbot, key, org, received_monday, georeport_transport):
    prepared = _post(civicbot, key, FORMAL)
    [created] = prepared.response
    case = db.session.scalar(select(FeedbackCase))
    assert created["service_request_id"].replace("-", "") == case.tracking_code
    assert (case.is_formal, case.kind, case.channel) == (True, "report", "open311")
    assert case.agency_id == org.province.id and case.origin_unit_id == org.department.id
    assert decrypt_json(case.contact_enc) == {
        "name": "Vũ Thị Hoa", "address": "12 ngõ 5 Lê Lợi, phường Hoàn Kiếm, Hà Nội",
        "phone": "0912 000 111", "email": "hoa.vu@example.vn"}
    # Civil Code art. 147-148 (DOMAIN.md §4): the day of receipt, Monday 1 June, is not
    # counted. 5 working days to transfer: Tue 2 … Mon 8 June; 10 to acknowledge: … Mon 15.
    assert case.transfer_due_at == _end_of(date(2026, 6, 8))
    assert case.acknowledge_due_at == _end_of(date(2026, 6, 15))
    # Once its answer is published, any GeoReport client reads the request and its date.
    db.session.add(Publication(
        case_id=case.id, slug="o-ga-truoc-cong-truong", title="Ổ gà", question="Ổ gà lớn.",
        answer="Đã vá.", topic="road_traffic", kind="report", unit_id=org.department.id,
        status="published", published_at=now()))
    db.session.commit()
    record = georeport_transport(ROOT, output_format="xml").get_service_request(
        created["service_request_id"])
    assert record["expected_datetime"] == "2026-06-08T23:59:59+07:00"
    assert record["requested_datetime"] == "2026-06-01T10:00:00+07:00"
    assert record["status"] == "open" and record["description"] == "Ổ gà lớn."


@pytest.mark.parametrize(("left_out", "reason"), [
    ("sender_address", "no postal address: not a formal PAKN"),
    ("phone", "no phone: not a formal PAKN"),
])
def test_without_address_or_phone_it_is_a_suggestion(civicbot, key, received_monday,
                                                     left_out, reason):
    attributes = {k: v for k, v in FORMAL.items() if k != left_out}
    fields = {"phone": None} if left_out == "phone" else {}
    [created] = _post(civicbot, key, attributes, **fields).response
    case = db.session.scalar(select(FeedbackCase))
    assert (case.is_formal, case.kind, case.due_at) == (False, "suggestion", None), reason
    assert "attribute[sender_address]" in created["service_notice"]


def test_a_suggestion_asked_for_stays_one(civicbot, key, received_monday):
    _post(civicbot, key, {**FORMAL, "kind": "suggestion"})
    case = db.session.scalar(select(FeedbackCase))
    assert (case.is_formal, case.kind, case.transfer_due_at) == (False, "suggestion", None)


def test_a_recommendation_is_formal_too(civicbot, key, received_monday):
    _post(civicbot, key, {**FORMAL, "kind": "recommendation"})
    case = db.session.scalar(select(FeedbackCase))
    assert (case.is_formal, case.kind) == (True, "recommendation")
    assert case.transfer_due_at == _end_of(date(2026, 6, 8))


def test_contact_details_without_consent_are_refused_as_on_the_web_form(civicbot, key):
    attributes = {k: v for k, v in FORMAL.items() if k != "consent"}
    with pytest.raises(HttpError) as raised:
        _post(civicbot, key, attributes)
    assert raised.value.status == 400
    assert '"code":400' in raised.value.body.replace(" ", "")
    assert "attribute[consent]" in raised.value.body
    assert _cases() == 0


def test_an_anonymous_request_needs_no_consent(civicbot, key):
    anonymous = {k: None for k in SENDER}
    [created] = _post(civicbot, key, {"kind": "suggestion"}, **anonymous).response
    case = db.session.scalar(select(FeedbackCase))
    assert created["service_request_id"].replace("-", "") == case.tracking_code
    assert case.contact_enc is None and not case.is_formal


def test_civicbot_checks_values_against_our_definition(civicbot, key):
    with pytest.raises(ClientValidationError) as raised:
        _post(civicbot, key, {**FORMAL, "kind": "complaint"})
    assert "'kind'" in str(raised.value) and "recommendation" in str(raised.value)
    assert _cases() == 0


@pytest.mark.parametrize(("attributes", "named"), [
    ({**FORMAL, "kind": "complaint"}, "attribute[kind]"),
    ({**FORMAL, "consent": "yes"}, "attribute[consent]"),
    ({**FORMAL, "sender_type": "robot"}, "attribute[sender_type]"),
    ({**FORMAL, "sender_address": "x" * 301}, "attribute[sender_address]"),
    ({**FORMAL, "unit": "NOPE"}, "attribute[unit]"),
    ({**FORMAL, "favourite_colour": "blue"}, "attribute[favourite_colour]"),
])
def test_invalid_attributes_answer_400_in_the_specs_format(civicbot, key, attributes, named):
    with pytest.raises(HttpError) as raised:
        _post(civicbot, key, attributes, validate=False)
    assert raised.value.status == 400
    assert named in raised.value.body
    assert _cases() == 0


def test_a_unit_outside_the_jurisdiction_is_refused(civicbot, key, org):
    civicbot.jurisdiction_id = "P-STC"
    with pytest.raises(HttpError) as raised:
        _post(civicbot, key, FORMAL)  # P-SNV is not within P-STC
    assert raised.value.status == 400 and "attribute[unit]" in raised.value.body
    assert _cases() == 0


def test_a_desk_named_as_the_unit_is_the_cases_desk(civicbot, key, org):
    _post(civicbot, key, {**FORMAL, "unit": "P-HCC-Q1"})
    case = db.session.scalar(select(FeedbackCase))
    assert case.desk_id == org.desk.id and case.origin_unit.code == "P-HCC"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_lists_requests_in_both_formats(civicbot, key, org, received_monday,
                                                  georeport_transport, fmt):
    [created] = _post(civicbot, key, FORMAL).response
    case = db.session.scalar(select(FeedbackCase))
    db.session.add(Publication(
        case_id=case.id, slug="o-ga", title="Ổ gà", question="Ổ gà lớn.", answer="Đã vá.",
        topic="road_traffic", kind="report", unit_id=org.department.id, status="published",
        published_at=now()))
    db.session.commit()
    listed = georeport_transport(ROOT, output_format=fmt).get_service_requests(
        start_date="2026-06-01T00:00:00+07:00", end_date="2026-06-02T00:00:00+07:00",
        service_code="road_traffic", status="open")
    # xmltodict reads a single <request> as one mapping; JSON is always a list.
    record = listed if fmt == "xml" else listed[0]
    assert record["service_request_id"] == created["service_request_id"]
    # Not yet assigned: the jurisdiction that received it (the key's unit) answers for it.
    assert record["agency_responsible"] == "UBND tỉnh Thử nghiệm"
    for private in ("Vũ", "0912", "Lê Lợi", "example.vn", "Trần Phú"):
        assert private not in str(listed)
