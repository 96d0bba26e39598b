"""Lecturer dispatch (講師派遣): a company's request for an in-company seminar, the dates it
prefers, the themes it asks for, and every change of its state with who made it.

Once scheduled, a request has its in-company seminar (catalogue.Seminar, host type
in-company): the date, the delivery and the staff assigned (the seminar's lecturers) are
the seminar's; the request keeps what the company asked for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..catalogue.models import Seminar
from ..consultations.models import STEPS, Client, step_label
from ..database import Coded, TimestampMixin, UTCDateTime, codes_check, enum_check
from ..domain import Attribute, Delivery, DispatchState, EmployeeBand, Series, Topic
from ..extensions import Model
from ..reference import INDUSTRIES, PREFECTURES
from ..text import organization_key
from ..timeutil import utcnow

#: Who acted, for the company's contact acting through the private link (in the history
#: and the audit log, which thus never need the contact's address).
COMPANY = "company"

#: The themes a company can ask for, as stored: the series, the seven steps of the desk's
#: trade-secret support (`step-1` … `step-7`) and the desk's topics ("other" is the free
#: text beside them).
SERIES_THEMES = tuple(series.value for series in Series)
STEP_THEMES = tuple(f"step-{step}" for step in STEPS)
TOPIC_THEMES = tuple(topic.value for topic in Topic if topic != Topic.OTHER)
THEMES = SERIES_THEMES + STEP_THEMES + TOPIC_THEMES


def theme_label(theme: str) -> str:
    """What a person reads for a stored theme, translated."""
    if theme in STEP_THEMES:
        return step_label(int(theme.removeprefix("step-")))
    if theme in SERIES_THEMES:
        return Series(theme).label
    return Topic(theme).label


class DispatchRequest(TimestampMixin, Model):
    """講師派遣の申込: what a company asked for, and where the request stands."""

    __tablename__ = "dispatch_requests"
    __table_args__ = (
        enum_check("state", DispatchState),
        enum_check("attribute", Attribute),
        enum_check("employee_band", EmployeeBand),
        enum_check("delivery", Delivery),
        codes_check("prefecture", PREFECTURES),
        codes_check("industry", INDUSTRIES),
        CheckConstraint("locale IN ('ja', 'en')", name="locale_valid"),
        CheckConstraint(
            "corporate_number IS NULL OR length(corporate_number) = 13",
            name="corporate_number_13_digits",
        ),
        CheckConstraint("audience_size >= 1", name="audience_size_positive"),
        CheckConstraint(
            "delivered_minutes IS NULL OR (delivered_minutes >= 1 AND delivered_minutes <= 1440)",
            name="delivered_minutes_in_a_day",
        ),
        # A scheduled or delivered request has its in-company seminar.
        CheckConstraint(
            "state NOT IN ('scheduled', 'delivered') OR seminar_id IS NOT NULL",
            name="scheduled_has_seminar",
        ),
        Index("ix_dispatch_requests_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Changed only by dispatch.services.change_state, which keeps the history.
    state: Mapped[DispatchState] = mapped_column(
        Coded(DispatchState, 20), default=DispatchState.RECEIVED
    )
    #: Secret of the contact's private link (at least 128 random bits, URL-safe).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: The company (or other organization) that asks.
    organization: Mapped[str] = mapped_column(String(200))
    #: The name normalised (text.organization_key): how its client of the desk is found.
    organization_key: Mapped[str | None] = mapped_column(String(200), index=True)
    #: 法人番号 where the company gave it (13 digits, check digit verified).
    corporate_number: Mapped[str | None] = mapped_column(String(13), index=True)
    address: Mapped[str] = mapped_column(String(300))
    #: JIS X 0401 code, 01–47.
    prefecture: Mapped[str] = mapped_column(String(2))
    attribute: Mapped[Attribute] = mapped_column(Coded(Attribute, 30))
    employee_band: Mapped[EmployeeBand | None] = mapped_column(Coded(EmployeeBand, 10))
    #: JSIC major group A–T.
    industry: Mapped[str | None] = mapped_column(String(1))
    contact_name: Mapped[str] = mapped_column(String(100))
    #: The contact's address as mail is sent to it (text.normalize_email_address).
    contact_email: Mapped[str] = mapped_column(String(254))
    #: The address lower-cased (text.normalize_email): what "the same person" is compared on.
    contact_email_key: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(30))
    #: The theme in the company's words, beside or instead of the themes chosen.
    theme_note: Mapped[str | None] = mapped_column(Text)
    #: Who will listen (役員, 開発部門 …), and about how many.
    audience: Mapped[str] = mapped_column(String(200))
    audience_size: Mapped[int] = mapped_column(Integer)
    #: The delivery the company asks for; the seminar's own delivery is the one fixed.
    delivery: Mapped[Delivery] = mapped_column(Coded(Delivery, 20))
    #: Where (a meeting room at the company's address, the tool for an online one).
    place: Mapped[str | None] = mapped_column(String(300))
    #: Version of the privacy notice agreed to, and when.
    privacy_notice_version: Mapped[str] = mapped_column(String(20))
    privacy_agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Language of the contact's mails and pages.
    locale: Mapped[str] = mapped_column(String(2), default="ja")
    #: The company as a client of the consultation desk, linked when it is scheduled
    #: (consultations.services.find_or_create_client: 法人番号, else the normalised name).
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    #: The in-company seminar that scheduling created: its date, delivery and lecturers
    #: (the staff assigned) are the dispatch's.
    seminar_id: Mapped[int | None] = mapped_column(
        ForeignKey("seminars.id", ondelete="RESTRICT"), unique=True
    )
    #: Raised when the staff assigned change (the invites name them); the invites' SEQUENCE
    #: is the seminar's (raised by the lifecycle on a change of time or place) plus this.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: The link the contact forwards to the company's participants, who do not register:
    #: the seminar's materials for them and its survey (one answer per browser).
    participant_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: After delivery: how long the seminar lasted, in minutes, and the organizer's report.
    delivered_minutes: Mapped[int | None] = mapped_column(Integer)
    delivery_report: Mapped[str | None] = mapped_column(Text)

    theme_rows: Mapped[list[DispatchTheme]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    preferred_dates: Mapped[list[DispatchPreferredDate]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="DispatchPreferredDate.rank",
    )
    changes: Mapped[list[DispatchStateChange]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DispatchStateChange.id",
        back_populates="request",
    )
    client: Mapped[Client | None] = relationship()
    seminar: Mapped[Seminar | None] = relationship()

    @validates("organization")
    def _keep_organization_key(self, _name: str, value: str) -> str:
        self.organization_key = organization_key(value)
        return value

    @property
    def themes(self) -> list[str]:
        """The themes chosen, in the order THEMES gives them (the form's)."""
        chosen = {row.theme for row in self.theme_rows}
        return [theme for theme in THEMES if theme in chosen]

    @themes.setter
    def themes(self, wanted: list[str]) -> None:
        chosen = set(wanted)
        self.theme_rows[:] = [row for row in self.theme_rows if row.theme in chosen]
        present = {row.theme for row in self.theme_rows}
        self.theme_rows.extend(
            DispatchTheme(theme=theme)
            for theme in THEMES
            if theme in chosen and theme not in present
        )

    def __repr__(self) -> str:
        return f"<DispatchRequest {self.id} {self.state}>"


class DispatchTheme(Model):
    """One theme a request asks for (a request has one row per theme)."""

    __tablename__ = "dispatch_request_themes"
    __table_args__ = (
        CheckConstraint(
            f"theme IN ({', '.join(repr(theme) for theme in THEMES)})", name="theme_valid"
        ),
    )

    request_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_requests.id", ondelete="CASCADE"), primary_key=True
    )
    #: A member of THEMES.
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)


class DispatchPreferredDate(Model):
    """One of the (up to three) dates and times the company proposes, in its order."""

    __tablename__ = "dispatch_preferred_dates"
    __table_args__ = (
        CheckConstraint("rank >= 1 AND rank <= 3", name="rank_1_to_3"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    request_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_requests.id", ondelete="CASCADE"), primary_key=True
    )
    #: 1 is the company's first choice.
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DispatchStateChange(Model):
    """One change of a request's state: from what, to what, when, by whom and why. The
    request's receipt is the first (from_state None)."""

    __tablename__ = "dispatch_state_changes"
    __table_args__ = (
        enum_check("from_state", DispatchState),
        enum_check("to_state", DispatchState),
        # Declining tells the company why.
        CheckConstraint("to_state != 'declined' OR reason IS NOT NULL", name="declined_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None for the request's receipt.
    from_state: Mapped[DispatchState | None] = mapped_column(Coded(DispatchState, 20))
    to_state: Mapped[DispatchState] = mapped_column(Coded(DispatchState, 20))
    #: The staff member who made it; None for the company's contact or the system.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Who made it, in words that survive the account: a staff e-mail, `company`, `system`.
    actor_label: Mapped[str] = mapped_column(String(254))
    #: Why: the reason of a decline (which the company receives), else an optional note.
    reason: Mapped[str | None] = mapped_column(Text)

    request: Mapped[DispatchRequest] = relationship(back_populates="changes")
    actor = relationship("User")

    @property
    def by_company(self) -> bool:
        """Made by the company's contact (through the private link)."""
        return self.actor_id is None and self.actor_label == COMPANY


class StaffCalendarFeed(Model):
    """The secret address of one staff member's calendar of their assignments (the
    seminars they are lecturers of, dispatches included)."""

    __tablename__ = "staff_calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: At least 128 random bits, URL-safe; a new one replaces it when the link has leaked.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
