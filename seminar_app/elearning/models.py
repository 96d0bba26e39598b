"""Recordings of seminars on the e-learning platform, and who opened them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, TimestampMixin, UTCDateTime, enum_check
from ..domain import RecordingAudience
from ..extensions import Model
from ..timeutil import utcnow


class Recording(TimestampMixin, Model):
    __tablename__ = "recordings"
    __table_args__ = (enum_check("audience", RecordingAudience),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminars.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    #: The recording on IP ePlat or any https address; reached only through our redirect.
    url: Mapped[str] = mapped_column(String(500))
    audience: Mapped[RecordingAudience] = mapped_column(Coded(RecordingAudience, 12))
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the audience was told by mail; None while unpublished.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordingView(Model):
    """One opening of a recording: the e-learning reach the reports count."""

    __tablename__ = "recording_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    #: Who opened it; None for a recording open to everyone, opened anonymously.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recording: Mapped[Recording] = relationship()
