"""Questionnaire reliability for analysts judging a form (often a home-made one): per
questionnaire version, Cronbach's alpha of each element and the item–total table, from the raw
answers of the responses in the report's scope (``analysis.reliability``).

Only items that score an element and are answered on a rating scale enter; values outside the
item's scale are not answers. An element's figures are hidden when fewer respondents than the
minimum cell size answered all its items (alpha on a handful of people says nothing, and the
page follows the same minimum as every other figure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext as _
from markupsafe import Markup

from analysis.reliability import item_total_correlations, reliability_by_element
from core.access import Actor, Permission, can
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from reports.charts import Bar, element_bars
from reports.dashboard_model import element_name
from reports.filters import FilterError, ReportFilters
from reports.indices import subtree_units
from surveys.models import AnswerType, InstrumentVersion
from surveys.respondent_frames import (
    ResponseScope,
    respondent_answers,
    version_items,
    version_response_counts,
)

# Nunnally, J. C. (1978), Psychometric Theory, 2nd ed., McGraw-Hill, p. 245: 0.70 is the
# modest reliability acceptable for early-stage research instruments.
ALPHA_ACCEPTABLE = 0.7
SCALE_SIZES = {AnswerType.SCALE5.value: 5, AnswerType.SCALE4.value: 4,
               AnswerType.SCALE3.value: 3}
# alpha_if_deleted above alpha by less than this is floating-point noise, not a finding.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class VersionOption:
    id: int
    label: str
    responses: int


@dataclass(frozen=True)
class ItemReliability:
    item_code: str
    label: str
    corrected_r: float | None
    alpha_if_deleted: float | None
    raises_alpha: bool              # dropping the item would raise the element's alpha


@dataclass(frozen=True)
class ElementReliability:
    element: str
    label: str
    items: int
    respondents: int                # answered every item of the element
    alpha: float | None
    hidden: bool                    # fewer respondents than the minimum cell size
    item_rows: list[ItemReliability] = field(default_factory=list)

    @property
    def acceptable(self) -> bool | None:
        return None if self.alpha is None else self.alpha >= ALPHA_ACCEPTABLE

    @property
    def items_to_review(self) -> list[ItemReliability]:
        return [row for row in self.item_rows if row.raises_alpha]


@dataclass
class ReliabilityReport:
    filters: ReportFilters
    root: Unit
    min_n: int
    versions: list[VersionOption]
    version: VersionOption | None
    elements: list[ElementReliability]
    chart: Markup | None = None

    @property
    def has_data(self) -> bool:
        return any(element.respondents for element in self.elements)


def parse_version(values: list[str]) -> int | None:
    """The ``version`` query parameter: absent, or the id of a published version."""
    if not values or values == [""]:
        return None
    if len(values) > 1:
        raise FilterError(_("The filter “%(name)s” is given twice.", name="version"))
    raw = values[0].strip()
    version = db.session.get(InstrumentVersion, int(raw)) if raw.isdigit() else None
    if version is None or version.published_at is None:
        raise FilterError(_("Unknown questionnaire version “%(value)s”.", value=raw))
    return version.id


def _number(value: object) -> float | None:
    return None if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _version_label(record: pd.Series, lang: str) -> str:
    name = record["instrument_name_vi"] if lang == "vi" else (
        record["instrument_name_en"] or record["instrument_name_vi"])
    return _("%(name)s, version %(number)s", name=name, number=int(record["number"]))


def build_reliability_report(actor: Actor, filters: ReportFilters, version_id: int | None, *,
                             lang: str = "vi",
                             perm: Permission = Permission.REPORTS_VIEW) -> ReliabilityReport:
    """Alpha per element and the item–total table of one version (default: the version with
    the most responses in scope) over the responses in ``filters``' scope."""
    root = db.session.get(Unit, filters.unit_id)
    if root is None or not can(actor, perm, root):
        raise PermissionError("unit out of scope")
    min_n = int(get_setting("sipas.min_cell_size", on=filters.last_day))
    scope = ResponseScope(unit_ids=[unit.id for unit in subtree_units(root)],
                          since=filters.first_day, until=filters.last_day,
                          campaign=filters.campaign,
                          channels=[filters.channel] if filters.channel else None,
                          include_flagged=filters.include_flagged)
    counted = version_response_counts(scope)
    versions = [VersionOption(int(r["version_id"]), _version_label(r, lang), int(r["responses"]))
                for _i, r in counted.iterrows()]
    chosen = next((v for v in versions if v.id == version_id), None)
    if chosen is None and version_id is not None:
        # A published version without responses in this scope: say so, do not guess another.
        version = db.session.get(InstrumentVersion, version_id)
        instrument = version.instrument
        chosen = VersionOption(version_id, _("%(name)s, version %(number)s", name=(
            instrument.name_vi if lang == "vi" else instrument.name_en or instrument.name_vi),
            number=version.number), 0)
    elif chosen is None and versions:
        chosen = versions[0]
    elements = _elements(scope, chosen.id, min_n, lang) if chosen and chosen.responses else []
    report = ReliabilityReport(filters=filters, root=root, min_n=min_n, versions=versions,
                               version=chosen, elements=elements)
    report.chart = _chart(report) if report.has_data else None
    return report


def _scored_items(version_id: int) -> pd.DataFrame:
    items = version_items(version_id)
    items = items.loc[items["element"].notna() & items["answer_type"].isin(list(SCALE_SIZES))]
    return items.assign(scale_max=items["answer_type"].map(SCALE_SIZES)).reset_index(drop=True)


def _elements(scope: ResponseScope, version_id: int, min_n: int,
              lang: str) -> list[ElementReliability]:
    items = _scored_items(version_id)
    if items.empty:
        return []
    answers = respondent_answers(scope, version_id=version_id,
                                 item_codes=items["item_code"].tolist())
    scale = answers["item_code"].map(dict(zip(items["item_code"], items["scale_max"],
                                              strict=True)))
    answers = answers.loc[(answers["value"] >= 1) & (answers["value"] <= scale)]
    answers = answers.astype({"item_code": "object", "value": "float64"})
    table = reliability_by_element(answers, items[["item_code", "element"]])
    wide = answers.pivot(index="response_id", columns="item_code", values="value")
    texts = {row.item_code: (row.text_vi if lang == "vi" else (row.text_en or row.text_vi))
             for row in items.itertuples()}
    result = []
    for record in table.itertuples():
        codes = items.loc[items["element"] == record.element, "item_code"].tolist()
        hidden = record.respondents < max(min_n, 1)
        alpha = None if hidden else _number(record.alpha)
        rows = [] if hidden or len(codes) < 2 else _item_rows(wide, codes, alpha, texts)
        result.append(ElementReliability(
            element=record.element, label=element_name(record.element), items=record.items,
            respondents=int(record.respondents), alpha=alpha, hidden=hidden, item_rows=rows))
    return result


def _item_rows(wide: pd.DataFrame, codes: list[str], alpha: float | None,
               texts: dict[str, str]) -> list[ItemReliability]:
    scale = wide.reindex(columns=codes).astype("float64")
    table = item_total_correlations(scale)
    rows = []
    for record in table.itertuples():
        if_deleted = _number(record.alpha_if_deleted)
        rows.append(ItemReliability(
            item_code=str(record.item_code), label=texts.get(record.item_code, ""),
            corrected_r=_number(record.corrected_item_total_r), alpha_if_deleted=if_deleted,
            raises_alpha=alpha is not None and if_deleted is not None
            and if_deleted > alpha + TOLERANCE))
    return rows


def missing_alpha_reason(element: ElementReliability, min_n: int) -> str | None:
    """Why an element shows no alpha (None when it has one)."""
    if element.hidden:
        return _("fewer than %(n)s respondents", n=min_n)
    if element.alpha is not None:
        return None
    if element.items < 2:
        return _("needs two items or more")
    return _("not defined: the answers do not vary")


def _chart(report: ReliabilityReport) -> Markup:
    bars = [Bar(label=element.label, value=element.alpha,
                n=None if element.hidden else element.respondents, key=element.element,
                note=missing_alpha_reason(element, report.min_n))
            for element in report.elements]
    return element_bars(bars, target=ALPHA_ACCEPTABLE, max_value=1.0, unit="", decimals=3,
                        chart_id="chart-alpha",
                        title=_("Cronbach's alpha by element, %(period)s",
                                period=report.filters.period))
