"""The seminar: one session of the programme, public or not."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, TimestampMixin, UTCDateTime, enum_check
from ..domain import Admission, Delivery, HostType, Level, SeminarStatus, Series
from ..extensions import Model, db
from ..timeutil import fiscal_year_of

if TYPE_CHECKING:
    from ..auth.models import User

seminar_lecturers = Table(
    "seminar_lecturers",
    db.metadata,
    Column("seminar_id", ForeignKey("seminars.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Seminar(TimestampMixin, Model):
    __tablename__ = "seminars"
    __table_args__ = (
        enum_check("series", Series),
        enum_check("level", Level),
        enum_check("host_type", HostType),
        enum_check("delivery", Delivery),
        enum_check("status", SeminarStatus),
        enum_check("admission", Admission),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "online_capacity IS NULL OR online_capacity >= 0", name="online_capacity_not_negative"
        ),
        CheckConstraint(
            "registration_closes_at IS NULL OR registration_closes_at <= starts_at",
            name="registration_closes_by_start",
        ),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL"
            " OR registration_opens_at < registration_closes_at",
            name="registration_window_ordered",
        ),
        CheckConstraint("waitlist_cutoff_hours >= 0", name="waitlist_cutoff_not_negative"),
        CheckConstraint(
            "max_group_size >= 1 AND max_group_size <= 20", name="max_group_size_1_to_20"
        ),
        CheckConstraint("head_count IS NULL OR head_count >= 0", name="head_count_not_negative"),
        Index("ix_seminars_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key shared with the content file (content/seminars/<fy>/<slug>.md).
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    #: Series identifier of design.md (`trade-secret-ip-strategy`, `ip-utilization`).
    series: Mapped[Series] = mapped_column(Coded(Series, 40), index=True)
    #: Level identifier, or None for a seminar without a level.
    level: Mapped[Level | None] = mapped_column(Coded(Level, 30), index=True)
    #: Who hosts it: the agency, a client firm (in-company) or another organization.
    host_type: Mapped[HostType] = mapped_column(
        Coded(HostType, 20), default=HostType.AGENCY, index=True
    )
    #: online, in-person or hybrid.
    delivery: Mapped[Delivery] = mapped_column(Coded(Delivery, 20))
    #: draft (invisible), published, cancelled (visible with a notice, no registration).
    status: Mapped[SeminarStatus] = mapped_column(
        Coded(SeminarStatus, 20), default=SeminarStatus.DRAFT
    )
    #: Japanese title, the one of record.
    title: Mapped[str] = mapped_column(String(200))
    #: English title shown to English readers; the Japanese one when missing.
    title_en: Mapped[str | None] = mapped_column(String(200))
    #: Japanese description in Markdown.
    description: Mapped[str] = mapped_column(Text, default="")
    #: English description in Markdown.
    description_en: Mapped[str | None] = mapped_column(Text)
    #: Start and end, UTC.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Place of an in-person or hybrid seminar.
    venue: Mapped[str | None] = mapped_column(String(300))
    #: Link to the online meeting: for registered participants only, never public.
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    #: Confirmed seats on offer (of a hybrid seminar: at the venue); None where the agency
    #: does not take registrations.
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: Of a hybrid seminar only: confirmed seats online; None means no limit online.
    online_capacity: Mapped[int | None] = mapped_column(Integer)
    #: Registration window; None means from publication, and until the start.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The client firm (in-company) or host organization (external talk).
    host_organization: Mapped[str | None] = mapped_column(String(200))
    #: The host's own page for a talk at another organization's seminar.
    external_url: Mapped[str | None] = mapped_column(String(500))

    #: Hours before the start after which the waitlist is promoted by hand only.
    waitlist_cutoff_hours: Mapped[int] = mapped_column(
        Integer, default=24, server_default=text("24")
    )
    #: How many people one registration may bring (団体申込: the contact and colleagues);
    #: 1 takes one person at a time.
    max_group_size: Mapped[int] = mapped_column(Integer, default=5, server_default=text("5"))
    #: Raised on every change of time or place: the SEQUENCE of calendar updates.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: Attendees counted by an organizer, for seminars the agency did not register itself
    #: (in-company, talks elsewhere) or to correct a count at the door.
    head_count: Mapped[int | None] = mapped_column(Integer)
    #: Minutes online, per the platform's report, from which someone counts as attended.
    min_online_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default=text("30"))
    #: first-come, or lottery: applications until registration closes, then a draw.
    admission: Mapped[Admission] = mapped_column(
        Coded(Admission, 12), default=Admission.FIRST_COME, server_default=text("'first-come'")
    )
    #: A lottery gives small and medium-sized companies their places first.
    lottery_sme_priority: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    #: When the lottery was drawn; a seminar is drawn once.
    lottery_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The seed of the draw, published on the seminar's page: with the applications in id
    #: order it gives the same drawn order again, so anyone can check the draw was fair.
    lottery_seed: Mapped[int | None] = mapped_column(BigInteger)
    #: The content file this seminar is kept in, relative to content/; None if made in the console.
    content_path: Mapped[str | None] = mapped_column(String(300))

    lecturers: Mapped[list[User]] = relationship(
        secondary=seminar_lecturers, back_populates="seminars", order_by="User.display_name"
    )

    # `seats_taken`, the confirmed seats counted by the database, and `seats_taken_online`,
    # those of them taken online at a hybrid seminar, are column_properties that
    # registration.models adds: they need the registrations table.
    if TYPE_CHECKING:
        seats_taken: Mapped[int]
        seats_taken_online: Mapped[int]

    @property
    def fiscal_year(self) -> int:
        return fiscal_year_of(self.starts_at)

    @property
    def is_public(self) -> bool:
        """Shown in the public catalogue: published or cancelled, never in-company."""
        return self.host_type != HostType.IN_COMPANY and self.status in (
            SeminarStatus.PUBLISHED,
            SeminarStatus.CANCELLED,
        )

    @property
    def is_hybrid(self) -> bool:
        """Each person chooses how to attend (AttendanceMode), with seats for each way."""
        return self.delivery == Delivery.HYBRID

    @property
    def takes_registrations(self) -> bool:
        return self.host_type == HostType.AGENCY and self.capacity is not None

    def title_for(self, locale: str) -> str:
        return (self.title_en or self.title) if locale == "en" else self.title

    def description_for(self, locale: str) -> str:
        return (self.description_en or self.description) if locale == "en" else self.description

    def __repr__(self) -> str:
        return f"<Seminar {self.id} {self.slug}>"
