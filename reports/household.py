"""The household survey page: what the SIPAS household form (QĐ 1001) asks beside the
satisfaction items — harassment (Q5) and unofficial payments (Q6), interest in local policies
(Q1), expectations (Q10) — and the SIPAS index by respondent group (Part A).

Q1, Q5, Q6 and Q10 are read from the month rollup (counts, like the dashboard); the breakdown
by group needs each respondent's Part A answers, which only the raw responses hold, so it
reads the responses in scope (``surveys.respondent_frames``).

Protecting respondents: a group's figures rest on its respondents, not on its answers (two
people answering 39 items give 78 answers), so a group with fewer respondents than the minimum
cell size shows no figure and no exact count, and a dimension is broken down only when at
least two of its groups reach the minimum — with one group left, the others could be read off
the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from analysis.household import (
    NONE_SOME_MANY,
    choice_shares,
    expectation_index,
    interest_index,
)
from analysis.sipas import answer_counts, sipas_indices
from core.access import Actor, Permission, can
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from reports.charts import Bar, ranking_bars
from reports.dashboard_model import IndexRow
from reports.filters import ReportFilters
from reports.indices import ELEMENT_ORDER, aggregation_setting, subtree_units
from surveys.frames import item_catalogue, month_rollup_counts
from surveys.month_rollups import ensure_fresh_month_rollups
from surveys.respondent_frames import (
    ResponseScope,
    demographic_choices,
    respondent_answers,
    respondent_demographics,
)

CHOICE_QUESTIONS = {"q5": _l("Q5. Civil servants causing trouble or harassment"),
                    "q6": _l("Q6. Unofficial payments")}
OPTION_LABELS = {1: _l("None"), 2: _l("Some"), 3: _l("Many")}
# Part A items broken down, in the order of the form's Part A as the page shows them.
DIMENSIONS = {"a_sex": _l("Sex"), "a_age": _l("Age band"), "a_education": _l("Education level"),
              "a_occupation": _l("Occupation"), "a_ethnicity": _l("Ethnic group")}
# Ethnicity is shown as Kinh / other only (DOMAIN.md §2.1): ethnicity is sensitive personal
# data (Law 91/2025), and a named minority group in a commune can be a handful of families.
KINH = 1
ETHNICITY_GROUPS = {1: _l("Kinh"), 2: _l("Other ethnic groups")}


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    respondents: int
    passes: bool                    # respondents ≥ the minimum cell size
    overall: IndexRow
    elements: list[IndexRow | None]


@dataclass
class Breakdown:
    code: str
    label: str
    groups: list[GroupRow]
    chart: Markup | None = None

    @property
    def shown(self) -> bool:
        return sum(group.passes for group in self.groups) >= 2


@dataclass
class HouseholdReport:
    filters: ReportFilters
    root: Unit
    min_n: int
    aggregation: str
    choices: dict[str, list[IndexRow]]       # q5 / q6 → none, some, many
    choice_n: dict[str, int]
    interest: list[IndexRow]                 # Q1, highest share first
    expectation: list[IndexRow]              # Q10, highest share first
    element_codes: list[str]                 # columns of the breakdown tables
    breakdowns: list[Breakdown]
    respondents: int                         # responses in scope with some Part A answer
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.respondents or any(self.choice_n.values())
                    or any(row.n for row in (*self.interest, *self.expectation)))

    @property
    def suppressed_cells(self) -> int:
        rows = [*(r for rows in self.choices.values() for r in rows), *self.interest,
                *self.expectation]
        return sum(row.suppressed for row in rows)


def _number(value: object) -> float | None:
    return None if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _share_row(key: str, label: str, record: pd.Series) -> IndexRow:
    mean = record.get("mean_score")
    return IndexRow(key=key, label=label, index=_number(record["share"]),
                    ci_low=_number(record["ci_low"]), ci_high=_number(record["ci_high"]),
                    n=int(record["n"]), n_eff=float(record["n"]),
                    mean_score=None if mean is None else _number(mean),
                    suppressed=bool(record["suppressed"]))


def _ranked(rows: list[IndexRow]) -> list[IndexRow]:
    """Highest share first; hidden and empty figures last, in form order."""
    return sorted(rows, key=lambda row: (row.index is None, -(row.index or 0.0)))


def _item_texts(items: pd.DataFrame, lang: str) -> dict[str, str]:
    return {row.item_code: (row.text_vi if lang == "vi" else (row.text_en or row.text_vi))
            for row in items.itertuples()}


def build_household_report(actor: Actor, filters: ReportFilters, *, lang: str = "vi",
                           perm: Permission = Permission.REPORTS_VIEW) -> HouseholdReport:
    """Every figure of the household page for ``filters`` (the unit must be in scope)."""
    root = db.session.get(Unit, filters.unit_id)
    if root is None or not can(actor, perm, root):
        raise PermissionError("unit out of scope")
    ensure_fresh_month_rollups()
    unit_ids = [unit.id for unit in subtree_units(root)]
    last = filters.last_day
    min_n = int(get_setting("sipas.min_cell_size", on=last))
    aggregation = aggregation_setting(last)
    items = item_catalogue()
    texts = _item_texts(items, lang)

    counts = month_rollup_counts(
        group_by=[], unit_ids=unit_ids, campaign=filters.campaign,
        since=filters.first_day.replace(day=1), until=last.replace(day=1),
        channels=[filters.channel] if filters.channel else None,
        include_flagged=filters.include_flagged)
    choices, choice_n = {}, {}
    for code in CHOICE_QUESTIONS:
        shares = choice_shares(counts, code, options=NONE_SOME_MANY, min_n=min_n)
        choices[code] = [_share_row(f"{code}:{int(r['value'])}",
                                    str(OPTION_LABELS[int(r["value"])]), r)
                         for _i, r in shares.iterrows()]
        choice_n[code] = int(shares["n"].iloc[0]) if len(shares) else 0
    interest = _ranked([_share_row(r["item_code"], texts.get(r["item_code"], r["item_code"]), r)
                        for _i, r in interest_index(counts, min_n=min_n).iterrows()])
    expectation = _ranked([
        _share_row(r["item_code"], texts.get(r["item_code"], r["item_code"]), r)
        for _i, r in expectation_index(counts, min_n=min_n).iterrows()])

    scope = ResponseScope(unit_ids=unit_ids, since=filters.first_day, until=last,
                          campaign=filters.campaign,
                          channels=[filters.channel] if filters.channel else None,
                          include_flagged=filters.include_flagged)
    breakdowns, element_codes, respondents = _breakdowns(scope, items, aggregation, min_n, lang)
    report = HouseholdReport(
        filters=filters, root=root, min_n=min_n, aggregation=aggregation, choices=choices,
        choice_n=choice_n, interest=interest, expectation=expectation,
        element_codes=element_codes, breakdowns=breakdowns, respondents=respondents)
    report.charts = _charts(report)
    return report


def _valid_answers(answers: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Answers to element items within their scale (1 … scale maximum)."""
    scored = items.loc[items["element"].notna(), ["item_code", "scale_max"]]
    merged = answers.merge(scored.astype({"item_code": "string"}), on="item_code")
    valid = (merged["value"] >= 1) & (merged["value"] <= merged["scale_max"])
    return merged.loc[valid, ["response_id", "item_code", "value"]]


def _group_labels(code: str, choices: dict[str, list[tuple[int, str, str]]],
                  lang: str) -> dict[int, str]:
    if code == "a_ethnicity":
        return {value: str(label) for value, label in ETHNICITY_GROUPS.items()}
    return {value: (vi if lang == "vi" else en) for value, vi, en in choices.get(code, [])}


def _breakdowns(scope: ResponseScope, items: pd.DataFrame, aggregation: str, min_n: int,
                lang: str) -> tuple[list[Breakdown], list[str], int]:
    element_items = items.loc[items["element"].notna(), "item_code"].tolist()
    answers = _valid_answers(respondent_answers(scope, item_codes=element_items,
                                                with_demographics=True), items)
    demographics = respondent_demographics(scope)
    respondents = int(demographics["response_id"].nunique())
    present = set(items.loc[items["item_code"].isin(answers["item_code"].unique()), "element"])
    element_codes = sorted(present, key=lambda e: (ELEMENT_ORDER.index(e)
                                                   if e in ELEMENT_ORDER else 99, e))
    choices = demographic_choices(list(DIMENSIONS))
    result = []
    for code, label in DIMENSIONS.items():
        groups = demographics.loc[demographics["item_code"] == code, ["response_id", "value"]]
        if code == "a_ethnicity":
            # Kinh / every other group together.
            groups = groups.assign(value=np.where(groups["value"] == KINH, KINH, 2))
        groups = groups.rename(columns={"value": "group"})
        labels = _group_labels(code, choices, lang)
        result.append(Breakdown(code, str(label), _group_rows(
            answers.merge(groups, on="response_id"), items, labels, element_codes,
            aggregation, min_n)))
    return result, element_codes, respondents


def _hidden(key: str, label: str) -> IndexRow:
    """A cell that shows nothing: no figure, no interval, no count."""
    return IndexRow(key=key, label=label, index=None, ci_low=None, ci_high=None, n=0,
                    n_eff=0.0, mean_score=None, suppressed=True)


def _cell(record: pd.Series, key: str, label: str, passes: bool) -> IndexRow:
    if bool(record["suppressed"]) or not passes:
        # Nothing of a hidden cell leaves the service (its counts could rebuild it).
        return _hidden(key, label)
    return IndexRow(key=key, label=label, index=_number(record["index"]),
                    ci_low=_number(record["ci_low"]), ci_high=_number(record["ci_high"]),
                    n=int(record["n"]), n_eff=float(record["n_eff"]),
                    mean_score=_number(record["mean_score"]), suppressed=False)


def _group_rows(joined: pd.DataFrame, items: pd.DataFrame, labels: dict[int, str],
                element_codes: list[str], aggregation: str, min_n: int) -> list[GroupRow]:
    """One row per group that has respondents: known groups in the form's order, then any
    other code the data holds."""
    if joined.empty:
        return []
    counted = joined.groupby("group")["response_id"].nunique()
    indices = sipas_indices(answer_counts(joined[["group", "item_code", "value"]], ["group"]),
                            items, by=["group"], aggregation=aggregation, min_n=min_n)
    overall = {int(r["group"]): r for _i, r in indices.overall.iterrows()}
    elements = {(int(r["group"]), r["element"]): r for _i, r in indices.elements.iterrows()}
    present = [int(value) for value in counted.index]
    order = [value for value in labels if value in present]
    order += sorted(value for value in present if value not in labels)
    rows = []
    for value in order:
        respondents = int(counted[value])
        passes = respondents >= min_n
        label = labels.get(value, str(value))
        key = str(value)
        overall_row = (_cell(overall[value], key, label, passes) if value in overall
                       else _hidden(key, label))
        cells: list[IndexRow | None] = [
            _cell(elements[(value, code)], f"{key}:{code}", label, passes)
            if (value, code) in elements else None for code in element_codes]
        rows.append(GroupRow(key=key, label=label, respondents=respondents, passes=passes,
                             overall=overall_row, elements=cells))
    return rows


def _bar(row: IndexRow, note: str) -> Bar:
    return Bar(label=row.label, value=row.index, low=row.ci_low, high=row.ci_high,
               n=None if row.suppressed else row.n, note=note if row.suppressed else None,
               key=row.key)


def _group_note(group: GroupRow, min_n: int) -> str | None:
    if not group.passes:
        return _("fewer than %(n)s respondents", n=min_n)
    return _("fewer than %(n)s answers", n=min_n) if group.overall.suppressed else None


def _charts(report: HouseholdReport) -> dict[str, Markup]:
    note = _("fewer than %(n)s answers", n=report.min_n)
    period = report.filters.period
    charts = {code: ranking_bars([_bar(row, note) for row in rows],
                                 title=f"{CHOICE_QUESTIONS[code]}, {period}",
                                 chart_id=f"chart-{code}")
              for code, rows in report.choices.items()}
    charts["interest"] = ranking_bars(
        [_bar(row, note) for row in report.interest], chart_id="chart-q1",
        title=_("Q1. Interest in local policies, %(period)s", period=period))
    charts["expectation"] = ranking_bars(
        [_bar(row, note) for row in report.expectation], chart_id="chart-q10",
        title=_("Q10. Improvements citizens want, %(period)s", period=period))
    for breakdown in report.breakdowns:
        if breakdown.shown:
            # n under each bar is the group's respondents (the table's column), not answers.
            breakdown.chart = ranking_bars(
                [Bar(label=group.label, value=group.overall.index, low=group.overall.ci_low,
                     high=group.overall.ci_high, key=group.key,
                     n=group.respondents if group.passes else None,
                     note=_group_note(group, report.min_n))
                 for group in breakdown.groups],
                chart_id=f"chart-{breakdown.code}",
                title=_("SIPAS index by %(dimension)s, %(period)s",
                        dimension=breakdown.label.lower(), period=period))
    return charts
