"""Public pages of published answers: search with and without diacritics, filters, pagination,
the Atom feed, 404s, Vietnamese by default, and no query on the case table."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from core.extensions import db
from core.text import fold
from feedback.models import Publication
from tests.feedback.helpers import build_org, submit_case

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _publish(org, *, title, question="Câu hỏi.", answer="Trả lời.", topic="procedures",
             unit=None, answered=datetime(2025, 3, 12, 3, tzinfo=UTC), status="published",
             slug=None):
    """A Publication row as the workflow leaves it (the pages read only this table)."""
    case = submit_case(org, content=question, commit=False)
    pub = Publication(case_id=case.id, slug=slug or f"s{case.id:011d}", title=title,
                      question=question, answer=answer, topic=topic, kind="report",
                      unit_id=(unit or org.department).id, status=status,
                      search_text=fold(f"{title} {question} {answer}"), answered_at=answered,
                      published_at=answered if status == "published" else None)
    db.session.add(pub)
    db.session.commit()
    return pub


def _titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [part.split(">", 1)[1].split("<", 1)[0]
            for part in html.split('class="answer-title"')[1:]]


def test_list_shows_published_only_newest_first(app, org, client):
    _publish(org, title="Cũ", answered=datetime(2025, 1, 5, tzinfo=UTC))
    _publish(org, title="Mới", answered=datetime(2025, 5, 5, tzinfo=UTC))
    _publish(org, title="Bản nháp", status="draft")
    _publish(org, title="Đã gỡ", status="withdrawn")
    response = client.get("/tra-loi-pakn/")
    assert response.status_code == 200
    assert _titles(response) == ["Mới", "Cũ"]
    assert "2 answers found." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"].startswith("public")


def test_search_with_and_without_diacritics(app, org, client):
    _publish(org, title="Cấp giấy phép xây dựng chậm", question="Đường điện hỏng ở xã.")
    _publish(org, title="Nước sạch", question="Nước sinh hoạt bị đục.")
    for q in ("giấy phép", "giay phep", "GIAY PHÉP", "đường điện", "duong dien"):
        assert _titles(client.get("/tra-loi-pakn/", query_string={"q": q})) == \
            ["Cấp giấy phép xây dựng chậm"], q
    assert _titles(client.get("/tra-loi-pakn/", query_string={"q": "nuoc duc"})) == \
        ["Nước sạch"]
    assert _titles(client.get("/tra-loi-pakn/", query_string={"q": "không có gì"})) == []
    # LIKE wildcards are taken literally.
    assert _titles(client.get("/tra-loi-pakn/", query_string={"q": "%"})) == []


def test_filters_topic_unit_and_period(app, org, client):
    _publish(org, title="A", topic="water", answered=datetime(2025, 2, 10, tzinfo=UTC))
    _publish(org, title="B", topic="procedures", unit=org.other_department,
             answered=datetime(2025, 3, 10, tzinfo=UTC))
    _publish(org, title="C", topic="procedures", answered=datetime(2025, 4, 10, tzinfo=UTC))
    get = lambda **args: _titles(client.get("/tra-loi-pakn/", query_string=args))  # noqa: E731
    assert get(topic="procedures") == ["C", "B"]
    assert get(unit="P-STC") == ["B"]
    assert get(topic="procedures", unit="P-SNV") == ["C"]
    assert get(from_month="2025-03") == ["C", "B"]
    assert get(to_month="2025-03") == ["B", "A"]
    assert get(from_month="2025-03", to_month="2025-03") == ["B"]
    # Month boundaries are Vietnam's: 31/03 20:00 UTC is already April there.
    _publish(org, title="D", answered=datetime(2025, 3, 31, 20, tzinfo=UTC))
    assert get(from_month="2025-04", to_month="2025-04") == ["C", "D"]
    # The filter options list the units with answers.
    html = client.get("/tra-loi-pakn/").get_data(as_text=True)
    assert "Sở Tài chính" in html and "Sở Nội vụ" in html


@pytest.mark.parametrize("args", [
    {"topic": "nonsense"}, {"unit": "NO-SUCH-UNIT"}, {"from_month": "2025-13"},
    {"from_month": "tháng ba"}, {"from_month": "2025-05", "to_month": "2025-01"},
    {"q": "x" * 201},
])
def test_bad_filters_answer_400_with_the_form(app, org, client, args):
    _publish(org, title="A")
    response = client.get("/tra-loi-pakn/", query_string=args)
    assert response.status_code == 400
    assert "Correct the search fields" in response.get_data(as_text=True)
    assert client.get("/tra-loi-pakn/atom.xml", query_string=args).status_code == 400


def test_pagination(app, org, client):
    for day in range(1, 24):
        _publish(org, title=f"Trả lời {day:02d}", answered=datetime(2025, 1, day, tzinfo=UTC))
    first = client.get("/tra-loi-pakn/")
    assert _titles(first)[0] == "Trả lời 23" and len(_titles(first)) == 20
    html = first.get_data(as_text=True)
    assert "Page 1 of 2" in html and 'rel="next"' in html and 'rel="prev"' not in html
    second = client.get("/tra-loi-pakn/", query_string={"page": 2})
    assert _titles(second) == ["Trả lời 03", "Trả lời 02", "Trả lời 01"]
    # Out of range or nonsense pages fall back to a real page.
    assert _titles(client.get("/tra-loi-pakn/?page=99")) == _titles(second)
    assert _titles(client.get("/tra-loi-pakn/?page=abc")) == _titles(first)
    # Filters are kept in the page links.
    html = client.get("/tra-loi-pakn/", query_string={"q": "tra loi"}).get_data(as_text=True)
    assert "page=2" in html and "q=tra+loi" in html


def test_detail_page(app, org, client):
    pub = _publish(org, title="Giấy phép chậm", question="Hỏi <b>đậm</b>?",
                   answer="Sở đã xử lý.", topic="water")
    response = client.get(f"/tra-loi-pakn/{pub.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Giấy phép chậm" in html and "Sở đã xử lý." in html
    assert "Hỏi &lt;b&gt;đậm&lt;/b&gt;?" in html  # escaped, never raw
    assert "Water" in html and "Sở Nội vụ" in html and "12/03/2025" in html


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_unpublished_and_unknown_slugs_are_404(app, org, client, status):
    pub = _publish(org, title="X", status=status)
    assert client.get(f"/tra-loi-pakn/{pub.slug}").status_code == 404
    assert client.get("/tra-loi-pakn/khong-co").status_code == 404
    assert client.get("/tra-loi-pakn/" + "a" * 40).status_code == 404


def test_atom_feed(app, org, client):
    pub = _publish(org, title="Điện <chập>", question="Điện chập & cháy", topic="electricity")
    _publish(org, title="Nước", topic="water", unit=org.other_department)
    response = client.get("/tra-loi-pakn/atom.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{child}") is not None, child
    assert root.find(f"{ATOM}id").text.startswith("urn:uuid:")
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    base = app.config["PUBLIC_BASE_URL"]  # links never come from the Host header
    assert self_link and self_link[0].get("href").startswith(f"{base}/tra-loi-pakn/")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    entry = next(e for e in entries if e.find(f"{ATOM}title").text == "Điện <chập>")
    assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert entry.find(f"{ATOM}updated").text == "2025-03-12T03:00:00Z"
    assert entry.find(f"{ATOM}link").get("href") == f"{base}/tra-loi-pakn/{pub.slug}"
    assert entry.find(f"{ATOM}summary").text == "Điện chập & cháy"
    assert "Điện chập & cháy" in entry.find(f"{ATOM}content").text
    # Filterable like the list.
    only = ET.fromstring(client.get("/tra-loi-pakn/atom.xml?topic=water").data)
    assert [e.find(f"{ATOM}title").text for e in only.findall(f"{ATOM}entry")] == ["Nước"]
    only = ET.fromstring(client.get("/tra-loi-pakn/atom.xml?unit=P-SNV").data)
    assert [e.find(f"{ATOM}title").text for e in only.findall(f"{ATOM}entry")] == \
        ["Điện <chập>"]


def test_empty_feed_is_valid(app, client):
    root = ET.fromstring(client.get("/tra-loi-pakn/atom.xml").data)
    assert root.find(f"{ATOM}updated").text.endswith("Z")
    assert root.findall(f"{ATOM}entry") == []


def test_vietnamese_by_default(app, org, client_vi):
    pub = _publish(org, title="Giấy phép chậm")
    for url in ("/tra-loi-pakn/", f"/tra-loi-pakn/{pub.slug}"):
        html = client_vi.get(url).get_data(as_text=True)
        assert '<html lang="vi">' in html
        assert "Giấy phép chậm" in html and "Sở Nội vụ" in html
    assert 'xml:lang="vi"' in client_vi.get("/tra-loi-pakn/atom.xml").get_data(as_text=True)


def test_public_pages_never_read_the_case_table(app, org, client):
    pub = _publish(org, title="Giấy phép chậm")
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        for url in ("/tra-loi-pakn/", "/tra-loi-pakn/?q=giay&topic=procedures&unit=P-SNV",
                    f"/tra-loi-pakn/{pub.slug}", "/tra-loi-pakn/atom.xml"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert any("feedback_publications" in s for s in statements)
    assert not any("feedback_cases" in s for s in statements)
