"""Collection points: a desk or unit with a short, stable public URL and its QR code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.extensions import db
from core.models import Unit
from core.models.types import UTCDateTime

# At most one live online point per unit: two citizens picking the same unit at once cannot
# give it two (the loser of the race reads the winner's point).
_LIVE_ONLINE = text("channel = 'online' AND retired_at IS NULL")


class CollectionPoint(db.Model):
    __tablename__ = "survey_collection_points"
    __table_args__ = (Index("uq_survey_collection_points_online_unit", "unit_id", unique=True,
                            sqlite_where=_LIVE_ONLINE, postgresql_where=_LIVE_ONLINE),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # Short public code in the URL (/k/<code>): random, unambiguous letters and digits.
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    # The questionnaire this point opens (the desk form unless an agency chose another).
    version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument_versions.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "desk_qr": a desk's poster (and its kiosk); "online": the unit's standing point behind
    # the online rating entry (/danh-gia/), created when a citizen first picks the unit.
    channel: Mapped[str] = mapped_column(String(16), default="desk_qr",
                                         server_default="desk_qr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Rotating a code retires this row and points to its successor, so an old poster's URL
    # shows a friendly page instead of a 404.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_collection_points.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
