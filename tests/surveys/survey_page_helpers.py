"""Builders for the survey page and response tests: a small questionnaire, a desk and its
collection point made directly through the models (no dependency on the shipped files)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.clock import now
from core.extensions import db
from core.models import Unit
from surveys.models import (
    CollectionPoint,
    Instrument,
    InstrumentVersion,
    Item,
    Response,
    ResponseDemographics,
    ResponseText,
    RollupCount,
    Section,
)
from surveys.survey_form import start_token

# The SIPAS satisfaction scale as SIPAS_ITEMS.md words it.
SATISFACTION = [
    {"value": 1, "vi": "Rất không hài lòng", "en": "Very dissatisfied"},
    {"value": 2, "vi": "Không hài lòng", "en": "Dissatisfied"},
    {"value": 3, "vi": "Bình thường", "en": "Neutral"},
    {"value": 4, "vi": "Hài lòng", "en": "Satisfied"},
    {"value": 5, "vi": "Rất hài lòng", "en": "Very satisfied"},
]
CHANNELS = [
    {"value": 1, "vi": "Loa phát thanh", "en": "Loudspeaker"},
    {"value": 2, "vi": "Người thân, bạn bè", "en": "Relatives and friends"},
    {"value": 3, "vi": "Mạng internet", "en": "The internet"},
]
YESNO = [{"value": 1, "vi": "Có", "en": "Yes"}, {"value": 2, "vi": "Không", "en": "No"}]
AGE = [{"value": 1, "vi": "18–24", "en": "18–24"}, {"value": 2, "vi": "25–34", "en": "25–34"}]
TEXT_LIMIT = 50
POINT_CODE = "K7M2P9Q"


@dataclass
class Desk:
    agency: Unit
    desk: Unit
    version: InstrumentVersion
    point: CollectionPoint


def build_version(code: str = "test-desk", status: str = "published",
                  instrument: Instrument | None = None, number: int = 1) -> InstrumentVersion:
    """Two sections: element II.A (two required 5-point items) and "other" (an optional overall
    rating with no element, a channel list, a yes/no, an age band kept as a demographic and a
    comment of at most 50 characters)."""
    instrument = instrument or Instrument(code=code, name_vi="Phiếu thử", name_en="Test form")
    version = InstrumentVersion(
        instrument=instrument, number=number, status=status,
        title_vi="Đánh giá sự phục vụ tại quầy", title_en="Rate the service at this desk",
        intro_vi="Phiếu không ghi tên.", intro_en="The form is anonymous.",
        published_at=now() if status != "draft" else None)
    access = Section(version=version, position=1, code="II.A", element="II.A",
                     title_vi="II.A. Tiếp cận dịch vụ", title_en="II.A. Access to services")
    other = Section(version=version, position=2, code="other", title_vi="Ý kiến khác",
                    title_en="Other comments")
    specs = [
        (access, "q9_24", "scale5", True, "II.A", "Có biển hiệu, hướng dẫn rõ ràng",
         "Clear signs and directions", SATISFACTION, False, None),
        (access, "q9_25", "scale5", True, "II.A", "Có đủ ghế ngồi chờ",
         "Enough seats", SATISFACTION, False, None),
        (other, "overall", "scale5", False, None, "Hài lòng chung", "Overall", SATISFACTION,
         False, None),
        (other, "q2", "multi", False, None, "Kênh thông tin", "Channels", CHANNELS, False, None),
        (other, "q8_1", "yesno", False, None, "Đã gửi phản ánh", "Sent a PAKN", YESNO, False,
         None),
        (other, "a_age", "single", False, None, "Độ tuổi", "Age band", AGE, True, None),
        (other, "comment", "text", False, None, "Ý kiến khác", "Other comments", None, False,
         TEXT_LIMIT),
    ]
    for position, (section, item_code, kind, required, element, text_vi, text_en, choices,
                   demographic, max_length) in enumerate(specs, start=1):
        Item(version=version, section=section, position=position, code=item_code,
             answer_type=kind, required=required, element=element, text_vi=text_vi,
             text_en=text_en, choices=choices, demographic=demographic, max_length=max_length)
    db.session.add(version)
    db.session.flush()
    return version


def build_desk(make_unit, version: InstrumentVersion | None = None,
               code: str = POINT_CODE) -> Desk:
    agency = make_unit("UBND-PHUONG-1", kind="commune", name_vi="UBND phường Bến Nghé",
                       hotline="028 3829 1234", email="motcua@bennghe.gov.vn")
    desk = make_unit("UBND-PHUONG-1-Q1", parent=agency, kind="desk", name_vi="Quầy số 1")
    version = version or build_version()
    point = CollectionPoint(unit=desk, public_code=code, version_id=version.id)
    db.session.add(point)
    db.session.commit()
    return Desk(agency, desk, version, point)


def old_token(version_id: int, seconds_ago: float = 60) -> str:
    """A start stamp from ``seconds_ago``: long enough ago not to look like a bot."""
    return start_token(version_id, issued_at=time.time() - seconds_ago)


def stored_counts() -> tuple[int, int, int, int]:
    """(responses, texts, demographics, rollup rows): all zero after any refusal."""
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Response, ResponseText, ResponseDemographics, RollupCount))
