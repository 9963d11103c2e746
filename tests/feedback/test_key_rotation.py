"""Key rotation: data encrypted with key A, keys (B, A), rotate → with (B,) alone everything
still decrypts, and the old key A alone no longer opens it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.crypto import InvalidToken, decrypt_json, decrypt_text, new_key
from core.extensions import db
from core.models import AuditEntry, OutboxMessage
from feedback.models import FeedbackCase
from feedback.retention import rotate_encryption_keys
from tests.feedback.helpers import FULL_CONTACT, build_org, submit_case

KEY_A = new_key()
KEY_B = new_key()


@pytest.mark.parametrize("app_config", [{"CONTACT_KEYS": (KEY_A,)}])
@pytest.mark.parametrize("use_cli", [False, True])
def test_rotate_keys(app, make_unit, make_user, use_cli):
    org = build_org(make_unit, make_user)
    cases = [submit_case(org, reply_channel="email") for _ in range(3)]
    anonymous = submit_case(org, contact=None, kind="suggestion")
    assert anonymous.contact_enc is None
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert len(messages) == 3
    db.session.commit()
    ids = [c.id for c in cases]

    app.config["CONTACT_KEYS"] = (KEY_B, KEY_A)
    if use_cli:
        db.session.rollback()
        result = app.test_cli_runner().invoke(args=["feedback", "rotate-keys",
                                                    "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 3 case contact(s) and 3 outbox recipient(s)" in result.output
    else:
        assert rotate_encryption_keys(batch_size=2) == {"cases": 3, "outbox": 3}
        db.session.commit()
    db.session.expire_all()
    assert db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "crypto.keys_rotated")).scalar_one().after == {
            "cases": 3, "outbox": 3}

    app.config["CONTACT_KEYS"] = (KEY_B,)
    for case_id in ids:
        case = db.session.get(FeedbackCase, case_id)
        assert decrypt_json(case.contact_enc)["email"] == FULL_CONTACT.email
    for message in db.session.execute(select(OutboxMessage)).scalars():
        assert decrypt_text(message.recipient_enc) == FULL_CONTACT.email

    app.config["CONTACT_KEYS"] = (KEY_A,)
    case = db.session.get(FeedbackCase, ids[0])
    with pytest.raises(InvalidToken):
        decrypt_json(case.contact_enc)
    with pytest.raises(InvalidToken):
        decrypt_text(db.session.execute(select(OutboxMessage)).scalars().first().recipient_enc)
