"""Questionnaires as versioned data: an instrument has versions; a published version never
changes (edits make a new version); a version has sections and items with stable codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models.types import JSONType, UTCDateTime


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class AnswerType(StrEnum):
    SCALE5 = "scale5"  # 1 very dissatisfied … 5 very satisfied (SIPAS Q9)
    SCALE4 = "scale4"  # interest, suitability, expectation (Q1, Q3, Q7, Q10)
    SCALE3 = "scale3"  # not satisfied / satisfied / very satisfied (quick forms)
    SINGLE = "single"
    MULTI = "multi"
    YESNO = "yesno"
    TEXT = "text"


class Instrument(db.Model):
    __tablename__ = "survey_instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    # NULL: shipped with the product (national forms); else the agency that built it.
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    versions: Mapped[list[InstrumentVersion]] = relationship(
        back_populates="instrument", order_by="InstrumentVersion.number")


class InstrumentVersion(db.Model):
    __tablename__ = "survey_instrument_versions"
    __table_args__ = (UniqueConstraint("instrument_id", "number",
                                       name="uq_survey_instrument_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instruments.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT.value)
    title_vi: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str | None] = mapped_column(String(255))
    intro_vi: Mapped[str | None] = mapped_column(Text)
    intro_en: Mapped[str | None] = mapped_column(Text)
    # Where the file it was loaded from said it came from (e.g. "QĐ 1001/QĐ-BNV").
    source: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instrument: Mapped[Instrument] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.position", cascade="all, delete-orphan")
    items: Mapped[list[Item]] = relationship(
        back_populates="version", order_by="(Item.section_id, Item.position)",
        cascade="all, delete-orphan", overlaps="section,items")

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT.value


class Section(db.Model):
    __tablename__ = "survey_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    title_vi: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str | None] = mapped_column(String(255))
    # The SIPAS element this section rates (II.A …) when it is one fieldset of one element.
    element: Mapped[str | None] = mapped_column(String(8))

    version: Mapped[InstrumentVersion] = relationship(back_populates="sections")
    items: Mapped[list[Item]] = relationship(
        back_populates="section", order_by="Item.position", overlaps="items,version")


class Item(db.Model):
    __tablename__ = "survey_items"
    __table_args__ = (UniqueConstraint("version_id", "code", name="uq_survey_items_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("survey_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # Stable across versions and agencies (q9_24 …): reports, imports and rollups use it.
    code: Mapped[str] = mapped_column(String(32))
    # SIPAS group the item scores (I.A–I.D, II.A–II.E) or NULL.
    element: Mapped[str | None] = mapped_column(String(8), index=True)
    answer_type: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    # [{"value": 1, "vi": "…", "en": "…"}] for single/multi choice and labelled scales.
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    # Demographic items are stored apart from the answers (surveys.models.responses).
    demographic: Mapped[bool] = mapped_column(Boolean, default=False)
    max_length: Mapped[int | None] = mapped_column(Integer)

    version: Mapped[InstrumentVersion] = relationship(back_populates="items",
                                                      overlaps="items,section")
    section: Mapped[Section] = relationship(back_populates="items", overlaps="items,version")
