"""Post-seminar surveys (アンケート): the questions of a seminar and each attendee's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, text
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
    """One respondent's answer: a registration's, or a browser's that came by a survey link
    forwarded to people who did not register (an in-company seminar's participants)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "registration_id"),
        UniqueConstraint(
            "survey_id", "browser_key", name="uq_survey_answers_survey_id_browser_key"
        ),
        CheckConstraint(
            "(registration_id IS NULL) != (browser_key IS NULL)", name="one_respondent"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 (hex) of the secret a browser keeps in a cookie; never the secret itself.
    browser_key: Mapped[str | None] = mapped_column(String(64))
    #: question key → answer (an int, a string, or a list of strings).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The person agreed that their name may go with their answers in exports.
    may_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    survey: Mapped[Survey] = relationship()
    registration = relationship("Registration")
