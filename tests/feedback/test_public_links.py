"""Issue 13, defect 7: Atom and message links were built from the request's Host header. They
come from PUBLIC_BASE_URL, whatever Host a client sends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from core.extensions import db
from core.models import OutboxMessage
from core.text import fold
from feedback.models import FeedbackCase, Publication
from tests.feedback.helpers import build_org, submit_case
from tests.feedback.test_public_form import form_data

BASE = "https://langnghe.example.gov.vn"
FORGED = "attacker.example"
ATOM = "{http://www.w3.org/2005/Atom}"
pytestmark = pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": BASE}])


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _published(org) -> Publication:
    case = submit_case(org, commit=False)
    pub = Publication(case_id=case.id, slug=f"s{case.id:011d}", title="Điện chập",
                      question="Câu hỏi.", answer="Trả lời.", topic="electricity",
                      kind="report", unit_id=org.department.id, status="published",
                      search_text=fold("Điện chập"), answered_at=datetime(2026, 3, 12, tzinfo=UTC),
                      published_at=datetime(2026, 3, 12, tzinfo=UTC))
    db.session.add(pub)
    db.session.commit()
    return pub


def test_feed_links_ignore_a_forged_host(client, org):
    pub = _published(org)
    response = client.get("/tra-loi-pakn/atom.xml", headers={"Host": FORGED})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert FORGED not in body
    root = ET.fromstring(response.data)
    hrefs = [link.get("href") for link in root.iter(f"{ATOM}link")]
    assert f"{BASE}/tra-loi-pakn/atom.xml" in hrefs and f"{BASE}/tra-loi-pakn/" in hrefs
    assert f"{BASE}/tra-loi-pakn/{pub.slug}" in hrefs
    # The feed's id does not change with the Host header either.
    again = ET.fromstring(client.get("/tra-loi-pakn/atom.xml").data)
    assert again.find(f"{ATOM}id").text == root.find(f"{ATOM}id").text


def test_message_links_ignore_a_forged_host(client, org):
    response = client.post("/phan-anh/", data=form_data(), headers={"Host": FORGED})
    assert response.status_code == 303
    case = db.session.scalar(db.select(FeedbackCase))
    [message] = db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.object_id == str(case.id), OutboxMessage.purpose == "feedback.received"))
    assert FORGED not in message.body and f"{BASE}/tra-cuu/" in message.body
