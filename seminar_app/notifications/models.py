"""The outbox: mail written in the transaction that caused it, delivered later."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, enum_check
from ..domain import LABELS
from ..extensions import db
from ..timeutil import utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


LABELS.update(
    {
        OutboxStatus.PENDING: _l("Waiting to be sent"),
        OutboxStatus.SENT: _l("Sent"),
        OutboxStatus.FAILED: _l("Not delivered"),
    }
)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        enum_check("status", OutboxStatus),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What the mail is about (password-reset, registration-confirmed …), for operators.
    kind: Mapped[str] = mapped_column(String(50))
    #: The envelope recipient.
    recipient: Mapped[str] = mapped_column(String(254))
    #: What the renderer of `kind` needs; the mail is rendered outside the request.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Filled in when the message is rendered.
    subject: Mapped[str | None] = mapped_column(String(300))
    #: The whole RFC 5322 message (email.policy.SMTP, CRLF), kept so that a retry
    #: sends the very same message.
    message: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not to be tried before this moment (backoff after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
