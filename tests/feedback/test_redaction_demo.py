"""The demo publishes answers whose citizen text held personal data, so that a visitor sees
the removal (issue #15 item 5)."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from feedback.demo_cases import KEY_PREFIX
from feedback.models import FeedbackCase, Publication


def test_demo_publications_show_what_was_removed(app, client):
    result = app.test_cli_runner().invoke(args=["core", "seed-demo"])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(
        select(FeedbackCase, Publication).join(Publication, Publication.case_id == FeedbackCase.id)
        .where(FeedbackCase.idempotency_key.like(KEY_PREFIX + "%"),
               Publication.status == "published")).all()
    by_key = {case.idempotency_key.removeprefix(KEY_PREFIX): (case, pub) for case, pub in rows}
    assert {"31", "32"} <= set(by_key)

    case, pub = by_key["31"]
    assert "Vy Thị Hoa" in case.content and "0936.000.404" in case.content
    assert pub.question == ("Tôi là [họ tên], [địa chỉ], ĐT [số điện thoại], xin công khai "
                            "hồ sơ trễ hạn.")
    case, pub = by_key["32"]
    assert "09 04 00 03 03" in case.content
    assert pub.question == ("Biểu mẫu ở quầy Sở là mẫu cũ, tôi phải khai lại. [họ tên], "
                            "ĐT [số điện thoại].")
    # The public page shows the placeholders, never the citizen's data.
    page = client.get(f"/tra-loi-pakn/{pub.slug}").get_data(as_text=True)
    assert "[số điện thoại]" in page and "09 04 00 03 03" not in page
