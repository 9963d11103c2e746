"""Single-use rating tokens and the citizen page /d/<token>: signed format, expiry, one use
only (409 and still one response), the response bound to the dossier, the rollup."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from core.clock import now
from core.extensions import db
from core.models import SettingValue
from surveys.models import Channel, RatingToken, Response, RollupCount
from surveys.tokens import (
    SALT,
    TokenAnswers,
    TokenRefused,
    issue_rating_token,
    redeem_rating_token,
    token_url,
)
from tests.surveys.dossier_helpers import build_office, make_dossier, publish_desk_form, valid_form


@pytest.fixture
def setup(app, make_unit, make_user):
    office = build_office(make_unit, make_user)
    return office, make_dossier(office), publish_desk_form()


def _path(plaintext: str) -> str:
    return f"/d/{plaintext}"


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_token_is_signed_random_and_only_its_hash_is_stored(app, setup):
    _office, dossier, _version = setup
    token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    random_part = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT).loads(plaintext)
    assert len(random_part) == 32  # secrets.token_urlsafe(24): 24 bytes → 32 characters
    assert token.secret_hash == hashlib.sha256(random_part.encode()).hexdigest()
    # Default validity: the setting survey.token_valid_days (30 days).
    assert timedelta(days=29, hours=23) < token.expires_at - now() <= timedelta(days=30)
    assert token_url(plaintext) == f"https://localhost/d/{plaintext}"
    # The slip's link is the public site's, whatever address the desk reached the app by.
    app.config["PUBLIC_BASE_URL"] = "https://dichvucong.example.gov.vn"
    assert token_url(plaintext) == f"https://dichvucong.example.gov.vn/d/{plaintext}"


def test_validity_follows_the_units_setting(setup):
    office, dossier, _version = setup
    db.session.add(SettingValue(key="survey.token_valid_days", unit_id=office.agency.id,
                                value=7, effective_from=now().date() - timedelta(days=1)))
    db.session.commit()
    token, _plain = issue_rating_token(dossier)
    assert timedelta(days=6, hours=23) < token.expires_at - now() <= timedelta(days=7)


def test_page_names_desk_and_procedure_and_sends_no_referrer(client, setup):
    _office, dossier, _version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    page = client.get(_path(plaintext))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Quầy Tư pháp" in html and "Cấp phiếu lý lịch tư pháp" in html
    assert dossier.code not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in page.headers


def test_submission_is_bound_to_the_dossier_and_counted_once(client, setup):
    _office, dossier, version = setup
    token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    sent = client.post(_path(plaintext), data=valid_form(version))
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/d/{plaintext}/cam-on")
    response = db.session.scalar(db.select(Response))
    assert (response.channel, response.dossier_id, response.unit_id, response.point_id) == (
        Channel.DOSSIER_QR.value, dossier.id, dossier.unit_id, None)
    db.session.refresh(token)
    assert token.used_at is not None and token.response_id == response.id
    # Rollup: one count for each answered item (q9_24 = 5, q9_25 = 4), channel dossier_qr.
    rollup = {(r.item_code, r.value, r.channel): r.count
              for r in db.session.scalars(db.select(RollupCount))}
    assert rollup == {("q9_24", 5, "dossier_qr"): 1, ("q9_25", 4, "dossier_qr"): 1}
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200 and "Thank you for your rating" in thanks.get_data(True)
    assert thanks.headers["Referrer-Policy"] == "no-referrer"

    again = client.post(_path(plaintext), data=valid_form(version))
    assert again.status_code == 409
    assert "This dossier has already been rated. Thank you!" in again.get_data(as_text=True)
    assert client.get(_path(plaintext)).status_code == 409
    assert _count(Response) == 1 and _count(RollupCount) == 2


def test_second_use_reads_vietnamese_message(client_vi, setup):
    _office, dossier, version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    assert client_vi.post(_path(plaintext), data=valid_form(version)).status_code == 303
    again = client_vi.post(_path(plaintext), data=valid_form(version))
    assert again.status_code == 409
    assert "Hồ sơ này đã được đánh giá. Cảm ơn Ông/Bà!" in again.get_data(as_text=True)


def test_low_rating_offers_a_pakn(client, setup):
    _office, dossier, version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    sent = client.post(_path(plaintext), data=valid_form(version, q9_24="1"))
    assert sent.headers["Location"].endswith("cam-on?pakn=1")
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Not satisfied?" in page and "0205 3812 111" in page  # the agency's hotline


def test_sequential_redemptions_in_the_service_one_success_one_refusal(setup):
    _office, dossier, version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    given = TokenAnswers(answers={"q9_24": 5, "q9_25": 5})
    redeem_rating_token(plaintext, version, given)
    db.session.commit()
    with pytest.raises(TokenRefused) as refused:
        redeem_rating_token(plaintext, version, given)
    assert refused.value.status == 409
    db.session.rollback()
    assert _count(Response) == 1


def test_failed_submission_keeps_the_token_usable(client, setup):
    _office, dossier, version = setup
    token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    missing = client.post(_path(plaintext), data={"started": valid_form(version)["started"],
                                                  "q9_24": "5"})  # q9_25 is required
    assert missing.status_code == 400
    db.session.refresh(token)
    assert token.used_at is None and _count(Response) == 0
    assert client.post(_path(plaintext), data=valid_form(version)).status_code == 303


@pytest.mark.parametrize("tamper", [
    # Signature changed (not its last character, whose low bits base64 ignores).
    lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
    lambda t: "x" + t,  # payload changed
    lambda t: t.split(".")[0],  # signature removed
    lambda t: "a" * 300,  # absurdly long
])
def test_tampered_token_is_404_without_database_work(app, client, setup, tamper):
    _office, dossier, version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    form, path = valid_form(version), _path(tamper(plaintext))
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    from sqlalchemy import event
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        answer = client.post(path, data=form)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert answer.status_code == 404
    assert not [s for s in statements if "survey_" in s]  # no token, dossier or form SQL
    assert _count(Response) == 0


def test_token_signed_with_another_key_is_refused(client, setup):
    _office, dossier, version = setup
    forged = URLSafeSerializer("another-secret", salt=SALT).dumps("a" * 32)
    assert client.get(_path(forged)).status_code == 404


def test_genuine_but_unknown_token_is_404(app, client, setup):
    unknown = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT).dumps("b" * 32)
    answer = client.get(_path(unknown))
    assert answer.status_code == 404
    assert "This rating link is not valid" in answer.get_data(as_text=True)


def test_expired_token_is_410_and_stores_nothing(client, setup):
    _office, dossier, version = setup
    token, plaintext = issue_rating_token(dossier)
    token.expires_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(_path(plaintext)).status_code == 410
    answer = client.post(_path(plaintext), data=valid_form(version))
    assert answer.status_code == 410
    assert "This rating link has expired." in answer.get_data(as_text=True)
    db.session.refresh(token)
    assert token.used_at is None and _count(Response) == 0


def test_thank_you_page_needs_a_used_token(client, setup):
    _office, dossier, _version = setup
    _token, plaintext = issue_rating_token(dossier)
    db.session.commit()
    assert client.get(f"/d/{plaintext}/cam-on").status_code == 404


def test_inactive_unit_cannot_get_a_token(setup):
    from core.exceptions import ServiceError
    from core.org import set_unit_active

    office, dossier, _version = setup
    set_unit_active(office.agency, False)
    with pytest.raises(ServiceError) as refused:
        issue_rating_token(dossier)
    assert refused.value.status == 409
    assert _count(RatingToken) == 0
