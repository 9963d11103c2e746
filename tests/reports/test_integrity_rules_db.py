"""Every rule read from the database through ``surveys.integrity_frames``: dossier returns,
redeemed tokens, device marks and paper forms typed in by an official reach the rules and
come back as stored flags; the hourly job computes the recent periods."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.clock import now, today
from core.extensions import db
from core.models import Role
from reports.integrity import compute_integrity_run, integrity_recent_job, recent_periods
from reports.models import IntegrityFlag, IntegrityRun
from surveys.device_marks import REASON_DEVICE_REPEAT
from surveys.models import Dossier, RatingToken, Response
from surveys.responses import SubmittedResponse, submit_response
from tests.reports.sipas_helpers import DESK_ITEMS, at, rate

URL = "/quan-tri/bao-cao/toan-ven/"


def _mixed(n: int) -> dict[str, int]:
    """Answers that are never all 5 (so runs stay out of the way)."""
    return {code: 3 + (n + i) % 3 for i, code in enumerate(DESK_ITEMS)}


def test_every_rule_from_the_database(org, make_user, client, login):
    monday = at(2026, 3, 16, 9)
    desk = org.desk_a
    # Two dossiers handed back at the desk at 09:00 and 09:01, then five kiosk ratings
    # 09:05–09:07 (≤ 60 s apart): more ratings than dossiers, right after → return_burst.
    for n, minute in enumerate((0, 1)):
        db.session.add(Dossier(code=f"HS-{n}", unit_id=org.dept_a.id, desk_id=desk.id,
                               received_at=monday - timedelta(days=5),
                               returned_at=monday + timedelta(minutes=minute)))
    for n, seconds in enumerate((300, 330, 360, 410, 450)):
        rate(org, desk, _mixed(n), monday + timedelta(seconds=seconds), channel="kiosk")
    # Four dossier tokens of the desk redeemed 10 s apart at 10:00 → token_sequence.
    for n in range(4):
        dossier = Dossier(code=f"HS-T{n}", unit_id=org.dept_a.id, desk_id=desk.id,
                          received_at=monday - timedelta(days=3))
        db.session.add(dossier)
        db.session.flush()
        used = monday + timedelta(hours=1, seconds=10 * n)
        response = submit_response(SubmittedResponse(
            version=org.version, unit=org.dept_a, channel="dossier_qr", answers=_mixed(n),
            submitted_at=used, dossier_id=dossier.id))
        db.session.add(RatingToken(dossier_id=dossier.id, secret_hash=f"{n:064d}",
                                   expires_at=used + timedelta(days=30), used_at=used,
                                   response_id=response.id))
    # Five phone ratings already marked by the phone's cookie → device_repeat.
    for n in range(5):
        rate(org, desk, _mixed(n), monday + timedelta(hours=2, minutes=n), channel="desk_qr",
             reasons=(REASON_DEVICE_REPEAT,))
    # An official types in ten all-5 paper forms in a row → all_five_run for the official.
    clerk = make_user(Role.DESK_STAFF, desk, full_name="Nguyễn Thị Nhập")
    for n in range(10):
        submit_response(SubmittedResponse(
            version=org.version, unit=desk, channel="paper", entered_by=clerk,
            answers={code: 5 for code in DESK_ITEMS},
            submitted_at=monday + timedelta(hours=3, minutes=n)))
    db.session.commit()

    run = compute_integrity_run("2026-Q1")
    db.session.commit()
    flags = {(f.subject_kind, f.subject_id, f.rule): f
             for f in db.session.scalars(select(IntegrityFlag))}
    burst = flags[("desk", desk.id, "return_burst")]
    assert burst.responses == 5 and burst.evidence["dossiers_returned"] == 2
    tokens = flags[("desk", desk.id, "token_sequence")]
    assert tokens.responses == 4 and tokens.evidence["longest_seconds"] == 30
    device = flags[("desk", desk.id, "device_repeat")]
    assert device.evidence == {"responses": 5, "phone_ratings": 5, "share": 1.0}
    official = flags[("official", clerk.id, "all_five_run")]
    assert official.responses == 10 and official.unit_id == desk.id
    assert run.responses == 24
    assert sorted(official.response_ids) == sorted(db.session.scalars(
        select(Response.id).where(Response.entered_by_id == clerk.id)))

    login(client, org.analyst)
    html = client.get(URL, query_string={"period": "2026-Q1"}).get_data(as_text=True)
    assert "Official: Nguyễn Thị Nhập" in html
    listed = client.get(URL + f"co/{official.id}/phan-hoi").get_data(as_text=True)
    assert listed.count("data-response=") == 10


def test_the_hourly_job_computes_the_recent_periods(org):
    rate(org, org.desk_a, 4, now() - timedelta(minutes=5), channel="kiosk")
    db.session.commit()
    integrity_recent_job()
    stored = set(db.session.scalars(select(IntegrityRun.period)))
    assert stored == set(recent_periods(today())) and len(stored) == 6


def test_recent_periods():
    assert recent_periods(date(2026, 1, 15)) == ["2026-01", "2026-Q1", "2026-H1",
                                                 "2025-12", "2025-Q4", "2025-H2"]
