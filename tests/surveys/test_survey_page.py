"""The citizen survey page /k/<code>: rendering in both languages, submission, refusals that
store nothing, gone codes, quality flags, the thank-you page, kiosk mode, no cookies."""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.clock import now
from core.extensions import db
from surveys import instruments
from surveys.models import Response, ResponseText, RollupCount
from surveys.survey_form import start_token
from tests.surveys.survey_page_helpers import (
    POINT_CODE,
    TEXT_LIMIT,
    build_desk,
    build_version,
    old_token,
    stored_counts,
)

URL = f"/k/{POINT_CODE}"


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


def answers(desk, **extra) -> dict:
    data = {"started": old_token(desk.version.id), "website": "", "q9_24": "4", "q9_25": "5"}
    data.update(extra)
    return data


@pytest.fixture
def compiled_catalogue() -> None:
    """Pages need the compiled catalogue; `make test` builds it, a bare pytest run may not."""
    root = Path(__file__).resolve().parents[2] / "translations" / "vi" / "LC_MESSAGES"
    po_path, mo_path = root / "messages.po", root / "messages.mo"
    if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
        with po_path.open("rb") as source, mo_path.open("wb") as target:
            write_mo(target, read_po(source, locale="vi"))


def test_page_is_vietnamese_by_default_with_fieldsets_and_no_cookie(client_vi, desk,
                                                                    compiled_catalogue):
    response = client_vi.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert '<html lang="vi">' in html
    assert "Gửi đánh giá" in html and "Send my rating" not in html  # the page's own words
    assert "Có biển hiệu, hướng dẫn rõ ràng" in html
    assert "UBND phường Bến Nghé · Quầy số 1" in html  # which office and desk is rated
    # The 5-point labels come from the item's choices, number first.
    assert "<b>1</b> Rất không hài lòng" in html and "<b>5</b> Rất hài lòng" in html
    # Two sections → two fieldsets, each with its legend.
    assert html.count("<fieldset") == 2
    # Each section says where the citizen is on the form.
    assert '<legend><span class="step">Phần 1/2</span> II.A. Tiếp cận dịch vụ</legend>' in html
    assert html.count('role="radiogroup"') == 5  # q9_24, q9_25, overall, q8_1, a_age
    assert 'name="website"' in html and 'class="hp" aria-hidden="true"' in html
    assert 'tabindex="-1"' in html
    assert "<script" not in html and "style=" not in html  # CSP: no inline script or style
    assert 'maxlength="50"' in html


def test_english_with_the_switch(client_vi, desk):
    switched = client_vi.get(f"/lang/en?next={URL}")
    assert switched.status_code == 302 and switched.headers["Location"] == URL
    html = client_vi.get(URL).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Clear signs and directions" in html and "<b>1</b> Very dissatisfied" in html
    assert "Rate the service at this desk" in html


def test_valid_submission_is_stored_with_rollups(client, desk):
    response = client.post(URL, data=answers(desk, overall="3", q2=["3", "1"], q8_1="2",
                                             a_age="2", comment="  Rất tốt  "))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{URL}/cam-on"  # no personal data in the URL
    # The only cookie: the per-device mark (point ids and times), scoped to /k/.
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("ln_rated=") and "Path=/k/" in cookies[0]
    stored = db.session.scalars(db.select(Response)).one()
    assert stored.channel == "desk_qr" and stored.quality == "ok"
    assert stored.point_id == desk.point.id and stored.unit_id == desk.desk.id
    assert stored.campaign_id is None
    # Ratings and choices compact; the age band apart; text apart and stripped.
    assert stored.answers == {"q9_24": 4, "q9_25": 5, "overall": 3, "q2": [1, 3], "q8_1": 2}
    assert db.session.get(ResponseText, (stored.id, "comment")).text == "Rất tốt"
    rollups = {(r.item_code, r.value): r.count for r in db.session.scalars(db.select(RollupCount))}
    # Every whole-number answer counted once; the choice list and the text are not.
    assert rollups == {("q9_24", 4): 1, ("q9_25", 5): 1, ("overall", 3): 1, ("q8_1", 2): 1}


@pytest.mark.parametrize(("extra", "message"), [
    ({"q9_24": "6"}, "Choose one of the answers shown."),
    ({"q9_24": "abc"}, "Choose one of the answers shown."),
    ({"q9_25": None}, "Please answer this question."),
    ({"q9_99": "5"}, "not on it: q9_99"),
    ({"q9_24": ["4", "5"]}, "Give one answer only."),
    ({"q2": ["1", "1"]}, "Give one answer only."),
    ({"comment": "x" * (TEXT_LIMIT + 1)}, "50 characters or fewer"),
    # (a NUL never reaches the form: core.request_input refuses it for every page)
    ({"comment": "tốt\x07"}, "invisible control characters"),
    ({"comment": "t\ufffdt"}, "could not be read"),
    ({"started": "forged.token.value"}, "This form was changed or is too old"),
])
def test_bad_input_is_refused_and_nothing_is_stored(client, desk, extra, message):
    data = {key: value for key, value in answers(desk, **extra).items() if value is not None}
    response = client.post(URL, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'class="err-sum"' in html  # the summary at the top
    assert stored_counts() == (0, 0, 0, 0)
    assert "Set-Cookie" not in response.headers


def test_answers_are_kept_and_errors_sit_beside_their_field(client, desk):
    html = client.post(URL, data={"started": old_token(desk.version.id), "q9_24": "2",
                                  "comment": "Chờ lâu"}).get_data(as_text=True)
    # q9_25 was missing: its message sits in its group and the summary links to its first radio.
    group = html[html.index('id="q9_25-q"'):html.index('id="overall-q"')]
    assert 'id="q9_25-err"' in group and "Please answer this question." in group
    assert '<a href="#q9_25-0">' in html
    assert re.search(r'id="q9_24-1"[^>]*checked|checked[^>]*id="q9_24-1"', html)
    assert "Chờ lâu</textarea>" in html


def test_token_for_another_questionnaire_is_refused(client, desk):
    other = build_version(code="other-form")
    response = client.post(URL, data=answers(desk, started=start_token(other.id)))
    assert response.status_code == 400 and stored_counts() == (0, 0, 0, 0)


def test_decomposed_vietnamese_is_stored_nfc(client, desk):
    decomposed = unicodedata.normalize("NFD", "Cán bộ rất nhiệt tình")
    assert decomposed != "Cán bộ rất nhiệt tình"
    assert client.post(URL, data=answers(desk, comment=decomposed)).status_code == 303
    assert db.session.scalars(db.select(ResponseText.text)).one() == "Cán bộ rất nhiệt tình"


def test_unknown_code_is_a_vietnamese_404(client_vi, desk):
    response = client_vi.get("/k/ZZZZZZZ")
    assert response.status_code == 404
    assert '<html lang="vi">' in response.get_data(as_text=True)


def test_lower_case_code_is_accepted(client, desk):
    assert client.get(URL.lower()).status_code == 200


def test_rotated_code_gets_a_friendly_410(client, desk, make_unit):
    desk.point.retired_at = now()
    desk.point.active = False
    db.session.commit()
    for response in (client.get(URL), client.post(URL, data=answers(desk))):
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "This code has been replaced" in html and "scan the new code at the desk" in html
        assert "Quầy số 1" in html and "028 3829 1234" in html  # the agency's hotline
    assert stored_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("what", ["point", "unit", "version"])
def test_closed_point_unit_or_retired_questionnaire_is_410(client, desk, what):
    if what == "point":
        desk.point.active = False
    elif what == "unit":
        desk.desk.active = False
    else:
        desk.version.status = "retired"
    db.session.commit()
    for response in (client.get(URL), client.post(URL, data=answers(desk))):
        assert response.status_code == 410
        assert "This rating page is no longer in use" in response.get_data(as_text=True)
    assert stored_counts() == (0, 0, 0, 0)


def test_code_follows_its_questionnaire_to_the_newer_published_version(client, desk):
    # Publishing an edit retires the version the poster was printed with; the code keeps
    # working on the instrument's newest published version.
    desk.version.status = "retired"
    newer = build_version(instrument=desk.version.instrument, number=2)
    db.session.commit()
    assert client.get(URL).status_code == 200
    # A form handed out for the old version is refused once, then works with a fresh stamp.
    assert client.post(URL, data=answers(desk)).status_code == 400
    sent = client.post(URL, data=answers(desk, started=old_token(newer.id)))
    assert sent.status_code == 303
    assert db.session.scalars(db.select(Response.version_id)).one() == newer.id


def test_honeypot_and_too_fast_are_stored_flagged(client, desk):
    assert client.post(URL, data=answers(desk, website="http://spam.example")).status_code == 303
    assert client.post(URL, data=answers(desk, started=start_token(desk.version.id))
                       ).status_code == 303
    flagged = db.session.scalars(db.select(Response).order_by(Response.id)).all()
    assert [(r.quality, r.quality_reasons) for r in flagged] == [
        ("flagged", ["honeypot"]), ("flagged", ["too_fast"])]
    counted = db.session.scalars(db.select(RollupCount).where(RollupCount.item_code == "q9_24"))
    assert [(r.quality, r.count) for r in counted] == [("flagged", 2)]


def test_thank_you_offers_contact_only_after_a_low_element_rating(client, desk):
    # "overall" has no element: a 1 there does not count as a low element rating.
    high = client.post(URL, data=answers(desk, overall="1"))
    assert high.headers["Location"] == f"{URL}/cam-on"
    assert "Not satisfied?" not in client.get(high.headers["Location"]).get_data(as_text=True)
    low = client.post(URL, data=answers(desk, q9_25="2"))
    assert low.headers["Location"] == f"{URL}/cam-on?pakn=1"
    html = client.get(low.headers["Location"]).get_data(as_text=True)
    # The PAKN form and, for those who would rather call, the agency's hotline and email.
    assert "Not satisfied?" in html and "028 3829 1234" in html
    assert "/phan-anh/?channel=survey" in html
    assert "motcua@bennghe.gov.vn" in html
    assert "They help UBND phường Bến Nghé serve people better." in html  # the desk's agency


def test_thank_you_links_to_the_pakn_form_with_unit_and_desk(app, client, desk):
    location = client.post(URL, data=answers(desk, q9_24="1")).headers["Location"]
    response = client.get(location)
    html = response.get_data(as_text=True)
    assert "/phan-anh/?channel=survey&amp;unit=UBND-PHUONG-1&amp;desk=UBND-PHUONG-1-Q1" in html
    assert "Set-Cookie" not in response.headers


RESET = "/lang/vi?next=/k/K7M2P9Q/kiosk"  # back to the empty form, in Vietnamese


def test_kiosk_resets_and_counts_as_kiosk(client, desk):
    page = client.get(f"{URL}/kiosk")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    # No timed reload: the kiosk script asks "Tiếp tục?" after 90 s without a touch, and
    # empties the form 15 s later without an answer (tests/e2e/test_kiosk.py drives it).
    assert 'http-equiv="refresh"' not in html
    assert '<script src="/static/js/kiosk.js" defer></script>' in html
    assert (f'data-kiosk-idle="90" data-kiosk-prompt="15" data-kiosk-reset="{RESET}"'
            in html)
    assert 'id="kiosk-prompt"' in html and "Continue?" in html
    # Nothing leaves the kiosk: the header names the service without linking home.
    assert '<span class="brand">' in html and 'class="brand" href' not in html
    assert f'action="{URL}/kiosk"' in html
    sent = client.post(f"{URL}/kiosk", data=answers(desk, q9_24="1"))
    assert sent.status_code == 303 and sent.headers["Location"] == f"{URL}/kiosk/cam-on?pakn=1"
    thanks = client.get(sent.headers["Location"])
    thanks_html = thanks.get_data(as_text=True)
    # Without JavaScript the thank-you page is the reset.
    assert f'<meta http-equiv="refresh" content="15;url={RESET}">' in thanks_html
    # The next citizen can start at once instead of waiting for the refresh.
    assert f'<a class="button" href="{RESET}">Start a new rating</a>' in thanks_html
    assert "Not satisfied?" in thanks_html and "028 3829 1234" in thanks_html
    assert 'href="tel:' not in thanks_html and 'class="brand" href' not in thanks_html
    assert "Set-Cookie" not in thanks.headers and "Set-Cookie" not in sent.headers
    assert db.session.scalars(db.select(Response.channel)).one() == "kiosk"
    # The reset lands on the empty kiosk form and undoes the last citizen's English.
    reset = client.get(RESET)
    assert reset.status_code == 302 and reset.headers["Location"] == f"{URL}/kiosk"
    assert "lang=vi" in reset.headers["Set-Cookie"]
    assert '<html lang="vi">' in client.get(f"{URL}/kiosk").get_data(as_text=True)
    # The desk page is not a kiosk: it never reloads by itself.
    assert 'http-equiv="refresh"' not in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"SURVEY_POST_LIMIT": "2 per minute"}])
def test_posts_are_limited_per_address_with_a_vietnamese_429(client_vi, desk):
    for _ in range(2):
        assert client_vi.post(URL, data=answers(desk)).status_code == 303
    refused = client_vi.post(URL, data=answers(desk))
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 2
    assert client_vi.get(URL).status_code == 200  # reading the form is not limited


def test_shipped_desk_form_renders_16_ratings_in_5_element_fieldsets(client, make_unit):
    instruments.load_shipped_instruments()
    version = instruments.get_version(instruments.DESK_FORM_CODE)
    build_desk(make_unit, version=version)
    html = client.get(URL).get_data(as_text=True)
    element_sets = re.findall(r"<legend><span class=\"step\">Part \d of 6</span> II\.[A-E]\..*?"
                              r"</fieldset>", html, flags=re.S)
    assert len(element_sets) == 5
    assert sum(part.count('role="radiogroup"') for part in element_sets) == 16
    assert "q9_24" in html and "q9_39" in html


@pytest.mark.parametrize("app_config", [{"SURVEY_DEVICE_LIMIT": 2}])
def test_a_phone_rating_the_same_desk_again_and_again_is_flagged_not_dropped(app, desk):
    # The limit (3 a day by default) counts only what the phone's own cookie remembers.
    phone = app.test_client()
    for _ in range(3):
        assert phone.post(URL, data=answers(desk)).status_code == 303
    qualities = db.session.scalars(db.select(Response.quality).order_by(Response.id)).all()
    assert qualities == ["ok", "ok", "flagged"]
    last = db.session.scalars(db.select(Response).order_by(Response.id.desc())).first()
    assert last.quality_reasons == ["device_repeat"]
    # A forged cookie counts as none; another phone starts from zero.
    other = app.test_client()
    other.set_cookie("ln_rated", "forged", domain="localhost", path="/k/")
    assert other.post(URL, data=answers(desk)).status_code == 303
    assert db.session.scalars(db.select(Response.quality).order_by(Response.id.desc())).first() \
        == "ok"


def test_blank_page_is_rendered_once_but_every_visitor_gets_a_fresh_stamp(client, desk):
    first = client.get(URL).get_data(as_text=True)
    time.sleep(1.1)  # the stamp is a signed timestamp with one-second resolution
    second = client.get(URL).get_data(as_text=True)
    stamp = re.compile(r'name="started" value="([^"]+)"')
    assert stamp.search(first).group(1) != stamp.search(second).group(1)
    assert stamp.sub("", first) == stamp.sub("", second)
    assert "LN-STARTED-PLACEHOLDER" not in first
    # A renamed desk shows at once: the cached page is keyed on the unit's last change.
    desk.desk.name_vi = "Quầy tiếp nhận số 1"
    db.session.commit()
    assert "Quầy tiếp nhận số 1" in client.get(URL).get_data(as_text=True)
