"""Demo desk ratings (surveys.demo_responses): 14 months of the ``sipas-desk`` form at every
demo collection point, the dossiers received at the agencies' desks and their ratings, and a
burst of flagged answers at one desk.

Each desk has its own true share of satisfied answers per element (II.A … II.E) and a mild
trend, so some desks are below the 85% target on some elements and others above. A dossier's
facts move its rating: late results lower the "on time" items, supplement requests the
guidance items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import select

from core.clock import LOCAL_TZ, local
from core.extensions import db
from core.models import Unit
from surveys.demo_dossiers import PlannedDossier, reset_date
from surveys.demo_sampling import (
    COMMENT_RATE,
    MONTHS,
    SATISFACTION_CUTS,
    SEASON,
    Context,
    Planned,
    all_days,
    any_moment,
    latent_mean,
    office_moment,
    ordinal,
    pick,
    rng,
    shift_month,
    working_days,
)
from surveys.instrument_rules import ELEMENTS
from surveys.models import AnswerType, Channel, CollectionPoint, InstrumentVersion
from surveys.responses import REASON_BURST, REASON_HONEYPOT, REASON_TOO_FAST

PART_II = [code for code in ELEMENTS if code.startswith("II.")]
OVERALL_RATE = 0.8  # share of desk responses that answer the optional overall item
TOO_FAST_RATE = 0.005  # scattered flags outside the burst


@dataclass(frozen=True)
class DeskProfile:
    """One demo collection point's unit: its volume and true satisfaction."""

    monthly: int  # mean responses a month on the point's own channels
    shares: tuple[float, float, float, float, float]  # satisfied (4–5) per II.A … II.E
    trend: float  # change of the latent mean from the first month to the last
    kiosk: bool = False  # service centres have a kiosk at the door
    agency: str | None = None  # the agency whose dossiers the desk receives
    late_rate: float = 0.06  # share of its dossiers returned late


DESK_PROFILES: dict[str, DeskProfile] = {
    "LS-TTPVHCC": DeskProfile(45, (0.90, 0.88, 0.91, 0.89, 0.86), 0.20, kiosk=True),
    "LS-TTPVHCC-Q01": DeskProfile(70, (0.93, 0.88, 0.94, 0.91, 0.87), 0.15, agency="LS-SNV"),
    # The finance desk slips a little (and is the one with the burst of flagged "5"s).
    "LS-TTPVHCC-Q02": DeskProfile(55, (0.87, 0.79, 0.83, 0.80, 0.81), -0.15, agency="LS-STC",
                                  late_rate=0.10),
    "LS-TTPVHCC-Q03": DeskProfile(30, (0.89, 0.85, 0.90, 0.87, 0.84), 0.25,
                                  agency="LS-SKHCN"),
    "LS-KKTCK-MC": DeskProfile(40, (0.84, 0.86, 0.88, 0.87, 0.80), 0.30, agency="LS-KKTCK"),
    # The commune centre: poor premises (II.A) and PAKN handling (II.E), improving.
    "LS-DINHLAP-TTPVHCC": DeskProfile(30, (0.77, 0.83, 0.89, 0.85, 0.76), 0.35, kiosk=True),
    "LS-DINHLAP-Q01": DeskProfile(40, (0.80, 0.86, 0.91, 0.88, 0.79), 0.20,
                                  agency="LS-DINHLAP"),
    # The land desk: late results, the lowest everywhere.
    "LS-DINHLAP-Q02": DeskProfile(30, (0.75, 0.76, 0.81, 0.72, 0.74), 0.10,
                                  agency="LS-DINHLAP", late_rate=0.22),
    "KH-KKTVP-MC": DeskProfile(40, (0.94, 0.92, 0.95, 0.92, 0.90), 0.05, agency="KH-KKTVP"),
}
CLERK_SUBTREE = "LS-TTPVHCC"  # where the demo desk staff account types in paper forms
# Channels of a point's own responses: desk QR, kiosk, online link, paper.
POINT_CHANNELS = [Channel.DESK_QR.value, Channel.KIOSK.value, Channel.ONLINE.value,
                  Channel.PAPER.value]
CHANNEL_SHARES = {True: [0.66, 0.16, 0.10, 0.08], False: [0.80, 0.0, 0.12, 0.08]}

BURST_DESK = "LS-TTPVHCC-Q02"
BURST_MONTHS_AGO = 3
BURST_SIZE = 35  # responses per burst, 1.5 s apart; two bursts a day on two days
BURST_GAP_SECONDS = 1.5
BURST_LIMIT = 30  # as surveys.responses._is_burst: 30 from one point within a minute

# Dossier code prefixes, shaped like the one-stop system's (illustrative, not official).
DOSSIER_PREFIXES = {
    "LS-SNV": "000.00.17.H39", "LS-STC": "000.00.16.H39", "LS-SKHCN": "000.00.15.H39",
    "LS-KKTCK": "000.00.30.H39", "LS-DINHLAP": "000.31.25.H39", "KH-KKTVP": "000.00.28.H34",
}
# (procedure, working days allowed, share submitted online) per agency; illustrative limits.
PROCEDURES: dict[str, list[tuple[str, int, float]]] = {
    "LS-SNV": [("Thành lập hội", 30, 0.2), ("Phê duyệt điều lệ hội", 30, 0.2),
               ("Thẩm định đề án vị trí việc làm", 15, 0.1)],
    "LS-STC": [("Đăng ký thành lập doanh nghiệp", 3, 0.7),
               ("Đăng ký thay đổi nội dung đăng ký doanh nghiệp", 3, 0.6),
               ("Cấp mã số đơn vị có quan hệ với ngân sách", 2, 0.4)],
    "LS-SKHCN": [("Cấp giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", 15, 0.3),
                 ("Cấp giấy phép tiến hành công việc bức xạ", 10, 0.2)],
    "LS-KKTCK": [("Cấp giấy chứng nhận đăng ký đầu tư", 15, 0.4),
                 ("Cấp giấy phép xây dựng", 20, 0.2)],
    "LS-DINHLAP": [("Đăng ký khai sinh", 1, 0.3), ("Chứng thực bản sao từ bản chính", 1, 0.0),
                   ("Đăng ký kết hôn", 5, 0.2),
                   ("Cấp giấy chứng nhận quyền sử dụng đất lần đầu", 30, 0.1),
                   ("Cấp giấy phép xây dựng nhà ở riêng lẻ", 15, 0.1)],
    "KH-KKTVP": [("Cấp giấy chứng nhận đăng ký đầu tư", 15, 0.5),
                 ("Cấp giấy phép xây dựng", 20, 0.3)],
}
DOSSIERS_PER_RESPONSE = 0.14  # dossiers a month per desk response a month
RATED_SHARE = 0.5  # returned dossiers whose QR slip gets used
EARLY_SHARE = 0.65  # of dossiers not late, when the time limit leaves room to be early

# Generic comments (no names, no contact data), chosen by how the respondent rated.
PRAISE = [
    "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
    "Thủ tục nhanh gọn, trả kết quả sớm hơn hẹn.",
    "Nơi làm thủ tục sạch sẽ, có đủ ghế ngồi chờ.",
    "Được hướng dẫn một lần là hoàn thiện hồ sơ, rất hài lòng.",
    "Cảm ơn bộ phận một cửa đã hỗ trợ người cao tuổi.",
]
COMPLAINTS = [
    "Phải bổ sung hồ sơ nhiều lần, mất thời gian đi lại.",
    "Thời gian chờ lấy số quá lâu vào buổi sáng.",
    "Máy lấy số và máy tra cứu hay bị hỏng.",
    "Bảng niêm yết thủ tục chữ nhỏ, khó đọc.",
    "Kết quả trả chậm so với giấy hẹn, không được báo trước.",
    "Khu vực chờ nóng, cần thêm quạt hoặc điều hòa.",
    "Chưa biết gửi phản ánh ở đâu khi có vướng mắc.",
]
SUGGESTIONS = [
    "Đề nghị có thêm hướng dẫn nộp hồ sơ trực tuyến.",
    "Nên gửi tin nhắn thông báo khi có kết quả.",
    "Cần có chỗ gửi xe rộng hơn.",
]


def _comment(stream: np.random.Generator, values: np.ndarray) -> str:
    mean = float(values.mean())
    pool = PRAISE if mean >= 4.3 else COMPLAINTS if mean < 3.6 else SUGGESTIONS + COMPLAINTS
    return pool[int(stream.integers(len(pool)))]


@dataclass(frozen=True)
class DeskForm:
    """The desk questionnaire as the plan needs it."""

    version_id: int
    codes: list[str]  # the element items, II.A … II.E
    groups: np.ndarray  # element index (0…4) of each
    offsets: np.ndarray  # a fixed latent offset per item (some items are harder)
    overall: str | None
    comment: str | None

    @classmethod
    def of(cls, version: InstrumentVersion) -> DeskForm:
        rated = [i for i in version.items
                 if i.element in PART_II and i.answer_type == AnswerType.SCALE5.value]
        codes = {i.code for i in version.items}
        return cls(version.id, [i.code for i in rated],
                   np.array([PART_II.index(i.element) for i in rated], dtype=int),
                   rng("desk-items").normal(0.0, 0.12, len(rated)),
                   "overall" if "overall" in codes else None,
                   "comment" if "comment" in codes else None)

    def answers(self, stream: np.random.Generator, element_mu: np.ndarray,
                item_shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(n × items answers, n overall answers or 0 when skipped) for latent means per
        respondent × element (n × 5), optionally shifted per respondent × item."""
        item_mu = element_mu[:, self.groups] + self.offsets
        if item_shift is not None:
            item_mu = item_mu + item_shift
        values = ordinal(stream, item_mu, self.groups, SATISFACTION_CUTS)
        # The overall item follows the respondent's own answers, give or take one point.
        overall = np.clip(np.rint(values.mean(axis=1)
                                  + 0.45 * stream.standard_normal(len(values))), 1, 5)
        overall[stream.random(len(values)) >= OVERALL_RATE] = 0
        return values, overall

    def to_dict(self, values: np.ndarray, overall: int) -> dict[str, int]:
        answers = {code: int(value) for code, value in zip(self.codes, values, strict=True)}
        if self.overall and overall:
            answers[self.overall] = int(overall)
        return answers


def _element_mu(profile: DeskProfile, t: np.ndarray) -> np.ndarray:
    """Latent means per respondent × element: the profile's level plus its trend at t∈[0,1]
    (t = 0 in the first month, 1 in the last; the shares hold in the middle)."""
    level = np.array([latent_mean(share) for share in profile.shares])
    return level[None, :] + profile.trend * (t[:, None] - 0.5)


def _plan_point_month(ctx: Context, form: DeskForm, point: CollectionPoint, code: str,
                      index: int, first: date) -> list[Planned]:
    profile = DESK_PROFILES[code]
    stream = rng("desk", code, first.isoformat())
    n = int(stream.poisson(profile.monthly * SEASON.get(first.month, 1.0)))
    if n == 0:
        return []
    channels = stream.choice(POINT_CHANNELS, size=n, p=CHANNEL_SHARES[profile.kiosk])
    values, overall = form.answers(stream, _element_mu(profile, np.full(n, index / (MONTHS - 1))))
    office, every = working_days(ctx.calendar, first), all_days(first)
    flagged = stream.random(n) < TOO_FAST_RATE
    commented = stream.random(n) < COMMENT_RATE
    clerk = ctx.clerk_id if code.startswith(CLERK_SUBTREE) else None
    planned = []
    for r in range(n):
        channel = str(channels[r])
        online, on_paper = channel == Channel.ONLINE.value, channel == Channel.PAPER.value
        at = any_moment(stream, pick(stream, every)) if online else \
            office_moment(stream, pick(stream, office))
        reasons = []
        if flagged[r] and not on_paper:
            reasons = [REASON_TOO_FAST if stream.random() < 0.7 else REASON_HONEYPOT]
        planned.append(Planned(
            unit_id=point.unit_id, version_id=form.version_id, channel=channel, at=at,
            answers=form.to_dict(values[r], int(overall[r])),
            # Paper and the online link do not come through the desk's QR code.
            point_id=None if online or on_paper else point.id,
            reasons=reasons, entered_by_id=clerk if on_paper else None,
            comment=_comment(stream, values[r]) if commented[r] and form.comment else None))
    return planned


def _plan_burst(ctx: Context, form: DeskForm, point: CollectionPoint) -> list[Planned]:
    """Two days when someone at the desk sent straight "5"s in quick bursts: flagged as too
    fast, and as a burst past 30 in a minute (the rule of surveys.responses._is_burst)."""
    days = [d for d in working_days(ctx.calendar, shift_month(ctx.anchor, -BURST_MONTHS_AGO))
            if d.day >= 10]
    pair = next(d for d, following in zip(days, days[1:], strict=False)
                if following - d == timedelta(days=1))
    planned: list[Planned] = []
    for day in (pair, pair + timedelta(days=1)):
        for start in (time(9, 5), time(15, 10)):
            first = datetime.combine(day, start, tzinfo=LOCAL_TZ).astimezone(UTC)
            moments = [first + timedelta(seconds=BURST_GAP_SECONDS * k)
                       for k in range(BURST_SIZE)]
            for k, at in enumerate(moments):
                recent = sum(1 for m in moments[:k] if m > at - timedelta(minutes=1))
                reasons = [REASON_TOO_FAST] + ([REASON_BURST] if recent >= BURST_LIMIT else [])
                planned.append(Planned(
                    unit_id=point.unit_id, version_id=form.version_id,
                    channel=Channel.DESK_QR.value, at=at,
                    answers=form.to_dict(np.full(len(form.codes), 5), 5), point_id=point.id,
                    reasons=reasons))
    return planned


# --- Dossiers and their ratings --------------------------------------------------------


def _plan_dossier(ctx: Context, stream: np.random.Generator, desk: Unit, agency: Unit,
                  day: date) -> PlannedDossier:
    profile = DESK_PROFILES[desk.code]
    procedures = PROCEDURES[agency.code]
    name, limit, online_share = procedures[int(stream.integers(len(procedures)))]
    received = office_moment(stream, day)
    appointed = datetime.combine(ctx.calendar.add_working_days(received, limit),
                                 time(16, 30), tzinfo=LOCAL_TZ).astimezone(UTC)
    draw = stream.random()
    if draw < profile.late_rate:
        outcome, days = "late", limit + int(stream.integers(1, 6))
    elif draw < profile.late_rate + EARLY_SHARE and limit >= 2:
        outcome, days = "early", int(stream.integers(max(1, limit // 3), limit))
    else:
        outcome, days = "on_time", limit
    returned: datetime | None = office_moment(
        stream, ctx.calendar.add_working_days(received, days))
    supplements = int(stream.choice(3, p=(0.45, 0.35, 0.20) if outcome == "late"
                                    else (0.78, 0.17, 0.05)))
    apology = outcome == "late" and stream.random() < 0.7  # the seeds want 100%: not yet
    if returned is not None and returned >= ctx.cutoff:  # still being handled
        returned, apology = None, False
    return PlannedDossier(DOSSIER_PREFIXES[agency.code], name, agency.id, desk.id, received,
                          appointed, returned, supplements,
                          bool(stream.random() < online_share), apology, outcome,
                          reset_appointed_at=reset_date(ctx.calendar, received, limit, days)
                          if apology else None)


def _dossier_shift(form: DeskForm, dossier: PlannedDossier) -> np.ndarray:
    """How a dossier's facts move its rating: a late result lowers "returned on time" (II.D)
    and "time limit respected" (q9_30); supplement requests lower the guidance items."""
    shift = np.zeros(len(form.codes))
    for position, code in enumerate(form.codes):
        if PART_II[form.groups[position]] == "II.D" or code == "q9_30":
            shift[position] += {"late": -1.0, "early": 0.3}.get(dossier.outcome, 0.0)
        if code in ("q9_28", "q9_32"):
            shift[position] -= 0.35 * dossier.supplement_requests
    return shift


def _plan_dossiers(ctx: Context, form: DeskForm, desk: Unit, index: int, first: date,
                   dossiers: list[PlannedDossier]) -> list[Planned]:
    """The month's dossiers at ``desk`` (appended to ``dossiers``) and the ratings of some,
    by the handling agency as surveys.tokens records them (unit = the dossier's unit)."""
    profile = DESK_PROFILES[desk.code]
    agency = ctx.units.get(profile.agency or "")
    if agency is None or agency.code not in PROCEDURES:
        return []
    stream = rng("dossiers", desk.code, first.isoformat())
    count = int(stream.poisson(profile.monthly * DOSSIERS_PER_RESPONSE
                               * SEASON.get(first.month, 1.0)))
    office = working_days(ctx.calendar, first)
    planned = []
    for _n in range(count):
        dossier = _plan_dossier(ctx, stream, desk, agency, pick(stream, office))
        rated = stream.random() < RATED_SHARE
        # Rated at the desk on collection, or later from home for dossiers filed online.
        delay = timedelta(hours=float(stream.uniform(1, 72))) if dossier.online else \
            timedelta(minutes=float(stream.uniform(2, 90)))
        if dossier.received_at >= ctx.cutoff:
            continue
        dossiers.append(dossier)
        if not rated or dossier.returned_at is None or dossier.returned_at + delay >= ctx.cutoff:
            continue
        mu = _element_mu(profile, np.array([index / (MONTHS - 1)]))
        values, overall = form.answers(stream, mu, _dossier_shift(form, dossier)[None, :])
        commented = stream.random() < COMMENT_RATE and form.comment
        planned.append(Planned(
            unit_id=agency.id, version_id=form.version_id, channel=Channel.DOSSIER_QR.value,
            at=(dossier.returned_at + delay).replace(microsecond=0),
            answers=form.to_dict(values[0], int(overall[0])), dossier=len(dossiers) - 1,
            comment=_comment(stream, values[0]) if commented else None))
    return planned


def _number_dossiers(dossiers: list[PlannedDossier]) -> None:
    """Codes like 000.00.17.H39-260312-0001: prefix, local day received, number that day."""
    seen: Counter[tuple[str, date]] = Counter()
    for dossier in sorted(dossiers, key=lambda d: d.received_at):
        day = local(dossier.received_at).date()
        seen[dossier.prefix, day] += 1
        dossier.code = f"{dossier.prefix}-{day:%y%m%d}-{seen[dossier.prefix, day]:04d}"


# --- The plan --------------------------------------------------------------------------


def demo_points() -> dict[str, CollectionPoint]:
    """The first live point of each profiled unit, by unit code."""
    stmt = (select(Unit.code, CollectionPoint).join(Unit, Unit.id == CollectionPoint.unit_id)
            .where(Unit.code.in_(list(DESK_PROFILES)), CollectionPoint.active.is_(True),
                   CollectionPoint.retired_at.is_(None))
            .order_by(CollectionPoint.id))
    points: dict[str, CollectionPoint] = {}
    for code, point in db.session.execute(stmt):
        points.setdefault(code, point)
    return points


def plan_desk(ctx: Context, version: InstrumentVersion, points: dict[str, CollectionPoint]
              ) -> tuple[list[Planned], list[PlannedDossier]]:
    """Every desk response and dossier of the 14 months (cut off by the caller)."""
    form = DeskForm.of(version)
    planned: list[Planned] = []
    dossiers: list[PlannedDossier] = []
    for code in DESK_PROFILES:
        point = points.get(code)
        if point is None:
            continue
        for index, first in enumerate(ctx.months()):
            planned += _plan_point_month(ctx, form, point, code, index, first)
            planned += _plan_dossiers(ctx, form, point.unit, index, first, dossiers)
        if code == BURST_DESK:
            planned += _plan_burst(ctx, form, point)
    _number_dossiers(dossiers)
    return planned, dossiers
