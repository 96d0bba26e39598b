"""Post-seminar surveys (アンケート): the questions of a seminar and each attendee's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime
from ..extensions import Model


class Survey(TimestampMixin, Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminars.id", ondelete="CASCADE"), unique=True
    )
    #: The questions, in order: [{"key", "type", "label", "label_en", "choices", "required"}].
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Answers are taken, and may be changed, until then (UTC); None: no end.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the invitations were queued; they are queued once.
    invitations_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    seminar = relationship("Seminar")


class SurveyAnswer(TimestampMixin, Model):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("survey_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: question key → answer (an int, a string, or a list of strings).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The person agreed that their name may go with their answers in exports.
    may_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    survey: Mapped[Survey] = relationship()
    registration = relationship("Registration")
