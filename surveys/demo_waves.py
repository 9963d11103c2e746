"""Demo SIPAS household-survey waves (surveys.demo_responses): "SIPAS <year> – đợt 1" (June)
and "đợt 2" (October) for Lạng Sơn on the full QĐ 1001 form (``sipas-qd1001``), on paper and
online, over several units with quotas.

Answers: all Q9 items from each unit's true shares per element (wave 2 a little better), Q1
and Q10 on their 4-point scales, Q5 (harassment) and Q6 (unofficial payments) near the 2024
national figures (90% "none"), and Part A in ResponseDemographics for most respondents. Thanh
tra tỉnh has fewer than 5 answers in wave 1, so reports show the minimum-cell suppression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from core.models import User
from surveys.campaigns import CampaignData, close_campaign, create_campaign
from surveys.demo_sampling import (
    COMMENT_RATE,
    SATISFACTION_CUTS,
    Context,
    Planned,
    all_days,
    any_moment,
    cuts_for,
    latent_mean,
    office_moment,
    ordinal,
    pick,
    rng,
    shift_month,
    working_days,
)
from surveys.instrument_rules import ELEMENTS
from surveys.models import AnswerType, Campaign, Channel, InstrumentVersion

CAMPAIGN_PREFIX = "demo-sipas-"
OWNER_UNIT = "LS"
CLERK_UNIT = "LS-TTPVHCC"  # where the demo desk staff account types in the paper forms
ALL_ELEMENTS = list(ELEMENTS)


@dataclass(frozen=True)
class CampaignProfile:
    quota: int
    answers: tuple[int, int]  # wave 1, wave 2
    shares: tuple[float, ...]  # satisfied (4–5) per element I.A … II.E
    harassment: tuple[float, float, float] = (0.90, 0.09, 0.01)  # Q5 none / some / many


CAMPAIGN_UNITS: dict[str, CampaignProfile] = {
    "LS-VP": CampaignProfile(40, (41, 44), (0.84, 0.80, 0.85, 0.83, 0.88, 0.86, 0.89, 0.87,
                                            0.84)),
    "LS-SNV": CampaignProfile(60, (62, 66), (0.86, 0.82, 0.86, 0.84, 0.90, 0.87, 0.91, 0.89,
                                             0.85)),
    "LS-SKHCN": CampaignProfile(40, (38, 42), (0.82, 0.79, 0.84, 0.82, 0.87, 0.85, 0.88,
                                               0.86, 0.82)),
    "LS-STC": CampaignProfile(60, (57, 63), (0.83, 0.78, 0.83, 0.81, 0.86, 0.79, 0.83, 0.81,
                                             0.80), (0.87, 0.11, 0.02)),
    # Few citizens deal with the inspectorate: wave 1 stays under the minimum cell size (5).
    "LS-TT": CampaignProfile(10, (3, 8), (0.80, 0.76, 0.82, 0.80, 0.85, 0.84, 0.86, 0.85,
                                          0.83)),
    "LS-TTPVHCC": CampaignProfile(150, (152, 158), (0.85, 0.81, 0.86, 0.84, 0.91, 0.87, 0.91,
                                                    0.89, 0.86)),
    "LS-KKTCK": CampaignProfile(80, (76, 84), (0.81, 0.77, 0.84, 0.82, 0.84, 0.86, 0.88, 0.87,
                                               0.80)),
    "LS-DINHLAP": CampaignProfile(200, (196, 214), (0.78, 0.75, 0.80, 0.79, 0.77, 0.80, 0.87,
                                                    0.82, 0.75), (0.84, 0.14, 0.02)),
}
WAVE_MONTHS = (6, 10)
WAVE_GAIN = 0.08  # wave 2's latent means above wave 1's
CAMPAIGN_CHANNELS = [Channel.PAPER.value, Channel.ONLINE.value]
PAPER_SHARE = 0.7
MISSING_RATE = 0.03  # items left blank
# Q6 (unofficial payments) is reported less often than Q5 (harassment).
PAYMENTS = (0.93, 0.06, 0.01)
INTEREST = (0.08, 0.27, 0.42, 0.23)  # Q1: 1 not interested … 4 very interested
EXPECTATION = (0.03, 0.12, 0.40, 0.45)  # Q10: 1 not wanted … 4 strongly wanted
# Part A: (code, choice probabilities); Lạng Sơn is mostly Tày and Nùng.
DEMOGRAPHICS = [
    ("a_sex", (0.48, 0.52)),
    ("a_ethnicity", (0.22, 0.78)),
    ("a_age", (0.10, 0.24, 0.32, 0.22, 0.12)),
    ("a_education", (0.12, 0.28, 0.30, 0.14, 0.14, 0.02)),
    ("a_occupation", (0.10, 0.12, 0.38, 0.04, 0.16, 0.16, 0.04)),
]
OTHER_ETHNICITIES = (["Nùng", "Tày", "Dao", "Sán Chay", "Hoa"], (0.48, 0.38, 0.08, 0.03, 0.03))
DEMOGRAPHICS_SKIPPED = 0.1
# Generic comments: no names, no contact data.
HOUSEHOLD_COMMENTS = [
    "Đề nghị sửa chữa đường giao thông liên thôn.",
    "Mong chính quyền thông tin chính sách trên loa phát thanh thường xuyên hơn.",
    "Nên tổ chức nhiều buổi đối thoại với người dân.",
    "Cần nâng cấp trạm y tế xã.",
    "Đề nghị hỗ trợ người dân làm thủ tục trực tuyến.",
    "Mùa khô nước sinh hoạt còn thiếu.",
]


def wave_year(anchor: date) -> int:
    """The latest year whose October wave is over by ``anchor`` (both waves in the past)."""
    return anchor.year if anchor.month > WAVE_MONTHS[-1] else anchor.year - 1


@dataclass(frozen=True)
class HouseholdForm:
    """The household questionnaire as the plan needs it (only the items it has)."""

    version_id: int
    q9: list[str]
    groups: np.ndarray  # element index (0…8) of each Q9 item
    interest: list[str]  # Q1
    expectation: list[str]  # Q10
    singles: list[str]  # Q5, Q6
    demographics: list[tuple[str, tuple[float, ...]]]
    other_ethnicity: bool  # the form has the "other ethnicity (name it)" box
    comment: str | None

    @classmethod
    def of(cls, version: InstrumentVersion) -> HouseholdForm:
        items = {i.code: i for i in version.items}
        q9 = [i for i in version.items
              if i.element in ELEMENTS and i.answer_type == AnswerType.SCALE5.value]
        scale4 = [i.code for i in version.items if i.answer_type == AnswerType.SCALE4.value]
        return cls(
            version.id, [i.code for i in q9],
            np.array([ALL_ELEMENTS.index(i.element) for i in q9], dtype=int),
            [c for c in scale4 if c.startswith("q1_")],
            [c for c in scale4 if c.startswith("q10_")],
            [c for c in ("q5", "q6") if c in items],
            [(c, p) for c, p in DEMOGRAPHICS if c in items and items[c].demographic],
            "a_ethnicity_other" in items, "comment" if "comment" in items else None,
        )


def _answers(stream: np.random.Generator, form: HouseholdForm, profile: CampaignProfile,
             gain: float, n: int) -> list[dict[str, int]]:
    level = np.array([latent_mean(share) for share in profile.shares]) + gain
    offsets = rng("household-items").normal(0.0, 0.12, len(form.q9))
    blocks = [(form.q9, ordinal(stream, np.tile(level[form.groups] + offsets, (n, 1)),
                                form.groups, SATISFACTION_CUTS))]
    for codes, probabilities in ((form.interest, INTEREST), (form.expectation, EXPECTATION)):
        if codes:
            shifts = rng("household-4", codes[0]).normal(0.0, 0.25, len(codes))
            blocks.append((codes, ordinal(stream, np.tile(shifts, (n, 1)),
                                          np.zeros(len(codes), dtype=int),
                                          cuts_for(probabilities))))
    answers: list[dict[str, int]] = []
    for r in range(n):
        given = {code: int(value) for codes, values in blocks
                 for code, value, blank in zip(codes, values[r],
                                               stream.random(len(codes)) < MISSING_RATE,
                                               strict=True) if not blank}
        for code in form.singles:
            probabilities = profile.harassment if code == "q5" else PAYMENTS
            given[code] = int(stream.choice(len(probabilities), p=probabilities)) + 1
        answers.append(given)
    return answers


def _demographics(stream: np.random.Generator, form: HouseholdForm) -> dict[str, Any] | None:
    if stream.random() < DEMOGRAPHICS_SKIPPED or not form.demographics:
        return None
    given: dict[str, Any] = {code: int(stream.choice(len(p), p=p)) + 1
                             for code, p in form.demographics}
    if given.get("a_ethnicity") == 2 and form.other_ethnicity:
        names, weights = OTHER_ETHNICITIES
        given["a_ethnicity_other"] = names[int(stream.choice(len(names), p=weights))]
    return given


def _create_waves(ctx: Context, admin: User, version: InstrumentVersion) -> list[Campaign]:
    """The two waves through the campaign service (validation and audit), closed: over."""
    owner = ctx.units.get(OWNER_UNIT)
    if owner is None:
        return []
    year = wave_year(ctx.anchor)
    quotas = {ctx.units[code].id: profile.quota for code, profile in CAMPAIGN_UNITS.items()
              if code in ctx.units}
    waves = []
    for number, month in enumerate(WAVE_MONTHS, start=1):
        first = date(year, month, 1)
        campaign = create_campaign(CampaignData(
            code=f"{CAMPAIGN_PREFIX}{year}-{number}", name_vi=f"SIPAS {year} – đợt {number}",
            name_en=f"SIPAS {year} – wave {number}", owner_unit_id=owner.id,
            version_id=version.id, starts_on=first,
            ends_on=shift_month(first, 1) - timedelta(days=1),
            channels=list(CAMPAIGN_CHANNELS), quotas=dict(quotas)), admin)
        close_campaign(campaign, admin, reason="Dữ liệu mẫu: đợt khảo sát đã kết thúc.")
        waves.append(campaign)
    return waves


def _plan_wave(ctx: Context, form: HouseholdForm, campaign: Campaign,
               wave: int) -> list[Planned]:
    office, every = working_days(ctx.calendar, campaign.starts_on), all_days(campaign.starts_on)
    planned = []
    for code, profile in CAMPAIGN_UNITS.items():
        unit = ctx.units.get(code)
        if unit is None:
            continue
        stream = rng("wave", wave, code)
        for given in _answers(stream, form, profile, WAVE_GAIN * wave, profile.answers[wave]):
            on_paper = stream.random() < PAPER_SHARE
            at = office_moment(stream, pick(stream, office)) if on_paper else \
                any_moment(stream, pick(stream, every))
            comment = None
            if form.comment and stream.random() < COMMENT_RATE:
                comment = HOUSEHOLD_COMMENTS[int(stream.integers(len(HOUSEHOLD_COMMENTS)))]
            planned.append(Planned(
                unit_id=unit.id, version_id=form.version_id,
                channel=Channel.PAPER.value if on_paper else Channel.ONLINE.value, at=at,
                answers=given, campaign_id=campaign.id,
                entered_by_id=ctx.clerk_id if on_paper and code == CLERK_UNIT else None,
                comment=comment, demographics=_demographics(stream, form)))
    return planned


def plan_waves(ctx: Context, admin: User, version: InstrumentVersion) -> list[Planned]:
    """Create the two waves (as ``admin``) and plan their responses."""
    form = HouseholdForm.of(version)
    planned: list[Planned] = []
    for wave, campaign in enumerate(_create_waves(ctx, admin, version)):
        planned += _plan_wave(ctx, form, campaign, wave)
    return planned
