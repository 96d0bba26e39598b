"""A person's registration for a seminar, and their private calendar feed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, validates

from ..catalogue.models import Seminar
from ..database import Coded, TimestampMixin, UTCDateTime, codes_check, enum_check
from ..domain import (
    AttendanceMode,
    Attribute,
    Delivery,
    EmployeeBand,
    HeardFrom,
    RegistrationSource,
    RegistrationStatus,
)
from ..extensions import Model
from ..reference import INDUSTRIES, PREFECTURES
from ..text import organization_key
from ..timeutil import utcnow

#: A registration that holds or waits for a seat (or for the lottery): one per address.
_ACTIVE = "status IN ('confirmed', 'waitlisted', 'applied')"


class Registration(TimestampMixin, Model):
    __tablename__ = "registrations"
    __table_args__ = (
        enum_check("status", RegistrationStatus),
        enum_check("attribute", Attribute),
        enum_check("employee_band", EmployeeBand),
        enum_check("heard_from", HeardFrom),
        codes_check("prefecture", PREFECTURES),
        codes_check("industry", INDUSTRIES),
        enum_check("source", RegistrationSource),
        enum_check("attendance_mode", AttendanceMode),
        CheckConstraint("locale IN ('ja', 'en')", name="locale_valid"),
        CheckConstraint(
            "corporate_number IS NULL OR length(corporate_number) = 13",
            name="corporate_number_13_digits",
        ),
        # One active registration per address per seminar, whatever the letter case.
        Index(
            "uq_registrations_active_email",
            "seminar_id",
            "email_key",
            unique=True,
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        Index("ix_registrations_seminar_status", "seminar_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminars.id", ondelete="CASCADE"))
    #: confirmed (holds a seat), waitlisted (queued by id), cancelled.
    status: Mapped[RegistrationStatus] = mapped_column(Coded(RegistrationStatus, 12))
    #: Secret of the management link (at least 128 random bits, URL-safe).
    manage_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the QR ticket holds (ASCII, at least 128 random bits), also printed as text.
    ticket_code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Secret of the personal join link of an online or hybrid seminar.
    join_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: The address in the form mail is sent to (seminar_app.text.normalize_email_address):
    #: NFKC, an internationalized domain in its ASCII (IDNA) form.
    email: Mapped[str] = mapped_column(String(254))
    #: The address lower-cased (seminar_app.text.normalize_email): what "the same person"
    #: is compared on.
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: ふりがな, in hiragana or katakana.
    name_kana: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str | None] = mapped_column(String(200))
    #: 法人番号 where the person gave it (13 digits): links them to a client of the desk.
    corporate_number: Mapped[str | None] = mapped_column(String(13), index=True)
    #: The organization normalised (text.organization_key): how a client's seminars are found.
    organization_key: Mapped[str | None] = mapped_column(String(200), index=True)
    department: Mapped[str | None] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(100))
    #: JIS X 0401 code, 01–47.
    prefecture: Mapped[str] = mapped_column(String(2))
    attribute: Mapped[Attribute] = mapped_column(Coded(Attribute, 30))
    employee_band: Mapped[EmployeeBand | None] = mapped_column(Coded(EmployeeBand, 10))
    #: JSIC major group A–T.
    industry: Mapped[str | None] = mapped_column(String(1))
    #: 事前質問 for the lecturer.
    question: Mapped[str | None] = mapped_column(Text)
    heard_from: Mapped[HeardFrom | None] = mapped_column(Coded(HeardFrom, 30))
    #: Version of the privacy notice agreed to, and when.
    privacy_notice_version: Mapped[str] = mapped_column(String(20))
    privacy_agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    announcements_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Language of the person's mails.
    locale: Mapped[str] = mapped_column(String(2), default="ja")
    #: Where it came from: web, api, desk.
    source: Mapped[RegistrationSource] = mapped_column(
        Coded(RegistrationSource, 10), default=RegistrationSource.WEB
    )
    #: How the person chose to attend a hybrid seminar; None for the other deliveries
    #: (read `attendance`, which every registration has).
    attendance_mode: Mapped[AttendanceMode | None] = mapped_column(Coded(AttendanceMode, 10))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Raised on each change of this registration that calendars must learn of.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Place in the lottery's drawn order (1 = first drawn); None before a draw.
    lottery_rank: Mapped[int | None] = mapped_column(Integer)
    #: When the reminder was queued; a reminder is never queued twice.
    reminder_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: A group registration (団体申込): the id of the registration of the person who
    #: registered the group (its contact, whose own row names itself); None alone.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )

    seminar: Mapped[Seminar] = relationship()

    #: Place in the waitlist when the registration was made; set by register(), not stored.
    if TYPE_CHECKING:
        position_when_registered: int | None = None
    else:  # unannotated, so that the mapper makes no column of it
        position_when_registered = None

    @validates("organization")
    def _keep_organization_key(self, _name: str, value: str | None) -> str | None:
        self.organization_key = organization_key(value)
        return value

    @property
    def is_active(self) -> bool:
        return self.status in (
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.APPLIED,
        )

    @property
    def attendance(self) -> AttendanceMode:
        """How this person attends: their choice at a hybrid seminar (at the venue where a
        seminar became hybrid after they registered), else what the delivery allows."""
        return attendance_of(self.seminar.delivery, self.attendance_mode)

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status} seminar={self.seminar_id}>"


def attendance_of(delivery: Delivery, chosen: AttendanceMode | None) -> AttendanceMode:
    """The way of attending of a registration at a seminar of `delivery` (see attendance)."""
    if delivery == Delivery.HYBRID:
        return chosen or AttendanceMode.VENUE
    return AttendanceMode.ONLINE if delivery == Delivery.ONLINE else AttendanceMode.VENUE


class CalendarFeed(Model):
    """The secret address of one participant's calendar of their registrations."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The seminar's count of confirmed seats, computed by the database each time it is loaded
# (never a stored counter). It lives here because it needs the Registration table.
Seminar.seats_taken = column_property(
    select(func.count(Registration.id))
    .where(
        Registration.seminar_id == Seminar.id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    .correlate_except(Registration)
    .scalar_subquery(),
    deferred=True,
)

# Of a hybrid seminar, the confirmed seats taken online; the rest of seats_taken are at the
# venue (a registration without a choice counts at the venue, as Registration.attendance).
Seminar.seats_taken_online = column_property(
    select(func.count(Registration.id))
    .where(
        Registration.seminar_id == Seminar.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.attendance_mode == AttendanceMode.ONLINE,
    )
    .correlate_except(Registration)
    .scalar_subquery(),
    deferred=True,
)
