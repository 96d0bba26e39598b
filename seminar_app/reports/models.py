"""What an organizer keeps with a fiscal year for its report: the annual plan's targets
(年度計画) and the commentary (所感) on each slide of the activity report."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import TimestampMixin
from ..extensions import Model

#: The figures a year's plan may set a target for, in the order the report shows them.
TARGET_NAMES = ("consultations", "seminars", "participants", "satisfaction", "elearning_views")


class FiscalYearTarget(TimestampMixin, Model):
    """The targets of one fiscal year's plan; each may be left unset (None)."""

    __tablename__ = "fiscal_year_targets"
    __table_args__ = (
        *(
            CheckConstraint(f"{name} IS NULL OR {name} >= 0", name=f"{name}_not_negative")
            for name in ("consultations", "seminars", "participants", "elearning_views")
        ),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 0 AND satisfaction <= 100)",
            name="satisfaction_percent",
        ),
    )

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: Consultations of all desks together.
    consultations: Mapped[int | None] = mapped_column(Integer)
    #: Seminars held, of every host type.
    seminars: Mapped[int | None] = mapped_column(Integer)
    #: Attendees of the seminars held.
    participants: Mapped[int | None] = mapped_column(Integer)
    #: The share of survey answers rating satisfaction 4 or 5, in per cent (0–100).
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    #: Recordings opened on the e-learning platform.
    elearning_views: Mapped[int | None] = mapped_column(Integer)


class SlideCommentary(TimestampMixin, Model):
    """The organizer's commentary (所感) on one slide of a year's activity report."""

    __tablename__ = "slide_commentaries"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: The slide's key (activity.SLIDES).
    slide: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
