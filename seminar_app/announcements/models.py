"""Announcements of new seminars to people who opted in, and who no longer wants them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import TimestampMixin, UTCDateTime, enum_check
from ..domain import Level, Series
from ..extensions import Model


class Announcement(TimestampMixin, Model):
    __tablename__ = "announcements"
    __table_args__ = (enum_check("level", Level), enum_check("series", Series))

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: Only to people who attended a seminar of this level / series, when set.
    level: Mapped[str | None] = mapped_column(String(30))
    series: Mapped[str | None] = mapped_column(String(40))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: How many mails were queued.
    recipients: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Unsubscribe(Model):
    """An address that asked for no more announcements: honoured from that moment."""

    __tablename__ = "announcement_unsubscribes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The address lower-cased, as registrations' email_key.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    unsubscribed_at: Mapped[datetime] = mapped_column(UTCDateTime)
