"""Who came: check-ins at the door (QR ticket, search, walk-in)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, UTCDateTime, enum_check
from ..domain import CheckInMethod
from ..extensions import Model
from ..registration.models import Registration
from ..timeutil import utcnow


class CheckIn(Model):
    """A registration's arrival; at most one per registration, held by the database."""

    __tablename__ = "check_ins"
    __table_args__ = (enum_check("method", CheckInMethod),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The staff member at the desk (None when the account is gone).
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: How the person was found: scanner, phone photo, name search, walk-in, API.
    method: Mapped[CheckInMethod] = mapped_column(Coded(CheckInMethod, 10))
    #: Which desk or device: the name the desk gave itself, else the client address.
    desk: Mapped[str | None] = mapped_column(String(60))

    registration: Mapped[Registration] = relationship()
    checked_in_by = relationship("User")


class OnlineAttendance(Model):
    """A registrant's presence at an online seminar: the first use of their join link."""

    __tablename__ = "online_attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    #: When the person first joined: their join link, or the platform's report.
    first_joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Minutes in the meeting, from the platform's attendee report (None until imported).
    minutes: Mapped[int | None] = mapped_column(Integer)

    registration: Mapped[Registration] = relationship()
