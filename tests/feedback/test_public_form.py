"""The citizen PAKN form (/phan-anh/) and its "sent" page."""

from __future__ import annotations

import re

import pytest
from flask import render_template

from core.extensions import db
from feedback.models import FeedbackCase
from feedback.tracking import format_tracking_code
from feedback.views.public import SENT_KEY
from tests.feedback.helpers import build_org

URL = "/phan-anh/"
SENT = "/phan-anh/da-gui"
CONTACT = {"name": "Nguyễn Văn An", "address": "Số 12 đường Trần Hưng Đạo",
           "phone": "0912 345 678", "email": "an.nguyen@example.vn"}


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def form_data(**overrides) -> dict:
    data = {"kind": "report", "topic": "procedures", "title": "Chậm trả kết quả",
            "content": "Hồ sơ cấp phép xây dựng của tôi bị trễ hẹn 10 ngày.",
            "unit": "P-SNV", "sender_type": "person", "reply_channel": "email",
            "consent": "y", "channel": "web", "idempotency_key": "k" * 32, **CONTACT}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def cases() -> list[FeedbackCase]:
    return list(db.session.scalars(db.select(FeedbackCase).order_by(FeedbackCase.id)))


def test_form_works_without_javascript_and_prefills_from_the_qr_poster(client, org):
    response = client.get(f"{URL}?unit=P-HCC&desk=P-HCC-Q1&channel=qr")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html
    assert 'enctype="multipart/form-data"' in html and 'method="post"' in html
    assert re.search(r'<option selected value="P-HCC">', html)
    assert re.search(r'name="desk" type="hidden" value="P-HCC-Q1"', html)
    assert re.search(r'name="channel" type="hidden" value="qr"', html)
    assert "Quầy số 1" in html  # the desk is shown as text
    # The plain explanation before submitting, and the complaint note.
    assert "kept as a suggestion" in html and "no legal deadline" in html
    assert "Law on Complaints" in html and "Law on Denunciations" in html
    assert "36 months" in html  # the retention setting's default
    # Every visible field has a label.
    for name in ("title", "content", "unit", "procedure_name", "procedure_code",
                 "dossier_code", "location", "attachments", "name", "address", "phone",
                 "email"):
        assert f'for="{name}"' in html, name
    assert re.search(r'<label><input id="consent" name="consent" type="checkbox"[^>]*> I agree',
                     html)


def test_desk_alone_prefills_its_public_parent_and_unknown_params_are_ignored(client, org):
    html = client.get(f"{URL}?desk=P-HCC-Q1").get_data(as_text=True)
    assert '<option selected value="P-HCC">' in html
    html = client.get(f"{URL}?unit=NOPE&desk=P-SNV&channel=hotline").get_data(as_text=True)
    assert "selected value=" not in html.split('name="unit"', 1)[1].split("</select>")[0]
    assert re.search(r'name="desk" type="hidden" value=""', html)  # P-SNV is not a desk
    assert re.search(r'name="channel" type="hidden" value="web"', html)


def test_each_rendered_form_gets_its_own_idempotency_key(client, org):
    keys = {re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"',
                      client.get(URL).get_data(as_text=True)).group(1) for _ in range(3)}
    assert len(keys) == 3


def test_vietnamese_by_default_with_unit_names_from_data(client_vi, org):
    html = client_vi.get(URL).get_data(as_text=True)
    assert '<html lang="vi">' in html
    for name in ("UBND tỉnh Thử nghiệm", "Sở Nội vụ", "Trung tâm Phục vụ hành chính công"):
        assert name in html
    assert "Quầy số 1" not in html  # desks are not in the list of units


def test_formal_submission_is_registered_as_a_pakn(client, org):
    response = client.post(URL, data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(SENT)
    [case] = cases()
    assert (case.kind, case.is_formal, case.channel, case.topic) == (
        "report", True, "web", "procedures")
    assert case.origin_unit_id == org.department.id and case.agency_id == org.province.id
    assert case.title == "Chậm trả kết quả" and case.reply_channel == "email"
    assert case.contact_enc is not None and case.second_factor_hash is not None
    assert case.acknowledge_due_at is not None
    # The code is never in the URL.
    assert case.tracking_code not in response.headers["Location"]
    sent = client.get(SENT)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200
    assert format_tracking_code(case.tracking_code) in html
    assert 'class="pakn-code"' in html
    assert "registers it" in html and "/tra-cuu/" in html
    # The code itself is random and may hold any four digits; look past it.
    code = case.tracking_code
    shown = html.replace(format_tracking_code(code), "").replace(code, "")
    for value in (*CONTACT.values(), "0912345678", "5678", "an.nguyen"):
        assert value not in shown, value


def test_suggestion_without_contact_needs_no_consent(client, org):
    response = client.post(URL, data=form_data(
        kind="suggestion", name="", address="", phone="", email="", consent=None,
        reply_channel="none"))
    assert response.status_code == 303
    [case] = cases()
    assert (case.kind, case.is_formal, case.contact_enc, case.due_at) == (
        "suggestion", False, None, None)
    html = client.get(SENT).get_data(as_text=True)
    assert "no legal deadline" in html
    assert "recorded as a suggestion" not in html  # it was sent as one


def test_report_without_address_is_demoted_to_a_suggestion(client, org):
    response = client.post(URL, data=form_data(address="", reply_channel="sms"))
    assert response.status_code == 303
    [case] = cases()
    assert (case.kind, case.is_formal, case.due_at) == ("suggestion", False, None)
    assert case.contact_enc is not None  # what was given is kept, encrypted
    html = client.get(SENT).get_data(as_text=True)
    assert "recorded as a suggestion" in html
    assert format_tracking_code(case.tracking_code) in html
    assert "Nguyễn Văn An" not in html and "0912 345 678" not in html


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"content": ""}, "content", "Write what you want to report or recommend."),
    ({"unit": ""}, "unit", "Choose the agency or unit the feedback is about."),
    ({"unit": "P-HCC-Q1"}, "unit", "Choose a unit from the list."),
    ({"consent": None}, "consent", "Tick the box"),
    ({"email": "not-an-address"}, "email", "The email address does not look right."),
    ({"email": "", "reply_channel": "email"}, "email", "Give an email address"),
    ({"phone": "12"}, "phone", "The phone number does not look right."),
    ({"phone": "0912", "reply_channel": "none"}, "phone", "does not look right"),
    ({"phone": "", "reply_channel": "zalo"}, "phone", "Give a phone number"),
    ({"kind": "complaint"}, "kind", "Choose one of the options."),
    ({"content": "x" * 10_001}, "content", "Write at most 10000 characters."),
])
def test_validation_errors_keep_everything_typed(client, org, changes, field, message):
    data = form_data(procedure_name="Cấp giấy phép xây dựng", dossier_code="HS-2026-0042",
                     location="Phường Đông Kinh", **changes)
    response = client.post(URL, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="err-sum"' in html and f'href="#{field}"' in html
    for kept in ("Chậm trả kết quả", "Cấp giấy phép xây dựng", "HS-2026-0042",
                 "Phường Đông Kinh", "Nguyễn Văn An", "Số 12 đường Trần Hưng Đạo"):
        assert kept in html, kept
    if field != "content":
        assert "Hồ sơ cấp phép xây dựng của tôi bị trễ hẹn 10 ngày." in html
    assert 'value="' + "k" * 32 + '"' in html  # the same key: a later send is still one case
    assert cases() == []


def test_a_refusal_from_the_intake_service_lands_on_its_field(client, org):
    # Invisible characters pass the form's "required" check; the service finds no text.
    response = client.post(URL, data=form_data(content="\u200b\u200b"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#content">Write what you want to report or recommend.' in html
    assert "Chậm trả kết quả" in html and cases() == []


def test_every_problem_is_shown_at_once(client, org):
    response = client.post(URL, data=form_data(content="", phone="0912", consent=None,
                                                email="", reply_channel="email"))
    assert response.status_code == 400
    summary = re.search(r'<div class="err-sum".*?</div>', response.get_data(as_text=True),
                        flags=re.S).group(0)
    for field in ("content", "phone", "email", "consent"):
        assert f'href="#{field}"' in summary, field


def test_double_click_or_refresh_makes_one_case(client, org):
    first = client.post(URL, data=form_data())
    second = client.post(URL, data=form_data())
    assert first.status_code == second.status_code == 303
    [case] = cases()
    assert format_tracking_code(case.tracking_code) in client.get(SENT).get_data(as_text=True)
    # A new rendering of the form (another key) is another case.
    assert client.post(URL, data=form_data(idempotency_key="z" * 32)).status_code == 303
    assert len(cases()) == 2


def test_qr_and_survey_channels_and_the_desk_are_recorded(client, org):
    client.post(URL, data=form_data(unit="P-HCC", desk="P-HCC-Q1", channel="qr"))
    client.post(URL, data=form_data(unit="", desk="P-HCC-Q1", channel="survey",
                                    idempotency_key="s" * 32))
    client.post(URL, data=form_data(unit="P-SNV", desk="P-HCC-Q1", channel="api",
                                    idempotency_key="t" * 32))
    qr, survey, other = cases()
    assert (qr.channel, qr.desk_id, qr.origin_unit_id) == ("qr", org.desk.id, org.desk.parent_id)
    assert (survey.channel, survey.desk_id) == ("survey", org.desk.id)
    # Another unit than the poster's: the desk is dropped; an unknown channel is "web".
    assert (other.channel, other.desk_id, other.origin_unit_id) == (
        "web", None, org.department.id)


def test_complaint_words_get_the_complaint_note(client, org):
    client.post(URL, data=form_data(content="Tôi khiếu nại quyết định xử phạt của phường."))
    [case] = cases()
    assert case.looks_like_complaint
    html = client.get(SENT).get_data(as_text=True)
    assert "may be a complaint or a denunciation" in html and "Law on Complaints" in html


def test_sent_page_without_a_recent_submission_says_so(client, org, monkeypatch):
    response = client.get(SENT)
    assert response.status_code == 200
    assert "No recently sent report to show" in response.get_data(as_text=True)
    client.post(URL, data=form_data())
    [case] = cases()
    code = format_tracking_code(case.tracking_code)
    assert code in client.get(SENT).get_data(as_text=True)
    # An hour later (a shared computer) the code is no longer shown.
    import feedback.views.public as public

    later = public.time.time() + public.SENT_SECONDS + 1
    monkeypatch.setattr(public.time, "time", lambda: later)
    html = client.get(SENT).get_data(as_text=True)
    assert code not in html and "No recently sent report to show" in html


@pytest.mark.parametrize("app_config", [{"FEEDBACK_POST_LIMIT": "2 per minute"}])
def test_posts_are_rate_limited(client, org):
    for n in range(2):
        assert client.post(URL, data=form_data(idempotency_key=f"{n}" * 32)).status_code == 303
    assert client.post(URL, data=form_data(idempotency_key="9" * 32)).status_code == 429
    assert len(cases()) == 2
    assert client.get(URL).status_code == 200  # reading the form is not limited


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_an_expired_form_keeps_the_text_instead_of_an_error_page(client, org):
    refused = client.post(URL, data=form_data())
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "The form expired" in html and "Hồ sơ cấp phép xây dựng của tôi" in html
    assert cases() == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post(URL, data=form_data(csrf_token=token)).status_code == 303
    assert len(cases()) == 1


def test_survey_low_rating_offer_links_to_the_form_with_unit_desk_and_channel(app, org):
    class Point:
        public_code = "ABC"

    with app.test_request_context("/"):
        html = render_template(
            "surveys/thank_you.html", point=Point(), agency=org.desk.parent, kiosk=False,
            offer_pakn=True, pakn_args={"unit": "P-HCC", "desk": "P-HCC-Q1"},
            contact=None, refresh_seconds=8)
    link = re.search(r'href="([^"]*/phan-anh/[^"]*)"', html).group(1)
    assert "unit=P-HCC" in link and "desk=P-HCC-Q1" in link and "channel=survey" in link


def test_length_errors_are_in_vietnamese_on_vietnamese_pages(client_vi, org):
    response = client_vi.post(URL, data=form_data(title="t" * 301, location="x" * 301,
                                                  content="y" * 10_001))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Vui lòng nhập tối đa 10000 ký tự." in html
    assert "Vui lòng nhập tối đa 300 ký tự." in html  # the location (the title's cap is 300 too)
    assert "Field cannot be longer" not in html and "characters" not in html
    assert cases() == []


def test_a_wrong_choice_is_explained_in_vietnamese(client_vi, org):
    html = client_vi.post(URL, data=form_data(kind="complaint")).get_data(as_text=True)
    assert "Vui lòng chọn một trong các lựa chọn." in html and "Not a valid choice" not in html


def _session(app, client) -> dict:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_session_cookie_holds_the_case_id_not_the_tracking_code(app, client, org):
    assert client.post(URL, data=form_data()).status_code == 303
    [case] = cases()
    remembered = _session(app, client)
    assert remembered[SENT_KEY]["case"] == case.id
    assert case.tracking_code not in str(remembered)
    assert format_tracking_code(case.tracking_code) not in str(remembered)
    # The sent page works from the id alone, without script, and its link fills the code in.
    html = client.get(SENT).get_data(as_text=True)
    assert format_tracking_code(case.tracking_code) in html and "<script" not in html
    assert f'href="/tra-cuu/?ma={format_tracking_code(case.tracking_code)}"' in html


def test_the_form_page_is_rendered_once_per_unit_list(client, org, make_unit, monkeypatch):
    import feedback.views.public as public

    listed = []
    real = public.public_directory
    monkeypatch.setattr(public, "public_directory", lambda: listed.append(1) or real())
    first = client.get(URL).get_data(as_text=True)
    second = client.get(URL).get_data(as_text=True)
    assert len(listed) == 1  # the second visitor got the cached page
    keys = [re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
            for page in (first, second)]
    assert keys[0] != keys[1] and "PLACEHOLDER" not in first + second
    org.department.name_vi = "Sở Nội vụ (đổi tên)"
    db.session.commit()
    assert "Sở Nội vụ (đổi tên)" in client.get(URL).get_data(as_text=True)
    make_unit("P-SXD", parent=org.province, name_vi="Sở Xây dựng")
    assert "Sở Xây dựng" in client.get(URL).get_data(as_text=True)
    assert len(listed) == 3


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_each_visitor_of_the_cached_form_gets_their_own_csrf_token(app, client, org):
    other = app.test_client()
    pages = [c.get(URL).get_data(as_text=True) for c in (client, other)]
    tokens = [re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
              for page in pages]
    assert tokens[0] != tokens[1]
    assert client.post(URL, data=form_data(csrf_token=tokens[0])).status_code == 303
    assert other.post(URL, data=form_data(csrf_token=tokens[1], idempotency_key="o" * 32)
                      ).status_code == 303
    assert len(cases()) == 2


def test_a_unit_code_in_the_link_preselects_the_unit(client, org):
    html = client.get(f"{URL}?unit=P-STC").get_data(as_text=True)
    assert '<option selected value="P-STC">' in html
