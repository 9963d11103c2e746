"""What the demo responses are drawn with (surveys.demo_responses): reproducible random
streams, the ordered-probit answer model, moments in opening hours, and the planned rows.

The answer model: latent answer = element mean + A·respondent + B·respondent×element
+ C·noise, with A² + B² + C² = 1 and "satisfied" (4 or 5) above the cut at 0, so
P(answer ≥ 4) = Φ(element mean + item offset): a profile's shares are the true shares of
satisfied answers, and items of one element correlate as real answers do (a respondent's
general mood and mood per element are shared across items).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from core.clock import LOCAL_TZ, local
from core.models import Unit
from core.workdays import WorkCalendar
from surveys.models import QUALITY_FLAGGED, QUALITY_OK

SEED = 20260601
MONTHS = 14
A, B, C = 0.67, 0.39, 0.63  # respondent, respondent × element, noise (A² + B² + C² ≈ 1)
# Latent cuts between the 5 scale points; 0 separates "neutral" from "satisfied".
SATISFACTION_CUTS = np.array([-1.6, -0.75, 0.0, 1.0])
COMMENT_RATE = 0.05
# Fewer people come in the month of Tết (February), more just before it.
SEASON = {1: 1.15, 2: 0.6, 7: 0.95, 8: 0.95}


@dataclass
class Planned:
    """One response to insert, with what goes beside it."""

    unit_id: int
    version_id: int
    channel: str
    at: datetime
    answers: dict[str, int]
    point_id: int | None = None
    campaign_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    entered_by_id: int | None = None
    dossier: int | None = None  # index into the planned dossiers
    comment: str | None = None
    demographics: dict[str, Any] | None = None

    def row(self, dossier_ids: Sequence[int]) -> dict[str, Any]:
        return {
            "version_id": self.version_id, "unit_id": self.unit_id, "point_id": self.point_id,
            "campaign_id": self.campaign_id, "channel": self.channel, "submitted_at": self.at,
            "answers": self.answers,
            "quality": QUALITY_FLAGGED if self.reasons else QUALITY_OK,
            "quality_reasons": self.reasons or None, "entered_by_id": self.entered_by_id,
            "dossier_id": None if self.dossier is None else dossier_ids[self.dossier],
            "import_id": None,
        }


@dataclass
class Context:
    """What the plan is built from: the moment, the calendar and the database's rows."""

    at: datetime
    calendar: WorkCalendar
    units: dict[str, Unit]  # by code
    clerk_id: int | None  # the desk staff account that types in paper forms

    @property
    def anchor(self) -> date:
        """The first day of the current month: every date is relative to it."""
        return local(self.at).date().replace(day=1)

    @property
    def cutoff(self) -> datetime:
        """Local midnight today: nothing on or after it is kept (the same data all day)."""
        return datetime.combine(local(self.at).date(), time.min, tzinfo=LOCAL_TZ)

    def months(self) -> list[date]:
        """First days of the 14 months ending with the current one, oldest first."""
        return [shift_month(self.anchor, k - MONTHS + 1) for k in range(MONTHS)]


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def rng(*keys: object) -> np.random.Generator:
    """An independent, reproducible stream per key (e.g. a unit and a month), so leaving a unit
    out of the demo does not change anybody else's answers."""
    return np.random.default_rng([SEED, *(zlib.crc32(str(key).encode()) for key in keys)])


def latent_mean(share: float) -> float:
    """The latent mean whose share above the "satisfied" cut (0) is ``share``: Φ⁻¹(share)."""
    return NormalDist().inv_cdf(share)


def ordinal(stream: np.random.Generator, item_mu: np.ndarray, groups: np.ndarray,
            cuts: np.ndarray) -> np.ndarray:
    """Answers 1…len(cuts)+1 for n respondents × k items: ``item_mu`` is n × k latent means,
    ``groups`` the element index of each item (a respondent's mood is shared within one)."""
    n, k = item_mu.shape
    mood = stream.standard_normal((n, 1))
    element_mood = stream.standard_normal((n, int(groups.max()) + 1))[:, groups]
    latent = item_mu + A * mood + B * element_mood + C * stream.standard_normal((n, k))
    return np.searchsorted(cuts, latent, side="right") + 1


def cuts_for(probabilities: Sequence[float]) -> np.ndarray:
    """Latent cuts giving these answer probabilities (for 1…n) to a standard normal latent."""
    cumulative = np.cumsum(probabilities)[:-1]
    return np.array([NormalDist().inv_cdf(min(p, 0.999999)) for p in cumulative])


def working_days(calendar: WorkCalendar, first: date) -> list[date]:
    """The working days of the month starting on ``first``."""
    return [day for day in all_days(first) if calendar.is_working_day(day)]


def all_days(first: date) -> list[date]:
    return [first + timedelta(days=d) for d in range((shift_month(first, 1) - first).days)]


def pick(stream: np.random.Generator, days: Sequence[date]) -> date:
    return days[int(stream.integers(len(days)))]


def office_moment(stream: np.random.Generator, day: date) -> datetime:
    """A moment in opening hours (7:30–11:30, 13:30–17:00 local), as aware UTC."""
    minute = float(stream.uniform(0, 450))
    minute += 120 if minute >= 240 else 0  # skip the lunch break
    start = datetime.combine(day, time(7, 30), tzinfo=LOCAL_TZ)
    return (start + timedelta(minutes=minute)).astimezone(UTC).replace(microsecond=0)


def any_moment(stream: np.random.Generator, day: date) -> datetime:
    """Online answers come any time from 6:00 to 23:00 local."""
    start = datetime.combine(day, time(6), tzinfo=LOCAL_TZ)
    return (start + timedelta(minutes=float(stream.uniform(0, 17 * 60)))
            ).astimezone(UTC).replace(microsecond=0)
