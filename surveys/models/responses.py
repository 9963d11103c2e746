"""Responses: one compact row each, free text and demographics kept apart, and the rollup
counts that dashboards read (updated in the same transaction as the insert)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.extensions import db
from core.models.types import JSONType, UTCDateTime

# A response's review state: flagged responses are kept and counted apart, never dropped.
QUALITY_OK = "ok"
QUALITY_FLAGGED = "flagged"
# The rollup tables' campaign_key for ratings outside any campaign (a key column cannot be NULL).
NO_CAMPAIGN = 0

BigId = BigInteger().with_variant(Integer, "sqlite")


class Channel(StrEnum):
    DESK_QR = "desk_qr"
    DOSSIER_QR = "dossier_qr"
    ONLINE = "online"
    KIOSK = "kiosk"
    PAPER = "paper"
    IMPORT = "import"
    # A PAKN sender's rating of how their case was handled, from the link sent with the answer.
    PAKN_FOLLOWUP = "pakn_followup"


class Response(db.Model):
    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_unit_at", "unit_id", "submitted_at"),
                      # the burst check: a point's responses of the last minute
                      Index("ix_survey_responses_point_at", "point_id", "submitted_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_collection_points.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # {item code: value} for rating, choice and yes/no items; no contact data, ever.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The whole-number answers again, one character per rated item (surveys.rating_codes):
    # what a full recompute reads. NULL when they do not fit; the JSON answers are then read.
    ratings: Mapped[str | None] = mapped_column(Text)
    # "ok" or "flagged"; analysts choose whether flagged responses count.
    quality: Mapped[str] = mapped_column(String(16), default=QUALITY_OK)
    quality_reasons: Mapped[list[str] | None] = mapped_column(JSONType)
    # Staff who typed in a paper form (channel "paper"); NULL for citizens' own submissions.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The dossier rated through a single-use token (channel "dossier_qr").
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_dossiers.id", ondelete="RESTRICT"), index=True)
    # The procedure the citizen named when rating online (a dossier code they typed is
    # replaced by its procedure's name: the code itself is never stored).
    procedure_name: Mapped[str | None] = mapped_column(String(255))
    # The imported file this row came from (channel "import").
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_imports.id", ondelete="RESTRICT"), index=True)


class ResponseText(db.Model):
    """Free text apart from the ratings, so exports of ratings carry no prose."""

    __tablename__ = "survey_response_texts"

    response_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class ResponseDemographics(db.Model):
    """Optional Part A answers (ethnicity is sensitive personal data), kept apart."""

    __tablename__ = "survey_response_demographics"

    response_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)


class RollupCount(db.Model):
    """campaign × unit × item × day × channel × value → count. ``campaign_key`` is 0 for
    continuous ratings outside any campaign (a real key, so the primary key stays simple on
    both databases)."""

    __tablename__ = "survey_rollup_counts"

    campaign_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    quality: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class RollupDayResponses(db.Model):
    """Responses per campaign × unit × day × channel × quality, counted from the responses
    themselves (one per response, in its own transaction, whatever it answered): the sample
    sizes. Answer counts cannot give them once items may be left blank or answered "not
    applicable" (issue 15: a most-answered item said 1,945 of 2,000)."""

    __tablename__ = "survey_rollup_day_responses"

    campaign_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    quality: Mapped[str] = mapped_column(String(16), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)


class RollupMonthCount(db.Model):
    """The daily rollup summed by calendar month (``month`` is its first day): what dashboards
    read, 30 times fewer rows than the daily table. Rebuilt month by month from the daily rows
    by ``surveys.month_rollups.refresh_month_rollups`` (a periodic job, and on read when only
    a few responses are new)."""

    __tablename__ = "survey_rollup_month_counts"
    # Views filtered by channel read this table (the summary has no channel): a quarter's rows
    # of one channel are then an index range, not a scan of every month.
    __table_args__ = (Index("ix_survey_rollup_month_counts_month_channel", "month", "channel"),)

    campaign_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    quality: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class RollupMonthSummary(db.Model):
    """The month rollup without the channel dimension, flagged answers in a column of their
    own: what a dashboard without a channel filter reads (most views), about eight times fewer
    rows than ``RollupMonthCount``. Rebuilt with it."""

    __tablename__ = "survey_rollup_month_summary"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count_ok: Mapped[int] = mapped_column(Integer, default=0)     # answers that passed checks
    count_all: Mapped[int] = mapped_column(Integer, default=0)    # with the flagged ones


class RollupMonthResponses(db.Model):
    """Responses per month × campaign × unit × channel × quality: the sample sizes a dashboard
    shows beside its figures. The daily ``RollupDayResponses`` summed by month, rebuilt with
    ``RollupMonthCount``."""

    __tablename__ = "survey_rollup_month_responses"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    quality: Mapped[str] = mapped_column(String(16), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)


class RollupMonthState(db.Model):
    """One row: the highest response id whose month is in the month table (responses with a
    larger id may be missing there until the next refresh)."""

    __tablename__ = "survey_rollup_month_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watermark_response_id: Mapped[int] = mapped_column(BigId, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
