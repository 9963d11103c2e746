"""What the dashboard shows, as plain rows: the labels, one figure's row (``IndexRow``), the
PAKN panel and the whole ``Dashboard``. Built by :mod:`reports.dashboard`, drawn by
:mod:`reports.dashboard_charts`, written out by the exports and the figures API; kept apart so
the builder and the charts both import it and not each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from feedback.kpis import LateCase
from reports.indices import SipasReport
from surveys.instrument_rules import ELEMENTS

COMPONENT_LABELS = {"I": _l("I. Making and carrying out policy"),
                    "II": _l("II. Administrative services")}
SCALE5_LABELS = [_l("Very dissatisfied"), _l("Dissatisfied"), _l("Neutral"), _l("Satisfied"),
                 _l("Very satisfied")]
AGGREGATION_LABELS = {"item_mean": _l("mean of item indices"),
                      "pooled": _l("pooled answers")}
RATED_TYPES = ("scale5", "scale3")
OUTCOME_LABELS = {"answered": _l("Answered"), "not_accepted": _l("Not accepted"),
                  "transferred": _l("Transferred"), "total": _l("All outcomes")}


def ui_language() -> str:
    return str(get_locale() or "vi")[:2]


def element_name(code: str) -> str:
    names = ELEMENTS.get(code)
    if names is None:
        return code
    return f"{code}. {names[0] if ui_language() == 'vi' else names[1]}"


@dataclass(frozen=True)
class IndexRow:
    key: str
    label: str
    index: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_eff: float
    mean_score: float | None
    suppressed: bool
    distribution: tuple[int, ...] = ()
    # Answers "không áp dụng": outside n and every index, shown beside the distribution.
    not_applicable: int = 0
    change: float | None = None
    p_value: float | None = None
    significant: bool = False
    target: float | None = None
    below_target: bool = False
    rank: int | None = None

    @property
    def gap(self) -> float | None:
        if self.index is None or self.target is None or not self.below_target:
            return None
        return self.target - self.index


@dataclass(frozen=True)
class FollowupRow:
    """A handling unit's figures from its PAKN senders' ratings (None: the whole subtree)."""

    unit_id: int | None
    sent: int
    rated: int
    satisfaction: float | None  # percent of II.E answers at 4–5
    reopened: int
    reopen_rate: float | None   # percent of answers sent
    small_sample: bool


@dataclass
class PaknPanel:
    received: int
    answered: int
    timed: int
    on_time: int
    late: int
    on_time_share: float | None      # percent
    open_cases: int
    overdue: int
    median_days: float | None
    backlog: list[tuple[str, int, int]]
    by_outcome: list[IndexRow]
    late_cases: list[LateCase] = field(default_factory=list)
    late_total: int = 0
    target: float = 100.0
    can_open_cases: bool = False
    # The senders' own verdict (issue 14 §1): rates per unit, and element II.E from the
    # senders beside II.E from every other rating channel.
    followups: list[FollowupRow] = field(default_factory=list)
    element_e: list[IndexRow] = field(default_factory=list)


@dataclass
class Dashboard:
    report: SipasReport
    overall: IndexRow | None
    components: list[IndexRow]
    elements: list[IndexRow]
    units: list[IndexRow]
    items: list[IndexRow]
    trend_periods: list[str]
    trend: dict[str, list[IndexRow | None]]     # series key → one row (or None) per period
    trend_components: dict[str, list[IndexRow | None]]
    heat_columns: list[str]
    heat_rows: list[tuple[IndexRow, list[IndexRow | None]]]
    sample: list[tuple[str, str, str, int]]      # unit, channel, quality, responses
    sample_total: int
    flagged_total: int
    suppressed_cells: int
    gaps: list[dict]
    pakn: PaknPanel | None
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.report.has_data


def component_label(key: str) -> str:
    return str(COMPONENT_LABELS.get(key, key))
