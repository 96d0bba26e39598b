"""The outbox: mail written in the transaction that caused it, delivered later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Coded, UTCDateTime, enum_check
from ..domain import OutboxFailure, OutboxStatus
from ..extensions import Model
from ..timeutil import utcnow


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        enum_check("status", OutboxStatus),
        enum_check("failure", OutboxFailure),
        # A failed message says why and since when; no other message has a failure.
        CheckConstraint(
            "(status = 'failed') = (failure IS NOT NULL AND failed_at IS NOT NULL)",
            name="failure_iff_failed",
        ),
        Index("ix_outbox_messages_due", "status", "bulk", "next_attempt_at"),
        Index("ix_outbox_messages_failed_at", "failed_at"),
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
    status: Mapped[OutboxStatus] = mapped_column(
        Coded(OutboxStatus, 10), default=OutboxStatus.PENDING
    )
    #: Sent to many at once (notifications.services.renderer(bulk=True)): sent after the
    #: mail a person waits for.
    bulk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not to be tried before this moment (backoff after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What went wrong at the last attempt, in the words of the code or the mail server.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Why a failed message was given up (OutboxFailure); None unless failed.
    failure: Mapped[OutboxFailure | None] = mapped_column(Coded(OutboxFailure, 12))
    #: When it was given up; None unless failed.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
