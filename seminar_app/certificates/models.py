"""Certificates of attendance (受講証明書), each with a code anyone can verify.

A certificate is a record of what was issued: the name, organization, seminar and time it
states are copied in when it is issued and never change. When what it would state changes
(the person corrects their name, an organizer corrects the seminar), the next download
issues a new certificate with a new code, and the old one is kept, marked replaced, so that
its code verifies as replaced instead of as genuine for whatever the registration says now.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import Model

#: The certificate in force for its registration: the one not replaced.
_IN_FORCE = "replaced_at IS NULL"


class Certificate(Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # One certificate in force per registration: two first downloads at the same moment
        # cannot both issue one. Replaced ones stay beside it, any number.
        Index(
            "uq_certificates_in_force",
            "registration_id",
            unique=True,
            sqlite_where=text(_IN_FORCE),
            postgresql_where=text(_IN_FORCE),
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "replaced_at IS NULL OR replaced_at >= issued_at", name="replaced_after_issue"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: Printed on the certificate and checked at /certificates/verify/<code>.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: The holder's name as printed; None once the privacy purge has anonymised it.
    name: Mapped[str | None] = mapped_column(String(100))
    #: The organization as printed (None when none was given, or once anonymised).
    organization: Mapped[str | None] = mapped_column(String(200))
    #: The seminar's title as printed (the Japanese one, of record).
    seminar_title: Mapped[str] = mapped_column(String(200))
    #: The English title when it was issued, for English readers of the verification page.
    seminar_title_en: Mapped[str | None] = mapped_column(String(200))
    #: When the seminar began and ended, as printed (date, time, duration).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the certificate was issued: the date printed as 発行日.
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When a newer certificate took its place; None while it is the one in force.
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration = relationship("Registration")

    @property
    def in_force(self) -> bool:
        return self.replaced_at is None

    def title_for(self, locale: str) -> str:
        return (
            (self.seminar_title_en or self.seminar_title) if locale == "en" else self.seminar_title
        )
