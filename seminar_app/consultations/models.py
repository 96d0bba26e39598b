"""The consultation desk: client organizations and the consultations held with them."""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, TimestampMixin, codes_check, enum_check
from ..domain import Attribute, Channel, EmployeeBand, Referral, Source, Topic
from ..extensions import Model
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES

#: The seven steps of the agency's support for trade-secret management, as the agency names
#: them (1 気づき … 7 秘密保持契約書等雛形; the Japanese is in the translations).
STEPS = {
    1: _l("Awareness"),
    2: _l("Understanding the system and raising awareness"),
    3: _l("Internal rules"),
    4: _l("Inventory"),
    5: _l("Classification"),
    6: _l("Handling rules"),
    7: _l("Templates such as non-disclosure agreements"),
}


class Desk(TimestampMixin, Model):
    """相談窓口: a consultation desk the agency runs (its main desk, a regional one)."""

    __tablename__ = "desks"
    __table_args__ = (CheckConstraint("position >= 0", name="position_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What scripts, the CSV import and the API name the desk by (`main`, `kansai`).
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    #: Where the desk stands in every list, smallest first.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: An inactive desk keeps its consultations and figures but takes no new ones.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def name(self) -> str:
        """The desk's name in the language of the request."""
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_ja


def step_label(step: int | None) -> str:
    """'3. Information-management rules', translated; '' when no step was reached."""
    return f"{step}. {STEPS[step]}" if step in STEPS else ""


class Client(TimestampMixin, Model):
    """An organization the desk supports, found by corporate number or normalised name."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(
            "corporate_number IS NULL OR length(corporate_number) = 13",
            name="corporate_number_13_digits",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: NFKC, without spaces or the company-form words, lower case: what names match on.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    #: 法人番号, 13 digits, where known.
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)


class ConsultationTopic(Model):
    """One thing a consultation was about: a consultation has one row per topic."""

    __tablename__ = "consultation_topics"
    __table_args__ = (enum_check("topic", Topic),)

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    #: Counted once under each of its topics by the reports (consultation_figures).
    topic: Mapped[Topic] = mapped_column(Coded(Topic, 30), primary_key=True)


class ConsultationReferral(Model):
    """Where a consultation referred the client on to: one row per place."""

    __tablename__ = "consultation_referrals"
    __table_args__ = (enum_check("referral", Referral),)

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    referral: Mapped[Referral] = mapped_column(Coded(Referral, 30), primary_key=True)


class ConsultationTotal(TimestampMixin, Model):
    """A fiscal year's consultations at a desk, recorded as totals where no rows exist.

    The figures read these only for a desk-year without consultation rows (figures.py);
    recording a year again replaces its totals. `updated_at` says when, `recorded_by` who."""

    __tablename__ = "consultation_totals"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "desk_id", name="uq_consultation_totals_year_desk"),
        CheckConstraint("consultations >= 0", name="consultations_not_negative"),
        CheckConstraint(
            "online IS NULL OR (online >= 0 AND online <= consultations)",
            name="online_within_consultations",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id", ondelete="RESTRICT"), index=True)
    consultations: Mapped[int] = mapped_column(Integer)
    #: How many of them were held online; None where that was not counted.
    online: Mapped[int | None] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    desk: Mapped[Desk] = relationship()
    recorded_by = relationship("User")


class Consultation(TimestampMixin, Model):
    __tablename__ = "consultations"
    __table_args__ = (
        enum_check("channel", Channel),
        enum_check("source", Source),
        enum_check("attribute", Attribute),
        enum_check("employee_band", EmployeeBand),
        codes_check("industry", INDUSTRIES),
        codes_check("prefecture", PREFECTURES),
        codes_check("referring_desk", PREFECTURAL_DESKS),
        CheckConstraint("step IS NULL OR (step >= 1 AND step <= 7)", name="step_1_to_7"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    #: The desk that held it; every door names it (desks.default_desk when a person did not).
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[Channel] = mapped_column(Coded(Channel, 20))
    advisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    attribute: Mapped[Attribute] = mapped_column(Coded(Attribute, 30))
    employee_band: Mapped[EmployeeBand | None] = mapped_column(Coded(EmployeeBand, 10))
    industry: Mapped[str | None] = mapped_column(String(1))
    prefecture: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[Source] = mapped_column(Coded(Source, 20))
    #: The prefectural IP comprehensive support desk that referred the client (its JIS
    #: prefecture code, reference.PREFECTURAL_DESKS), if one did.
    referring_desk: Mapped[str | None] = mapped_column(String(2))
    #: The step of the seven-step trade-secret support reached (1–7), if any.
    step: Mapped[int | None] = mapped_column()
    #: "<file key>:<line>" for a row brought in by `flask import consultations`.
    import_ref: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The client's own secrets: organizers and the record's advisor only, reads audited.
    notes: Mapped[str | None] = mapped_column(Text)

    #: What it was about (one or more): read and set through `topics`.
    topic_rows: Mapped[list[ConsultationTopic]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    #: Where the client was referred on to (none or several): read and set through `referrals`.
    referral_rows: Mapped[list[ConsultationReferral]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    client: Mapped[Client | None] = relationship()
    desk: Mapped[Desk] = relationship(lazy="joined")
    advisor = relationship("User")

    @property
    def referrals(self) -> list[Referral]:
        """The places referred to, in the order Referral declares them."""
        order = list(Referral)
        return sorted((Referral(row.referral) for row in self.referral_rows), key=order.index)

    @referrals.setter
    def referrals(self, wanted: list[Referral] | list[str]) -> None:
        chosen = {Referral(referral) for referral in wanted}
        self.referral_rows[:] = [row for row in self.referral_rows if row.referral in chosen]
        present = {row.referral for row in self.referral_rows}
        order = list(Referral)
        self.referral_rows.extend(
            ConsultationReferral(referral=referral)
            for referral in sorted(chosen - present, key=order.index)
        )

    @property
    def topics(self) -> list[Topic]:
        """The topics in the order Topic declares them, the order every page shows."""
        order = list(Topic)
        return sorted((Topic(row.topic) for row in self.topic_rows), key=order.index)

    @topics.setter
    def topics(self, wanted: list[Topic] | list[str]) -> None:
        chosen = {Topic(topic) for topic in wanted}
        self.topic_rows[:] = [row for row in self.topic_rows if row.topic in chosen]
        present = {row.topic for row in self.topic_rows}
        order = list(Topic)
        self.topic_rows.extend(
            ConsultationTopic(topic=topic) for topic in sorted(chosen - present, key=order.index)
        )
