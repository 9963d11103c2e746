"""Synthetic desk ratings (the 16-item SIPAS Part II form) for the benchmarks of issue #6 and the
rollup equivalence test: vectorised with numpy, reproducible from a seed, any size.

What it makes
-------------
- an organisation tree: one province, departments under it, desks under the departments
  (``unit_tree``); responses are given at desks;
- ``SyntheticSurvey``: N responses over two years, one row each, numbered in time order (as
  the database numbers them): desk (sizes vary), day (weekdays busy, Saturdays light, Sundays
  nearly empty, slow growth), local time of day 07:30–17:00, channel, campaign (the June and
  October waves), quality (about 2% "flagged": straight-lining or random clicking) and the
  16 answers q9_24 … q9_39 on the 5-point scale, about 3% of them left blank;
- the same data as a wide raw frame in chunks (``wide_frame``), as the daily and month rollup
  rows of ``survey_rollup_counts`` / ``survey_rollup_month_counts`` (``daily_rollups``,
  ``month_rollups``: counted with ``np.unique`` on packed keys, never row by row), as
  ``survey_responses`` rows (``response_rows``), and bulk-loaded into PostgreSQL with COPY
  (``copy_responses``, ``copy_rollups``).

How answers are drawn
---------------------
An ordered logit (McCullagh 1980): for response r at desk d and item j of element e,
η = desk effect + desk × element effect + item effect + channel effect + trend + respondent
effect, and P(answer ≤ k) = 1 / (1 + exp(−(c_k − η))) with cut points c = (−4.2, −3.0, −1.55,
0.55); at η = 0 about 84% answer 4 or 5, near the published national SIPAS (83.94% in 2024,
DOMAIN.md §2.2). The respondent effect makes one person's answers correlated, as real ones are.

Reproducibility: every response uses the same number of uniforms from a counter-based Philox
generator keyed by the seed, so response i is the same whatever chunk it is generated in
(``Philox.advance`` jumps to it). Desk, element and item effects come from a second generator
seeded with the same seed.

This module is for benchmarks and tests only (it lives in bench/); the database helpers import
the app lazily so the generator itself needs only numpy and pandas.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

ITEMS = tuple(f"q9_{number}" for number in range(24, 40))
ELEMENTS = ("II.A", "II.B", "II.C", "II.D", "II.E")
# The shipped desk form (surveys/data/sipas-desk.json): access 24–26, procedures 27–30,
# civil servants 31–33, results 34–36, PAKN 37–39.
ELEMENT_OF = {code: ("II.A" if n <= 26 else "II.B" if n <= 30 else "II.C" if n <= 33
                     else "II.D" if n <= 36 else "II.E")
              for code, n in zip(ITEMS, range(24, 40), strict=True)}
CHANNELS = ("desk_qr", "dossier_qr", "kiosk", "online", "paper")
CHANNEL_SHARES = (0.55, 0.15, 0.12, 0.10, 0.08)
CHANNEL_EFFECTS = (0.0, 0.1, 0.0, -0.25, 0.2)
QUALITIES = ("ok", "flagged")
CUT_POINTS = np.array([-4.2, -3.0, -1.55, 0.55])
DEFAULT_START = date(2024, 11, 1)
DEFAULT_DAYS = 730
UTC_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving
OPENS, CLOSES = 7 * 3600 + 1800, 17 * 3600  # local seconds of the day
# Uniforms per response: a multiple of 4, since Philox makes 4 doubles per counter step.
DRAWS = 40
_UNIT, _CHANNEL, _FLAG, _CAMPAIGN, _TIME, _PERSON, _FLAG_KIND = range(7)
_ANSWER, _BLANK = 8, 24  # 16 uniforms each
_BLOCK = 1 << 18  # responses drawn at a time (caps the uniforms in memory at 80 MB)
ITEM_CATALOGUE = pd.DataFrame({"item_code": list(ITEMS),
                               "element": [ELEMENT_OF[code] for code in ITEMS],
                               "scale_max": 5})


@dataclass(frozen=True)
class UnitTree:
    """Units in tree order: the province, then each department followed by its desks."""

    ids: np.ndarray                 # int64
    parents: np.ndarray             # int64, 0 for the root
    kinds: tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def desks(self) -> np.ndarray:
        return self.ids[np.array([kind == "desk" for kind in self.kinds])]

    @property
    def root(self) -> int:
        return int(self.ids[0])

    def ancestry(self) -> pd.DataFrame:
        """``[unit_id, ancestor_id]``: every unit with itself and each unit above it (the
        shape ``analysis.sipas.subtree_counts`` reads)."""
        parent_of = dict(zip(self.ids.tolist(), self.parents.tolist(), strict=True))
        pairs = []
        for unit in self.ids.tolist():
            ancestor = unit
            while ancestor:
                pairs.append((unit, ancestor))
                ancestor = parent_of[ancestor]
        return pd.DataFrame(pairs, columns=["unit_id", "ancestor_id"]).astype("int64")

    def with_ids(self, ids: list[int] | np.ndarray) -> UnitTree:
        """The same tree with other ids (those the database gave), in the same order."""
        mapping = dict(zip(self.ids.tolist(), (int(i) for i in ids), strict=True))
        mapping[0] = 0
        return UnitTree(np.array([mapping[i] for i in self.ids.tolist()], dtype="int64"),
                        np.array([mapping[p] for p in self.parents.tolist()], dtype="int64"),
                        self.kinds, self.codes)


def unit_tree(units: int, *, prefix: str = "SYN") -> UnitTree:
    """A province with about √units departments and the other units as desks, spread evenly.

    Ids are 1 … units (tree order); ``UnitTree.with_ids`` gives the database's ids.
    """
    if isinstance(units, bool) or not isinstance(units, int) or units < 3:
        raise ValueError(f"units must be a whole number ≥ 3, got {units!r}")
    departments = max(1, round((units - 1) ** 0.5))
    desks = units - 1 - departments
    if desks < departments:
        departments = (units - 1) // 2
        desks = units - 1 - departments
    ids, parents, kinds, codes = [1], [0], ["province"], [prefix]
    next_id = 2
    for number in range(departments):
        department = next_id
        ids.append(department)
        parents.append(1)
        kinds.append("department")
        codes.append(f"{prefix}-D{number + 1:03d}")
        next_id += 1
        # Desks are dealt out in turn so departments differ by at most one desk.
        for desk in range(number, desks, departments):
            ids.append(next_id)
            parents.append(department)
            kinds.append("desk")
            codes.append(f"{prefix}-D{number + 1:03d}-Q{desk + 1:04d}")
            next_id += 1
    return UnitTree(np.array(ids, dtype="int64"), np.array(parents, dtype="int64"),
                    tuple(kinds), tuple(codes))


@dataclass(frozen=True)
class CampaignWave:
    id: int
    first_day: date
    last_day: date


def default_waves(start: date = DEFAULT_START, days: int = DEFAULT_DAYS,
                  ids: list[int] | None = None) -> list[CampaignWave]:
    """A wave in every June and October of the span (the seeds' twice-yearly surveys),
    numbered 1, 2 … unless ``ids`` are given."""
    end = start + timedelta(days=days - 1)
    months = [date(year, month, 1) for year in range(start.year, end.year + 1)
              for month in (6, 10) if start <= date(year, month, 1) <= end]
    ids = list(ids) if ids is not None else list(range(1, len(months) + 1))
    if len(ids) != len(months):
        raise ValueError(f"ids: {len(months)} waves need {len(months)} ids, got {len(ids)}")
    return [CampaignWave(wave_id, first, _next_month(first) - timedelta(days=1))
            for wave_id, first in zip(ids, months, strict=True)]


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


@dataclass
class RawChunk:
    """Responses start … stop − 1 as arrays (the compact form written to .npy files)."""

    response_id: np.ndarray   # int64
    unit_id: np.ndarray       # int64
    day: np.ndarray           # int32, days since the survey's start
    seconds: np.ndarray       # int32, local time of day in seconds
    channel: np.ndarray       # int8, index into CHANNELS
    quality: np.ndarray       # int8, index into QUALITIES
    campaign_id: np.ndarray   # int64, 0 outside any campaign
    answers: np.ndarray       # int8 (16, n): row j is ITEMS[j]; 0 is a blank

    def __len__(self) -> int:
        return len(self.response_id)

    COLUMNS = ("response_id", "unit_id", "day", "seconds", "channel", "quality",
               "campaign_id", "answers")


@dataclass
class SyntheticSurvey:
    """``responses`` desk ratings at the desks of ``tree`` over ``days`` days from ``start``."""

    responses: int
    tree: UnitTree
    seed: int = 2026
    start: date = DEFAULT_START
    days: int = DEFAULT_DAYS
    flagged_share: float = 0.02
    blank_share: float = 0.03
    campaign_share: float = 0.5   # of the responses in a wave's month
    waves: list[CampaignWave] | None = None
    first_response_id: int = 1
    _day_first: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.responses, bool) or not isinstance(self.responses, int) \
                or self.responses < 0:
            raise ValueError(f"responses must be a whole number ≥ 0, got {self.responses!r}")
        if self.days < 1:
            raise ValueError(f"days must be ≥ 1, got {self.days!r}")
        for name in ("flagged_share", "blank_share", "campaign_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.waves is None:
            self.waves = default_waves(self.start, self.days)
        desks = self.tree.desks
        if len(desks) == 0:
            raise ValueError("tree: no desk to rate")
        static = np.random.default_rng(self.seed)
        sizes = static.lognormal(0.0, 0.6, len(desks))
        self._desk_cumulative = np.cumsum(sizes / sizes.sum())
        self._desk_effect = static.normal(0.0, 0.5, len(desks))
        self._element_effect = static.normal(0.0, 0.35, (len(desks), len(ELEMENTS)))
        self._item_effect = static.normal(0.0, 0.2, len(ITEMS))
        self._channel_cumulative = np.cumsum(CHANNEL_SHARES)
        self._element_index = np.array([ELEMENTS.index(ELEMENT_OF[c]) for c in ITEMS])
        # Responses per day: weekday weight × slow growth, shared out by largest remainder so
        # the total is exact and response i's day is known without drawing anything.
        days = np.arange(self.days)
        weekday = (np.asarray(self.start.weekday()) + days) % 7
        weight = np.select([weekday < 5, weekday == 5], [1.0, 0.35], 0.05) \
            * (0.8 + 0.4 * days / max(1, self.days - 1))
        share = self.responses * weight / weight.sum()
        per_day = np.floor(share).astype("int64")
        remainder = self.responses - int(per_day.sum())
        per_day[np.argsort(-(share - per_day), kind="stable")[:remainder]] += 1
        self._day_first = np.concatenate([[0], np.cumsum(per_day)])  # first index of each day
        # Day index → campaign id (0 outside the waves).
        self._campaign_of_day = np.zeros(self.days, dtype="int64")
        for wave in self.waves:
            first = (wave.first_day - self.start).days
            last = (wave.last_day - self.start).days
            self._campaign_of_day[max(0, first):max(0, last + 1)] = wave.id

    # --- raw rows ------------------------------------------------------------------------

    def chunk(self, start: int, stop: int) -> RawChunk:
        """Responses ``start`` … ``stop`` − 1 (0-based positions, not ids)."""
        if not 0 <= start <= stop <= self.responses:
            raise ValueError(f"start/stop must satisfy 0 ≤ start ≤ stop ≤ {self.responses}, "
                             f"got {start}, {stop}")
        parts = [self._draw(low, min(stop, low + _BLOCK))
                 for low in range(start, stop, _BLOCK)] or [self._draw(start, start)]
        return RawChunk(*(np.concatenate([getattr(part, name) for part in parts], axis=-1)
                          for name in RawChunk.COLUMNS))

    def _draw(self, start: int, stop: int) -> RawChunk:
        n = stop - start
        bits = np.random.Philox(key=self.seed)
        bits.advance(start * DRAWS // 4)  # each counter step makes 4 doubles
        u = np.random.Generator(bits).random((n, DRAWS))
        position = np.arange(start, stop, dtype="int64")
        day = (np.searchsorted(self._day_first, position, side="right") - 1).astype("int32")
        desk = np.minimum(np.searchsorted(self._desk_cumulative, u[:, _UNIT]),
                          len(self._desk_cumulative) - 1)
        channel = np.minimum(np.searchsorted(self._channel_cumulative, u[:, _CHANNEL]),
                             len(CHANNELS) - 1).astype("int8")
        flagged = u[:, _FLAG] < self.flagged_share
        wave = self._campaign_of_day[day]
        campaign = np.where((wave > 0) & (u[:, _CAMPAIGN] < self.campaign_share), wave, 0)
        seconds = (OPENS + np.floor(u[:, _TIME] * (CLOSES - OPENS))).astype("int32")
        # The respondent effect, a normal drawn by inversion of the uniform.
        person = 0.8 * ndtri(np.clip(u[:, _PERSON], 1e-12, 1 - 1e-12))
        eta = (self._desk_effect[desk][:, None]
               + self._element_effect[desk][:, self._element_index]
               + self._item_effect[None, :]
               + np.asarray(CHANNEL_EFFECTS)[channel][:, None]
               + (0.3 * day / max(1, self.days - 1))[:, None]
               + person[:, None])
        below = 1.0 / (1.0 + np.exp(-(CUT_POINTS[None, None, :] - eta[:, :, None])))
        answer_u = u[:, _ANSWER:_ANSWER + len(ITEMS)]
        answers = 1 + (answer_u[:, :, None] > below).sum(axis=2)
        # Flagged responses: half straight-line (all 5, or all 1), half click at random.
        kind = u[:, _FLAG_KIND]
        straight = np.where(kind < 0.35, 5, 1)
        random_click = 1 + np.floor(answer_u * 5).astype("int64")
        answers = np.where(flagged[:, None] & (kind < 0.5)[:, None], straight[:, None],
                           np.where(flagged[:, None], random_click, answers))
        blank = (u[:, _BLANK:_BLANK + len(ITEMS)] < self.blank_share) & ~flagged[:, None]
        answers = np.where(blank, 0, answers).astype("int8")
        return RawChunk(
            response_id=position + self.first_response_id,
            unit_id=self.tree.desks[desk].astype("int64"), day=day, seconds=seconds,
            channel=channel, quality=flagged.astype("int8"), campaign_id=campaign,
            answers=np.ascontiguousarray(answers.T))

    def chunks(self, size: int) -> Iterator[RawChunk]:
        if size < 1:
            raise ValueError(f"size must be ≥ 1, got {size!r}")
        for low in range(0, self.responses, size):
            yield self.chunk(low, min(self.responses, low + size))

    def wide_frame(self, raw: RawChunk) -> pd.DataFrame:
        return wide_frame(raw, self.start)

    def iter_wide(self, size: int = 1_000_000) -> Iterator[pd.DataFrame]:
        """The raw rows as wide frames of ``size`` responses (see ``wide_frame``)."""
        for raw in self.chunks(size):
            yield wide_frame(raw, self.start)

    # --- rollups -------------------------------------------------------------------------

    def month_spans(self) -> Iterator[tuple[date, int, int]]:
        """(first day of the month, first response position, end position) per month."""
        month = self.start.replace(day=1)
        end = self.start + timedelta(days=self.days)
        while month < end:
            following = _next_month(month)
            first = max(0, (month - self.start).days)
            last = min(self.days, (following - self.start).days)
            yield month, int(self._day_first[first]), int(self._day_first[last])
            month = following

    def daily_rollups(self) -> Iterator[pd.DataFrame]:
        """The rows of ``survey_rollup_counts`` a month at a time (a key never spans two
        months, so the frames need no merging)."""
        for _month, low, high in self.month_spans():
            if high > low:
                yield rollup_counts(self.chunk(low, high), self.start, by_month=False)

    def month_rollups(self) -> Iterator[pd.DataFrame]:
        """The rows of ``survey_rollup_month_counts``, a month at a time."""
        for _month, low, high in self.month_spans():
            if high > low:
                yield rollup_counts(self.chunk(low, high), self.start, by_month=True)

    # --- database rows -------------------------------------------------------------------

    def response_rows(self, raw: RawChunk, version_id: int,
                      codes: tuple[str, ...]) -> list[dict[str, Any]]:
        """``survey_responses`` rows for a SQLAlchemy Core INSERT (any database); ``codes``
        are the version's rated item codes (``surveys.rating_codes.rated_codes``)."""
        moments = submitted_at(raw, self.start)
        ratings = rating_strings(raw, codes)
        rows = []
        for index in range(len(raw)):
            flagged = bool(raw.quality[index])
            rows.append({
                "id": int(raw.response_id[index]), "version_id": version_id,
                "unit_id": int(raw.unit_id[index]),
                "campaign_id": int(raw.campaign_id[index]) or None,
                "channel": CHANNELS[raw.channel[index]],
                "submitted_at": moments[index].to_pydatetime(),
                "answers": _answers_dict(raw.answers[:, index]),
                "ratings": ratings[index],
                "quality": QUALITIES[raw.quality[index]],
                "quality_reasons": ["too_fast"] if flagged else None,
            })
        return rows


def rating_strings(raw: RawChunk, codes: tuple[str, ...]) -> list[str]:
    """Each response's rating string (the format of ``surveys.rating_codes``: one character
    per rated item of the version, "0" + value, "." for a blank), built for a whole chunk at
    once. ``codes`` must hold every synthetic item."""
    characters = np.full((len(raw), len(codes)), ord("."), dtype=np.uint8)
    for row, code in enumerate(ITEMS):
        values = raw.answers[row]
        characters[:, codes.index(code)] = np.where(values > 0, 48 + values, ord("."))
    return characters.view(f"S{len(codes)}").ravel().astype(str).tolist()


def _answers_dict(column: np.ndarray) -> dict[str, int]:
    return {code: int(value) for code, value in zip(ITEMS, column.tolist(), strict=True)
            if value}


def submitted_at(raw: RawChunk, start: date) -> pd.DatetimeIndex:
    """Aware UTC moments whose local (UTC+7) date is the response's day."""
    local = (pd.Timestamp(start) + pd.to_timedelta(raw.day, unit="D")
             + pd.to_timedelta(raw.seconds, unit="s"))
    return (local - UTC_OFFSET).tz_localize(UTC)


def wide_frame(raw: RawChunk, start: date) -> pd.DataFrame:
    """One row per response: ``response_id, unit_id, day, channel, quality, campaign_id,
    q9_24 … q9_39``. Channel and quality are categoricals, the campaign and the answers
    nullable integers (``<NA>`` for none and for blanks)."""
    columns: dict[str, Any] = {
        "response_id": raw.response_id,
        "unit_id": raw.unit_id,
        "day": (np.datetime64(start, "D") + raw.day.astype("timedelta64[D]"))
        .astype("datetime64[ns]"),
        "channel": pd.Categorical.from_codes(raw.channel, categories=list(CHANNELS)),
        "quality": pd.Categorical.from_codes(raw.quality, categories=list(QUALITIES)),
        "campaign_id": pd.arrays.IntegerArray(raw.campaign_id, raw.campaign_id == 0),
    }
    for row, code in enumerate(ITEMS):
        values = raw.answers[row]
        columns[code] = pd.arrays.IntegerArray(values, values == 0)
    return pd.DataFrame(columns)


def rollup_counts(raw: RawChunk, start: date, *, by_month: bool) -> pd.DataFrame:
    """Count the answers of ``raw`` by campaign × unit × item × day (or month) × channel ×
    quality × value, the key of the rollup tables, by packing each answer's key into one
    integer and counting the distinct integers (``np.unique``).

    Columns: ``campaign_key, unit_id, item_code, day|month, channel, quality, value, count``,
    sorted by key.
    """
    n = len(raw)
    days = (np.datetime64(start, "D") + raw.day.astype("timedelta64[D]"))
    if by_month:
        periods = days.astype("datetime64[M]").astype("datetime64[D]")
    else:
        periods = days
    period_values, period_code = np.unique(periods, return_inverse=True)
    unit_values, unit_code = np.unique(raw.unit_id, return_inverse=True)
    campaign_values, campaign_code = np.unique(raw.campaign_id, return_inverse=True)
    dims = (len(campaign_values), len(unit_values), len(ITEMS), len(period_values),
            len(CHANNELS), len(QUALITIES), 5)
    answers = raw.answers.reshape(-1)  # item-major: answer k is item k // n, response k % n
    answered = answers > 0
    item = np.repeat(np.arange(len(ITEMS), dtype="int64"), n)[answered]
    per_response = [np.tile(code.astype("int64"), len(ITEMS))[answered] for code in
                    (campaign_code, unit_code, period_code, raw.channel, raw.quality)]
    campaign, unit, period, channel, quality = per_response
    keys = np.ravel_multi_index(
        (campaign, unit, item, period, channel, quality, answers[answered].astype("int64") - 1),
        dims)
    distinct, counts = np.unique(keys, return_counts=True)
    c, u, i, p, ch, q, v = np.unravel_index(distinct, dims)
    frame = pd.DataFrame({
        "campaign_key": campaign_values[c].astype("int64"),
        "unit_id": unit_values[u].astype("int64"),
        "item_code": np.asarray(ITEMS, dtype=object)[i],
        "month" if by_month else "day": period_values[p].astype("datetime64[ns]"),
        "channel": np.asarray(CHANNELS, dtype=object)[ch],
        "quality": np.asarray(QUALITIES, dtype=object)[q],
        "value": (v + 1).astype("int64"),
        "count": counts.astype("int64"),
    })
    return frame


# --- .npy files (a materialised raw source for the recompute benchmark) ---------------------

def save_chunk(raw: RawChunk, directory) -> None:
    """One ``<column>.npy`` per column in ``directory`` (created)."""
    from pathlib import Path

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for name in RawChunk.COLUMNS:
        np.save(path / f"{name}.npy", getattr(raw, name))


def load_chunk(directory) -> RawChunk:
    from pathlib import Path

    path = Path(directory)
    return RawChunk(*(np.load(path / f"{name}.npy") for name in RawChunk.COLUMNS))


# --- PostgreSQL and app helpers (import the app lazily) -------------------------------------

def recreate_database(server_url: str, name: str) -> str:
    """Drop (if there) and create the PostgreSQL database ``name`` on the server of
    ``server_url`` (any database of it); returns its SQLAlchemy URL (psycopg 3 driver)."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(server_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.make_url(server_url).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(server_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def psycopg_url(url: str) -> str:
    """A SQLAlchemy URL as libpq understands it (for ``psycopg.connect``)."""
    import sqlalchemy as sa

    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bench_app(url: str, instance: str, **config: Any):
    """The app on ``url`` with a throwaway instance folder (never the repo's instance/)."""
    import os

    os.environ["LANGNGHE_INSTANCE_PATH"] = instance
    from core import create_app

    return create_app({"SECRET_KEY": "bench-only-secret", "SQLALCHEMY_DATABASE_URI": url,
                       **config})


def migrate(app) -> None:
    from pathlib import Path

    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))


def load_desk_form() -> int:
    """Load the shipped 16-item desk form (published) and return its version id. The caller
    commits."""
    from pathlib import Path

    from surveys.instruments import load_instrument_file

    path = Path(__file__).resolve().parent.parent / "surveys" / "data" / "sipas-desk.json"
    return load_instrument_file(path).id


def create_units(tree: UnitTree, *, name: str = "Tỉnh thử nghiệm") -> UnitTree:
    """Create the tree's units in the current app's database (through ``core.org``, so paths
    are right) and return the tree with their ids. The caller commits."""
    from core.org import UnitData, create_unit

    made: dict[int, int] = {0: 0}
    labels = {"province": name, "department": "Sở", "desk": "Quầy"}
    kinds = {"province": "province", "department": "department", "desk": "desk"}
    for unit, parent, kind, code in zip(tree.ids.tolist(), tree.parents.tolist(), tree.kinds,
                                        tree.codes, strict=True):
        created = create_unit(UnitData(code=code, name_vi=f"{labels[kind]} {code}",
                                        kind=kinds[kind], parent_id=made[parent] or None))
        made[unit] = created.id
    return tree.with_ids([made[unit] for unit in tree.ids.tolist()])


def create_campaigns(waves: list[CampaignWave], owner_unit_id: int, version_id: int,
                     tree: UnitTree) -> list[CampaignWave]:
    """Campaign rows (with every desk of ``tree`` taking part) for the waves; returns the
    waves with the database's ids. The caller commits."""
    from core.extensions import db
    from surveys.models import Campaign, CampaignUnit

    made = []
    for wave in waves:
        campaign = Campaign(code=f"SYN-{wave.first_day:%Y-%m}-{wave.id}",
                            name_vi=f"Đợt khảo sát {wave.first_day:%m/%Y}",
                            owner_unit_id=owner_unit_id, version_id=version_id,
                            starts_on=wave.first_day, ends_on=wave.last_day, channels=[])
        campaign.units = [CampaignUnit(unit_id=int(desk), quota=0) for desk in tree.desks]
        db.session.add(campaign)
        db.session.flush()
        made.append(CampaignWave(campaign.id, wave.first_day, wave.last_day))
    return made


def copy_responses(connection, survey: SyntheticSurvey, version_id: int, *,
                   codes: tuple[str, ...], chunk: int = 100_000) -> int:
    """COPY every response into ``survey_responses`` (psycopg 3 ``connection``; the caller
    commits) and move the id sequence past them. Returns the number of rows."""
    written = 0
    columns = ("id, version_id, unit_id, campaign_id, channel, submitted_at, answers, "
               "ratings, quality, quality_reasons")
    snippets = [[f'"{code}": {value}' for value in range(6)] for code in ITEMS]
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY survey_responses ({columns}) FROM STDIN") as copy:
            for raw in survey.chunks(chunk):
                # submitted_at is stored as naive UTC (core.models.types.UTCDateTime).
                moments = submitted_at(raw, survey.start).tz_localize(None) \
                    .strftime("%Y-%m-%d %H:%M:%S")
                lines = []
                ratings = rating_strings(raw, codes)
                answers = raw.answers.T.tolist()
                for index, row in enumerate(answers):
                    campaign = int(raw.campaign_id[index])
                    flagged = raw.quality[index] == 1
                    body = ", ".join(snippets[j][value] for j, value in enumerate(row) if value)
                    lines.append(
                        f"{raw.response_id[index]}\t{version_id}\t{raw.unit_id[index]}\t"
                        f"{campaign if campaign else chr(92) + 'N'}\t"
                        f"{CHANNELS[raw.channel[index]]}\t{moments[index]}\t{{{body}}}\t"
                        f"{ratings[index]}\t{QUALITIES[raw.quality[index]]}\t"
                        f"{json.dumps(['too_fast']) if flagged else chr(92) + 'N'}\n")
                copy.write("".join(lines))
                written += len(raw)
        cursor.execute("SELECT setval(pg_get_serial_sequence('survey_responses', 'id'), "
                       "GREATEST((SELECT max(id) FROM survey_responses), 1))")
    return written


def insert_responses_sqlite(path: str, survey: SyntheticSurvey, version_id: int, *,
                            codes: tuple[str, ...], chunk: int = 100_000) -> int:
    """Every response into the SQLite file ``path`` with the sqlite3 module's executemany (the
    fastest bulk path SQLite has). Returns the number of rows."""
    import sqlite3

    written = 0
    connection = sqlite3.connect(path)
    try:
        for raw in survey.chunks(chunk):
            moments = submitted_at(raw, survey.start).tz_localize(None) \
                .strftime("%Y-%m-%d %H:%M:%S.%f")
            ratings = rating_strings(raw, codes)
            answers = raw.answers.T.tolist()
            rows = [
                (int(raw.response_id[index]), version_id, int(raw.unit_id[index]),
                 int(raw.campaign_id[index]) or None, CHANNELS[raw.channel[index]],
                 moments[index], json.dumps(_answers_dict(np.asarray(answers[index]))),
                 ratings[index], QUALITIES[raw.quality[index]],
                 '["too_fast"]' if raw.quality[index] == 1 else None)
                for index in range(len(raw))]
            connection.executemany(
                "INSERT INTO survey_responses (id, version_id, unit_id, campaign_id, channel, "
                "submitted_at, answers, ratings, quality, quality_reasons) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            written += len(raw)
        connection.commit()
    finally:
        connection.close()
    return written


ROLLUP_COLUMNS = ("campaign_key", "unit_id", "item_code", "{period}", "channel", "quality",
                  "value", "count")


def copy_rollups(survey: SyntheticSurvey, month_connection, day_connection=None
                 ) -> tuple[int, int]:
    """COPY the survey's month rollup into ``survey_rollup_month_counts`` and, when
    ``day_connection`` is given, its daily rollup into ``survey_rollup_counts`` (two psycopg 3
    connections: one COPY at a time per connection), generating each month's responses once.
    The caller commits both. Returns the rows written (month, day)."""
    written = [0, 0]
    with contextlib.ExitStack() as stack:
        copies = []
        for connection, period, table in (
                (month_connection, "month", "survey_rollup_month_counts"),
                (day_connection, "day", "survey_rollup_counts")):
            if connection is None:
                copies.append(None)
                continue
            columns = [name.format(period=period) for name in ROLLUP_COLUMNS]
            cursor = stack.enter_context(connection.cursor())
            copies.append((stack.enter_context(cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN")), columns))
        for _month, low, high in survey.month_spans():
            if high == low:
                continue
            raw = survey.chunk(low, high)
            for slot, (target, by_month) in enumerate(zip(copies, (True, False), strict=True)):
                if target is None:
                    continue
                copy, columns = target
                frame = rollup_counts(raw, survey.start, by_month=by_month)
                buffer = io.StringIO()
                frame[columns].to_csv(buffer, sep="\t", header=False, index=False,
                                      date_format="%Y-%m-%d")
                copy.write(buffer.getvalue())
                written[slot] += len(frame)
    return written[0], written[1]
