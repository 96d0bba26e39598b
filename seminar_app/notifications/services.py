"""Composing mail into the outbox, and delivering what is due with retries."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..timeutil import utcnow
from .models import OutboxMessage, OutboxStatus

#: Longest wait between two attempts; an outage delays mail, it never drops it.
MAX_BACKOFF = timedelta(hours=1)


def compose(recipient: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message from the agency's sender, rendered with the SMTP policy (CRLF)."""
    config = current_app.config
    sender = config["MAIL_SENDER"]
    message = EmailMessage(policy=policy.SMTP)
    local, _, domain = sender.partition("@")
    message["From"] = Address(config["MAIL_SENDER_NAME"], local, domain)
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(text, cte="base64" if not text.isascii() else "7bit")
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def enqueue(session: Session, kind: str, message: EmailMessage) -> OutboxMessage:
    """Put a message in the outbox; it is sent only if the caller's transaction commits."""
    row = OutboxMessage(
        kind=kind,
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        message=message.as_bytes(policy=policy.SMTP),
    )
    session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0


def _claim_next(session: Session, now: datetime) -> OutboxMessage | None:
    """Lock one due message so that no other sender takes it at the same time."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        # SQLite: take the write lock before reading, so one sender claims at a time.
        session.connection(execution_options={"sqlite_begin_immediate": True})
    return session.scalar(query)


SmtpFactory = Callable[[], smtplib.SMTP]


def smtp_from_config() -> smtplib.SMTP:
    config = current_app.config
    client = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    if config["MAIL_USE_TLS"]:
        client.starttls()
    if config["MAIL_USERNAME"]:
        client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return client


def deliver_due(
    session: Session, *, limit: int = 100, smtp_factory: SmtpFactory = smtp_from_config
) -> DeliveryReport:
    """Send due messages one transaction each; failures are retried later with backoff."""
    report = DeliveryReport()
    client: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            now = utcnow()
            row = _claim_next(session, now)
            if row is None:
                session.rollback()
                break
            row.attempts += 1
            try:
                if client is None:
                    client = smtp_factory()
                client.sendmail(current_app.config["MAIL_SENDER"], [row.recipient], row.message)
            except smtplib.SMTPRecipientsRefused as exc:
                row.status, row.last_error = OutboxStatus.FAILED, repr(exc.recipients)[:2000]
                report.failed += 1
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                row.next_attempt_at = now + backoff(row.attempts)
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                report.deferred += 1
                client = _close(client)
            else:
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
                report.sent += 1
            session.commit()
    finally:
        _close(client)
    return report


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return None
