"""The consultation desk: client organizations and the consultations held with them."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, TimestampMixin, codes_check, enum_check
from ..domain import Attribute, Channel, EmployeeBand, Source, Topic
from ..extensions import db
from ..reference import INDUSTRIES, PREFECTURES

#: The seven steps of the agency's support for trade-secret management (design.md).
STEPS = {
    1: _l("Awareness"),
    2: _l("Understanding the system"),
    3: _l("Information-management rules"),
    4: _l("Inventory of information held"),
    5: _l("Classification"),
    6: _l("Handling rules"),
    7: _l("Templates for non-disclosure agreements"),
}


def step_label(step: int | None) -> str:
    """'3. Information-management rules', translated; '' when no step was reached."""
    return f"{step}. {STEPS[step]}" if step in STEPS else ""


class Client(TimestampMixin, db.Model):
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


class ConsultationTopic(db.Model):
    """One thing a consultation was about: a consultation has one row per topic."""

    __tablename__ = "consultation_topics"
    __table_args__ = (enum_check("topic", Topic),)

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    #: Counted once under each of its topics by the reports (consultation_figures).
    topic: Mapped[Topic] = mapped_column(Coded(Topic, 30), primary_key=True)


class Consultation(TimestampMixin, db.Model):
    __tablename__ = "consultations"
    __table_args__ = (
        enum_check("channel", Channel),
        enum_check("source", Source),
        enum_check("attribute", Attribute),
        enum_check("employee_band", EmployeeBand),
        codes_check("industry", INDUSTRIES),
        codes_check("prefecture", PREFECTURES),
        CheckConstraint("step IS NULL OR (step >= 1 AND step <= 7)", name="step_1_to_7"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[Channel] = mapped_column(Coded(Channel, 10))
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
    client: Mapped[Client | None] = relationship()
    advisor = relationship("User")

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
